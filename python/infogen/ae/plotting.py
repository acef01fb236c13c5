"""Figures for :class:`infogen.Autoencoder` (needs matplotlib: ``pip install 'infogen[plot]'``).

Every function draws into a given ``ax`` (or a new figure) and returns the axes.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from infogen.vae.plotting import _axes, _grid, _image_shape

__all__ = ["plot_ae_filters", "plot_ae_reconstructions", "plot_denoising"]


def plot_ae_filters(ae: Any, n: int = 64, *, n_cols: int = 8, image_shape: tuple[int, int] | None = None,
                    ax: Any = None):
    """Draw the first encoder layer's weights, one image per unit, each scaled to [0, 1]."""
    ax = _axes(ax)
    W = np.asarray(ae.params_["enc0.W"], dtype=np.float64).T[:n]
    lo, hi = W.min(axis=1, keepdims=True), W.max(axis=1, keepdims=True)
    W = (W - lo) / np.where(hi > lo, hi - lo, 1.0)
    shape = _image_shape(W.shape[1], image_shape)
    ax.imshow(_grid(W, n_cols, shape), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"{len(W)} encoder filters")
    ax.axis("off")
    return ax


def plot_ae_reconstructions(ae: Any, X: Any, n: int = 8, *, image_shape: tuple[int, int] | None = None,
                            ax: Any = None):
    """Originals (top row) and reconstructions (bottom row)."""
    ax = _axes(ax)
    X = np.asarray(X)[:n]
    images = np.concatenate([X, np.clip(ae.predict(X), 0, 1)])
    shape = _image_shape(X.shape[1], image_shape)
    ax.imshow(_grid(images, len(X), shape), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title("originals (top) and reconstructions (bottom)")
    ax.axis("off")
    return ax


def plot_denoising(ae: Any, X: Any, noisy: Any, n: int = 8, *, image_shape: tuple[int, int] | None = None,
                   ax: Any = None):
    """Corrupted inputs (top), the autoencoder's outputs (middle) and the originals (bottom)."""
    ax = _axes(ax)
    X, noisy = np.asarray(X)[:n], np.asarray(noisy)[:n]
    images = np.concatenate([noisy, np.clip(ae.predict(noisy), 0, 1), X])
    shape = _image_shape(X.shape[1], image_shape)
    ax.imshow(_grid(images, len(X), shape), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title("corrupted (top), denoised (middle), original (bottom)")
    ax.axis("off")
    return ax
