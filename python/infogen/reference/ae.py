"""A plain NumPy autoencoder: independent check of :class:`infogen.Autoencoder`'s gradients, benchmark baseline.

No call into infogen's C++ core. One array per parameter; the loss, the sparsity
penalties and the contractive penalty are written out directly; the contractive term is
computed one example at a time with the Jacobian as a (code x input) matrix
``J = diag(f_L') W_L^T ... diag(f_1') W_1^T``, and back-propagated per example.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["ReferenceAutoencoder", "loss_and_grad", "forward"]


def _act(name: str, a: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(a, 0)
    if name == "tanh":
        return np.tanh(a)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-a))
    if name == "softplus":
        return np.logaddexp(0, a)
    return a


def _d1(name: str, a: np.ndarray) -> np.ndarray:
    """act'(a) from the pre-activation."""
    if name == "relu":
        return (a > 0).astype(a.dtype)
    if name == "tanh":
        return 1 - np.tanh(a) ** 2
    if name in ("sigmoid", "softplus"):
        s = 1.0 / (1.0 + np.exp(-a))
        return s * (1 - s) if name == "sigmoid" else s
    return np.ones_like(a)


def _d2(name: str, a: np.ndarray) -> np.ndarray:
    """act''(a) from the pre-activation."""
    if name == "tanh":
        t = np.tanh(a)
        return -2 * t * (1 - t * t)
    if name in ("sigmoid", "softplus"):
        s = 1.0 / (1.0 + np.exp(-a))
        return s * (1 - s) * (1 - 2 * s) if name == "sigmoid" else s * (1 - s)
    return np.zeros_like(a)


def _layers(params: dict, n_layers: int, tied: bool):
    enc = [(params[f"enc{i}.W"], params[f"enc{i}.b"]) for i in range(n_layers)]
    dec = []
    for i in range(n_layers):
        W = params[f"enc{n_layers - 1 - i}.W"].T if tied else params[f"dec{i}.W"]
        dec.append((W, params[f"dec{i}.b"]))
    return enc, dec


def forward(params: dict, X: np.ndarray, *, activation: str = "relu", code_activation: str = "linear",
            loss: str = "mse", tied: bool = False):
    """Return (pre-activations, activations) of encoder and decoder and the reconstruction."""
    n_layers = sum(1 for k in params if k.startswith("enc") and k.endswith(".W"))
    enc, dec = _layers(params, n_layers, tied)
    code_act = "identity" if code_activation == "linear" else code_activation
    h, pre, outs = X, [], [X]
    for i, (W, b) in enumerate(enc):
        a = h @ W + b
        h = _act(code_act if i == n_layers - 1 else activation, a)
        pre.append(a)
        outs.append(h)
    for i, (W, b) in enumerate(dec):
        a = h @ W + b
        h = a if i == n_layers - 1 else _act(activation, a)
        pre.append(a)
        outs.append(h)
    recon = 1 / (1 + np.exp(-outs[-1])) if loss == "bce" else outs[-1]
    return pre, outs, recon


def loss_and_grad(params: dict, X_in: np.ndarray, X: np.ndarray, *, activation: str = "relu",
                  code_activation: str = "linear", loss: str = "mse", sparsity: str | None = None,
                  sparsity_target: float = 0.05, sparsity_weight: float = 0.1, contractive: float = 0.0,
                  tied: bool = False):
    """Objective of one minibatch (input ``X_in``, target ``X``) and its gradient per parameter.

    Returns ``(objective, reconstruction, penalty, grads)``.
    """
    n, d = X.shape
    n_layers = sum(1 for k in params if k.startswith("enc") and k.endswith(".W"))
    enc, dec = _layers(params, n_layers, tied)
    code_act = "identity" if code_activation == "linear" else code_activation
    enc_acts = [activation] * (n_layers - 1) + [code_act]
    dec_acts = [activation] * (n_layers - 1) + ["identity"]
    pre, outs, _ = forward(params, X_in, activation=activation, code_activation=code_activation, loss=loss,
                           tied=tied)
    z = outs[-1]
    if loss == "bce":
        rec = np.mean(np.logaddexp(0, z) - X * z)
        g = (1 / (1 + np.exp(-z)) - X) / (n * d)
    else:
        rec = np.mean((z - X) ** 2)
        g = 2 * (z - X) / (n * d)
    code = outs[n_layers]
    penalty = 0.0
    g_code = np.zeros_like(code)
    if sparsity == "l1":
        penalty += sparsity_weight * np.abs(code).sum() / n
        g_code += sparsity_weight * np.sign(code) / n
    elif sparsity == "kl":
        rho = sparsity_target
        q = np.clip(code.mean(axis=0), 1e-6, 1 - 1e-6)
        penalty += sparsity_weight * np.sum(rho * np.log(rho / q) + (1 - rho) * np.log((1 - rho) / (1 - q)))
        g_code += sparsity_weight * ((1 - rho) / (1 - q) - rho / q) / n

    grads: dict[str, np.ndarray] = {k: np.zeros_like(val) for k, val in params.items()}
    # decoder
    for i in range(n_layers - 1, -1, -1):
        W, _ = dec[i]
        h_in = outs[n_layers + i]
        gW = h_in.T @ g
        if tied:
            grads[f"enc{n_layers - 1 - i}.W"] += gW.T
        else:
            grads[f"dec{i}.W"] += gW
        grads[f"dec{i}.b"] += g.sum(axis=0)
        g = g @ W.T
        if i > 0:
            g = g * _d1(dec_acts[i - 1], pre[n_layers + i - 1])
    g = (g + g_code)  # gradient w.r.t. the code
    g_pre_extra = [np.zeros_like(p) for p in pre[:n_layers]]

    if contractive > 0:
        Ws = [W for W, _ in enc]
        for r in range(n):
            Ds = [_d1(enc_acts[i], pre[i][r]) for i in range(n_layers)]
            # forward: J_i = diag(D_i) W_i^T J_{i-1}, J_{-1} = I; keep B_i = W_i^T J_{i-1}
            J, Bs, Js = np.eye(d), [], []
            for i in range(n_layers):
                B = Ws[i].T @ J
                J = Ds[i][:, None] * B
                Bs.append(B)
                Js.append(J)
            penalty += contractive * np.sum(J * J) / n
            GJ = 2 * contractive * J / n
            for i in range(n_layers - 1, -1, -1):
                gD = np.sum(GJ * Bs[i], axis=1)
                g_pre_extra[i][r] += gD * _d2(enc_acts[i], pre[i][r])
                GB = Ds[i][:, None] * GJ
                J_prev = Js[i - 1] if i > 0 else np.eye(d)
                grads[f"enc{i}.W"] += (GB @ J_prev.T).T
                GJ = Ws[i] @ GB

    # encoder
    for i in range(n_layers - 1, -1, -1):
        g = g * _d1(enc_acts[i], pre[i]) + g_pre_extra[i]
        W, _ = enc[i]
        grads[f"enc{i}.W"] += outs[i].T @ g
        grads[f"enc{i}.b"] += g.sum(axis=0)
        g = g @ W.T
    return rec + penalty, rec, penalty, grads


