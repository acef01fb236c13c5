"""A small variational autoencoder written out by hand in NumPy on infogen's kernels.

The model (Kingma & Welling 2014): an MLP encoder maps x to the mean ``mu`` and the
log-variance ``logvar`` (clamped for stability) of a diagonal Gaussian q(z|x); a sampling
layer draws ``z = mu + exp(logvar / 2) * eps`` (the reparameterisation trick, which makes
the draw differentiable in mu and logvar); an MLP decoder maps z to the parameters of
p(x|z) -- Bernoulli logits for data in [0, 1], or a Gaussian mean with a learned or fixed
variance. Training minimises the negative ELBO, ``NLL(x | z) + beta * KL(q(z|x) || N(0, I))``,
averaged over a minibatch, with Adam.

Matrix products run in NumPy (BLAS). The elementwise work runs in infogen's C++ kernels:
the KL and its gradient (:func:`infogen.gaussian_kl`), the Bernoulli NLL and its gradient
from logits (:func:`infogen.binary_cross_entropy`), the importance-weighted bound's
log-sum-exp (:func:`infogen.logsumexp`), and the VAE's own fused kernels (``vae.hpp``):
bias + activation and its derivative, the clamped log-variance head, reparameterised
sampling from Philox streams keyed by (seed, row), the backward pass through the sampling
layer, and the Adam update over one flat parameter vector.

Persistence: the parameters and Adam's moments live in flat vectors, and ``params_`` holds
views of them. Pickle, ``copy.deepcopy`` and joblib (also ``mmap_mode="r"``: a read-only
vector is copied on the next training call) store the vectors and rebuild the views, so a
restored model predicts and trains on bit for bit as the original does.
"""
from __future__ import annotations

import math
import os
import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from infogen import _validation as v
from infogen._config import resolve_threads
from infogen._mlp import (
    ACTIVATIONS,
    FlatParamsMixin,
    adam_step,
    backward,
    blas_threads,
    check_float,
    check_int,
    core,
    dense,
    generator,
    limit_blas,
    views,
)
from infogen._progress import logger, progress
from infogen.info import logsumexp

__all__ = ["VAE"]

_LIKELIHOODS = ("bernoulli", "gaussian")
_LOG_2PI = math.log(2.0 * math.pi)
_FORMAT = "infogen.VAE"
_FORMAT_VERSION = 1
# Rows per block when scoring (elbo, log_likelihood, encode, decode).
_SCORE_ROWS = 4096


# The shared MLP machinery (infogen._mlp), under the names this module has always used.
_blas_threads = blas_threads
_limit_blas = limit_blas
_core = core
_check_int = check_int
_generator = generator

# The foundation's kernels are called through their core entry points rather than the
# public wrappers (infogen.gaussian_kl, infogen.binary_cross_entropy): the inputs are
# already validated, C-contiguous 2-D arrays, and at minibatch size the wrappers' generic
# broadcasting and axis handling cost ~45 us per call, as much as the kernel itself.
_SUM = 1  # info.hpp: Reduction::sum


def _gaussian_kl(mu: np.ndarray, lv: np.ndarray, want_grad: bool, threads: int):
    """KL(N(mu, e^lv) || N(0, I)) per row (and its gradients): infogen.gaussian_kl's kernel."""
    return v.core_fn("gaussian_kl", mu.dtype)(mu, lv, None, None, want_grad, threads)


def _check_float(value: Any, name: str, lo: float, *, strict: bool) -> float:
    return check_float(value, name, lo, strict=strict)


