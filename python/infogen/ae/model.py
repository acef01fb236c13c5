"""Deterministic autoencoders: undercomplete, sparse, denoising and contractive.

The model: an MLP encoder maps x to a code ``c = f_code(h_L)`` and a mirrored MLP decoder
maps c back to a reconstruction; training minimises, over minibatches and with Adam,

    mean_n loss(x_n, decode(encode(x~_n))) + sparsity penalty + contractive penalty

- ``loss``: "mse" (mean squared error per feature, linear output; the core's fused
  ``squared_error`` kernel) or "bce" (binary cross-entropy per feature from the output
  logits, data in [0, 1]; infogen's ``binary_cross_entropy`` kernel).
- ``sparsity="l1"``: ``sparsity_weight * mean_n sum_j |c_nj|``. ``sparsity="kl"``:
  ``sparsity_weight * sum_j KL(rho || rho_hat_j)`` between Bernoulli distributions, with
  ``rho = sparsity_target`` and ``rho_hat_j`` the minibatch's mean activation of code j
  (a sigmoid code; the divergence runs in infogen's ``kl_divergence`` kernel).
- ``noise``: x~ is x corrupted afresh every epoch from the model's seeded generator
  (masking, additive Gaussian, salt and pepper); the loss compares with the clean x.
- ``contractive``: ``contractive * mean_n ||d c / d x (x_n)||_F^2``, the squared Frobenius
  norm of the encoder's exact Jacobian through every layer (forward-mode: the Jacobian is
  carried layer by layer, then back-propagated), for any of the activations.
- ``tied_weights``: decoder layer i uses the transpose of encoder layer L-1-i.

The dense layers, their backward pass and Adam are the VAE's (:mod:`infogen._mlp`, C++
``vae.hpp`` kernels). Persistence as the VAE: flat vectors with views, pickle/joblib that
keep training bit for bit, ``.npz`` + JSON files that load without pickle.
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
    check_float,
    check_int,
    core,
    dense,
    generator,
    limit_blas,
    views,
)
from infogen._progress import logger, progress

__all__ = ["Autoencoder"]

CODE_ACTIVATIONS = {"linear": "identity", "sigmoid": "sigmoid", "relu": "relu"}
LOSSES = ("mse", "bce")
SPARSITY = (None, "l1", "kl")
NOISE = (None, "mask", "gaussian", "salt_pepper")
_FORMAT = "infogen.Autoencoder"
_FORMAT_VERSION = 1
_SCORE_ROWS = 4096
_SUM = 1  # info.hpp: Reduction::sum
_PROBS = 0  # info.hpp: Input::probs
_RHO_CLIP = 1e-6  # rho_hat is kept in [clip, 1 - clip] in the KL penalty


def _fprime(act: str, h: np.ndarray) -> np.ndarray:
    """act'(a) from the layer output h = act(a)."""
    if act == "identity":
        return np.ones_like(h)
    if act == "relu":
        return (h > 0).astype(h.dtype)
    if act == "sigmoid":
        return h * (1 - h)
    if act == "tanh":
        return 1 - h * h
    return -np.expm1(-h)  # softplus: sigmoid(a) = 1 - e^-h


def _fsecond(act: str, h: np.ndarray, d: np.ndarray) -> np.ndarray | None:
    """act''(a) from h and d = act'(a); None where it is 0 (identity, relu)."""
    if act in ("identity", "relu"):
        return None
    if act == "sigmoid":
        return d * (1 - 2 * h)
    if act == "tanh":
        return -2 * h * d
    return d * (1 - d)  # softplus


def _out_dtype(X: Any) -> np.dtype:
    """Return the dtype results come back in: float32 for float32 input, float64 for anything else."""
    return np.dtype(np.float32) if getattr(X, "dtype", None) == np.float32 else np.dtype(np.float64)


