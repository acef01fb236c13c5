"""A straightforward pure-NumPy VAE and references of the VAE's fused kernels.

No call into infogen's C++ core: this is the benchmark baseline for :class:`infogen.VAE`
and an independent check of its forward and backward passes. The model has the same
architecture, loss, initialisation and optimiser, written the way one would write it
directly in NumPy (one array per parameter, ``np.logaddexp`` for the Bernoulli NLL).
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["ReferenceVAE", "loss_and_grad", "reparameterize", "bias_activation",
           "activation_backward", "split_head", "latent_backward", "adam_update"]


# ---------------------------------------------------------------------- kernel references
def _act(name: str, a: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(a, 0)
    if name == "tanh":
        return np.tanh(a)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-a))
    if name == "softplus":
        return np.logaddexp(0, a)
    if name == "identity":
        return a
    raise ValueError(f"unknown activation {name!r}")


def _act_grad(name: str, h: np.ndarray) -> np.ndarray:
    if name == "relu":
        return (h > 0).astype(h.dtype)
    if name == "tanh":
        return 1 - h * h
    if name == "sigmoid":
        return h * (1 - h)
    if name == "softplus":
        return -np.expm1(-h)
    return np.ones_like(h)


def bias_activation(a: np.ndarray, bias: np.ndarray | None, activation: str) -> np.ndarray:
    """``act(a + bias)``."""
    return _act(activation, a if bias is None else a + bias)


def activation_backward(grad: np.ndarray, h: np.ndarray, activation: str) -> np.ndarray:
    """``grad * act'`` from the layer output ``h``."""
    return grad * _act_grad(activation, h)


def split_head(raw: np.ndarray, bias: np.ndarray | None, lo: float, hi: float):
    """Return ``(raw + bias)[:, :L]`` and ``clip((raw + bias)[:, L:], lo, hi)``."""
    a = raw if bias is None else raw + bias
    n_latent = raw.shape[1] // 2
    return a[:, :n_latent], np.clip(a[:, n_latent:], lo, hi)