class VAE(FlatParamsMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Variational autoencoder with MLP encoder/decoder, trained by Adam on the negative ELBO.

    Parameters
    ----------
    n_latent : int, default=2
        Dimension of the latent space z.
    hidden : tuple of int, default=(256,)
        Hidden layer sizes of the encoder.
    decoder_hidden : tuple of int, optional
        Hidden layer sizes of the decoder (default: ``hidden`` reversed).
    activation : {"relu", "tanh", "sigmoid", "softplus", "identity"}, default="relu"
        Nonlinearity of every hidden layer.
    likelihood : {"bernoulli", "gaussian"}, default="bernoulli"
        p(x|z): Bernoulli with logits (data must be in [0, 1]; grey levels are used as soft
        targets, as in the usual binary cross-entropy VAE), or a diagonal Gaussian.
    decoder_variance : "learned" or float, default="learned"
        Gaussian likelihood only: a learned per-feature variance (log-variance clamped to
        ``logvar_bounds``) or a fixed variance.
    beta : float, default=1.0
        Weight of the KL term in the training loss (beta-VAE). Scores (:meth:`elbo`,
        :meth:`log_likelihood`) always use the true ELBO (beta = 1).
    kl_warmup : int, default=0
        Number of epochs over which the KL weight rises linearly from 0 to ``beta``
        (epoch e, counted from 0, uses ``beta * min(1, e / kl_warmup)``).
    learning_rate : float, default=1e-3
        Adam step size (betas 0.9, 0.999, eps 1e-8, as in torch.optim.Adam).
    batch_size : int, default=128
        Minibatch size; the last, smaller batch of an epoch is kept.
    n_epochs : int, default=10
        Epochs run by :meth:`fit`.
    logvar_bounds : tuple of float, default=(-10.0, 10.0)
        Clamp of the encoder's log-variance head (and of a learned decoder log-variance).
    dtype : {numpy.float32, numpy.float64}, default=numpy.float32
        Floating type of the parameters and of all computation.
    random_state : int, RandomState instance, Generator or None, default=None
        Drives the weight initialisation, the minibatch order, the training noise eps
        (one Philox seed per minibatch, one stream per row) and :meth:`sample` without its
        own ``random_state``. :meth:`elbo` and :meth:`log_likelihood` reseed per call.
    verbose : int, default=0
        Log one line per epoch (logger ``"infogen"``, INFO; to standard error when logging
        is not configured) and, on a terminal, show a progress bar.
    n_threads : int, optional
        Threads for infogen's kernels (None, 0 or -1: :func:`infogen.get_num_threads`).
        Results do not depend on this value.
    blas_threads : int or None, default=1
        Threads NumPy's BLAS may use for the matrix products while this model computes
        (set with threadpoolctl for the duration of each call); ``None`` leaves BLAS alone.
        One thread is fastest for the small products of a minibatch VAE, and keeps a
        2-thread run from collapsing when another process holds a core.

    Attributes
    ----------
    n_features_in_ : int
        Width of the data.
    history_ : dict of lists
        Per epoch: ``epoch``, ``loss`` (training objective), ``nll``, ``kl``, ``beta``,
        ``seconds`` and ``val_elbo`` (mean validation ELBO; NaN without validation data).
    params_ : dict of ndarray
        The weights, as views into one flat parameter vector (names "enc0.W", "dec0.b",
        "out.W", ... and "out.logvar" for a learned Gaussian variance). W matrices have
        shape (fan_in, fan_out): a layer computes ``h @ W + b``. The two encoder heads are
        one product, "head.W" = [mu.W | logvar.W]; "mu.W", "mu.b", "logvar.W" and
        "logvar.b" are views of its halves.
    best_val_elbo_ : float
        With early stopping: the best validation ELBO, whose parameters were restored.
    n_epochs_trained_ : int
        Epochs trained so far (fit resets it; partial_fit adds one).
    n_steps_ : int
        Adam steps taken.

    Examples
    --------
    >>> import numpy as np, infogen
    >>> X = (np.random.default_rng(0).random((200, 16)) < 0.3).astype(np.float32)
    >>> vae = infogen.VAE(2, hidden=(32,), n_epochs=3, random_state=0).fit(X)
    >>> vae.encode(X[:5]).shape
    (5, 2)
    >>> bool(np.all(vae.elbo(X[:5]) < 0))
    True
    """

    _FILE_FORMAT = _FORMAT
    _FILE_VERSION = _FORMAT_VERSION

    def __init__(self, n_latent: int = 2, *, hidden: tuple[int, ...] = (256,),
                 decoder_hidden: tuple[int, ...] | None = None, activation: str = "relu",
                 likelihood: str = "bernoulli", decoder_variance: str | float = "learned",
                 beta: float = 1.0, kl_warmup: int = 0, learning_rate: float = 1e-3,
                 batch_size: int = 128, n_epochs: int = 10,
                 logvar_bounds: tuple[float, float] = (-10.0, 10.0), dtype: Any = np.float32,
                 random_state: Any = None, verbose: int = 0, n_threads: int | None = None,
                 blas_threads: int | None = 1) -> None:
        self.n_latent = n_latent
        self.hidden = hidden
        self.decoder_hidden = decoder_hidden
        self.activation = activation
        self.likelihood = likelihood
        self.decoder_variance = decoder_variance
        self.beta = beta
        self.kl_warmup = kl_warmup
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.logvar_bounds = logvar_bounds
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.n_threads = n_threads
        self.blas_threads = blas_threads

    # ------------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        _check_int(self.n_latent, "n_latent", 1)
        for name in ("hidden", "decoder_hidden"):
            sizes = getattr(self, name)
            if sizes is None and name == "decoder_hidden":
                continue
            if isinstance(sizes, (int, np.integer)):
                raise TypeError(f"{name} must be a tuple of layer sizes, e.g. ({sizes},)")
            for s in sizes:
                _check_int(s, f"{name} entries", 1)
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}")
        if self.likelihood not in _LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {_LIKELIHOODS}, got {self.likelihood!r}")
        if self.decoder_variance != "learned":
            _check_float(self.decoder_variance, "decoder_variance", 0.0, strict=True)
        _check_float(self.beta, "beta", 0.0, strict=False)
        _check_int(self.kl_warmup, "kl_warmup", 0)
        _check_float(self.learning_rate, "learning_rate", 0.0, strict=True)
        _check_int(self.batch_size, "batch_size", 1)
        _check_int(self.n_epochs, "n_epochs", 0)
        lo, hi = self.logvar_bounds
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"logvar_bounds must be finite (lo, hi) with lo < hi, got {self.logvar_bounds!r}")
        if self.blas_threads is not None:
            _check_int(self.blas_threads, "blas_threads", 1)
        if np.dtype(self.dtype) not in (np.float32, np.float64):
            raise TypeError(f"dtype must be numpy.float32 or numpy.float64, got {self.dtype!r}")

    @property
    def _dt(self) -> np.dtype:
        return np.dtype(self.dtype)

    def _layout(self, n_features: int) -> list[tuple[str, tuple[int, ...]]]:
        """Names and shapes of the parameters, in their order in the flat vector."""
        enc = [n_features, *self.hidden]
        dec_hidden = tuple(reversed(self.hidden)) if self.decoder_hidden is None else tuple(self.decoder_hidden)
        dec = [self.n_latent, *dec_hidden]
        spec: list[tuple[str, tuple[int, ...]]] = []
        for i in range(len(enc) - 1):
            spec += [(f"enc{i}.W", (enc[i], enc[i + 1])), (f"enc{i}.b", (enc[i + 1],))]
        # the mean and log-variance heads share one product: columns [mu | logvar]
        spec += [("head.W", (enc[-1], 2 * self.n_latent)), ("head.b", (2 * self.n_latent,))]
        for i in range(len(dec) - 1):
            spec += [(f"dec{i}.W", (dec[i], dec[i + 1])), (f"dec{i}.b", (dec[i + 1],))]
        spec += [("out.W", (dec[-1], n_features)), ("out.b", (n_features,))]
        if self.likelihood == "gaussian" and self.decoder_variance == "learned":
            spec.append(("out.logvar", (n_features,)))
        return spec

    def _views(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        out = views(flat, self._spec)
        L = self.n_latent
        out["mu.W"], out["logvar.W"] = out["head.W"][:, :L], out["head.W"][:, L:]
        out["mu.b"], out["logvar.b"] = out["head.b"][:L], out["head.b"][L:]
        return out

    def _allocate(self, n_features: int) -> None:
        self._spec = self._layout(n_features)
        size = sum(int(np.prod(s)) for _, s in self._spec)
        dt = self._dt
        self._flat = np.zeros(size, dtype=dt)
        self._grad_flat = np.zeros(size, dtype=dt)
        self._m = np.zeros(size, dtype=dt)
        self._v = np.zeros(size, dtype=dt)
        self.params_ = self._views(self._flat)
        self._grads = self._views(self._grad_flat)
        self._n_enc = len(self.hidden)
        self._n_dec = sum(1 for name, _ in self._spec if name.startswith("dec") and name.endswith(".W"))
        self.n_features_in_ = n_features

    def _initialise(self, n_features: int) -> None:
        """PyTorch's nn.Linear default: W and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        self._check_params()
        self._rng = _generator(self.random_state)
        self._allocate(n_features)
        for name, shape in self._spec:
            if name == "out.logvar":
                continue  # learned decoder log-variance starts at 0 (unit variance)
            fan_in = shape[0] if name.endswith(".W") else self.params_[name[:-2] + ".W"].shape[0]
            bound = 1.0 / math.sqrt(fan_in)
            self.params_[name][...] = self._rng.uniform(-bound, bound, size=shape)
        self.n_steps_ = 0
        self.n_epochs_trained_ = 0
        self.history_: dict[str, list] = {"epoch": [], "loss": [], "nll": [], "kl": [], "beta": [],
                                          "seconds": [], "val_elbo": []}

    # ------------------------------------------------------------------ validation
    def _check_fitted(self, what: str) -> None:
        check_is_fitted(self, "params_", msg=f"This VAE instance is not fitted yet: call fit or partial_fit "
                                             f"before {what}.")
        if not np.isfinite(self._flat).all():
            raise ValueError(f"the VAE's parameters contain NaN or infinity: refusing {what} (were they set by "
                             "hand, or loaded from a damaged file?)")

    def _check_X(self, X: Any, name: str = "X", *, width: int | None = None, reset: bool | None = None) -> np.ndarray:
        if reset is not None:  # the training data, or the inputs of a fitted model: scikit-learn's checks
            arr = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32], order="C",
                                ensure_all_finite=False)
        else:
            arr = v.as_float_array(X, name)
            if arr.ndim != 2:
                raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}")
            if arr.shape[0] == 0:
                raise ValueError(f"{name} has no rows")
            if width is not None and arr.shape[1] != width:
                raise ValueError(f"{name} has {arr.shape[1]} features, but this VAE was fitted with {width}")
            if arr.shape[1] == 0:
                raise ValueError(f"{name} has no features")
        arr = np.ascontiguousarray(arr, dtype=self._dt)
        threads = resolve_threads(self.n_threads)
        if self.likelihood == "bernoulli":
            v.check_range(arr, name, arr.shape[:1], threads, 0.0, 1.0,
                          what="in [0, 1] for the Bernoulli likelihood (scale the data, or use likelihood='gaussian')")
        else:
            big = float(np.finfo(arr.dtype).max)
            v.check_range(arr, name, arr.shape[:1], threads, -big, big, what="finite")
        return arr

    def _check_Z(self, Z: Any, name: str = "Z") -> np.ndarray:
        arr = v.as_float_array(Z, name)
        if arr.ndim == 1 and arr.shape[0] == self.n_latent:
            arr = arr.reshape(1, -1)
        if arr.ndim != 2 or arr.shape[1] != self.n_latent:
            raise ValueError(f"{name} must have shape (n, {self.n_latent}), got {arr.shape}")
        arr = np.ascontiguousarray(arr, dtype=self._dt)
        big = float(np.finfo(arr.dtype).max)
        v.check_range(arr, name, arr.shape[:1], resolve_threads(self.n_threads), -big, big, what="finite")
        return arr

    # ------------------------------------------------------------------ forward / backward
    def _dense(self, h: np.ndarray, layer: str, act: int, threads: int) -> np.ndarray:
        return dense(h, self.params_[layer + ".W"], self.params_[layer + ".b"], act, threads)

    def _encode(self, X: np.ndarray, threads: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        act = ACTIVATIONS[self.activation]
        hs = [X]
        for i in range(self._n_enc):
            hs.append(self._dense(hs[-1], f"enc{i}", act, threads))
        raw = hs[-1] @ self.params_["head.W"]
        lo, hi = self.logvar_bounds
        mu, lv = _core("split_head", raw.dtype)(raw, self.params_["head.b"], float(lo), float(hi), threads)
        return hs, mu, lv

    def _decode(self, Z: np.ndarray, threads: int) -> tuple[list[np.ndarray], np.ndarray]:
        """Return the decoder activations and its output (logits, or the Gaussian mean)."""
        act = ACTIVATIONS[self.activation]
        hs = [Z]
        for i in range(self._n_dec):
            hs.append(self._dense(hs[-1], f"dec{i}", act, threads))
        return hs, self._dense(hs[-1], "out", 0, threads)

    def _decoder_logvar(self) -> np.ndarray:
        if self.decoder_variance == "learned":
            lo, hi = self.logvar_bounds
            return np.clip(self.params_["out.logvar"], lo, hi)
        return np.full(self.n_features_in_, math.log(float(self.decoder_variance)), dtype=self._dt)

    def _nll(self, X: np.ndarray, out: np.ndarray, threads: int,
             want_grad: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Per-row -log p(x|z) and its gradients w.r.t. the decoder output (and log-variance)."""
        if self.likelihood == "bernoulli":
            # infogen.binary_cross_entropy(X, logits=out, reduction="sum", return_grad=...)
            nll, g = v.core_fn("binary_cross_entropy", X.dtype)(X, out, True, _SUM, want_grad, threads)
            return nll, g, None
        s = self._decoder_logvar()
        inv_var = np.exp(-s)
        diff = out - X
        sq = diff * diff * inv_var
        nll = 0.5 * (sq.sum(axis=1) + (s.sum(dtype=np.float64) + X.shape[1] * _LOG_2PI))
        nll = nll.astype(self._dt, copy=False)
        if not want_grad:
            return nll, None, None
        g_s = None
        if self.decoder_variance == "learned":
            lo, hi = self.logvar_bounds
            raw = self.params_["out.logvar"]
            g_s = 0.5 * (1.0 - sq).sum(axis=0) * ((raw > lo) & (raw < hi))
        return nll, diff * inv_var, g_s

    def _loss_and_grad(self, X: np.ndarray, seed: int, beta: float, threads: int) -> tuple[float, float, float]:
        """Forward and backward on one minibatch; fills self._grad_flat.

        Returns the mean objective, the mean NLL and the mean KL.
        """
        dt = X.dtype
        n = X.shape[0]
        act = ACTIVATIONS[self.activation]
        P, G = self.params_, self._grads
        enc_h, mu, lv = self._encode(X, threads)
        z, eps, _ = _core("reparameterize", dt)(mu, lv, 1, seed, 0, False, threads)
        dec_h, out = self._decode(z, threads)
        nll, g_out, g_s = self._nll(X, out, threads, True)
        kl, kl_gmu, kl_glv = _gaussian_kl(mu, lv, True, threads)
        nll_mean = float(nll.mean(dtype=np.float64))
        kl_mean = float(kl.mean(dtype=np.float64))
        loss = nll_mean + beta * kl_mean

        inv_n = dt.type(1.0 / n)
        g = g_out
        g *= inv_n
        if g_s is not None:
            G["out.logvar"][...] = g_s * inv_n
        # decoder, from the output layer down to z
        names = [f"dec{i}" for i in range(self._n_dec)] + ["out"]
        acts = [act] * len(names)
        g = backward(dec_h, g, [P[k + ".W"] for k in names], [G[k + ".W"] for k in names],
                     [G[k + ".b"] for k in names], acts, threads, input_grad=True)
        lo, hi = self.logvar_bounds
        g_head = _core("latent_backward", dt)(g, eps, lv, kl_gmu, kl_glv, beta / n, float(lo),
                                              float(hi), threads)
        # encoder, from the heads down to the first layer
        names = [f"enc{i}" for i in range(self._n_enc)] + ["head"]
        backward(enc_h, g_head, [P[k + ".W"] for k in names], [G[k + ".W"] for k in names],
                 [G[k + ".b"] for k in names], [act] * len(names), threads)
        return loss, nll_mean, kl_mean

    # ------------------------------------------------------------------ training
    def _beta_at(self, epoch: int) -> float:
        if self.kl_warmup <= 0:
            return float(self.beta)
        return float(self.beta) * min(1.0, epoch / self.kl_warmup)

    def _epoch(self, X: np.ndarray, threads: int) -> tuple[float, float, float, float]:
        n = X.shape[0]
        beta = self._beta_at(self.n_epochs_trained_)
        order = self._rng.permutation(n)
        seeds = self._rng.integers(0, 2**63 - 1, size=(n + self.batch_size - 1) // self.batch_size,
                                   dtype=np.int64)
        tot_loss = tot_nll = tot_kl = 0.0
        lr = float(self.learning_rate)
        for b, start in enumerate(range(0, n, self.batch_size)):
            idx = order[start:start + self.batch_size]
            loss, nll, kl = self._loss_and_grad(X[idx], int(seeds[b]), beta, threads)
            if not math.isfinite(loss):
                raise FloatingPointError(
                    f"the training loss became {loss} at epoch {self.n_epochs_trained_}, step {self.n_steps_}; "
                    "lower learning_rate or use float64")
            self.n_steps_ += 1
            adam_step(self._flat, self._grad_flat, self._m, self._v, lr, self.n_steps_, threads)
            w = len(idx) / n
            tot_loss += w * loss
            tot_nll += w * nll
            tot_kl += w * kl
        self.n_epochs_trained_ += 1
        return tot_loss, tot_nll, tot_kl, beta

    def _record(self, epoch_stats: tuple[float, float, float, float], seconds: float,
                val_elbo: float | None, bar: Any = None) -> None:
        loss, nll, kl, beta = epoch_stats
        h = self.history_
        h["epoch"].append(self.n_epochs_trained_)
        h["loss"].append(loss)
        h["nll"].append(nll)
        h["kl"].append(kl)
        h["beta"].append(beta)
        h["seconds"].append(seconds)
        h["val_elbo"].append(val_elbo if val_elbo is not None else float("nan"))
        if self.verbose:
            extra = f", val ELBO {val_elbo:.3f}" if val_elbo is not None else ""
            stats = f"loss {loss:.4f} (NLL {nll:.4f}, KL {kl:.4f}, beta {beta:g}){extra}"
            if bar is not None:
                bar.set_postfix_str(stats)
            logger.info("VAE epoch %d: %s, %.3f s", self.n_epochs_trained_, stats, seconds)

    @_limit_blas
    def fit(self, X: Any, y: Any = None, *, X_val: Any = None, patience: int | None = None) -> VAE:
        """Train from a fresh initialisation for ``n_epochs`` epochs.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training data (in [0, 1] for the Bernoulli likelihood).
        y : ignored
        X_val : array_like of shape (n_val, n_features), optional
            Validation data: its mean ELBO (one fixed-seed sample per row) is recorded each
            epoch in ``history_["val_elbo"]``.
        patience : int, optional
            Early stopping (needs ``X_val``): stop when the validation ELBO has not improved
            for ``patience`` epochs, and restore the parameters of the best epoch.

        Returns
        -------
        self
        """
        self._check_params()
        X = self._check_X(X, reset=True)
        Xv = None
        if X_val is not None:
            Xv = self._check_X(X_val, "X_val", width=X.shape[1])
        if patience is not None:
            _check_int(patience, "patience", 1)
            if Xv is None:
                raise ValueError("early stopping (patience=...) needs validation data X_val")
        self._initialise(X.shape[1])
        threads = resolve_threads(self.n_threads)
        best, best_state, waited = -math.inf, None, 0
        with progress(self.verbose, int(self.n_epochs), "VAE") as bar:
            for _ in range(self.n_epochs):
                t0 = time.perf_counter()
                stats = self._epoch(X, threads)
                seconds = time.perf_counter() - t0
                val = float(self.elbo(Xv).mean(dtype=np.float64)) if Xv is not None else None
                self._record(stats, seconds, val, bar)
                bar.update(1)
                if patience is not None and val is not None:
                    if val > best:
                        best, waited = val, 0
                        best_state = (self._flat.copy(), self._m.copy(), self._v.copy(), self.n_steps_)
                    else:
                        waited += 1
                        if waited >= patience:
                            break
        if best_state is not None:
            self._flat[...], self._m[...], self._v[...], self.n_steps_ = best_state
            self.best_val_elbo_ = best
        return self

    @_limit_blas
    def partial_fit(self, X: Any, y: Any = None) -> VAE:
        """One epoch of minibatch Adam over ``X`` (initialising the model on first use).

        Parameters changed since the last call (``set_params``) are checked again, and
        parameters that are not finite are refused.

        Returns
        -------
        self
        """
        self._check_params()
        if not hasattr(self, "params_"):
            X = self._check_X(X, reset=True)
            self._initialise(X.shape[1])
        else:
            self._check_fitted("partial_fit")
            X = self._check_X(X, reset=False)
            self._ensure_writeable()
        threads = resolve_threads(self.n_threads)
        t0 = time.perf_counter()
        stats = self._epoch(X, threads)
        self._record(stats, time.perf_counter() - t0, None)
        return self

    # ------------------------------------------------------------------ inference
    @_limit_blas
    def encode(self, X: Any, *, return_sigma: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Mean (and, on request, standard deviation) of q(z|x).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        return_sigma : bool, default=False
            Also return ``sigma = exp(logvar / 2)``.

        Returns
        -------
        mu : ndarray of shape (n_samples, n_latent)
        sigma : ndarray of shape (n_samples, n_latent)
            Only with ``return_sigma=True``.
        """
        self._check_fitted("encode")
        X = self._check_X(X, reset=False)
        threads = resolve_threads(self.n_threads)
        mus, sigmas = [], []
        for s in range(0, X.shape[0], _SCORE_ROWS):
            _, mu, lv = self._encode(X[s:s + _SCORE_ROWS], threads)
            mus.append(mu)
            if return_sigma:
                sigmas.append(np.exp(0.5 * lv))
        mu = np.concatenate(mus)
        return (mu, np.concatenate(sigmas)) if return_sigma else mu

    def transform(self, X: Any) -> np.ndarray:
        """Return the latent means ``encode(X)``."""
        return self.encode(X)

    @_limit_blas
    def decode(self, Z: Any) -> np.ndarray:
        """Mean of p(x|z): Bernoulli probabilities, or the Gaussian mean.

        Parameters
        ----------
        Z : array_like of shape (n, n_latent)

        Returns
        -------
        ndarray of shape (n, n_features)
        """
        self._check_fitted("decode")
        Z = self._check_Z(Z)
        threads = resolve_threads(self.n_threads)
        outs = []
        for s in range(0, Z.shape[0], _SCORE_ROWS):
            _, out = self._decode(Z[s:s + _SCORE_ROWS], threads)
            if self.likelihood == "bernoulli":
                _core("bias_activation", out.dtype)(out, None, ACTIVATIONS["sigmoid"], threads)
            outs.append(out)
        return np.concatenate(outs)

    def reconstruct(self, X: Any) -> np.ndarray:
        """``decode(encode(X))``: the decoder's mean at the posterior mean."""
        return self.decode(self.encode(X))

    def complete(self, X: Any, observed: Any, *, n_steps: int = 20) -> np.ndarray:
        """Fill in the unobserved entries of each row by iterated conditional reconstruction.

        The unobserved entries start at 1/2; each step replaces them with those of
        ``reconstruct`` (decode the posterior mean) while the observed entries stay. Returns X
        where observed, the model's values elsewhere.
        """
        from infogen.completion import complete_vae, known_values

        self._check_fitted("complete")
        X = self._check_X(known_values(X, observed, 0.5), reset=False)
        return complete_vae(self, X, observed, n_steps=n_steps)

    def sample(self, n: int, *, random_state: Any = None) -> np.ndarray:
        """Generate ``n`` new examples: z ~ N(0, I), then the mean of p(x|z).

        Parameters
        ----------
        n : int
        random_state : int, numpy Generator or None
            Seed of the draws (default: the model's own generator, which advances).

        Returns
        -------
        ndarray of shape (n, n_features)
        """
        self._check_fitted("sample")
        n = _check_int(n, "n", 1)
        rng = self._rng if random_state is None else _generator(random_state)
        seed = int(rng.integers(0, 2**63 - 1))
        zeros = np.zeros((n, self.n_latent), dtype=self._dt)
        z, _, _ = _core("reparameterize", self._dt)(zeros, zeros, 1, seed, 0, False,
                                                   resolve_threads(self.n_threads))
        return self.decode(z)

    def interpolate(self, x_a: Any, x_b: Any, steps: int = 8) -> np.ndarray:
        """Decode evenly spaced points on the line between the latent means of two examples.

        Returns
        -------
        ndarray of shape (steps, n_features)
            Row 0 decodes ``encode(x_a)``, the last row ``encode(x_b)``.
        """
        steps = _check_int(steps, "steps", 2)
        a = np.asarray(x_a).reshape(1, -1)
        b = np.asarray(x_b).reshape(1, -1)
        mu = self.encode(np.concatenate([a, b]))
        t = np.linspace(0.0, 1.0, steps, dtype=self._dt)[:, None]
        return self.decode((1 - t) * mu[0] + t * mu[1])

    def _score_block(self, X: np.ndarray, repeat: int, seed: int, offset: int,
                     threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nll (per sample row), KL (per example) and log p(z) - log q(z|x) (per sample row)."""
        _, mu, lv = self._encode(X, threads)
        z, _, log_ratio = _core("reparameterize", X.dtype)(mu, lv, repeat, seed, offset, True, threads)
        _, out = self._decode(z, threads)
        Xr = np.repeat(X, repeat, axis=0) if repeat > 1 else X
        nll, _, _ = self._nll(Xr, out, threads, False)
        kl = _gaussian_kl(mu, lv, False, threads)[0]
        return nll, kl, log_ratio

    @_limit_blas
    def elbo(self, X: Any, *, n_samples: int = 1, random_state: Any = 0) -> np.ndarray:
        """Evidence lower bound per example, in nats (beta = 1).

        ``E_q[log p(x|z)] - KL(q(z|x) || N(0, I))``: the expectation is a Monte Carlo
        average over ``n_samples`` draws, the KL is exact.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        n_samples : int, default=1
        random_state : int, numpy Generator or None, default=0
            Seed of the draws; the default makes repeated calls give the same values.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        self._check_fitted("elbo")
        X = self._check_X(X, reset=False)
        k = _check_int(n_samples, "n_samples", 1)
        seed = int(_generator(random_state).integers(0, 2**63 - 1))
        threads = resolve_threads(self.n_threads)
        rows = max(1, _SCORE_ROWS // k)
        out = []
        for s in range(0, X.shape[0], rows):
            nll, kl, _ = self._score_block(X[s:s + rows], k, seed, s * k, threads)
            out.append(-nll.reshape(-1, k).mean(axis=1, dtype=np.float64) - kl)
        return np.concatenate(out).astype(self._dt, copy=False)

    @_limit_blas
    def log_likelihood(self, X: Any, *, n_samples: int = 1000, random_state: Any = 0) -> np.ndarray:
        """Importance-weighted lower bound on log p(x) per example, in nats (Burda et al. 2016).

        ``log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)`` with z_k ~ q(z|x); K = 1 is a
        one-sample ELBO and the bound tightens (in expectation) as K grows. The log-sum-exp
        runs in infogen's kernel.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        n_samples : int, default=1000
            K, importance samples per example.
        random_state : int, numpy Generator or None, default=0
            Seed of the draws.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        self._check_fitted("log_likelihood")
        X = self._check_X(X, reset=False)
        k = _check_int(n_samples, "n_samples", 1)
        seed = int(_generator(random_state).integers(0, 2**63 - 1))
        threads = resolve_threads(self.n_threads)
        rows = max(1, 32768 // k)
        out = []
        for s in range(0, X.shape[0], rows):
            nll, _, log_ratio = self._score_block(X[s:s + rows], k, seed, s * k, threads)
            log_w = (log_ratio - nll).reshape(-1, k)
            out.append(logsumexp(log_w, axis=1, validate=False, n_threads=threads) - math.log(k))
        return np.concatenate(out).astype(self._dt, copy=False)

    def score(self, X: Any, y: Any = None) -> float:
        """Mean ELBO of ``X`` in nats (higher is better)."""
        return float(self.elbo(X).mean(dtype=np.float64))

    # ------------------------------------------------------------------ persistence
    _PARAM_KEYS = ("n_latent", "hidden", "decoder_hidden", "activation", "likelihood", "decoder_variance",
                   "beta", "kl_warmup", "learning_rate", "batch_size", "n_epochs", "logvar_bounds",
                   "verbose", "blas_threads")

    def save(self, path: str | os.PathLike) -> None:
        """Write the model to ``path`` (.npz: arrays + JSON metadata; no pickle; atomic).

        The file holds the parameters, Adam's moments, the training history and the state
        of the model's random generator, so a loaded model continues training exactly as the
        saved one would.
        """
        self._check_fitted("save")
        meta = {k: getattr(self, k) for k in self._PARAM_KEYS}
        meta["hidden"] = list(self.hidden)
        meta["decoder_hidden"] = None if self.decoder_hidden is None else list(self.decoder_hidden)
        meta["logvar_bounds"] = list(self.logvar_bounds)
        self._write_saved(path, meta)

    @classmethod
    def load(cls, path: str | os.PathLike) -> VAE:
        """Read a model written by :meth:`save`."""
        return cls._read_saved(path)

    @classmethod
    def _from_saved(cls, meta: dict, arrays: dict) -> VAE:
        kwargs = {k: meta[k] for k in cls._PARAM_KEYS}
        kwargs["hidden"] = tuple(kwargs["hidden"])
        if kwargs["decoder_hidden"] is not None:
            kwargs["decoder_hidden"] = tuple(kwargs["decoder_hidden"])
        kwargs["logvar_bounds"] = tuple(kwargs["logvar_bounds"])
        n_latent = kwargs.pop("n_latent")
        if meta["dtype"] not in ("float32", "float64"):
            raise ValueError(f"unsupported dtype {meta['dtype']!r}")
        model = cls(n_latent, dtype=np.dtype(meta["dtype"]).type, **kwargs)
        model._check_params()
        model._allocate(int(meta["n_features_in"]))
        model._restore_training_state(meta, arrays)
        return model

    # pickle, copy, joblib: FlatParamsMixin (params_ and _grads are views of the flat vectors)

    @property
    def _n_features_out(self) -> int:
        """Number of transformed features (for ``get_feature_names_out``)."""
        return int(self.n_latent)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        # computation runs in the dtype parameter, whatever the input's
        try:
            tags.transformer_tags.preserves_dtype = [np.dtype(self.dtype).name]
        except TypeError:
            tags.transformer_tags.preserves_dtype = []
        return tags
