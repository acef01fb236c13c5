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
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from infogen import _core
from infogen._config import resolve_threads
from infogen._progress import logger, progress
from infogen._random import check_random_state, draw_seed
from infogen._validation import NAN_CODE, core_fn
from infogen.rbm._common import (
    _AUTO_EXACT_UNITS,
    _DTYPES,
    _FORMAT,
    _FORMAT_VERSION,
    _HISTORY_EXACT_UNITS,
    _HISTORY_ROWS,
    _atomic_savez,
    _check_number,
    _read_npz,
    _rng_from_state,
    _rng_state,
    _writeable,
)
from infogen.rbm.ais import LogPartition, ais_schedule

__all__ = ["BernoulliRBM"]


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
