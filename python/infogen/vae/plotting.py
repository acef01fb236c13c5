"""Figures for :class:`infogen.VAE` (needs the optional ``plot`` extra: matplotlib).

Every function draws into a given Matplotlib ``ax`` (or a new figure) and returns the axes,
so figures compose and tests can run with the non-interactive Agg backend.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_samples", "plot_reconstructions", "plot_latent_manifold", "plot_learning_curves"]


def _plt():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'infogen[plot]'") from exc
    return plt


def _image_shape(n_features: int, image_shape: tuple[int, int] | None) -> tuple[int, int]:
    if image_shape is not None:
        if image_shape[0] * image_shape[1] != n_features:
            raise ValueError(f"image_shape {image_shape} does not hold {n_features} features")
        return image_shape
    side = int(round(np.sqrt(n_features)))
    if side * side != n_features:
        raise ValueError(f"{n_features} features are not a square image: pass image_shape=(rows, cols)")
    return side, side


def _grid(images: np.ndarray, n_cols: int, shape: tuple[int, int], pad: int = 1) -> np.ndarray:
    n = images.shape[0]
    n_rows = int(np.ceil(n / n_cols))
    h, w = shape
    canvas = np.ones((n_rows * (h + pad) + pad, n_cols * (w + pad) + pad))
    for k in range(n):
        r, c = divmod(k, n_cols)
        canvas[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = \
            images[k].reshape(shape)
    return canvas


def _axes(ax: Any):
    if ax is None:
        _, ax = _plt().subplots()
    return ax


def plot_samples(vae: Any, n: int = 64, *, n_cols: int = 8, image_shape: tuple[int, int] | None = None,
                 random_state: Any = 0, ax: Any = None):
    """Draw a grid of ``n`` new examples sampled from the prior and decoded."""
    ax = _axes(ax)
    samples = vae.sample(n, random_state=random_state)
    shape = _image_shape(samples.shape[1], image_shape)
    ax.imshow(_grid(samples, n_cols, shape), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"{n} samples from the prior")
    ax.axis("off")
    return ax


def plot_reconstructions(vae: Any, X: Any, n: int = 8, *, image_shape: tuple[int, int] | None = None,
                         ax: Any = None):
    """Originals (top row) above their reconstructions (bottom row)."""
    ax = _axes(ax)
    X = np.asarray(X)[:n]
    rec = vae.reconstruct(X)
    shape = _image_shape(X.shape[1], image_shape)
    ax.imshow(_grid(np.concatenate([X, rec]), len(X), shape), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title("originals (top) and reconstructions (bottom)")
    ax.axis("off")
    return ax


def plot_latent_manifold(vae: Any, *, n: int = 15, extent: float = 2.5, dims: tuple[int, int] = (0, 1),
                         image_shape: tuple[int, int] | None = None, ax: Any = None):
    """Decode an ``n x n`` grid over two latent dimensions (the others at 0): the 2-D manifold."""
    ax = _axes(ax)
    if vae.n_latent < 2:
        raise ValueError("the latent manifold needs n_latent >= 2")
    grid = np.linspace(-extent, extent, n)
    Z = np.zeros((n * n, vae.n_latent))
    Z[:, dims[0]] = np.tile(grid, n)
    Z[:, dims[1]] = np.repeat(grid[::-1], n)
    images = vae.decode(Z)
    shape = _image_shape(images.shape[1], image_shape)
    ax.imshow(_grid(images, n, shape, pad=0), cmap="gray_r", vmin=0, vmax=1,
              extent=(-extent, extent, -extent, extent))
    ax.set_xlabel(f"z[{dims[0]}]")
    ax.set_ylabel(f"z[{dims[1]}]")
    ax.set_title("decoded latent grid")
    return ax


def plot_learning_curves(vae: Any, *, ax: Any = None):
    """Training objective per epoch (and the validation ELBO, negated, when recorded)."""
    ax = _axes(ax)
    h = vae.history_
    ax.plot(h["epoch"], h["loss"], label="training loss (NLL + beta KL)")
    ax.plot(h["epoch"], h["nll"], label="reconstruction NLL", alpha=0.7)
    val = np.asarray(h["val_elbo"], dtype=float)
    if np.isfinite(val).any():
        ax.plot(h["epoch"], -val, label="validation -ELBO")
    ax.set_xlabel("epoch")
    ax.set_ylabel("nats per example")
    ax.legend()
    return ax
