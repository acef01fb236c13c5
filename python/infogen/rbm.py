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
bit-identical parameters with any number of threads.

Training by parts: with a persistent chain and binary minibatches large enough to go
parallel (batch x visible x hidden of about 2 million or more, at least 128 hidden
units), the hidden units are cut into fixed parts, one per processor of the machine (at
most 8), and each thread keeps the same parts -- their rows of W and columns of W^T -- in
every phase of every minibatch, so each weight stays in one core's caches. The parts
follow the shape and the machine's processor count, never the thread count: results are
the same with 1 or 2 threads, and on machines with the same number of processors.
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
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from infogen import _core
from infogen._config import resolve_threads
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
# score()/score_samples() use the exact log-likelihood up to this many units, AIS above.
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


def _seed(rs: np.random.RandomState) -> int:
    return int(rs.randint(0, np.iinfo(np.int64).max, dtype=np.int64))


def _child_seed(rs: np.random.RandomState) -> int:
    """Draw a seed for another estimator or call that takes a ``random_state``."""
    return int(rs.randint(0, 2**31 - 1))


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


class BernoulliRBM(TransformerMixin, BaseEstimator):
    """Bernoulli restricted Boltzmann machine trained with fused CD-k / PCD in C++.

    A drop-in relative of :class:`sklearn.neural_network.BernoulliRBM` (same attribute
    names and learning-rate convention: the step is ``learning_rate`` times the
    minibatch-mean gradient) with exact and AIS log-likelihoods, exact pseudo-likelihood,
    momentum, weight decay, a sparsity target and deterministic multi-threading.

    Parameters
    ----------
    n_hidden : int, default=256
        Number of hidden units.
    learning_rate : float, default=0.1
        Step size on the minibatch-mean gradient.
    batch_size : int, default=10
        Rows per minibatch (and rows of the persistent chain).
    n_epochs : int, default=10
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
    monitor : bool, default=True
        Record a per-epoch history (reconstruction error, pseudo-likelihood and, when the
        smaller layer has at most 16 units, the exact log-likelihood) on up to 500
        training rows. Monitoring time is not counted in ``history_["seconds"]``.
    n_threads : int or None, default=None
        Threads for the C++ kernels (None: :func:`infogen.get_num_threads`). Results do
        not depend on it. Training by parts (see the module's notes) uses at most one
        thread per part.
    random_state : int, RandomState instance or None, default=None
        Drives the weight initialisation, the epoch shuffles, and the seeds of every
        kernel's random streams during :meth:`fit`, :meth:`partial_fit` and :meth:`gibbs`
        (which advance ``random_state_``). :meth:`sample`, :meth:`sample_visible` and AIS
        take their own ``random_state`` argument.
    verbose : bool or int, default=False
        Print the history line after each epoch.

    Attributes
    ----------
    components_ : ndarray of shape (n_hidden, n_features_in_)
        Weights W; ``components_[j, i]`` couples hidden unit j and visible unit i.
    intercept_hidden_ : ndarray of shape (n_hidden,)
        Hidden biases c.
    intercept_visible_ : ndarray of shape (n_features_in_,)
        Visible biases b.
    h_samples_ : ndarray of shape (batch_size, n_hidden)
        Hidden states of the persistent chain.
    visible_marginals_ : ndarray of shape (n_features_in_,)
        Smoothed mean of every visible unit over the training data (the AIS base rate).
    history_ : dict of lists
        Per epoch of :meth:`fit`: ``epoch``, ``seconds`` (training time),
        ``reconstruction_error`` (mean squared error of the mean-field reconstruction),
        ``pseudo_likelihood`` (mean, nats), ``log_likelihood`` (mean exact, nats, or NaN
        when too costly) and, when ``fit`` got ``X_val``, ``val_log_likelihood``.
    n_features_in_ : int
        Number of visible units.
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
    >>> rbm = BernoulliRBM(2, n_epochs=20, learning_rate=0.05, random_state=0).fit(X)
    >>> rbm.transform(X).shape
    (40, 2)
    >>> bool(rbm.log_likelihood(X).mean() > 3 * np.log(0.5))
    True
    """

    def __init__(self, n_hidden: int = 256, *, learning_rate: float = 0.1, batch_size: int = 10,
                 n_epochs: int = 10, k: int = 1, persistent: bool = True, momentum: float = 0.0,
                 weight_decay: float = 0.0, sparsity_target: float | None = None,
                 sparsity_cost: float = 0.1, dtype: str | None = None, monitor: bool = True,
                 n_threads: int | None = None, random_state: Any = None, verbose: bool | int = False):
        self.n_hidden = n_hidden
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_epochs = n_epochs
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
        _check_number("n_hidden", self.n_hidden, 1, integer=True)
        _check_number("learning_rate", self.learning_rate, 0, lo_open=True)
        _check_number("batch_size", self.batch_size, 1, integer=True)
        _check_number("n_epochs", self.n_epochs, 0, integer=True)
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
        if self.dtype is not None and str(np.dtype(self.dtype)) not in _DTYPES:
            raise ValueError(f"dtype must be 'float32', 'float64' or None, got {self.dtype!r}")
        resolve_threads(self.n_threads)

    def _threads(self) -> int:
        return resolve_threads(self.n_threads)

    def _fn(self, name: str):
        return getattr(_core, f"rbm_{name}_{'f32' if self.components_.dtype == np.float32 else 'f64'}")

    def _params(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.components_, self.intercept_visible_, self.intercept_hidden_

    def _validate(self, X: Any, *, reset: bool, binary: bool = False, what: str = "X") -> np.ndarray:
        """Check X (finite, 2-D, right width, values in [0, 1]) and return it C-contiguous."""
        # (NaN and infinities are found by the one pass of the core's range check below)
        X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32], order="C",
                          ensure_min_samples=1, ensure_all_finite=False)
        dtype = self.components_.dtype if hasattr(self, "components_") else self._fit_dtype(X)
        X = np.ascontiguousarray(X, dtype=dtype)
        r, col, code, _ = core_fn("check_range", X.dtype)(X, 0.0, 1.0, self._threads())
        if r >= 0 and code == NAN_CODE:
            raise ValueError(f"{what} contains NaN (row {r}, column {col})")
        if r < 0 and binary:
            bad = np.flatnonzero((X != 0) & (X != 1))
            if bad.size:
                r, col = divmod(int(bad[0]), X.shape[1])
        if r >= 0:
            need = "binary (0 or 1)" if binary else "binary, or probabilities in [0, 1]"
            raise ValueError(
                f"{what} must be {need} for a Bernoulli RBM; found {float(X[r, col])!r} at row {r}, "
                f"column {col}" + ("" if binary else
                                   " (probabilities are used as mean-field inputs, as by scikit-learn)")
            )
        return X

    def _fit_dtype(self, X: np.ndarray) -> np.dtype:
        if self.dtype is not None:
            return _DTYPES[str(np.dtype(self.dtype))]
        return np.dtype(np.float32) if X.dtype == np.float32 else np.dtype(np.float64)

    # ------------------------------------------------------------------ training
    def _initialize(self, X: np.ndarray) -> None:
        rs = self.random_state_
        dtype = X.dtype
        n, m = int(self.n_hidden), X.shape[1]
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
        self.h_samples_ = np.zeros((int(self.batch_size), n), dtype=dtype)
        self.n_updates_ = 0
        self.history_ = {"epoch": [], "seconds": [], "reconstruction_error": [], "pseudo_likelihood": [],
                         "log_likelihood": []}

    @property
    def visible_marginals_(self) -> np.ndarray:
        """Smoothed training mean of each visible unit, (sum + 1) / (count + 2)."""
        check_is_fitted(self, "components_")
        return (self._marginal_sum + 1.0) / (self._marginal_count + 2.0)

    def _train(self, X: np.ndarray, order: np.ndarray | None) -> None:
        if self.h_samples_.shape[0] != self.batch_size:  # batch_size changed: new chain
            self.h_samples_ = np.zeros((int(self.batch_size), self.components_.shape[0]),
                                       dtype=self.components_.dtype)
        target = -1.0 if self.sparsity_target is None else float(self.sparsity_target)
        self.n_updates_ += int(self._fn("cd_train")(
            self.components_, self.intercept_visible_, self.intercept_hidden_,
            self.velocity_components_, self.velocity_visible_, self.velocity_hidden_,
            self.mean_activation_, self.h_samples_, X, order, int(self.batch_size), int(self.k),
            bool(self.persistent), float(self.learning_rate), float(self.momentum),
            float(self.weight_decay), target, float(self.sparsity_cost), _seed(self.random_state_),
            self._threads()))

    def fit(self, X: Any, y: Any = None, *, X_val: Any = None) -> BernoulliRBM:
        """Fit the model to X, shuffling the rows every epoch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Binary data, or probabilities in [0, 1] (used as mean-field inputs).
        y : None
            Ignored.
        X_val : array-like of shape (n_val, n_features), optional
            Binary validation data whose mean log-likelihood is added to ``history_``
            every epoch (``val_log_likelihood``; exact when cheap, else NaN).

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
            monitor_rows = X if len(X) <= _HISTORY_ROWS else X[np.sort(
                self.random_state_.choice(len(X), _HISTORY_ROWS, replace=False))]
        for epoch in range(int(self.n_epochs)):
            order = self.random_state_.permutation(len(X)).astype(np.int64)
            t0 = time.perf_counter()
            self._train(X, order)
            seconds = time.perf_counter() - t0
            self._record(epoch + 1, seconds, monitor_rows, Xv)
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

    def _record(self, epoch: int, seconds: float, rows: np.ndarray | None, Xv: np.ndarray | None) -> None:
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
            print("[BernoulliRBM] " + ", ".join(parts))

    def partial_fit(self, X: Any, y: Any = None) -> BernoulliRBM:
        """Make one pass over X in minibatches of ``batch_size`` (in the given row order).

        The first call initialises the model; later calls continue training (the
        persistent chain, momentum and ``random_state_`` carry over). ``history_`` is
        not extended.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Binary data, or probabilities in [0, 1].
        y : None
            Ignored.

        Returns
        -------
        self : BernoulliRBM
        """
        first = not hasattr(self, "components_")
        if first:
            self._check_params()
            self.random_state_ = check_random_state(self.random_state)
        X = self._validate(X, reset=first)
        if first:
            self._initialize(X)
        else:
            self._marginal_sum += self._fn("column_totals")(X, self._threads())
            self._marginal_count += X.shape[0]
        self._train(X, None)
        return self

    # ------------------------------------------------------------------ inference
    def transform(self, X: Any) -> np.ndarray:
        """P(H = 1 | V = x) for each row: the lecture's "abstraction" of an input.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_hidden)
            Hidden activation probabilities, in the model's dtype.
        """
        check_is_fitted(self, "components_")
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
        h : array-like of shape (n_samples, n_hidden)
            Hidden states (binary, or probabilities for a mean-field pass).
        mean : bool, default=False
            Return the probabilities P(V = 1 | h) instead of a binary sample.
        random_state : int, RandomState instance or None, default=None
            Seeds the sample.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self, "components_")
        H = np.ascontiguousarray(np.asarray(h, dtype=self.components_.dtype))
        if H.ndim == 1:
            H = H.reshape(1, -1)
        if H.ndim != 2 or H.shape[1] != self.components_.shape[0]:
            raise ValueError(f"h must have shape (n, {self.components_.shape[0]}), got {np.shape(h)}")
        if not np.isfinite(H).all() or ((H < 0) | (H > 1)).any():
            raise ValueError("h must hold values in [0, 1] (binary states or probabilities)")
        P = self._visible_probs(H)
        if mean:
            return P
        seed = _seed(check_random_state(random_state))
        return self._fn("sample_bernoulli")(P, seed, self._threads())

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
        check_is_fitted(self, "components_")
        _check_number("k", k, 1, integer=True)
        V = self._validate(v, reset=False, what="v")
        out_v, _ = self._fn("gibbs")(*self._params(), V, int(k), _seed(self.random_state_), self._threads())
        return out_v

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
        check_is_fitted(self, "components_")
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
            V0 = (rs.random_sample((n_samples, m)) < p).astype(dtype)
        else:
            V0 = self._validate(init, reset=False, what="init")
            if len(V0) != n_samples:
                raise ValueError(f"init has {len(V0)} rows but n_samples is {n_samples}")
        out_v, _ = self._fn("gibbs")(*self._params(), V0, int(n_steps), _seed(rs), self._threads())
        return out_v

    def energy(self, v: Any, h: Any) -> np.ndarray:
        """E(v, h) = -v.b - h.c - v W^T h for paired rows of v and h."""
        check_is_fitted(self, "components_")
        V = self._validate(v, reset=False, what="v")
        H = np.ascontiguousarray(np.asarray(h, dtype=self.components_.dtype))
        if H.shape != (len(V), self.components_.shape[0]):
            raise ValueError(f"h must have shape ({len(V)}, {self.components_.shape[0]}), got {H.shape}")
        return self._fn("energy")(*self._params(), V, H, self._threads())

    def free_energy(self, X: Any) -> np.ndarray:
        """F(v) = -v.b - sum_j softplus(c_j + W_j . v), so that p(v) = exp(-F(v)) / Z.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "components_")
        X = self._validate(X, reset=False)
        return self._fn("free_energy")(*self._params(), X, self._threads())

    def pseudo_likelihood(self, X: Any) -> np.ndarray:
        """Exact pseudo-log-likelihood sum_i log P(v_i | v_-i) of each binary row, in nats.

        Unlike scikit-learn's ``score_samples`` (one random bit times n_features), every
        visible unit is flipped.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "components_")
        X = self._validate(X, reset=False, binary=True)
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
        random_state : int, RandomState instance or None, default=0
            Seeds AIS.

        Returns
        -------
        LogPartition
            ``value`` with ``lower``/``upper`` (AIS: log of the mean weight -/+ 3 standard
            errors).
        """
        check_is_fitted(self, "components_")
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
        log_z0, log_w = self._fn("ais")(*self._params(), base_b, betas, int(n_runs),
                                       _seed(check_random_state(random_state)), self._threads())
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
        check_is_fitted(self, "components_")
        X = self._validate(X, reset=False, binary=True)
        if method == "auto":
            method = "exact" if min(self.components_.shape) <= _AUTO_EXACT_UNITS else "ais"
        lz = self.log_partition(method, **kwargs).value
        return (-self._fn("free_energy")(*self._params(), X, self._threads()).astype(np.float64)) - lz

    def score_samples(self, X: Any) -> np.ndarray:
        """Per-row log-likelihood with ``method="auto"`` (see :meth:`log_likelihood`)."""
        return self.log_likelihood(X, method="auto")

    def score(self, X: Any, y: Any = None) -> float:
        """Mean log-likelihood of the binary rows of X (``method="auto"``): higher is better.

        Exact when the smaller layer has at most 20 units, so it ranks models fairly in
        :class:`sklearn.model_selection.GridSearchCV`.
        """
        return float(np.mean(self.score_samples(X)))

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
                "marginal_count": int(self._marginal_count), "history": self.history_}
        return meta, {name.strip("_"): getattr(self, name) for name in self._STATE}

    @classmethod
    def _from_arrays(cls, meta: dict, arrays: Any, where: str) -> BernoulliRBM:
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{where} holds {meta.get('format')!r}, not {_FORMAT!r}")
        if meta.get("version", 0) > _FORMAT_VERSION:
            raise ValueError(f"{where} has format version {meta['version']}; "
                             f"this infogen reads up to {_FORMAT_VERSION}")
        est = cls(**meta["params"])
        for name in cls._STATE:
            key = name.strip("_")
            if key not in arrays:
                raise ValueError(f"{where} is missing the array {key!r}")
            setattr(est, name, np.ascontiguousarray(arrays[key]))
        est.n_features_in_ = meta["n_features_in"]
        est.n_updates_ = meta["n_updates"]
        est._marginal_count = meta["marginal_count"]
        est.history_ = meta["history"]
        est.random_state_ = check_random_state(est.random_state)
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

        The loaded model transforms, samples and scores like the saved one and can be
        trained further with :meth:`partial_fit` (its ``random_state_`` restarts from the
        saved ``random_state`` parameter).
        """
        meta, data = _read_npz(path, "BernoulliRBM")
        return cls._from_arrays(meta, data, repr(os.fspath(path)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags


class DBN(TransformerMixin, BaseEstimator):
    """Deep belief network: RBMs stacked greedily, layer by layer (Hinton et al. 2006).

    Layer 1 is trained on the data; each further layer is trained on the previous layer's
    hidden probabilities P(H | V). ``transform`` maps data up through every layer;
    ``sample`` runs Gibbs sampling in the top RBM and passes the result down through the
    lower layers' P(V | H).

    Parameters
    ----------
    hidden_layers : tuple of int, default=(64, 32)
        Hidden units of each layer, bottom to top.
    rbm_params : dict or None, default=None
        Keyword arguments of every layer's :class:`BernoulliRBM` (``n_hidden`` and
        ``random_state`` are set per layer).
    random_state : int, RandomState instance or None, default=None
        Seeds the layers (each gets its own seed drawn from it).

    Attributes
    ----------
    rbms_ : list of BernoulliRBM
        The trained layers, bottom first.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from infogen import DBN
    >>> X = (np.random.default_rng(0).random((60, 12)) < 0.3).astype(float)
    >>> dbn = DBN((8, 4), rbm_params={"n_epochs": 2}, random_state=0).fit(X)
    >>> dbn.transform(X).shape, dbn.sample(3, n_steps=10, random_state=0).shape
    ((60, 4), (3, 12))
    """

    def __init__(self, hidden_layers: tuple[int, ...] = (64, 32), *, rbm_params: dict | None = None,
                 random_state: Any = None):
        self.hidden_layers = hidden_layers
        self.rbm_params = rbm_params
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> DBN:
        """Train the layers greedily, bottom to top."""
        layers = tuple(self.hidden_layers)
        if not layers:
            raise ValueError("hidden_layers must name at least one layer")
        params = dict(self.rbm_params or {})
        for key in ("n_hidden", "random_state"):
            if key in params:
                raise ValueError(f"rbm_params must not set {key!r}: DBN sets it per layer")
        rs = check_random_state(self.random_state)
        X = validate_data(self, X, reset=True, dtype=[np.float64, np.float32], order="C")
        self.rbms_ = []
        data = X
        for n_hidden in layers:
            rbm = BernoulliRBM(n_hidden, random_state=_child_seed(rs), **params).fit(data)
            self.rbms_.append(rbm)
            data = rbm.transform(data)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Hidden probabilities of the top layer, propagated up through every layer."""
        check_is_fitted(self, "rbms_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32], order="C")
        for rbm in self.rbms_:
            X = rbm.transform(X)
        return X

    def sample(self, n_samples: int = 1, n_steps: int = 1000, *, random_state: Any = None,
               mean: bool = False) -> np.ndarray:
        """Generate data: Gibbs chains in the top RBM, then top-down P(V | H) to the bottom.

        Parameters
        ----------
        n_samples : int, default=1
        n_steps : int, default=1000
            Gibbs steps in the top layer.
        random_state : int, RandomState instance or None, default=None
        mean : bool, default=False
            Return the bottom layer's probabilities instead of a binary sample.

        Returns
        -------
        ndarray of shape (n_samples, n_features_in_)
        """
        check_is_fitted(self, "rbms_")
        rs = check_random_state(random_state)
        top = self.rbms_[-1]
        v = top.sample(n_samples, n_steps, random_state=_child_seed(rs), init="uniform")
        for i, rbm in enumerate(reversed(self.rbms_[:-1])):
            last = i == len(self.rbms_) - 2
            v = rbm.sample_visible(v, mean=mean and last, random_state=_child_seed(rs))
        return v


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
        ``n_hidden`` and ``random_state``, which the DBN sets per layer).
        """
        meta, data = _read_npz(path, "DBN")
        where = repr(os.fspath(path))
        if meta.get("format") != _DBN_FORMAT:
            raise ValueError(f"{where} holds {meta.get('format')!r}, not {_DBN_FORMAT!r}")
        layers = meta["layers"]
        rbm_params = {k: v for k, v in layers[0]["params"].items() if k not in ("n_hidden", "random_state")}
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
     ##
    ##<BLANKLINE>
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
    rbm = BernoulliRBM(16, n_epochs=n_epochs, batch_size=100 if not quick else 20, learning_rate=0.1,
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
    print(f"test log-likelihood: RBM {rbm.score(X_test):.2f} nats vs independent pixels "
          f"{independent:.2f} nats; pseudo-likelihood {rbm.pseudo_likelihood(X_test).mean():.2f}", file=out)
    samples = rbm.sample(10, n_steps=1000, random_state=1)
    print("samples from the model (1000 Gibbs steps each):", file=out)
    print(ascii_images(samples), file=out)
    print("test digits and their mean-field reconstructions:", file=out)
    print(ascii_images(np.vstack([X_test[:10], rbm.reconstruct(X_test[:10])])), file=out)


# ---------------------------------------------------------------------- command line
def _cli_train(args: Any) -> int:
    from infogen.datasets import load_digits

    if args.data:
        X = np.load(args.data, allow_pickle=False)
        X_val = None
    else:
        X, X_val, _ = load_digits(binary=True)
    rbm = BernoulliRBM(args.hidden, n_epochs=args.epochs, batch_size=args.batch_size,
                       learning_rate=args.learning_rate, k=args.k, persistent=not args.cd,
                       random_state=args.seed, verbose=True)
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
