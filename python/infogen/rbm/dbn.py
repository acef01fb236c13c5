"""Deep belief networks: greedily stacked RBMs (Hinton et al. 2006), with sampling, completion and .npz files."""
from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from infogen._progress import logger
from infogen._random import check_random_state, draw_seed
from infogen.rbm._common import _DBN_FORMAT, _FORMAT_VERSION, _atomic_savez, _check_number, _read_npz
from infogen.rbm.model import BernoulliRBM

__all__ = ["DBN"]


class DBN(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Deep belief network: RBMs stacked greedily, layer by layer (Hinton et al. 2006).

    Layer 1 is trained on the data; each further layer is trained on the previous layer's
    hidden probabilities P(H | V). ``transform`` maps data up through every layer;
    ``sample`` runs Gibbs sampling in the top RBM and passes the result down through the
    lower layers' P(V | H). Input is what :class:`BernoulliRBM` accepts (dense or sparse,
    binary or probabilities in [0, 1]).

    Parameters
    ----------
    hidden_layers : tuple of int, default=(64, 32)
        Hidden units of each layer, bottom to top.
    rbm_params : dict or None, default=None
        Keyword arguments of every layer's :class:`BernoulliRBM` (``n_components``,
        ``random_state`` and ``verbose`` are set per layer).
    verbose : bool or int, default=0
        Log each layer's epochs (logger ``"infogen"``) with a progress bar on a terminal.
    random_state : int, RandomState instance, Generator or None, default=None
        Seeds the layers (each gets its own seed drawn from it) and, in :meth:`fit`, only
        them; :meth:`sample` takes its own.

    Attributes
    ----------
    rbms_ : list of BernoulliRBM
        The trained layers, bottom first.
    n_features_in_ : int
        Width of the data.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when X had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from infogen import DBN
    >>> X = (np.random.default_rng(0).random((60, 12)) < 0.3).astype(float)
    >>> dbn = DBN((8, 4), rbm_params={"n_iter": 2}, random_state=0).fit(X)
    >>> dbn.transform(X).shape, dbn.sample(3, n_steps=10, random_state=0).shape
    ((60, 4), (3, 12))
    """

    def __init__(self, hidden_layers: tuple[int, ...] = (64, 32), *, rbm_params: dict | None = None,
                 verbose: bool | int = 0, random_state: Any = None):
        self.hidden_layers = hidden_layers
        self.rbm_params = rbm_params
        self.verbose = verbose
        self.random_state = random_state

    @staticmethod
    def _layer_seed(rs: np.random.RandomState | np.random.Generator) -> int:
        """Draw an int seed (below 2**32, as every random_state takes) for a layer or a call."""
        return draw_seed(rs) >> 31

    def fit(self, X: Any, y: Any = None) -> DBN:
        """Train the layers greedily, bottom to top.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Binary data, or probabilities in [0, 1].
        y : None
            Ignored.

        Returns
        -------
        self : DBN
        """
        try:
            layers = tuple(self.hidden_layers)
        except TypeError:
            raise TypeError(f"hidden_layers must be a tuple of layer sizes, got {self.hidden_layers!r}") from None
        if not layers:
            raise ValueError("hidden_layers must name at least one layer")
        for h in layers:
            _check_number("hidden_layers entries", h, 1, integer=True)
        if self.rbm_params is not None and not isinstance(self.rbm_params, dict):
            raise TypeError(f"rbm_params must be a dict or None, got {type(self.rbm_params).__name__}")
        params = dict(self.rbm_params or {})
        for key in ("n_components", "n_hidden", "random_state"):
            if key in params:
                raise ValueError(f"rbm_params must not set {key!r}: DBN sets it per layer")
        params.setdefault("verbose", self.verbose)
        rs = check_random_state(self.random_state)
        X = validate_data(self, X, reset=True, accept_sparse="csr", dtype=[np.float64, np.float32])
        rbms = []
        data = X
        for i, n_components in enumerate(layers):
            if self.verbose:
                logger.info("DBN: layer %d of %d (%d hidden units)", i + 1, len(layers), n_components)
            rbm = BernoulliRBM(n_components, random_state=self._layer_seed(rs), **params).fit(data)
            rbms.append(rbm)
            data = rbm.transform(data)
        self.rbms_ = rbms
        return self

    @property
    def _n_features_out(self) -> int:
        """Number of transformed features (for ``get_feature_names_out``)."""
        return self.rbms_[-1].components_.shape[0]

    def transform(self, X: Any) -> np.ndarray:
        """Hidden probabilities of the top layer, propagated up through every layer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, hidden_layers[-1])
        """
        check_is_fitted(self, "rbms_")
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=[np.float64, np.float32])
        for rbm in self.rbms_:
            X = rbm.transform(X)
        return X

    def partial_fit(self, X: Any, y: Any = None) -> DBN:
        """One pass of every layer over X, bottom to top (each layer's :meth:`BernoulliRBM.partial_fit`).

        The first call initialises the layers as :meth:`fit` would.

        Returns
        -------
        self : DBN
        """
        if not hasattr(self, "rbms_"):
            layers = tuple(self.hidden_layers)
            params = dict(self.rbm_params or {})
            params.setdefault("verbose", self.verbose)
            rs = check_random_state(self.random_state)
            X = validate_data(self, X, reset=True, accept_sparse="csr", dtype=[np.float64, np.float32])
            self.rbms_ = [BernoulliRBM(h, random_state=self._layer_seed(rs), **params) for h in layers]
        else:
            X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=[np.float64, np.float32])
        data = X
        for rbm in self.rbms_:
            rbm.partial_fit(data)
            data = rbm.transform(data)
        return self

    def score_samples(self, X: Any) -> np.ndarray:
        """Pseudo-log-likelihood of each row under the bottom layer (see :meth:`BernoulliRBM.score_samples`)."""
        check_is_fitted(self, "rbms_")
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=[np.float64, np.float32])
        return self.rbms_[0].score_samples(X)

    def score(self, X: Any, y: Any = None) -> float:
        """Mean of :meth:`score_samples`: higher is better."""
        return float(np.mean(self.score_samples(X), dtype=np.float64))

    def complete(self, X: Any, observed: Any, *, method: str = "gibbs", n_steps: int = 100, burn_in: int = 20,
                 random_state: Any = None) -> np.ndarray:
        """Fill in the unobserved entries of each row (see :meth:`BernoulliRBM.complete`).

        Up-down: the rows, observed entries clamped, go up the stack by P(h | v); the top
        RBM takes a Gibbs step (or a mean-field one); the result comes down by P(v | h);
        the unobserved entries' probabilities are averaged over the steps after `burn_in`.
        """
        from infogen.completion import complete_dbn, known_values

        check_is_fitted(self, "rbms_")
        X = validate_data(self, known_values(X, observed, 0.0), reset=False, dtype=[np.float64, np.float32])
        X = np.ascontiguousarray(X, dtype=self.rbms_[0].components_.dtype)
        return complete_dbn(self, X, observed, method=method, n_steps=n_steps, burn_in=burn_in,
                            random_state=random_state)

    def sample(self, n_samples: int = 1, n_steps: int = 1000, *, random_state: Any = None,
               mean: bool = False) -> np.ndarray:
        """Generate data: Gibbs chains in the top RBM, then top-down P(V | H) to the bottom.

        Parameters
        ----------
        n_samples : int, default=1
        n_steps : int, default=1000
            Gibbs steps in the top layer.
        random_state : int, RandomState instance, Generator or None, default=None
        mean : bool, default=False
            Return the bottom layer's probabilities instead of a binary sample.

        Returns
        -------
        ndarray of shape (n_samples, n_features_in_)
        """
        check_is_fitted(self, "rbms_")
        rs = check_random_state(random_state)
        top = self.rbms_[-1]
        v = top.sample(n_samples, n_steps, random_state=self._layer_seed(rs), init="uniform")
        for i, rbm in enumerate(reversed(self.rbms_[:-1])):
            last = i == len(self.rbms_) - 2
            v = rbm.sample_visible(v, mean=mean and last, random_state=self._layer_seed(rs))
        return v

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Save every layer to one ``.npz`` file (no pickle), atomically.

        Layer i's arrays are stored as ``layer{i}.<name>``; the metadata records the
        DBN's parameters and each layer's own metadata.
        """
        check_is_fitted(self, "rbms_")
        rs = self.random_state
        params = {"hidden_layers": [int(h) for h in self.hidden_layers],
                  "random_state": int(rs) if isinstance(rs, (int, np.integer)) else None}
        layers, arrays = [], {}
        for i, rbm in enumerate(self.rbms_):
            meta, arr = rbm._to_arrays()
            layers.append(meta)
            arrays.update({f"layer{i}.{k}": v for k, v in arr.items()})
        meta = {"format": _DBN_FORMAT, "version": _FORMAT_VERSION, "params": params,
                "n_features_in": int(self.n_features_in_), "layers": layers}
        arrays["metadata"] = np.array(json.dumps(meta))
        _atomic_savez(path, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> DBN:
        """Load a DBN written by :meth:`save` (``allow_pickle=False``).

        ``rbm_params`` is restored from the first layer's parameters (without
        ``n_components``, ``random_state`` and ``verbose``, which the DBN sets per layer).
        """
        meta, data = _read_npz(path, "DBN")
        where = repr(os.fspath(path))
        if meta.get("format") != _DBN_FORMAT:
            raise ValueError(f"{where} holds {meta.get('format')!r}, not {_DBN_FORMAT!r}")
        layers = meta["layers"]
        rbm_params = {k: v for k, v in layers[0]["params"].items()
                      if k not in ("n_hidden", "n_components", "random_state", "verbose")}
        rbm_params = {{"n_epochs": "n_iter"}.get(k, k): v for k, v in rbm_params.items()}
        est = cls(tuple(meta["params"]["hidden_layers"]), rbm_params=rbm_params,
                  random_state=meta["params"]["random_state"])
        est.rbms_ = []
        for i, layer in enumerate(layers):
            prefix = f"layer{i}."
            arrays = {k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix)}
            est.rbms_.append(BernoulliRBM._from_arrays(layer, arrays, f"{where} layer {i}"))
        est.n_features_in_ = meta["n_features_in"]
        return est
