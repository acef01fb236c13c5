"""Restricted Boltzmann machines: a scikit-learn estimator backed by C++/OpenMP kernels.

The model (lecture CS7015-19): binary visible units v (m of them) and hidden units h
(n of them), with energy ``E(v, h) = -v.b - h.c - v W^T h`` and ``p(v, h) = exp(-E) / Z``.
Both conditionals factorise into sigmoids, ``P(h_j = 1 | v) = sigmoid(c_j + W_j . v)`` and
``P(v_i = 1 | h) = sigmoid(b_i + W_:i . h)``, so block Gibbs sampling alternates between
the layers. Training follows the log-likelihood gradient ``E_data[v h] - E_model[v h]``,
whose second term is estimated with k steps of Gibbs sampling (CD-k) or a persistent
chain (PCD). Where the smaller layer is small enough (about 24 units), the partition
function, and with it the exact log-likelihood, is computed by enumeration; otherwise it
is estimated by annealed importance sampling.

Determinism: every random draw comes from a counter-based stream keyed by (seed, row), and
the seeds come from the estimator's ``random_state``. The same ``random_state`` gives
bit-identical parameters with any number of threads, under any CPU affinity mask and on
any machine.

Training by parts: with a persistent chain and binary minibatches large enough to go
parallel (batch x visible x hidden of about 2 million or more, at least 128 hidden
units), the hidden units are cut into two fixed parts, and each thread keeps the same
parts -- their rows of W and columns of W^T -- in every phase of every minibatch, so each
weight stays in one core's caches. The parts follow the shape only, never the thread or
processor count.

Persistence: pickle, ``copy.deepcopy``, joblib (also with ``mmap_mode="r"``: read-only
arrays are copied on the first further training) and :meth:`BernoulliRBM.save` /
:meth:`BernoulliRBM.load` keep the random state, so a restored model predicts and trains
on bit for bit as the original does.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
import time
import zipfile
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from infogen import _core
from infogen._config import resolve_threads
from infogen._progress import logger, progress
from infogen._random import check_random_state, draw_seed
from infogen._validation import NAN_CODE, core_fn

__all__ = ["BernoulliRBM", "DBN", "LogPartition", "ais_schedule"]

_FORMAT = "infogen.BernoulliRBM"
_FORMAT_VERSION = 1
_DBN_FORMAT = "infogen.DBN"
_DTYPES = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64)}
# Exact log-likelihood is tracked in the training history when the smaller layer has at
# most this many units (2^16 states: milliseconds).
_HISTORY_EXACT_UNITS = 16
# Rows of the training data used for the per-epoch history.
_HISTORY_ROWS = 500
# log_likelihood(method="auto") uses the exact log-likelihood up to this many units, AIS above.
_AUTO_EXACT_UNITS = 20


class LogPartition(NamedTuple):
    """A log partition function with its uncertainty.

    Attributes
    ----------
    value : float
        log Z (exact) or log Z-hat (AIS).
    lower, upper : float
        For AIS, log of the mean importance weight minus/plus three standard errors
        (``lower`` is ``-inf`` when that interval reaches zero); for ``method="exact"``
        both equal ``value``.
    method : str
        ``"exact"`` or ``"ais"``.
    log_weights : ndarray or None
        The AIS runs' log importance weights (None for exact).
    """

    value: float
    lower: float
    upper: float
    method: str
    log_weights: np.ndarray | None = None


def ais_schedule(n_betas: int = 10_000) -> np.ndarray:
    """Return the inverse-temperature schedule of Salakhutdinov & Murray (2008), scaled.

    Their schedule spaces 500 betas uniformly in [0, 0.5], 4,000 in [0.5, 0.9] and 10,000
    in [0.9, 1]; this keeps those proportions for ``n_betas`` values in total.

    Parameters
    ----------
    n_betas : int, default=10000
        Number of inverse temperatures, at least 4.

    Returns
    -------
    ndarray of shape (n_betas,)
        Non-decreasing, from exactly 0 to exactly 1.

    Examples
    --------
    >>> from infogen.rbm import ais_schedule
    >>> b = ais_schedule(100)
    >>> float(b[0]), float(b[-1]), len(b)
    (0.0, 1.0, 100)
    """
    if isinstance(n_betas, bool) or not isinstance(n_betas, (int, np.integer)) or n_betas < 4:
        raise ValueError(f"n_betas must be an int >= 4, got {n_betas!r}")
    n1 = max(1, round(n_betas * 500 / 14_500))
    n2 = max(1, round(n_betas * 4_000 / 14_500))
    n3 = n_betas - n1 - n2
    betas = np.concatenate([
        np.linspace(0.0, 0.5, n1, endpoint=False),
        np.linspace(0.5, 0.9, n2, endpoint=False),
        np.linspace(0.9, 1.0, n3),
    ])
    betas[0], betas[-1] = 0.0, 1.0
    return betas


def _check_number(name: str, value: Any, lo: float, hi: float = math.inf, *, integer: bool = False,
                  lo_open: bool = False) -> None:
    types = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, types):
        kind = "an int" if integer else "a number"
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    ok = (value > lo if lo_open else value >= lo) and value <= hi and math.isfinite(float(value))
    if not ok:
        bracket = "(" if lo_open else "["
        raise ValueError(f"{name} must be in {bracket}{lo:g}, {hi:g}], got {value!r}")


def _rng_state(rs: np.random.RandomState | np.random.Generator) -> dict:
    """Return the state of a RandomState or Generator as JSON-able data (for ``.npz`` files)."""
    if isinstance(rs, np.random.RandomState):
        state = rs.get_state(legacy=False)
        kind = "RandomState"
    else:
        state = rs.bit_generator.state
        kind = "Generator"

    def plain(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        if isinstance(x, np.ndarray):
            return {"__array__": x.tolist(), "dtype": str(x.dtype)}
        return x.item() if isinstance(x, np.generic) else x

    return {"kind": kind, "state": plain(state)}


def _rng_from_state(saved: dict) -> np.random.RandomState | np.random.Generator:
    """Rebuild what :func:`_rng_state` described."""
    def arrays(x: Any) -> Any:
        if isinstance(x, dict):
            if "__array__" in x:
                return np.array(x["__array__"], dtype=x["dtype"])
            return {k: arrays(v) for k, v in x.items()}
        return x

    state = arrays(saved["state"])
    if saved["kind"] == "RandomState":
        rs = np.random.RandomState()
        rs.set_state(state)
        return rs
    name = state["bit_generator"]
    if name not in ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"):
        raise ValueError(f"unknown bit generator {name!r}")
    bitgen = getattr(np.random, name)()
    bitgen.state = state
    return np.random.Generator(bitgen)


def _writeable(a: np.ndarray) -> np.ndarray:
    """Return `a` if the core can update it in place, else a C-contiguous writeable copy.

    (joblib's ``mmap_mode="r"`` restores arrays read-only.)
    """
    if a.flags.writeable and a.flags.c_contiguous and type(a) is np.ndarray:
        return a
    return np.array(a, order="C", copy=True)


def _atomic_savez(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """Write an .npz atomically: temp file in the same directory, fsync, os.replace."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _read_npz(path: str | os.PathLike, what: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Metadata and arrays of an infogen ``.npz`` model file, read without pickle."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no saved {what} at {os.fspath(path)!r}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{os.fspath(path)!r} is not a readable infogen {what} file: {exc}") from exc
    if "metadata" not in arrays:
        raise ValueError(f"{os.fspath(path)!r} is not a saved infogen {what} (no metadata)")
    return json.loads(str(arrays.pop("metadata"))), arrays


class BernoulliRBM(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Bernoulli restricted Boltzmann machine trained with fused CD-k / PCD in C++.

    A drop-in for :class:`sklearn.neural_network.BernoulliRBM`: the same parameters
    (``n_components``, ``learning_rate``, ``batch_size``, ``n_iter``, ``verbose``,
    ``random_state``) with the same meanings (the step is ``learning_rate`` times the
    minibatch-mean gradient), the same fitted attributes, dense or sparse input whose values
    are used as mean-field inputs (binary data or probabilities in [0, 1], as the model
    assumes; like scikit-learn, other finite values are not refused), ``score_samples`` as
    the pseudo-likelihood, ``get_feature_names_out`` and ``set_output``. Beyond it: exact
    and AIS log-likelihoods (:meth:`log_likelihood`), CD-k, momentum, weight decay, a
    sparsity target, float32 training and deterministic multi-threading.

    Parameters
    ----------
    n_components : int, default=256
        Number of hidden units.
    learning_rate : float, default=0.1
        Step size on the minibatch-mean gradient.
    batch_size : int, default=10
        Rows per minibatch (and rows of the persistent chain). A batch larger than the
        training data is clamped to its number of rows (noted in the log), so an absurd
        value does not allocate an absurd chain.
    n_iter : int, default=10
        Passes over the training data in :meth:`fit`.
    k : int, default=1
        Gibbs steps of the negative phase per update.
    persistent : bool, default=True
        Persistent CD (the negative chain continues between updates; Tieleman 2008) when
        True, CD-k (the chain restarts at the minibatch) when False.
    momentum : float, default=0.0
        Momentum coefficient in [0, 1). The velocities (``velocity_components_`` ...)
        hold the last update's step; with momentum 0 that step is ``learning_rate`` times
        the gradient, and switching momentum on for a later ``partial_fit`` continues from
        it.
    weight_decay : float, default=0.0
        L2 penalty on the weights (added to the gradient as ``-weight_decay * W``).
    sparsity_target : float or None, default=None
        Target mean activation of each hidden unit; None disables the penalty.
    sparsity_cost : float, default=0.1
        Strength of the sparsity penalty (used only with ``sparsity_target``).
    dtype : {"float32", "float64"} or None, default=None
        Parameter dtype. None takes float32 when the first training data is float32,
        else float64. Inputs are converted to this dtype.
    monitor : bool, default=False
        Record a per-epoch history (reconstruction error, pseudo-likelihood and, when the
        smaller layer has at most 16 units, the exact log-likelihood) on up to 500
        training rows. Off by default because it is not free: on binarised digits with
        256 hidden units and batch 100 it costs about 6x the training itself (with 16
        hidden units, where the exact log-likelihood is tracked, about 1.5x). Monitoring
        time is not counted in ``history_["seconds"]``. Without it, ``history_`` still
        records each epoch's ``seconds``, and the validation log-likelihood when
        :meth:`fit` gets ``X_val``.
    n_threads : int or None, default=None
        Threads for the C++ kernels (None, 0 or -1: :func:`infogen.get_num_threads`, all
        available cores by default). Results do not depend on it. Training by parts (see
        the module's notes) uses at most one thread per part.
    random_state : int, RandomState instance, Generator or None, default=None
        Drives the weight initialisation, the epoch shuffles, and the seeds of every
        kernel's random streams during :meth:`fit`, :meth:`partial_fit` and :meth:`gibbs`
        (which advance ``random_state_``). :meth:`sample`, :meth:`sample_visible` and AIS
        take their own ``random_state`` argument.
    verbose : bool or int, default=0
        Log one line per epoch (logger ``"infogen"``, INFO; to standard error when logging
        is not configured) and, on a terminal, show a progress bar (also over the runs of
        AIS in :meth:`log_partition`).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features_in_)
        Weights W; ``components_[j, i]`` couples hidden unit j and visible unit i.
    intercept_hidden_ : ndarray of shape (n_components,)
        Hidden biases c.
    intercept_visible_ : ndarray of shape (n_features_in_,)
        Visible biases b.
    h_samples_ : ndarray of shape (batch_size, n_components)
        Hidden states of the persistent chain (``min(batch_size, n_samples)`` rows when
        the batch was clamped).
    visible_marginals_ : ndarray of shape (n_features_in_,)
        Smoothed mean of every visible unit over the training data (the AIS base rate).
    history_ : dict of lists
        Per epoch of :meth:`fit`: ``epoch``, ``seconds`` (training time),
        ``reconstruction_error`` (mean squared error of the mean-field reconstruction),
        ``pseudo_likelihood`` (mean, nats), ``log_likelihood`` (mean exact, nats, or NaN
        when too costly) and, when ``fit`` got ``X_val``, ``val_log_likelihood``.
    n_features_in_ : int
        Number of visible units.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when X had string column names.
    n_updates_ : int
        Parameter updates made so far.

    See Also
    --------
    sklearn.neural_network.BernoulliRBM : scikit-learn's version (PCD-1, no exact
        likelihood).
    DBN : greedy stacking of RBMs.

    References
    ----------
    .. [1] G. Hinton, "A practical guide to training restricted Boltzmann machines", 2010.
    .. [2] T. Tieleman, "Training restricted Boltzmann machines using approximations to
       the likelihood gradient", ICML 2008.
    .. [3] R. Salakhutdinov and I. Murray, "On the quantitative analysis of deep belief
       networks", ICML 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from infogen import BernoulliRBM
    >>> X = np.array([[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]] * 10)
    >>> rbm = BernoulliRBM(2, n_iter=20, learning_rate=0.05, random_state=0).fit(X)
    >>> rbm.transform(X).shape
    (40, 2)
    >>> bool(rbm.log_likelihood(X).mean() > 3 * np.log(0.5))
    True
    """

    def __init__(self, n_components: int = 256, *, learning_rate: float = 0.1, batch_size: int = 10,
                 n_iter: int = 10, verbose: bool | int = 0, random_state: Any = None, k: int = 1,
                 persistent: bool = True, momentum: float = 0.0, weight_decay: float = 0.0,
                 sparsity_target: float | None = None, sparsity_cost: float = 0.1, dtype: str | None = None,
                 monitor: bool = False, n_threads: int | None = None):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.k = k
        self.persistent = persistent
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost
        self.dtype = dtype
        self.monitor = monitor
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> None:
        _check_number("n_components", self.n_components, 1, integer=True)
        _check_number("learning_rate", self.learning_rate, 0, lo_open=True)
        _check_number("batch_size", self.batch_size, 1, integer=True)
        _check_number("n_iter", self.n_iter, 0, integer=True)
        _check_number("k", self.k, 1, integer=True)
        _check_number("momentum", self.momentum, 0, 1)
        if self.momentum >= 1:
            raise ValueError(f"momentum must be below 1, got {self.momentum!r}")
        _check_number("weight_decay", self.weight_decay, 0)
        if self.sparsity_target is not None:
            _check_number("sparsity_target", self.sparsity_target, 0, 1)
        _check_number("sparsity_cost", self.sparsity_cost, 0)
        for flag in ("persistent", "monitor"):
            if not isinstance(getattr(self, flag), (bool, np.bool_)):
                raise TypeError(f"{flag} must be True or False, got {getattr(self, flag)!r}")
        if self.dtype is not None:
            try:
                name = str(np.dtype(self.dtype))
            except TypeError:
                name = None
            if name not in _DTYPES:
                raise ValueError(f"dtype must be 'float32', 'float64' or None, got {self.dtype!r}")
        if isinstance(self.verbose, str) or not isinstance(self.verbose, (bool, int, np.bool_, np.integer)):
            raise TypeError(f"verbose must be a bool or an int, got {self.verbose!r}")
        resolve_threads(self.n_threads)

    def _threads(self) -> int:
        return resolve_threads(self.n_threads)

    def _fn(self, name: str):
        return getattr(_core, f"rbm_{name}_{'f32' if self.components_.dtype == np.float32 else 'f64'}")

    def _params(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (np.ascontiguousarray(self.components_), np.ascontiguousarray(self.intercept_visible_),
                np.ascontiguousarray(self.intercept_hidden_))

    @property
    def _n_features_out(self) -> int:
        """Number of transformed features (for ``get_feature_names_out``)."""
        return self.components_.shape[0]

    def _validate(self, X: Any, *, reset: bool, binary: bool = False, what: str = "X") -> np.ndarray:
        """Check X (2-D, finite, right width; binary when asked) and return it dense, C-contiguous.

        Dense or sparse (CSR, or any format SciPy converts to it) input is accepted; sparse
        input is densified in the model's dtype. Values are used as mean-field inputs:
        binary data or probabilities in [0, 1] are what the model describes; like
        scikit-learn's, other finite values are not refused.
        """
        X = validate_data(self, X, reset=reset, accept_sparse="csr", dtype=[np.float64, np.float32],
                          order="C", ensure_min_samples=1, ensure_all_finite=False)
        dtype = self.components_.dtype if hasattr(self, "components_") else self._fit_dtype(X)
        X = X.toarray() if sp.issparse(X) else X
        X = np.ascontiguousarray(X, dtype=dtype)
        # NaN and infinities in one multithreaded pass of the core
        big = float(np.finfo(X.dtype).max)
        r, col, code, value = core_fn("check_range", X.dtype)(X, -big, big, self._threads())
        if r >= 0:
            kind = "NaN" if code == NAN_CODE else f"infinity ({value!r})"
            raise ValueError(f"Input {what} contains {kind} at row {r}, column {col}; a Bernoulli RBM needs "
                             "finite values (binary, or probabilities in [0, 1])")
        if binary:
            bad = np.flatnonzero((X != 0) & (X != 1))
            if bad.size:
                r, col = divmod(int(bad[0]), X.shape[1])
                raise ValueError(f"{what} must be binary (0 or 1) for an exact likelihood; found "
                                 f"{float(X[r, col])!r} at row {r}, column {col}")
        return X

    def _check_state(self, what: str) -> None:
        """Refuse fitted parameters that are not finite or no longer fit together.

        Checked before every use of the parameters: hand-set, loaded from a (possibly
        tampered) file or changed after ``fit``, they must still be finite arrays of one
        float dtype with matching shapes.
        """
        check_is_fitted(self, "components_")
        W = self.components_
        if not isinstance(W, np.ndarray) or W.ndim != 2 or W.dtype not in (np.float32, np.float64):
            raise ValueError("components_ must be a 2-D float32 or float64 array, got "
                             f"{type(W).__name__} {getattr(W, 'dtype', '')} {np.shape(W)}")
        n, m = W.shape
        for name, shape in (("intercept_visible_", (m,)), ("intercept_hidden_", (n,))):
            a = getattr(self, name)
            if not isinstance(a, np.ndarray) or a.shape != shape or a.dtype != W.dtype:
                raise ValueError(f"{name} must be a {W.dtype} array of shape {shape} to match components_, got "
                                 f"{getattr(a, 'dtype', type(a).__name__)} of shape {np.shape(a)}")
        for name in ("components_", "intercept_visible_", "intercept_hidden_"):
            a = getattr(self, name)
            if not np.isfinite(a).all():
                raise ValueError(f"{name} contains NaN or infinity: the model's parameters must be finite "
                                 f"before {what} (were they set by hand, or loaded from a damaged file?)")

    def _fit_dtype(self, X: np.ndarray) -> np.dtype:
        if self.dtype is not None:
            return _DTYPES[str(np.dtype(self.dtype))]
        return np.dtype(np.float32) if X.dtype == np.float32 else np.dtype(np.float64)

    # ------------------------------------------------------------------ training
    def _initialize(self, X: np.ndarray) -> None:
        rs = self.random_state_
        dtype = X.dtype
        n, m = int(self.n_components), X.shape[1]
        self.components_ = np.ascontiguousarray(rs.normal(0.0, 0.01, size=(n, m)).astype(dtype))
        self._marginal_sum = self._fn("column_totals")(X, self._threads())  # X has components_' dtype
        self._marginal_count = X.shape[0]
        p = self.visible_marginals_
        self.intercept_visible_ = np.log(p / (1.0 - p)).astype(dtype)
        self.intercept_hidden_ = np.zeros(n, dtype=dtype)
        self.velocity_components_ = np.zeros((n, m), dtype=dtype)
        self.velocity_visible_ = np.zeros(m, dtype=dtype)
        self.velocity_hidden_ = np.zeros(n, dtype=dtype)
        self.mean_activation_ = np.full(n, 0.0 if self.sparsity_target is None else self.sparsity_target,
                                        dtype=dtype)
        self.h_samples_ = np.zeros((self._chain_rows(X.shape[0]), n), dtype=dtype)
        self.n_updates_ = 0
        self.history_ = {"epoch": [], "seconds": [], "reconstruction_error": [], "pseudo_likelihood": [],
                         "log_likelihood": []}

    def _allocate_fitted(self, W: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
        """The state of a fitted RBM with parameters (W, b, c) and no training behind it
        (fresh velocities and chain; visible marginals from the biases)."""
        n, m = W.shape
        dtype = W.dtype
        self.random_state_ = check_random_state(self.random_state)
        self.components_, self.intercept_visible_, self.intercept_hidden_ = W.copy(), b.copy(), c.copy()
        self._marginal_sum = 1.0 / (1.0 + np.exp(-b.astype(np.float64)))  # one pseudo-row of sigmoid(b)
        self._marginal_count = 1
        self.velocity_components_ = np.zeros((n, m), dtype=dtype)
        self.velocity_visible_ = np.zeros(m, dtype=dtype)
        self.velocity_hidden_ = np.zeros(n, dtype=dtype)
        self.mean_activation_ = np.full(n, 0.0 if self.sparsity_target is None else self.sparsity_target,
                                        dtype=dtype)
        self.h_samples_ = np.zeros((int(self.batch_size), n), dtype=dtype)
        self.n_features_in_ = m
        self.n_updates_ = 0
        self.history_ = {"epoch": [], "seconds": [], "reconstruction_error": [], "pseudo_likelihood": [],
                         "log_likelihood": []}

    @property
    def visible_marginals_(self) -> np.ndarray:
        """Smoothed training mean of each visible unit, (sum + 1) / (count + 2)."""
        check_is_fitted(self, "components_")
        # (clipped: data outside [0, 1], which is not refused, cannot push it out of (0, 1))
        total = np.clip(self._marginal_sum, 0.0, self._marginal_count)
        return (total + 1.0) / (self._marginal_count + 2.0)

    def _chain_rows(self, n_rows: int) -> int:
        """Rows of the persistent chain: ``batch_size``, clamped to the data's rows."""
        if int(self.batch_size) > n_rows:
            logger.info("BernoulliRBM: batch_size=%d is larger than the %d rows of the data; using "
                        "minibatches (and a persistent chain) of %d rows", int(self.batch_size), n_rows, n_rows)
        return min(int(self.batch_size), n_rows)

    def _ensure_writeable(self) -> None:
        """Copy state arrays the core cannot update in place (read-only after joblib mmap_mode='r')."""
        for name in self._STATE:
            setattr(self, name, _writeable(getattr(self, name)))

    def _train(self, X: np.ndarray, order: np.ndarray | None) -> None:
        self._ensure_writeable()
        batch = min(int(self.batch_size), X.shape[0])
        if self.h_samples_.shape[0] > int(self.batch_size):
            # batch_size lowered since the chain was made: a new chain (a chain clamped to
            # the data's rows, or made for a smaller batch_size, keeps its rows)
            self.h_samples_ = np.zeros((self._chain_rows(X.shape[0]), self.components_.shape[0]),
                                       dtype=self.components_.dtype)
        target = -1.0 if self.sparsity_target is None else float(self.sparsity_target)
        self.n_updates_ += int(self._fn("cd_train")(
            self.components_, self.intercept_visible_, self.intercept_hidden_,
            self.velocity_components_, self.velocity_visible_, self.velocity_hidden_,
            self.mean_activation_, self.h_samples_, X, order, batch, int(self.k),
            bool(self.persistent), float(self.learning_rate), float(self.momentum),
            float(self.weight_decay), target, float(self.sparsity_cost), draw_seed(self.random_state_),
            self._threads()))

    def fit(self, X: Any, y: Any = None, *, X_val: Any = None) -> BernoulliRBM:
        """Fit the model to X, shuffling the rows every epoch.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Binary data, or probabilities in [0, 1] (used as mean-field inputs).
        y : None
            Ignored.
        X_val : array-like of shape (n_val, n_features), optional
            Binary validation data whose mean log-likelihood is added to ``history_``
            every epoch (``val_log_likelihood``; exact when the smaller layer has at most
            16 units, else NaN). Opt-in monitoring: it costs an exact log Z per epoch.

        Returns
        -------
        self : BernoulliRBM
        """
        self._check_params()
        for attr in ("components_",):
            if hasattr(self, attr):
                delattr(self, attr)
        self.random_state_ = check_random_state(self.random_state)
        X = self._validate(X, reset=True)
        Xv = None if X_val is None else self._validate_val(X_val, X.dtype)
        self._initialize(X)
        if Xv is not None:
            self.history_["val_log_likelihood"] = []
        monitor_rows = None
        if self.monitor:
            # evenly spaced rows, drawing nothing from random_state_: monitoring never
            # changes the model
            monitor_rows = X if len(X) <= _HISTORY_ROWS else X[
                np.linspace(0, len(X) - 1, _HISTORY_ROWS).round().astype(np.intp)]
        with progress(self.verbose, int(self.n_iter), "BernoulliRBM") as bar:
            for epoch in range(int(self.n_iter)):
                order = self.random_state_.permutation(len(X)).astype(np.int64)
                t0 = time.perf_counter()
                self._train(X, order)
                seconds = time.perf_counter() - t0
                self._record(epoch + 1, seconds, monitor_rows, Xv, bar)
                bar.update(1)
        return self

    def _validate_val(self, X_val: Any, dtype: np.dtype) -> np.ndarray:
        Xv = np.asarray(X_val)
        if Xv.ndim != 2 or Xv.shape[1] != self.n_features_in_:
            raise ValueError(f"X_val must have shape (n, {self.n_features_in_}), got {Xv.shape}")
        if Xv.dtype.kind not in "biuf":
            raise TypeError(f"X_val must hold numbers, got dtype {Xv.dtype}")
        Xv = np.ascontiguousarray(Xv, dtype=dtype)
        if not np.isfinite(Xv).all() or ((Xv != 0) & (Xv != 1)).any():
            raise ValueError("X_val must be binary (0 or 1) to have a log-likelihood")
        return Xv

    def _record(self, epoch: int, seconds: float, rows: np.ndarray | None, Xv: np.ndarray | None,
                bar: Any) -> None:
        h = self.history_
        h["epoch"].append(epoch)
        h["seconds"].append(seconds)
        cheap = min(self.components_.shape) <= _HISTORY_EXACT_UNITS
        lz = self.log_partition().value if cheap and (rows is not None or Xv is not None) else float("nan")
        if rows is None:
            for key in ("reconstruction_error", "pseudo_likelihood", "log_likelihood"):
                h[key].append(float("nan"))
        else:
            recon = self.reconstruct(rows)
            h["reconstruction_error"].append(float(np.mean((rows - recon) ** 2)))
            binary = bool(np.all((rows == 0) | (rows == 1)))
            h["pseudo_likelihood"].append(
                float(np.mean(self._fn("pseudo_likelihood")(*self._params(), rows, self._threads())))
                if binary else float("nan"))
            h["log_likelihood"].append(
                float(np.mean(-self._fn("free_energy")(*self._params(), rows, self._threads())) - lz)
                if binary and cheap else float("nan"))
        if Xv is not None:
            val = (float(np.mean(-self._fn("free_energy")(*self._params(), Xv, self._threads())) - lz)
                   if cheap else float("nan"))
            h["val_log_likelihood"].append(val)
        if self.verbose:
            parts = [f"epoch {epoch}", f"{seconds:.3f} s"]
            for key in ("reconstruction_error", "pseudo_likelihood", "log_likelihood", "val_log_likelihood"):
                if key in h and not math.isnan(h[key][-1]):
                    parts.append(f"{key} {h[key][-1]:.4f}")
            bar.set_postfix_str(", ".join(parts[2:]))
            logger.info("BernoulliRBM " + ", ".join(parts))

    def partial_fit(self, X: Any, y: Any = None) -> BernoulliRBM:
        """Make one pass over X in minibatches of ``batch_size`` (in the given row order).

        The first call initialises the model; later calls continue training (the
        persistent chain, momentum and ``random_state_`` carry over). ``history_`` is
        not extended. Parameters and fitted arrays changed since (by ``set_params`` or by
        hand) are checked again.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Binary data, or probabilities in [0, 1].
        y : None
            Ignored.

        Returns
        -------
        self : BernoulliRBM
        """
        first = not hasattr(self, "components_")
        self._check_params()
        if first:
            self.random_state_ = check_random_state(self.random_state)
        else:
            self._check_state("partial_fit")
        X = self._validate(X, reset=first)
        if first:
            self._initialize(X)
        else:
            self._ensure_writeable()
            self._marginal_sum += self._fn("column_totals")(X, self._threads())
            self._marginal_count += X.shape[0]
        self._train(X, None)
        return self

    # ------------------------------------------------------------------ inference
    def transform(self, X: Any) -> np.ndarray:
        """P(H = 1 | V = x) for each row: the lecture's "abstraction" of an input.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            Hidden activation probabilities, in the model's dtype.
        """
        self._check_state("transform")
        X = self._validate(X, reset=False)
        return self._fn("hidden_probs")(*self._params(), X, self._threads())

    def _visible_probs(self, H: np.ndarray) -> np.ndarray:
        return self._fn("visible_probs")(*self._params(), H, self._threads())

    def reconstruct(self, X: Any) -> np.ndarray:
        """Mean-field reconstruction P(V = 1 | H = P(H | x)) of each row.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        return self._visible_probs(self.transform(X))

    def sample_visible(self, h: Any, *, mean: bool = False, random_state: Any = None) -> np.ndarray:
        """Generate visible vectors from hidden configurations: v ~ P(V | H = h).

        The lecture's "generate an image given latent choices".

        Parameters
        ----------
        h : array-like of shape (n_samples, n_components)
            Hidden states (binary, or probabilities for a mean-field pass).
        mean : bool, default=False
            Return the probabilities P(V = 1 | h) instead of a binary sample.
        random_state : int, RandomState instance or None, default=None
            Seeds the sample.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        self._check_state("sample_visible")
        H = self._check_hidden(h)
        P = self._visible_probs(H)
        if mean:
            return P
        seed = draw_seed(check_random_state(random_state))
        return self._fn("sample_bernoulli")(P, seed, self._threads())

    def _check_hidden(self, h: Any, rows: int | None = None) -> np.ndarray:
        """Hidden states h as a C-contiguous 2-D array of the model's dtype, values in [0, 1]."""
        arr = np.asarray(h)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"h must hold numbers, got dtype {arr.dtype}")
        H = np.ascontiguousarray(arr, dtype=self.components_.dtype)
        if H.ndim == 1 and rows is None:
            H = H.reshape(1, -1)
        n = self.components_.shape[0]
        if H.ndim != 2 or H.shape[1] != n or (rows is not None and H.shape[0] != rows):
            want = f"({'n' if rows is None else rows}, {n})"
            raise ValueError(f"h must have shape {want}, got {arr.shape}")
        if not np.isfinite(H).all() or ((H < 0) | (H > 1)).any():
            raise ValueError("h must hold finite values in [0, 1] (binary states or probabilities)")
        return H

    def gibbs(self, v: Any, k: int = 1) -> np.ndarray:
        """Run k steps of block Gibbs sampling from each row of v: h ~ P(h|v), v ~ P(v|h).

        Advances ``random_state_``.

        Parameters
        ----------
        v : array-like of shape (n_samples, n_features)
        k : int, default=1

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            Binary visible samples after k steps.
        """
        self._check_state("gibbs")
        _check_number("k", k, 1, integer=True)
        V = self._validate(v, reset=False, what="v")
        out_v, _ = self._fn("gibbs")(*self._params(), V, int(k), draw_seed(self.random_state_), self._threads())
        return out_v

    def complete(self, X: Any, observed: Any, *, method: str = "gibbs", n_steps: int = 200, burn_in: int = 50,
                 random_state: Any = None) -> np.ndarray:
        """Fill in the unobserved entries of each row: P(v_i = 1 | the observed entries).

        The lecture's "complete an incomplete image". The observed visible units are
        clamped and block Gibbs runs on the rest in C++ (``method="gibbs"``: the mean of
        P(v_i = 1 | h) over the steps after `burn_in`, the Rao-Blackwellised estimate), or
        a mean-field fixed-point iteration (``method="mean_field"``, deterministic).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The observed values where `observed` is True; other entries are ignored.
        observed : bool array of shape (n_samples, n_features)
            True where X is known. Something must be observed and something not.
        method : {"gibbs", "mean_field"}, default="gibbs"
        n_steps, burn_in : int, default=200, 50
        random_state : None, int, RandomState or Generator
            Seeds the Gibbs chains (row r draws from its own stream: any thread count).

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            X where observed, probabilities elsewhere.

        Examples
        --------
        >>> import numpy as np
        >>> from infogen import BernoulliRBM, datasets
        >>> X_train, X_test, _ = datasets.load_digits(binary=True)
        >>> rbm = BernoulliRBM(n_components=64, n_iter=20, persistent=False, random_state=0).fit(X_train)
        >>> top_half = np.zeros(X_test.shape, dtype=bool); top_half[:, :32] = True
        >>> P = rbm.complete(X_test, top_half, random_state=0)   # the bottom halves, as probabilities
        >>> bool(np.all(P[:, :32] == X_test[:, :32]))
        True
        """
        from infogen.completion import complete_rbm, known_values

        self._check_state("complete")
        V = self._validate(known_values(X, observed, 0.0), reset=False)
        return complete_rbm(self, V, observed, method=method, n_steps=n_steps, burn_in=burn_in,
                            random_state=random_state)

    def denoise(self, X: Any, *, n_steps: int = 1) -> np.ndarray:
        """Reconstruct corrupted inputs: `n_steps` mean-field passes P(v | h = P(h | v)).

        The lecture's "correct noisy images": every entry is suspect and is pulled toward
        what the model finds probable. Returns probabilities (threshold at 1/2 for bits).
        """
        from infogen.completion import denoise_rbm

        self._check_state("denoise")
        return denoise_rbm(self, self._validate(X, reset=False), n_steps=n_steps)

    @classmethod
    def from_params(cls, W: Any, b: Any, c: Any, **params: Any) -> BernoulliRBM:
        """A fitted RBM with these parameters (e.g. ``DiscreteMarkovNetwork.to_rbm()``).

        Parameters
        ----------
        W : array-like of shape (n_components, n_features)
            Weights, scikit-learn's ``components_`` layout.
        b : array-like of shape (n_features,)
            Visible biases (``intercept_visible_``).
        c : array-like of shape (n_components,)
            Hidden biases (``intercept_hidden_``).
        **params
            Other constructor parameters (``n_components`` is W's).

        Examples
        --------
        >>> from infogen import BernoulliRBM, DiscreteMarkovNetwork
        >>> rbm = BernoulliRBM.from_params(*DiscreteMarkovNetwork.lecture_example().to_rbm())
        >>> rbm.components_.shape
        (2, 3)
        """
        W = np.asarray(W)
        dtype = np.float32 if W.dtype == np.float32 else np.float64
        W = np.ascontiguousarray(W, dtype=dtype)
        b = np.ascontiguousarray(np.asarray(b), dtype=dtype)
        c = np.ascontiguousarray(np.asarray(c), dtype=dtype)
        if W.ndim != 2 or b.shape != (W.shape[1],) or c.shape != (W.shape[0],):
            raise ValueError(f"W must be (n_components, n_features), b (n_features,), c (n_components,); got "
                             f"{W.shape}, {b.shape}, {c.shape}")
        for name, a in (("W", W), ("b", b), ("c", c)):
            if not np.isfinite(a).all():
                raise ValueError(f"{name} contains NaN or infinity: an RBM's parameters must be finite")
        params.setdefault("n_components", W.shape[0])
        if params["n_components"] != W.shape[0]:
            raise ValueError(f"n_components={params['n_components']} but W has {W.shape[0]} rows")
        rbm = cls(**params)
        rbm._check_params()
        rbm._allocate_fitted(W, b, c)
        return rbm

    def sample(self, n_samples: int = 1, n_steps: int = 1000, *, random_state: Any = None,
               init: Any = "marginals") -> np.ndarray:
        """Draw samples from the model by running independent Gibbs chains.

        Parameters
        ----------
        n_samples : int, default=1
            Number of independent chains (one sample each).
        n_steps : int, default=1000
            Gibbs steps per chain.
        random_state : int, RandomState instance or None, default=None
            Seeds the chains' starting points and every step.
        init : {"marginals", "uniform"} or array-like, default="marginals"
            Start from independent pixels with the training marginals, from fair coin flips,
            or from given visible vectors.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            Binary visible samples.
        """
        self._check_state("sample")
        _check_number("n_samples", n_samples, 1, integer=True)
        _check_number("n_steps", n_steps, 1, integer=True)
        rs = check_random_state(random_state)
        dtype = self.components_.dtype
        m = self.n_features_in_
        if isinstance(init, str):
            if init == "marginals":
                p = np.broadcast_to(self.visible_marginals_, (n_samples, m))
            elif init == "uniform":
                p = np.full((n_samples, m), 0.5)
            else:
                raise ValueError(f"init must be 'marginals', 'uniform' or an array, got {init!r}")
            V0 = (rs.random((n_samples, m)) < p).astype(dtype)
        else:
            V0 = self._validate(init, reset=False, what="init")
            if len(V0) != n_samples:
                raise ValueError(f"init has {len(V0)} rows but n_samples is {n_samples}")
        out_v, _ = self._fn("gibbs")(*self._params(), V0, int(n_steps), draw_seed(rs), self._threads())
        return out_v

    def energy(self, v: Any, h: Any) -> np.ndarray:
        """E(v, h) = -v.b - h.c - v W^T h for paired rows of v and h."""
        self._check_state("energy")
        V = self._validate(v, reset=False, what="v")
        H = self._check_hidden(h, rows=len(V))
        return self._fn("energy")(*self._params(), V, H, self._threads())

    def free_energy(self, X: Any) -> np.ndarray:
        """F(v) = -v.b - sum_j softplus(c_j + W_j . v), so that p(v) = exp(-F(v)) / Z.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        self._check_state("free_energy")
        X = self._validate(X, reset=False)
        return self._fn("free_energy")(*self._params(), X, self._threads())

    def pseudo_likelihood(self, X: Any) -> np.ndarray:
        """Pseudo-log-likelihood sum_i log sigmoid(F(v with v_i -> 1 - v_i) - F(v)) of each row, in nats.

        For binary rows this is the exact ``sum_i log P(v_i | v_-i)``. For rows in [0, 1]
        the flip is scikit-learn's (v_i -> 1 - v_i), and the sum over every unit is the
        expectation of scikit-learn's ``score_samples``, which flips one random unit and
        multiplies by n_features: the same quantity without the noise.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data :meth:`fit` accepts.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        self._check_state("pseudo_likelihood")
        X = self._validate(X, reset=False)
        return self._fn("pseudo_likelihood")(*self._params(), X, self._threads())

    def log_partition(self, method: str = "exact", *, max_units: int = 24, n_runs: int = 100,
                      n_betas: int = 10_000, random_state: Any = 0) -> LogPartition:
        """Compute the log partition function log Z, exactly or by annealed importance sampling.

        Parameters
        ----------
        method : {"exact", "ais"}, default="exact"
            ``"exact"`` enumerates the 2^s states of the smaller layer (s units) and sums
            the other layer out; it refuses, naming the cost, when s > ``max_units``.
            ``"ais"`` anneals from a base-rate model (independent visible units with the
            training marginals) to this model (Salakhutdinov & Murray 2008).
        max_units : int, default=24
            Largest smaller-layer size enumerated (at most 40).
        n_runs : int, default=100
            Independent AIS runs.
        n_betas : int, default=10000
            Inverse temperatures of the AIS schedule (see :func:`ais_schedule`).
        random_state : int, RandomState instance, Generator or None, default=0
            Seeds AIS. With ``verbose``, AIS runs in blocks of runs under a progress bar,
            with the same results.

        Returns
        -------
        LogPartition
            ``value`` with ``lower``/``upper`` (AIS: log of the mean weight -/+ 3 standard
            errors).
        """
        self._check_state("log_partition")
        if method == "exact":
            _check_number("max_units", max_units, 0, 40, integer=True)
            lz = float(self._fn("log_partition")(*self._params(), int(max_units), self._threads()))
            return LogPartition(lz, lz, lz, "exact")
        if method != "ais":
            raise ValueError(f"method must be 'exact' or 'ais', got {method!r}")
        _check_number("n_runs", n_runs, 2, integer=True)
        betas = ais_schedule(n_betas)
        p = self.visible_marginals_
        base_b = np.log(p / (1.0 - p)).astype(self.components_.dtype)
        seed, threads = draw_seed(check_random_state(random_state)), self._threads()
        if not self.verbose:
            log_z0, log_w = self._fn("ais")(*self._params(), base_b, betas, int(n_runs), seed, threads)
        else:
            # blocks of whole 16-run chunks, one per thread, for a progress bar: run r keeps
            # its stream (seed, r), so the weights are the one call's bit for bit
            block = 16 * max(1, threads)
            starts = range(0, int(n_runs), block)
            log_w = np.empty(int(n_runs))
            with progress(self.verbose, len(starts), "AIS") as bar:
                for s in starts:
                    n = min(block, int(n_runs) - s)
                    log_z0, log_w[s:s + n] = self._fn("ais")(*self._params(), base_b, betas, n, seed, threads,
                                                             run_offset=s)
                    bar.update(1)
            logger.info("AIS: %d runs x %d temperatures done", int(n_runs), len(betas))
        top = float(np.max(log_w))
        w = np.exp(log_w - top)
        mean = float(w.mean())
        se = float(w.std(ddof=1) / math.sqrt(len(w)))
        value = log_z0 + top + math.log(mean)
        lower = log_z0 + top + math.log(mean - 3 * se) if mean - 3 * se > 0 else -math.inf
        upper = log_z0 + top + math.log(mean + 3 * se)
        return LogPartition(value, lower, upper, "ais", log_w)

    def log_likelihood(self, X: Any, method: str = "exact", **kwargs: Any) -> np.ndarray:
        """Log p(v) = -F(v) - log Z of each binary row, in nats.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Binary data.
        method : {"exact", "ais", "auto"}, default="exact"
            How log Z is obtained (see :meth:`log_partition`); ``"auto"`` is exact when the
            smaller layer has at most 20 units and AIS otherwise.
        **kwargs
            Passed to :meth:`log_partition`.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        self._check_state("log_likelihood")
        X = self._validate(X, reset=False, binary=True)
        if method == "auto":
            method = "exact" if min(self.components_.shape) <= _AUTO_EXACT_UNITS else "ais"
        lz = self.log_partition(method, **kwargs).value
        return (-self._fn("free_energy")(*self._params(), X, self._threads()).astype(np.float64)) - lz

    def score_samples(self, X: Any) -> np.ndarray:
        """Pseudo-log-likelihood of each row, as scikit-learn's ``score_samples`` (no noise).

        Accepts the data :meth:`fit` accepts (dense or sparse, probabilities in [0, 1]);
        see :meth:`pseudo_likelihood`. The exact log-likelihood of binary data is
        :meth:`log_likelihood`.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.pseudo_likelihood(X)

    def score(self, X: Any, y: Any = None) -> float:
        """Mean pseudo-log-likelihood of the rows of X (:meth:`score_samples`): higher is better.

        Deterministic and defined on the data :meth:`fit` accepts, so
        :func:`sklearn.model_selection.cross_val_score` and ``GridSearchCV`` work on
        probabilities too. For the exact mean log-likelihood of binary data use
        ``log_likelihood(X).mean()``.
        """
        return float(np.mean(self.score_samples(X), dtype=np.float64))

    # ------------------------------------------------------------------ persistence
    _STATE = ("components_", "intercept_hidden_", "intercept_visible_", "h_samples_",
              "velocity_components_", "velocity_visible_", "velocity_hidden_", "mean_activation_",
              "_marginal_sum")

    def _to_arrays(self) -> tuple[dict, dict[str, np.ndarray]]:
        """Metadata (JSON-able) and arrays that describe this fitted model completely."""
        check_is_fitted(self, "components_")
        params = {k: (v.item() if isinstance(v, np.generic) else v)
                  for k, v in self.get_params().items() if k != "random_state"}
        rs = self.random_state
        params["random_state"] = int(rs) if isinstance(rs, (int, np.integer)) else None
        params["dtype"] = None if self.dtype is None else str(np.dtype(self.dtype))
        meta = {"format": _FORMAT, "version": _FORMAT_VERSION, "params": params,
                "n_features_in": int(self.n_features_in_), "n_updates": int(self.n_updates_),
                "marginal_count": int(self._marginal_count), "history": self.history_,
                "rng": _rng_state(self.random_state_)}
        return meta, {name.strip("_"): getattr(self, name) for name in self._STATE}

    @classmethod
    def _from_arrays(cls, meta: dict, arrays: Any, where: str) -> BernoulliRBM:
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{where} holds {meta.get('format')!r}, not {_FORMAT!r}")
        if meta.get("version", 0) > _FORMAT_VERSION:
            raise ValueError(f"{where} has format version {meta['version']}; "
                             f"this infogen reads up to {_FORMAT_VERSION}")
        params = dict(meta["params"])
        for old, new in (("n_hidden", "n_components"), ("n_epochs", "n_iter")):  # files of infogen < 0.2
            if old in params:
                params[new] = params.pop(old)
        try:
            est = cls(**params)
        except TypeError as exc:
            raise ValueError(f"{where} has parameters this BernoulliRBM does not take: {exc}") from None
        for name in cls._STATE:
            key = name.strip("_")
            if key not in arrays:
                raise ValueError(f"{where} is missing the array {key!r}")
            setattr(est, name, np.ascontiguousarray(arrays[key]))
        est.n_features_in_ = meta["n_features_in"]
        est.n_updates_ = meta["n_updates"]
        est._marginal_count = meta["marginal_count"]
        est.history_ = meta["history"]
        # the saved generator, so that load -> partial_fit equals the original's partial_fit
        # (files without one restart from the random_state parameter)
        est.random_state_ = (_rng_from_state(meta["rng"]) if "rng" in meta
                             else check_random_state(est.random_state))
        est._check_state("use")
        return est

    def save(self, path: str | os.PathLike) -> None:
        """Save parameters, training state and history to an ``.npz`` file (no pickle).

        The write is atomic: a temporary file in the same directory is fsynced and renamed.
        """
        meta, arrays = self._to_arrays()
        arrays["metadata"] = np.array(json.dumps(meta))
        _atomic_savez(path, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> BernoulliRBM:
        """Load a model written by :meth:`save` (``allow_pickle=False``).

        The loaded model transforms, samples and scores like the saved one, and
        :meth:`partial_fit` continues bit for bit as the saved model's would: the file
        holds the state of its ``random_state_`` too. Non-finite parameters (a damaged
        or tampered file) are refused with a ValueError.
        """
        meta, data = _read_npz(path, "BernoulliRBM")
        return cls._from_arrays(meta, data, repr(os.fspath(path)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


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


# ---------------------------------------------------------------------- demo section
def ascii_images(images: np.ndarray, shape: tuple[int, int] = (8, 8), per_row: int = 10,
                 chars: str = " .:#") -> str:
    """Render rows of pixel values in [0, 1] as ASCII art, side by side.

    Examples
    --------
    >>> print(ascii_images(np.array([[0, 1, 1, 0]]), shape=(2, 2)))
     #
    #
    """
    images = np.asarray(images, dtype=np.float64).reshape(-1, shape[0] * shape[1])
    levels = np.clip((images * (len(chars) - 1)).round().astype(int), 0, len(chars) - 1)
    lines = []
    for start in range(0, len(images), per_row):
        group = levels[start:start + per_row].reshape(-1, *shape)
        for r in range(shape[0]):
            lines.append("  ".join("".join(chars[x] for x in img[r]) for img in group).rstrip())
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def rbm_section(out: Any, quick: bool = False) -> None:
    """`infogen demo` section: an RBM on binarised digits, with exact likelihoods."""
    from infogen.datasets import load_digits
    from infogen.markov import DiscreteMarkovNetwork

    print("\n== Restricted Boltzmann machine (lecture 19) " + "=" * 26, file=out)
    net = DiscreteMarkovNetwork.lecture_example()
    x = dict(v1=0, v2=0, v3=0, h1=1, h2=1)
    print(f"lecture example: unnormalised P(V=<0,0,0>, H=<1,1>) = {net.unnormalized(x):,.0f}, "
          f"Z = {net.partition_function():,.0f}, P = {net.joint(x):.4e}", file=out)
    X_train, X_test, _ = load_digits(binary=True)
    p = X_train.mean(axis=0).clip(1e-3, 1 - 1e-3)
    independent = float(np.mean(X_test @ np.log(p) + (1 - X_test) @ np.log(1 - p)))
    n_epochs = 30 if quick else 200
    rbm = BernoulliRBM(16, n_iter=n_epochs, batch_size=100 if not quick else 20, learning_rate=0.1,
                       random_state=0)
    t0 = time.perf_counter()
    rbm.fit(X_train, X_val=X_test)
    seconds = time.perf_counter() - t0
    val = rbm.history_["val_log_likelihood"]
    marks = sorted({1, *range(max(1, n_epochs // 5), n_epochs + 1, max(1, n_epochs // 5))})
    curve = ", ".join(f"{e}: {val[e - 1]:.2f}" for e in marks)
    print(f"digits 8x8 binarised (pixel > 8), 1500 train / 297 test rows, 16 hidden units, PCD-1, "
          f"{n_epochs} epochs in {seconds:.2f} s (training {sum(rbm.history_['seconds']):.2f} s)", file=out)
    print(f"exact test log-likelihood by epoch (nats/image): {curve}", file=out)
    exact = rbm.log_partition()
    ais = rbm.log_partition("ais", n_runs=100, n_betas=2_000 if quick else 10_000, random_state=0)
    print(f"log Z exact {exact.value:.4f}; AIS {ais.value:.4f} "
          f"[{ais.lower:.4f}, {ais.upper:.4f}]", file=out)
    print(f"test log-likelihood: RBM {rbm.log_likelihood(X_test).mean():.2f} nats vs independent pixels "
          f"{independent:.2f} nats; pseudo-likelihood {rbm.pseudo_likelihood(X_test).mean():.2f}", file=out)
    samples = rbm.sample(10, n_steps=1000, random_state=1)
    print("samples from the model (1000 Gibbs steps each):", file=out)
    print(ascii_images(samples), file=out)
    print("test digits and their mean-field reconstructions:", file=out)
    print(ascii_images(np.vstack([X_test[:10], rbm.reconstruct(X_test[:10])])), file=out)
    # the lecture's third use: complete and correct images
    cd = BernoulliRBM(100, n_iter=30 if quick else 100, batch_size=20, learning_rate=0.05, persistent=False,
                      random_state=0).fit(X_train)
    top = np.zeros(X_test.shape, dtype=bool)
    top[:, :32] = True
    P = cd.complete(X_test, top, random_state=0)
    majority = (X_train.mean(axis=0) > 0.5)[32:]
    err, base = np.mean((P[:, 32:] > 0.5) != X_test[:, 32:]), np.mean(majority != X_test[:, 32:])
    print(f"complete the bottom half from the top half (100 hidden, CD-1, clamped Gibbs): pixel error {err:.3f} "
          f"vs {base:.3f} for each pixel's majority ({err / base:.2f}x)", file=out)
    shown = np.where(top[:5], X_test[:5], 0.5)
    print("top halves given (: = unknown), the completions, the originals:", file=out)
    print(ascii_images(np.vstack([shown, P[:5], X_test[:5]]), per_row=5), file=out)
    rng = np.random.default_rng(0)
    noisy = np.where(rng.random(X_test.shape) < 0.1, 1 - X_test, X_test)
    D = cd.denoise(noisy)
    print(f"denoise 10% flipped pixels: error {np.mean(noisy != X_test):.3f} -> {np.mean((D > 0.5) != X_test):.3f}; "
          "noisy digits and their denoised versions:", file=out)
    print(ascii_images(np.vstack([noisy[:5], D[:5]]), per_row=5), file=out)


# ---------------------------------------------------------------------- command line
def _cli_train(args: Any) -> int:
    from infogen.datasets import load_digits

    if args.data:
        X = np.load(args.data, allow_pickle=False)
        X_val = None
    else:
        X, X_val, _ = load_digits(binary=True)
    rbm = BernoulliRBM(args.hidden, n_iter=args.epochs, batch_size=args.batch_size,
                       learning_rate=args.learning_rate, k=args.k, persistent=not args.cd,
                       random_state=args.seed, monitor=True, verbose=True)
    rbm.fit(X, X_val=X_val)
    if args.out:
        rbm.save(args.out)
        print(f"saved to {args.out}")
    return 0


def _cli_score(args: Any) -> int:
    from infogen.datasets import load_digits

    rbm = BernoulliRBM.load(args.model)
    X = np.load(args.data, allow_pickle=False) if args.data else load_digits(binary=True)[1]
    ll = rbm.log_likelihood(X, method=args.method)
    print(f"mean log-likelihood ({args.method}): {ll.mean():.4f} nats over {len(ll)} rows")
    print(f"mean pseudo-log-likelihood: {rbm.pseudo_likelihood(X).mean():.4f} nats")
    return 0


def register_cli(sub: Any) -> None:
    """Add ``infogen rbm train`` and ``infogen rbm score`` to the command line."""
    p = sub.add_parser("rbm", help="train or score a Bernoulli RBM (default data: binarised digits)")
    rsub = p.add_subparsers(dest="rbm_command", required=True)
    t = rsub.add_parser("train", help="train on a binary .npy matrix (default: digits rows 0-1499)")
    t.add_argument("--data", help="binary .npy file of shape (n_samples, n_features)")
    t.add_argument("--hidden", type=int, default=16)
    t.add_argument("--epochs", type=int, default=50)
    t.add_argument("--batch-size", type=int, default=20)
    t.add_argument("--learning-rate", type=float, default=0.05)
    t.add_argument("-k", type=int, default=1, help="Gibbs steps per update")
    t.add_argument("--cd", action="store_true", help="CD-k instead of persistent CD")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", help="save the model here (.npz)")
    t.set_defaults(func=_cli_train)
    s = rsub.add_parser("score", help="log-likelihood of a saved model (default data: digits rows 1500-1796)")
    s.add_argument("model", help="a model saved by `infogen rbm train --out`")
    s.add_argument("--data", help="binary .npy file")
    s.add_argument("--method", choices=["exact", "ais", "auto"], default="auto")
    s.set_defaults(func=_cli_score)
