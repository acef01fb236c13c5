"""The peer for infogen.VAE: the same VAE in PyTorch (CPU), for benchmarks and quality checks.

Same architecture (ReLU MLPs, mu and clamped log-variance heads, Bernoulli logits), the
same initialisation (nn.Linear's default), loss (per-example BCE-with-logits summed over
features + beta * KL, averaged over the minibatch), optimiser (Adam, lr 1e-3) and batching
(shuffled, last batch kept) as infogen.VAE with its defaults.
"""
from __future__ import annotations

import math

import numpy as np

try:
    import torch
    from torch import nn
except ImportError:  # the comparisons skip without torch
    torch = None


def stand_in_784(n_rows: int, seed: int = 0) -> np.ndarray:
    """A 60000x784-like stand-in for MNIST from the embedded digits: each 8x8 digit upsampled
    to 28x28 (bilinear), shifted by up to 2 pixels and lightly noised, values in [0, 1]."""
    from infogen.datasets import load_digits

    X_train, _, _ = load_digits()
    rng = np.random.default_rng(seed)
    src = X_train.reshape(-1, 8, 8)
    coords = np.linspace(0, 7, 24)
    i0 = np.floor(coords).astype(int).clip(0, 6)
    f = coords - i0
    up = (src[:, i0][:, :, i0] * (1 - f)[None, None, :] + src[:, i0][:, :, i0 + 1] * f[None, None, :])
    up = up[:, i0] * (1 - f)[None, :, None] + up[:, i0 + 1] * f[None, :, None]
    out = np.zeros((n_rows, 28, 28))
    pick = rng.integers(0, len(src), n_rows)
    dx, dy = rng.integers(0, 5, n_rows), rng.integers(0, 5, n_rows)
    for k in range(n_rows):
        out[k, dy[k]:dy[k] + 24, dx[k]:dx[k] + 24] = up[pick[k]]
    out += rng.normal(0, 0.05, out.shape)
    return np.clip(out, 0.0, 1.0).reshape(n_rows, 784)


if torch is not None:

    class TorchVAE(nn.Module):
        """64-256-8 / 8-256-64 style VAE; `hidden` and `n_latent` configurable."""

        def __init__(self, n_features: int, n_latent: int, hidden: int = 256, bounds=(-10.0, 10.0)):
            super().__init__()
            self.enc = nn.Linear(n_features, hidden)
            self.mu = nn.Linear(hidden, n_latent)
            self.logvar = nn.Linear(hidden, n_latent)
            self.dec = nn.Linear(n_latent, hidden)
            self.out = nn.Linear(hidden, n_features)
            self.bounds = bounds

        def encode(self, x):
            h = torch.relu(self.enc(x))
            return self.mu(h), torch.clamp(self.logvar(h), *self.bounds)

        def nll(self, x, z):
            logits = self.out(torch.relu(self.dec(z)))
            return nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)

        def loss(self, x, beta=1.0):
            mu, lv = self.encode(x)
            z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
            kl = 0.5 * (torch.exp(lv) + mu * mu - 1.0 - lv).sum(-1)
            return (self.nll(x, z) + beta * kl).mean()

    def train_torch(X: np.ndarray, n_latent: int, hidden: int, n_epochs: int, *, threads: int,
                    seed: int = 0, batch_size: int = 128, lr: float = 1e-3) -> TorchVAE:
        """Train a TorchVAE on X (float32) for n_epochs."""
        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        model = TorchVAE(X.shape[1], n_latent, hidden)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        Xt = torch.tensor(X, dtype=torch.float32)
        for _ in range(n_epochs):
            torch_epoch(model, opt, Xt, batch_size)
        return model

    def torch_epoch(model, opt, Xt, batch_size: int = 128) -> float:
        """One shuffled epoch of Adam; returns the mean training loss."""
        perm = torch.randperm(Xt.shape[0])
        total = 0.0
        for start in range(0, Xt.shape[0], batch_size):
            xb = Xt[perm[start:start + batch_size]]
            opt.zero_grad(set_to_none=True)
            loss = model.loss(xb)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * xb.shape[0]
        return total / Xt.shape[0]

    @torch.no_grad()
    def torch_elbo(model, X: np.ndarray, seed: int = 0) -> np.ndarray:
        """One-sample ELBO per example (nats)."""
        torch.manual_seed(seed)
        x = torch.tensor(X, dtype=torch.float32)
        mu, lv = model.encode(x)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        kl = 0.5 * (torch.exp(lv) + mu * mu - 1.0 - lv).sum(-1)
        return (-model.nll(x, z) - kl).numpy()

    @torch.no_grad()
    def torch_log_likelihood(model, X: np.ndarray, n_samples: int = 1000, seed: int = 0,
                             rows: int = 32) -> np.ndarray:
        """Importance-weighted bound per example (nats)."""
        torch.manual_seed(seed)
        out = []
        x_all = torch.tensor(X, dtype=torch.float32)
        for s in range(0, len(X), rows):
            x = x_all[s:s + rows]
            mu, lv = model.encode(x)
            eps = torch.randn(x.shape[0], n_samples, mu.shape[1])
            z = mu[:, None] + torch.exp(0.5 * lv)[:, None] * eps
            nll = model.nll(x[:, None].expand(-1, n_samples, -1), z)
            log_ratio = 0.5 * (eps * eps - z * z + lv[:, None]).sum(-1)
            out.append(torch.logsumexp(log_ratio - nll, dim=1) - math.log(n_samples))
        return torch.cat(out).numpy()