class ReferenceAutoencoder:
    """The same autoencoder trained the plain NumPy way (Glorot-uniform init, minibatch Adam).

    The benchmark baseline of :class:`infogen.Autoencoder`: same architecture, loss,
    initialisation (drawn in the same order from ``default_rng(seed)``) and optimiser.
    """

    def __init__(self, n_latent: int, hidden: tuple[int, ...] = (128,), *, learning_rate: float = 1e-3,
                 batch_size: int = 128, seed: int = 0, dtype=np.float32, **options) -> None:
        self.n_latent, self.hidden = n_latent, tuple(hidden)
        self.learning_rate, self.batch_size = learning_rate, batch_size
        self.rng = np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)
        self.options = options
        self.params: dict[str, np.ndarray] = {}
        self.step = 0

    def _init(self, d: int) -> None:
        enc = [d, *self.hidden, self.n_latent]
        dec = enc[::-1]
        tied = self.options.get("tied", False)
        shapes = []
        for i in range(len(enc) - 1):
            shapes += [(f"enc{i}.W", (enc[i], enc[i + 1])), (f"enc{i}.b", (enc[i + 1],))]
        for i in range(len(dec) - 1):
            if not tied:
                shapes.append((f"dec{i}.W", (dec[i], dec[i + 1])))
            shapes.append((f"dec{i}.b", (dec[i + 1],)))
        for name, shape in shapes:
            if name.endswith(".W"):
                bound = math.sqrt(6.0 / (shape[0] + shape[1]))
                self.params[name] = self.rng.uniform(-bound, bound, size=shape).astype(self.dtype)
            else:
                self.params[name] = np.zeros(shape, dtype=self.dtype)
        self.m = {k: np.zeros_like(p) for k, p in self.params.items()}
        self.v = {k: np.zeros_like(p) for k, p in self.params.items()}

    def epoch(self, X: np.ndarray) -> float:
        """One epoch of minibatch Adam; returns the mean objective."""
        if not self.params:
            self._init(X.shape[1])
        order = self.rng.permutation(X.shape[0])
        total = 0.0
        for s in range(0, X.shape[0], self.batch_size):
            xb = X[order[s:s + self.batch_size]]
            obj, _, _, grads = loss_and_grad(self.params, xb, xb, **self.options)
            total += obj * len(xb) / X.shape[0]
            self.step += 1
            b1, b2, eps = 0.9, 0.999, 1e-8
            for k, p in self.params.items():
                gk = grads[k]
                self.m[k] = b1 * self.m[k] + (1 - b1) * gk
                self.v[k] = b2 * self.v[k] + (1 - b2) * gk * gk
                mhat = self.m[k] / (1 - b1 ** self.step)
                vhat = self.v[k] / (1 - b2 ** self.step)
                p -= (self.learning_rate * mhat / (np.sqrt(vhat) + eps)).astype(p.dtype)
        return total

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Reconstructions of ``X``."""
        opts = {k: self.options[k] for k in ("activation", "code_activation", "loss", "tied") if k in self.options}
        return forward(self.params, X, **opts)[2]