def reparameterize(mu: np.ndarray, logvar: np.ndarray, eps: np.ndarray,
                   repeat: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Return ``z = mu + exp(logvar/2) eps`` and ``log N(z; 0, I) - log N(z; mu, e^logvar)``.

    Rows of mu are repeated `repeat` times; z is computed in float64 and rounded once.
    """
    m = np.repeat(mu.astype(np.float64), repeat, axis=0)
    lv = np.repeat(logvar.astype(np.float64), repeat, axis=0)
    e = eps.astype(np.float64)
    z = (m + np.exp(0.5 * lv) * e).astype(mu.dtype)
    zd = z.astype(np.float64)
    log_ratio = 0.5 * (e * e - zd * zd + lv).sum(axis=1)
    return z, log_ratio


def latent_backward(grad_z, eps, logvar, kl_grad_mu, kl_grad_lv, kl_scale, lo, hi):
    """Return the gradient w.r.t. the heads' output [mu | clamped logvar] (see vae.hpp)."""
    g_mu = grad_z + kl_scale * kl_grad_mu
    g_lv = grad_z * eps * 0.5 * np.exp(0.5 * logvar) + kl_scale * kl_grad_lv
    return np.concatenate([g_mu, np.where((logvar > lo) & (logvar < hi), g_lv, 0)], axis=1)


def adam_update(param, grad, m, v, lr, beta1, beta2, eps, step):
    """One Adam step as torch.optim.Adam; returns new (param, m, v)."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    bc1 = 1 - beta1 ** step
    bc2 = 1 - beta2 ** step
    return param - lr / bc1 * m / (np.sqrt(v) / math.sqrt(bc2) + eps), m, v


# ---------------------------------------------------------------------- the model
def _layer_names(params: dict) -> tuple[list[str], list[str]]:
    enc = sorted((k[:-2] for k in params if k.startswith("enc") and k.endswith(".W")), key=lambda s: int(s[3:]))
    dec = sorted((k[:-2] for k in params if k.startswith("dec") and k.endswith(".W")), key=lambda s: int(s[3:]))
    return enc, dec + ["out"]


def loss_and_grad(params: dict, X: np.ndarray, eps: np.ndarray, *, beta: float = 1.0,
                  activation: str = "relu", likelihood: str = "bernoulli",
                  decoder_logvar: float | None = None, bounds: tuple[float, float] = (-10.0, 10.0)):
    """Mean negative ELBO (with KL weight beta) of a minibatch for given noise, and its gradient.

    ``params`` maps names ("enc0.W", "mu.b", "out.W", "out.logvar"...) to arrays, as
    :attr:`infogen.VAE.params_`. Returns ``(loss, grads)`` with grads keyed like params.
    """
    enc, dec = _layer_names(params)
    n = X.shape[0]
    hs = [X]
    for name in enc:
        hs.append(_act(activation, hs[-1] @ params[name + ".W"] + params[name + ".b"]))
    h = hs[-1]
    mu = h @ params["mu.W"] + params["mu.b"]
    raw_lv = h @ params["logvar.W"] + params["logvar.b"]
    lo, hi = bounds
    lv = np.clip(raw_lv, lo, hi)
    sigma = np.exp(0.5 * lv)
    z = mu + sigma * eps
    ds = [z]
    for name in dec[:-1]:
        ds.append(_act(activation, ds[-1] @ params[name + ".W"] + params[name + ".b"]))
    out = ds[-1] @ params["out.W"] + params["out.b"]
    grads = {}
    if likelihood == "bernoulli":
        nll = (np.logaddexp(0, out) - X * out).sum(axis=1)
        g = 1.0 / (1.0 + np.exp(-out)) - X
    else:
        if "out.logvar" in params:
            s = np.clip(params["out.logvar"], lo, hi)
        else:
            s = np.full(X.shape[1], decoder_logvar)
        r2 = (X - out) ** 2 * np.exp(-s)
        nll = 0.5 * (r2 + s + math.log(2 * math.pi)).sum(axis=1)
        g = (out - X) * np.exp(-s)
        if "out.logvar" in params:
            raw = params["out.logvar"]
            grads["out.logvar"] = 0.5 * (1 - r2).sum(axis=0) / n * ((raw > lo) & (raw < hi))
    kl = 0.5 * (np.exp(lv) + mu * mu - 1 - lv).sum(axis=1)
    loss = float(np.mean(nll + beta * kl))
    g = g / n
    for k in range(len(dec) - 1, -1, -1):
        grads[dec[k] + ".W"] = ds[k].T @ g
        grads[dec[k] + ".b"] = g.sum(axis=0)
        g = g @ params[dec[k] + ".W"].T
        if k > 0:
            g = g * _act_grad(activation, ds[k])
    g_mu = g + beta / n * mu
    g_lv = (g * eps * 0.5 * sigma + beta / n * 0.5 * (np.exp(lv) - 1)) * ((raw_lv > lo) & (raw_lv < hi))
    grads["mu.W"] = h.T @ g_mu
    grads["mu.b"] = g_mu.sum(axis=0)
    grads["logvar.W"] = h.T @ g_lv
    grads["logvar.b"] = g_lv.sum(axis=0)
    g = g_mu @ params["mu.W"].T + g_lv @ params["logvar.W"].T
    for k in range(len(enc) - 1, -1, -1):
        g = g * _act_grad(activation, hs[k + 1])
        grads[enc[k] + ".W"] = hs[k].T @ g
        grads[enc[k] + ".b"] = g.sum(axis=0)
        g = g @ params[enc[k] + ".W"].T
    return loss, grads


class ReferenceVAE:
    """Pure-NumPy Bernoulli VAE (ReLU MLPs, clamped log-variance, Adam, minibatches).

    Same architecture, initialisation (PyTorch's nn.Linear default), loss (mean over the
    minibatch of BCE-with-logits summed over features + beta * KL) and optimiser as
    :class:`infogen.VAE` with ``likelihood="bernoulli"``; the noise comes from the NumPy
    generator, so the two models agree in distribution, not draw by draw.
    """

    def __init__(self, n_latent: int, *, hidden=(256,), beta: float = 1.0, learning_rate: float = 1e-3,
                 batch_size: int = 128, dtype=np.float32, random_state=None,
                 bounds: tuple[float, float] = (-10.0, 10.0)) -> None:
        self.n_latent = n_latent
        self.hidden = tuple(hidden)
        self.beta = beta
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.dtype = np.dtype(dtype)
        self.rng = np.random.default_rng(random_state)
        self.bounds = bounds
        self.params: dict | None = None

    def _init(self, d: int) -> None:
        sizes = [(f"enc{i}", a, b) for i, (a, b) in enumerate(zip([d, *self.hidden], self.hidden, strict=False))]
        sizes += [("mu", self.hidden[-1] if self.hidden else d, self.n_latent),
                  ("logvar", self.hidden[-1] if self.hidden else d, self.n_latent)]
        dec = [self.n_latent, *reversed(self.hidden)]
        sizes += [(f"dec{i}", a, b) for i, (a, b) in enumerate(zip(dec, dec[1:], strict=False))]
        sizes += [("out", dec[-1], d)]
        self.params = {}
        for name, fan_in, fan_out in sizes:
            bound = 1.0 / math.sqrt(fan_in)
            self.params[name + ".W"] = self.rng.uniform(-bound, bound, (fan_in, fan_out)).astype(self.dtype)
            self.params[name + ".b"] = self.rng.uniform(-bound, bound, fan_out).astype(self.dtype)
        self.m = {k: np.zeros_like(p) for k, p in self.params.items()}
        self.v = {k: np.zeros_like(p) for k, p in self.params.items()}
        self.step = 0

    def partial_fit(self, X: np.ndarray) -> ReferenceVAE:
        """One epoch of minibatch Adam."""
        X = np.asarray(X, dtype=self.dtype)
        if self.params is None:
            self._init(X.shape[1])
        order = self.rng.permutation(X.shape[0])
        for start in range(0, X.shape[0], self.batch_size):
            xb = X[order[start:start + self.batch_size]]
            eps = self.rng.standard_normal((xb.shape[0], self.n_latent)).astype(self.dtype)
            _, grads = loss_and_grad(self.params, xb, eps, beta=self.beta, bounds=self.bounds)
            self.step += 1
            for k, g in grads.items():
                self.params[k], self.m[k], self.v[k] = adam_update(
                    self.params[k], g.astype(self.dtype), self.m[k], self.v[k],
                    self.learning_rate, 0.9, 0.999, 1e-8, self.step)
        return self

    def fit(self, X: np.ndarray, n_epochs: int) -> ReferenceVAE:
        """``n_epochs`` epochs from a fresh initialisation."""
        self.params = None
        for _ in range(n_epochs):
            self.partial_fit(X)
        return self

    def _encode(self, X):
        enc, _ = _layer_names(self.params)
        h = X
        for name in enc:
            h = np.maximum(h @ self.params[name + ".W"] + self.params[name + ".b"], 0)
        mu = h @ self.params["mu.W"] + self.params["mu.b"]
        lv = np.clip(h @ self.params["logvar.W"] + self.params["logvar.b"], *self.bounds)
        return mu, lv

    def _nll(self, X, z):
        _, dec = _layer_names(self.params)
        h = z
        for name in dec[:-1]:
            h = np.maximum(h @ self.params[name + ".W"] + self.params[name + ".b"], 0)
        out = h @ self.params["out.W"] + self.params["out.b"]
        return (np.logaddexp(0, out) - X * out).sum(axis=1)

    def elbo(self, X: np.ndarray, random_state=0) -> np.ndarray:
        """One-sample ELBO per example (nats)."""
        X = np.asarray(X, dtype=self.dtype)
        rng = np.random.default_rng(random_state)
        mu, lv = self._encode(X)
        z = mu + np.exp(0.5 * lv) * rng.standard_normal(mu.shape).astype(self.dtype)
        kl = 0.5 * (np.exp(lv) + mu * mu - 1 - lv).sum(axis=1)
        return -self._nll(X, z) - kl

    def log_likelihood(self, X: np.ndarray, n_samples: int = 1000, random_state=0) -> np.ndarray:
        """Importance-weighted bound per example (nats), log-sum-exp in NumPy."""
        X = np.asarray(X, dtype=self.dtype)
        rng = np.random.default_rng(random_state)
        out = np.empty(X.shape[0])
        for i in range(X.shape[0]):
            mu, lv = self._encode(X[i:i + 1])
            eps = rng.standard_normal((n_samples, self.n_latent))
            z = (mu + np.exp(0.5 * lv) * eps).astype(self.dtype)
            log_w = -self._nll(np.repeat(X[i:i + 1], n_samples, axis=0), z) \
                + 0.5 * (eps * eps - z.astype(np.float64) ** 2 + lv).sum(axis=1)
            m = log_w.max()
            out[i] = m + math.log(np.mean(np.exp(log_w - m)))
        return out