class Autoencoder(FlatParamsMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Autoencoder (undercomplete, sparse, denoising, contractive) trained by minibatch Adam.

    Parameters
    ----------
    n_latent : int, default=2
        Size of the code.
    hidden : tuple of int, default=(128,)
        Hidden layer sizes of the encoder; the decoder mirrors them.
    activation : {"relu", "tanh", "sigmoid", "softplus", "identity"}, default="relu"
        Nonlinearity of every hidden layer.
    code_activation : {"linear", "sigmoid", "relu"}, default="linear"
        Nonlinearity of the code layer ("sigmoid" for ``sparsity="kl"``).
    loss : {"mse", "bce"}, default="mse"
        Reconstruction loss, averaged over features and rows: squared error with a linear
        output, or binary cross-entropy with a sigmoid output (data in [0, 1]).
    sparsity : {None, "l1", "kl"}, default=None
        Sparsity penalty on the code (see the module notes).
    sparsity_target : float, default=0.05
        Target mean activation rho of each code unit for ``sparsity="kl"``, in (0, 1).
    sparsity_weight : float, default=0.1
        Weight of the sparsity penalty.
    noise : {None, "mask", "gaussian", "salt_pepper"}, default=None
        Corruption of the training input (denoising autoencoder): "mask" zeroes each entry
        with probability ``noise_level``, "gaussian" adds N(0, noise_level^2) noise,
        "salt_pepper" sets each entry with probability ``noise_level`` to 0 or 1 (even odds).
    noise_level : float, default=0.3
        Probability ("mask", "salt_pepper", in [0, 1]) or standard deviation ("gaussian").
    contractive : float, default=0.0
        Weight of the mean squared Frobenius norm of the encoder's Jacobian.
    tied_weights : bool, default=False
        Decoder weights are the transposed encoder weights (biases stay separate).
    learning_rate : float, default=1e-3
        Adam step size (betas 0.9, 0.999, eps 1e-8).
    batch_size : int, default=128
        Minibatch size; the last, smaller batch of an epoch is kept.
    n_epochs : int, default=10
        Epochs run by :meth:`fit`.
    random_state : int, RandomState instance, Generator or None, default=None
        Drives the weight initialisation, the minibatch order and the corruption noise
        (drawn afresh each epoch). :meth:`partial_fit` advances it.
    n_threads : int, optional
        Threads for infogen's kernels (None, 0 or -1: :func:`infogen.get_num_threads`).
        Results do not depend on this value.
    verbose : int, default=0
        Log one line per epoch (logger ``"infogen"``) and, on a terminal, show a progress bar.
    blas_threads : int or None, default=1
        Threads NumPy's BLAS may use for the matrix products during each call (None: leave
        BLAS alone).

    Attributes
    ----------
    n_features_in_ : int
    params_ : dict of ndarray
        Views into one flat parameter vector: "enc0.W", "enc0.b", ... (the last encoder
        layer makes the code), "dec0.W", "dec0.b", ... (the last decoder layer is the
        output; without "decI.W" when the weights are tied). ``h @ W + b``.
    history_ : dict of lists
        Per epoch: ``epoch``, ``loss`` (training objective), ``reconstruction``,
        ``penalty`` and ``seconds``.
    n_epochs_trained_, n_steps_ : int
        Epochs and Adam steps so far.

    Examples
    --------
    >>> import numpy as np, infogen
    >>> X = np.random.default_rng(0).random((200, 16))
    >>> ae = infogen.Autoencoder(4, hidden=(32,), n_epochs=5, random_state=0).fit(X)
    >>> ae.transform(X[:3]).shape, ae.predict(X[:3]).shape
    ((3, 4), (3, 16))
    """

    _FILE_FORMAT = _FORMAT
    _FILE_VERSION = _FORMAT_VERSION

    def __init__(self, n_latent: int = 2, *, hidden: tuple[int, ...] = (128,), activation: str = "relu",
                 code_activation: str = "linear", loss: str = "mse", sparsity: str | None = None,
                 sparsity_target: float = 0.05, sparsity_weight: float = 0.1, noise: str | None = None,
                 noise_level: float = 0.3, contractive: float = 0.0, tied_weights: bool = False,
                 learning_rate: float = 1e-3, batch_size: int = 128, n_epochs: int = 10,
                 random_state: Any = None, n_threads: int | None = None, verbose: int = 0,
                 blas_threads: int | None = 1) -> None:
        self.n_latent = n_latent
        self.hidden = hidden
        self.activation = activation
        self.code_activation = code_activation
        self.loss = loss
        self.sparsity = sparsity
        self.sparsity_target = sparsity_target
        self.sparsity_weight = sparsity_weight
        self.noise = noise
        self.noise_level = noise_level
        self.contractive = contractive
        self.tied_weights = tied_weights
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.random_state = random_state
        self.n_threads = n_threads
        self.verbose = verbose
        self.blas_threads = blas_threads

    # ------------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        check_int(self.n_latent, "n_latent", 1)
        if isinstance(self.hidden, (int, np.integer)) or isinstance(self.hidden, str):
            raise TypeError(f"hidden must be a tuple of layer sizes, e.g. ({self.hidden},)")
        try:
            sizes = list(self.hidden)
        except TypeError:
            raise TypeError(f"hidden must be a tuple of layer sizes, got {self.hidden!r}") from None
        for s in sizes:
            check_int(s, "hidden entries", 1)
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}")
        if self.code_activation not in CODE_ACTIVATIONS:
            raise ValueError(f"code_activation must be one of {sorted(CODE_ACTIVATIONS)}, "
                             f"got {self.code_activation!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.sparsity not in SPARSITY:
            raise ValueError(f"sparsity must be one of {SPARSITY}, got {self.sparsity!r}")
        rho = check_float(self.sparsity_target, "sparsity_target", 0.0, strict=True, hi=1.0)
        if rho >= 1.0:
            raise ValueError(f"sparsity_target must be in (0, 1), got {self.sparsity_target!r}")
        check_float(self.sparsity_weight, "sparsity_weight", 0.0, strict=False)
        if self.sparsity == "kl" and self.code_activation != "sigmoid":
            raise ValueError("sparsity='kl' compares mean activations with a rate: it needs "
                             f"code_activation='sigmoid', got {self.code_activation!r}")
        if self.noise not in NOISE:
            raise ValueError(f"noise must be one of {NOISE}, got {self.noise!r}")
        hi = None if self.noise == "gaussian" else 1.0
        check_float(self.noise_level, "noise_level", 0.0, strict=False, hi=hi)
        check_float(self.contractive, "contractive", 0.0, strict=False)
        if not isinstance(self.tied_weights, (bool, np.bool_)):
            raise TypeError(f"tied_weights must be True or False, got {self.tied_weights!r}")
        check_float(self.learning_rate, "learning_rate", 0.0, strict=True)
        check_int(self.batch_size, "batch_size", 1)
        check_int(self.n_epochs, "n_epochs", 0)
        if not isinstance(self.verbose, (bool, np.bool_)):
            check_int(self.verbose, "verbose", 0)
        if self.blas_threads is not None:
            check_int(self.blas_threads, "blas_threads", 1)

    @property
    def _L(self) -> int:
        return len(self.hidden) + 1

    def _layout(self, n_features: int) -> list[tuple[str, tuple[int, ...]]]:
        enc = [n_features, *self.hidden, self.n_latent]
        dec = enc[::-1]
        spec: list[tuple[str, tuple[int, ...]]] = []
        for i in range(len(enc) - 1):
            spec += [(f"enc{i}.W", (enc[i], enc[i + 1])), (f"enc{i}.b", (enc[i + 1],))]
        for i in range(len(dec) - 1):
            if not self.tied_weights:
                spec.append((f"dec{i}.W", (dec[i], dec[i + 1])))
            spec.append((f"dec{i}.b", (dec[i + 1],)))
        return spec

    def _views(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        return views(flat, self._spec)

    def _allocate(self, n_features: int, dtype: np.dtype) -> None:
        self._spec = self._layout(n_features)
        size = sum(int(np.prod(s)) for _, s in self._spec)
        self._flat = np.zeros(size, dtype=dtype)
        self._grad_flat = np.zeros(size, dtype=dtype)
        self._m = np.zeros(size, dtype=dtype)
        self._v = np.zeros(size, dtype=dtype)
        self._rebuild_views()
        self.n_features_in_ = n_features

    def _initialise(self, n_features: int, dtype: np.dtype) -> None:
        """Glorot-uniform weights (bound sqrt(6 / (fan_in + fan_out))), zero biases."""
        self._rng = generator(self.random_state)
        self._allocate(n_features, dtype)
        for name, shape in self._spec:
            if name.endswith(".W"):
                bound = math.sqrt(6.0 / (shape[0] + shape[1]))
                self.params_[name][...] = self._rng.uniform(-bound, bound, size=shape)
        self.n_steps_ = 0
        self.n_epochs_trained_ = 0
        self.history_: dict[str, list] = {"epoch": [], "loss": [], "reconstruction": [], "penalty": [],
                                          "seconds": []}

    @property
    def _dt(self) -> np.dtype:
        return self._flat.dtype

    # ------------------------------------------------------------------ layers
    def _enc_acts(self) -> list[str]:
        return [self.activation] * (self._L - 1) + [CODE_ACTIVATIONS[self.code_activation]]

    def _dec_acts(self) -> list[str]:
        return [self.activation] * (self._L - 1) + ["identity"]  # identity output: mse or logits

    def _enc_W(self) -> list[np.ndarray]:
        return [self.params_[f"enc{i}.W"] for i in range(self._L)]

    def _dec_W(self) -> list[np.ndarray]:
        L = self._L
        if self.tied_weights:
            return [self.params_[f"enc{L - 1 - i}.W"].T for i in range(L)]
        return [self.params_[f"dec{i}.W"] for i in range(L)]

    def _encode(self, X: np.ndarray, threads: int) -> list[np.ndarray]:
        hs = [X]
        for i, act in enumerate(self._enc_acts()):
            hs.append(dense(hs[-1], self.params_[f"enc{i}.W"], self.params_[f"enc{i}.b"], ACTIVATIONS[act], threads))
        return hs

    def _decode(self, C: np.ndarray, threads: int) -> list[np.ndarray]:
        """Return the decoder activations; the last entry is the output (linear, or logits for "bce")."""
        hs = [C]
        for i, (W, act) in enumerate(zip(self._dec_W(), self._dec_acts())):
            hs.append(dense(hs[-1], W, self.params_[f"dec{i}.b"], ACTIVATIONS[act], threads))
        return hs

    def _reconstruction(self, X: np.ndarray, out: np.ndarray, threads: int,
                        want_grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """Per-row loss (mean over features) and its gradient w.r.t. ``out`` (summed over rows)."""
        d = X.shape[1]
        if self.loss == "bce":
            total, g = v.core_fn("binary_cross_entropy", X.dtype)(X, out, True, _SUM, want_grad, threads)
            if g is not None:
                g *= g.dtype.type(1.0 / d)
            return total / d, g
        # one pass in the core: per-row mean squared error (double sums) and 2 (out - X) / d
        return core("squared_error", X.dtype)(X, out, 1.0 / d, 1.0 / d, want_grad, threads)

    # ------------------------------------------------------------------ penalties
    def _sparsity(self, code: np.ndarray, threads: int, want_grad: bool) -> tuple[float, np.ndarray | None]:
        """Return the sparsity penalty of a minibatch and its gradient w.r.t. the code (per row)."""
        w = float(self.sparsity_weight)
        n = code.shape[0]
        if self.sparsity == "l1":
            pen = w * float(np.abs(code).sum(dtype=np.float64)) / n
            return pen, (np.sign(code) * code.dtype.type(w / n)) if want_grad else None
        rho = float(self.sparsity_target)
        rho_hat = np.clip(code.mean(axis=0, dtype=np.float64), _RHO_CLIP, 1 - _RHO_CLIP)
        p = np.empty((code.shape[1], 2), dtype=code.dtype)
        p[:, 0], p[:, 1] = rho, 1 - rho
        q = np.ascontiguousarray(np.stack([rho_hat, 1 - rho_hat], axis=1), dtype=code.dtype)
        kl = v.core_fn("kl_divergence", code.dtype)(p, _PROBS, q, _PROBS, 1.0, threads)
        pen = w * float(kl.sum(dtype=np.float64))
        if not want_grad:
            return pen, None
        g_hat = (1 - rho) / (1 - rho_hat) - rho / rho_hat
        g = np.broadcast_to((w / n * g_hat).astype(code.dtype), code.shape).copy()
        return pen, g

    def _contractive(self, hs: list[np.ndarray], want_grad: bool, mode: str | None = None):
        """``contractive * mean_n ||J_n||_F^2`` of the encoder and its gradients.

        Returns the penalty, the additive gradient w.r.t. each layer's pre-activation (None
        where the activation's second derivative is 0) and the direct gradient w.r.t. each
        weight matrix. The Jacobian is carried from the code down (reverse mode, as
        (n_latent, u_l) matrices per row) when the code is narrower than the input, else
        from the input up (forward mode); ``mode`` forces one ("reverse", "forward").
        """
        if mode is None:
            mode = "reverse" if self.n_latent <= hs[0].shape[1] else "forward"
        if mode == "reverse":
            return self._contractive_reverse(hs, want_grad)
        return self._contractive_forward(hs, want_grad)

    def _contractive_reverse(self, hs: list[np.ndarray], want_grad: bool):
        """Reverse mode: ``S_i = d code / d a_i`` (n, k, u_i); ``J = S_0 W_0^T``.

        ``S_{L-1} = diag(act'_{L-1})``, ``B_i = S_{i+1} W_{i+1}^T`` and ``S_i = B_i * act_i'``.
        """
        c = float(self.contractive)
        Ws, acts = self._enc_W(), self._enc_acts()
        L, n = len(Ws), hs[0].shape[0]
        Ds = [_fprime(acts[i], hs[i + 1]) for i in range(L)]
        k, d = Ds[-1].shape[1], hs[0].shape[1]
        Bs: list[np.ndarray] = [None] * L  # type: ignore[list-item]
        Ss: list[np.ndarray] = [None] * L  # type: ignore[list-item]
        for i in range(L - 2, -1, -1):
            if i == L - 2:
                Bs[i] = Ds[L - 1][:, :, None] * Ws[L - 1].T[None]
            else:
                Bs[i] = (Ss[i + 1].reshape(-1, Ss[i + 1].shape[2]) @ Ws[i + 1].T).reshape(n, k, -1)
            Ss[i] = Bs[i] * Ds[i][:, None, :]
        if L == 1:
            J = Ds[0][:, :, None] * Ws[0].T[None]
        else:
            J = (Ss[0].reshape(-1, Ss[0].shape[2]) @ Ws[0].T).reshape(n, k, d)
        pen = c * float(np.einsum("nij,nij->", J, J, dtype=np.float64)) / n
        if not want_grad:
            return pen, None, None
        GJ = J * J.dtype.type(2.0 * c / n)
        extra: list[np.ndarray | None] = [None] * L
        gW: list[np.ndarray] = [None] * L  # type: ignore[list-item]

        def top(GB: np.ndarray) -> None:  # through B = D_{L-1}[:, :, None] * W_{L-1}^T[None]
            gW[L - 1] = np.einsum("nrs,nr->sr", GB, Ds[L - 1])
            f2 = _fsecond(acts[L - 1], hs[L], Ds[L - 1])
            if f2 is not None:
                extra[L - 1] = (GB * Ws[L - 1].T[None]).sum(axis=2) * f2

        if L == 1:
            top(GJ)
            return pen, extra, gW
        gW[0] = GJ.reshape(-1, d).T @ Ss[0].reshape(-1, Ss[0].shape[2])
        GS = (GJ.reshape(-1, d) @ Ws[0]).reshape(n, k, -1)
        for i in range(L - 1):
            f2 = _fsecond(acts[i], hs[i + 1], Ds[i])
            if f2 is not None:
                extra[i] = (GS * Bs[i]).sum(axis=1) * f2
            GB = GS * Ds[i][:, None, :]
            if i == L - 2:
                top(GB)
            else:
                gW[i + 1] = GB.reshape(-1, GB.shape[2]).T @ Ss[i + 1].reshape(-1, Ss[i + 1].shape[2])
                GS = (GB.reshape(-1, GB.shape[2]) @ Ws[i + 1]).reshape(n, k, -1)
        return pen, extra, gW

    def _contractive_forward(self, hs: list[np.ndarray], want_grad: bool):
        """Forward mode: ``T_l[n] = d h_l / d x`` (as (d, u_l) per row) = ``(T_{l-1} @ W_l) * act_l'``, ``T_0 = I``."""
        c = float(self.contractive)
        Ws, acts = self._enc_W(), self._enc_acts()
        L, n = len(Ws), hs[0].shape[0]
        Ds = [_fprime(acts[i], hs[i + 1]) for i in range(L)]
        As: list[np.ndarray] = []
        Ts = [None]
        for i in range(L):
            A = np.broadcast_to(Ws[0], (n, *Ws[0].shape)) if i == 0 else Ts[i] @ Ws[i]
            As.append(A)
            Ts.append(A * Ds[i][:, None, :])
        T = Ts[L]
        pen = c * float(np.einsum("nij,nij->", T, T, dtype=np.float64)) / n
        if not want_grad:
            return pen, None, None
        G = T * T.dtype.type(2.0 * c / n)
        extra: list[np.ndarray | None] = [None] * L
        gW: list[np.ndarray] = [None] * L  # type: ignore[list-item]
        for i in range(L - 1, -1, -1):
            f2 = _fsecond(acts[i], hs[i + 1], Ds[i])
            if f2 is not None:
                extra[i] = np.einsum("nij,nij->nj", G, As[i]) * f2
            gA = G * Ds[i][:, None, :]
            if i == 0:
                gW[0] = gA.sum(axis=0)
            else:
                Tp = Ts[i]
                gW[i] = Tp.reshape(-1, Tp.shape[2]).T @ gA.reshape(-1, gA.shape[2])
                G = gA @ Ws[i].T
        return pen, extra, gW

    # ------------------------------------------------------------------ objective
    def _loss_and_grad(self, Xin: np.ndarray, X: np.ndarray, threads: int,
                       want_grad: bool = True) -> tuple[float, float, float]:
        """Objective of one minibatch (input ``Xin``, target ``X``); fills ``_grad_flat``.

        Returns the mean objective, the mean reconstruction loss and the penalties.
        """
        n = X.shape[0]
        dt = X.dtype
        G = self._grads
        L = self._L
        enc_h = self._encode(Xin, threads)
        code = enc_h[-1]
        dec_h = self._decode(code, threads)
        rec, g_out = self._reconstruction(X, dec_h[-1], threads, want_grad)
        rec_mean = float(rec.mean(dtype=np.float64))
        penalty = 0.0
        g_sp = extra = gW_c = None
        if self.sparsity is not None and self.sparsity_weight > 0:
            pen, g_sp = self._sparsity(code, threads, want_grad)
            penalty += pen
        if self.contractive > 0:
            pen, extra, gW_c = self._contractive(enc_h, want_grad)
            penalty += pen
        if not want_grad:
            return rec_mean + penalty, rec_mean, penalty

        g = g_out
        g *= dt.type(1.0 / n)
        # decoder, from the output down to the code
        dec_acts = [ACTIVATIONS[a] for a in self._dec_acts()]
        dec_W = self._dec_W()
        if self.tied_weights:
            gWd = [np.empty(W.shape, dtype=dt) for W in dec_W]
        else:
            gWd = [G[f"dec{i}.W"] for i in range(L)]
        g = backward(dec_h, g, dec_W, gWd, [G[f"dec{i}.b"] for i in range(L)], dec_acts, threads,
                     input_grad=True)
        if g_sp is not None:
            g += g_sp
        enc_acts = [ACTIVATIONS[a] for a in self._enc_acts()]
        core("activation_backward", dt)(g, code, enc_acts[-1], threads)
        if extra is not None and extra[-1] is not None:
            g += extra[-1]
        # encoder, from the code layer down to the input
        backward(enc_h, g, self._enc_W(), [G[f"enc{i}.W"] for i in range(L)],
                 [G[f"enc{i}.b"] for i in range(L)], enc_acts, threads, extra=extra)
        if gW_c is not None:
            for i in range(L):
                G[f"enc{i}.W"] += gW_c[i]
        if self.tied_weights:
            for i in range(L):
                G[f"enc{L - 1 - i}.W"] += gWd[i].T
        return rec_mean + penalty, rec_mean, penalty

    def _corrupt(self, X: np.ndarray) -> np.ndarray:
        """Return the training input for one epoch: X, or X corrupted by fresh draws of the model's generator."""
        if self.noise is None or self.noise_level == 0:
            return X
        p, rng, dt = float(self.noise_level), self._rng, X.dtype
        if self.noise == "mask":
            return np.where(rng.random(X.shape) < p, dt.type(0), X)
        if self.noise == "gaussian":
            return X + (p * rng.standard_normal(X.shape)).astype(dt)
        hit = rng.random(X.shape) < p
        salt = rng.random(X.shape) < 0.5
        return np.where(hit, salt.astype(dt), X)

    # ------------------------------------------------------------------ training
    def _epoch(self, X: np.ndarray, threads: int) -> tuple[float, float, float]:
        n = X.shape[0]
        order = self._rng.permutation(n)
        Xin = self._corrupt(X)
        tot = [0.0, 0.0, 0.0]
        lr = float(self.learning_rate)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            stats = self._loss_and_grad(Xin[idx], X[idx], threads)
            if not math.isfinite(stats[0]):
                raise FloatingPointError(
                    f"the training loss became {stats[0]} at epoch {self.n_epochs_trained_}, step {self.n_steps_}; "
                    "lower learning_rate or use float64")
            self.n_steps_ += 1
            adam_step(self._flat, self._grad_flat, self._m, self._v, lr, self.n_steps_, threads)
            w = len(idx) / n
            for k in range(3):
                tot[k] += w * stats[k]
        self.n_epochs_trained_ += 1
        return tot[0], tot[1], tot[2]

    def _record(self, stats: tuple[float, float, float], seconds: float, bar: Any = None) -> None:
        h = self.history_
        h["epoch"].append(self.n_epochs_trained_)
        h["loss"].append(stats[0])
        h["reconstruction"].append(stats[1])
        h["penalty"].append(stats[2])
        h["seconds"].append(seconds)
        if self.verbose:
            text = f"loss {stats[0]:.5f} (reconstruction {stats[1]:.5f}, penalty {stats[2]:.5f})"
            if bar is not None:
                bar.set_postfix_str(text)
            logger.info("Autoencoder epoch %d: %s, %.3f s", self.n_epochs_trained_, text, seconds)

    @limit_blas
    def fit(self, X: Any, y: Any = None) -> Autoencoder:
        """Train from a fresh initialisation for ``n_epochs`` epochs.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training data (in [0, 1] for ``loss="bce"``). float32 data trains a float32
            model, anything else float64.
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        X = self._check_X(X, reset=True)
        self._initialise(X.shape[1], X.dtype)
        threads = resolve_threads(self.n_threads)
        with progress(self.verbose, int(self.n_epochs), "Autoencoder") as bar:
            for _ in range(self.n_epochs):
                t0 = time.perf_counter()
                stats = self._epoch(X, threads)
                self._record(stats, time.perf_counter() - t0, bar)
                bar.update(1)
        return self

    @limit_blas
    def partial_fit(self, X: Any, y: Any = None) -> Autoencoder:
        """One epoch of minibatch Adam over ``X`` (initialising the model on first use).

        Returns
        -------
        self
        """
        self._check_params()
        if not hasattr(self, "params_"):
            X = self._check_X(X, reset=True)
            self._initialise(X.shape[1], X.dtype)
        else:
            self._check_fitted("partial_fit")
            if self._layout(self.n_features_in_) != self._spec:
                raise ValueError("hidden, n_latent or tied_weights changed since the model was fitted: "
                                 "call fit to start afresh")
            X = self._check_X(X, reset=False)
            self._ensure_writeable()
        threads = resolve_threads(self.n_threads)
        t0 = time.perf_counter()
        stats = self._epoch(X, threads)
        self._record(stats, time.perf_counter() - t0)
        return self

    # ------------------------------------------------------------------ validation
    def _check_fitted(self, what: str) -> None:
        check_is_fitted(self, "params_", msg=f"This Autoencoder instance is not fitted yet: call fit or "
                                             f"partial_fit before {what}.")
        if not np.isfinite(self._flat).all():
            raise ValueError(f"the Autoencoder's parameters contain NaN or infinity: refusing {what}")

    def _check_X(self, X: Any, *, reset: bool) -> np.ndarray:
        arr = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32], order="C")
        if not reset:
            arr = np.ascontiguousarray(arr, dtype=self._dt)
        if self.loss == "bce":
            v.check_range(arr, "X", arr.shape[:1], resolve_threads(self.n_threads), 0.0, 1.0,
                          what="in [0, 1] for loss='bce' (scale the data, or use loss='mse')")
        return arr

    def _check_code(self, Z: Any) -> np.ndarray:
        arr = v.as_float_array(Z, "Z")
        if arr.ndim == 1 and arr.shape[0] == self.n_latent:
            arr = arr.reshape(1, -1)
        if arr.ndim != 2 or arr.shape[1] != self.n_latent:
            raise ValueError(f"Z must have shape (n, {self.n_latent}) (n_latent={self.n_latent}), got {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError("Z contains NaN or infinity")
        return np.ascontiguousarray(arr, dtype=self._dt)

    # ------------------------------------------------------------------ inference
    def _blocks(self, X: np.ndarray, fn) -> np.ndarray:
        return np.concatenate([fn(X[s:s + _SCORE_ROWS]) for s in range(0, X.shape[0], _SCORE_ROWS)])

    @limit_blas
    def transform(self, X: Any) -> np.ndarray:
        """Return the code of each row, shape (n_samples, n_latent), in the input's float dtype."""
        self._check_fitted("transform")
        dtype = _out_dtype(X)
        X = self._check_X(X, reset=False)
        threads = resolve_threads(self.n_threads)
        return self._blocks(X, lambda b: self._encode(b, threads)[-1]).astype(dtype, copy=False)

    def _decode_mean(self, C: np.ndarray, threads: int) -> np.ndarray:
        out = self._decode(C, threads)[-1]
        if self.loss == "bce":
            core("bias_activation", out.dtype)(out, None, ACTIVATIONS["sigmoid"], threads)
        return out

    @limit_blas
    def inverse_transform(self, Z: Any) -> np.ndarray:
        """Decode codes ``Z`` (n, n_latent) into reconstructions (probabilities for "bce")."""
        self._check_fitted("inverse_transform")
        dtype = _out_dtype(Z)
        Z = self._check_code(Z)
        threads = resolve_threads(self.n_threads)
        return self._blocks(Z, lambda b: self._decode_mean(b, threads)).astype(dtype, copy=False)

    @limit_blas
    def predict(self, X: Any) -> np.ndarray:
        """Reconstruct ``X``: ``decode(encode(X))``."""
        self._check_fitted("predict")
        dtype = _out_dtype(X)
        X = self._check_X(X, reset=False)
        threads = resolve_threads(self.n_threads)
        return self._blocks(X, lambda b: self._decode_mean(self._encode(b, threads)[-1], threads)).astype(
            dtype, copy=False)

    @limit_blas
    def reconstruction_error(self, X: Any) -> np.ndarray:
        """Per-row reconstruction loss (mean over features: squared error, or BCE)."""
        self._check_fitted("reconstruction_error")
        X = self._check_X(X, reset=False)
        threads = resolve_threads(self.n_threads)

        def block(b):
            return self._reconstruction(b, self._decode(self._encode(b, threads)[-1], threads)[-1], threads,
                                        False)[0]

        return self._blocks(X, block)

    def score(self, X: Any, y: Any = None) -> float:
        """Negative mean reconstruction loss of ``X`` (higher is better; penalties excluded)."""
        return -float(self.reconstruction_error(X).mean(dtype=np.float64))

    @limit_blas
    def jacobian_norm(self, X: Any) -> np.ndarray:
        """Per-row squared Frobenius norm of the encoder's Jacobian ``d code / d x``."""
        self._check_fitted("jacobian_norm")
        X = self._check_X(X, reset=False)
        threads = resolve_threads(self.n_threads)
        out = []
        for s in range(0, X.shape[0], 256):
            hs = self._encode(X[s:s + 256], threads)
            Ws, acts = self._enc_W(), self._enc_acts()
            T = None
            for i, W in enumerate(Ws):
                A = W[None] if i == 0 else T @ W
                T = A * _fprime(acts[i], hs[i + 1])[:, None, :]
            out.append(np.einsum("nij,nij->n", T, T, dtype=np.float64))
        return np.concatenate(out)

    # ------------------------------------------------------------------ persistence
    _PARAM_KEYS = ("n_latent", "hidden", "activation", "code_activation", "loss", "sparsity", "sparsity_target",
                   "sparsity_weight", "noise", "noise_level", "contractive", "tied_weights", "learning_rate",
                   "batch_size", "n_epochs", "verbose", "blas_threads")

    def save(self, path: str | os.PathLike) -> None:
        """Write the model to ``path`` (.npz: arrays + JSON metadata; no pickle; atomic).

        The file holds the parameters, Adam's moments, the history and the generator's
        state, so a loaded model continues training exactly as the saved one would.
        """
        self._check_fitted("save")
        meta = {k: getattr(self, k) for k in self._PARAM_KEYS}
        meta["hidden"] = [int(h) for h in self.hidden]
        meta["tied_weights"] = bool(self.tied_weights)
        self._write_saved(path, meta)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Autoencoder:
        """Read a model written by :meth:`save`."""
        return cls._read_saved(path)

    @classmethod
    def _from_saved(cls, meta: dict, arrays: dict) -> Autoencoder:
        kwargs = {k: meta[k] for k in cls._PARAM_KEYS}
        kwargs["hidden"] = tuple(kwargs["hidden"])
        n_latent = kwargs.pop("n_latent")
        if meta["dtype"] not in ("float32", "float64"):
            raise ValueError(f"unsupported dtype {meta['dtype']!r}")
        model = cls(n_latent, **kwargs)
        model._check_params()
        model._allocate(int(meta["n_features_in"]), np.dtype(meta["dtype"]))
        model._restore_training_state(meta, arrays)
        return model

    @property
    def _n_features_out(self) -> int:
        return int(self.n_latent)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
