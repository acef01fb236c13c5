"""Matplotlib figures for infogen's models (optional: ``pip install infogen[plot]``).

Every function draws into a given ``ax``/``fig`` or creates a new figure, and returns the
figure, so it works with any backend (tests use Agg).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["plot_completions", "plot_images", "plot_rbm_filters", "plot_training_curves"]


def _plt():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("infogen.plotting needs matplotlib: pip install 'infogen[plot]'") from exc
    return plt


def _image_grid(images: np.ndarray, shape: tuple[int, int], n_cols: int | None, fig: Any, cmap: str,
                symmetric: bool, title: str | None) -> Any:
    plt = _plt()
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 2 or images.shape[1] != shape[0] * shape[1]:
        raise ValueError(f"images must have shape (n, {shape[0] * shape[1]}) for image shape {shape}, "
                         f"got {images.shape}")
    n = len(images)
    if n == 0:
        raise ValueError("no images to plot")
    n_cols = n_cols or min(n, 10)
    n_rows = math.ceil(n / n_cols)
    fig = fig or plt.figure(figsize=(n_cols * 0.9, n_rows * 0.9 + (0.4 if title else 0)))
    for i, img in enumerate(images):
        ax = fig.add_subplot(n_rows, n_cols, i + 1)
        if symmetric:
            lim = float(np.abs(img).max()) or 1.0
            ax.imshow(img.reshape(shape), cmap=cmap, vmin=-lim, vmax=lim, interpolation="nearest")
        else:
            ax.imshow(img.reshape(shape), cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    return fig


def plot_rbm_filters(rbm: Any, shape: tuple[int, int] = (8, 8), *, max_filters: int = 64,
                     n_cols: int | None = None, fig: Any = None) -> Any:
    """Each hidden unit's weights W[j, :] drawn as an image (red/blue = positive/negative).

    Parameters
    ----------
    rbm : BernoulliRBM
        A fitted model.
    shape : tuple of int, default=(8, 8)
        Image shape of the visible layer.
    max_filters : int, default=64
        Draw at most this many hidden units.
    n_cols : int, optional
    fig : matplotlib Figure, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    W = np.asarray(rbm.components_)[:max_filters]
    return _image_grid(W, shape, n_cols, fig, "RdBu_r", True, "RBM filters (hidden-unit weights)")


def plot_images(images: Any, shape: tuple[int, int] = (8, 8), *, n_cols: int | None = None,
                title: str | None = None, fig: Any = None) -> Any:
    """Draw a grid of images with pixel values in [0, 1] (e.g. samples or reconstructions)."""
    return _image_grid(np.asarray(images), shape, n_cols, fig, "gray_r", False, title)


def plot_completions(X: Any, observed: Any, completed: Any, shape: tuple[int, int] = (8, 8), *, n: int = 8,
                     fig: Any = None) -> Any:
    """Three rows of images: what was given (unknown pixels grey), the completion, the original.

    For the output of ``complete`` (``BernoulliRBM``, ``DBN``, ``VAE``) or ``denoise``
    (pass ``observed`` all False to show the inputs as they were).
    """
    X, P = np.asarray(X, dtype=np.float64)[:n], np.asarray(completed, dtype=np.float64)[:n]
    mask = np.asarray(observed, dtype=bool)[:n]
    if X.shape != P.shape or mask.shape != X.shape:
        raise ValueError(f"X, observed and completed must have one shape, got {X.shape}, {mask.shape}, {P.shape}")
    given = np.where(mask, X, 0.5) if mask.any() else X
    return _image_grid(np.vstack([given, P, X]), shape, len(X), fig, "gray_r", False,
                       "given (grey = unknown) / completed / original")


def plot_training_curves(history: dict, *, fig: Any = None) -> Any:
    """Per-epoch curves of a ``history_`` dict (one panel per recorded quantity).

    Parameters
    ----------
    history : dict
        E.g. ``BernoulliRBM.history_``: an ``"epoch"`` list plus lists of values; NaN
        entries (not computed) are skipped.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _plt()
    if "epoch" not in history or not history["epoch"]:
        raise ValueError("history has no epochs to plot")
    keys = [k for k in history if k not in ("epoch", "seconds")
            and np.isfinite(np.asarray(history[k], dtype=float)).any()]
    if not keys:
        raise ValueError("history has no finite values to plot")
    fig = fig or plt.figure(figsize=(4 * len(keys), 3))
    epochs = np.asarray(history["epoch"])
    for i, key in enumerate(keys):
        ax = fig.add_subplot(1, len(keys), i + 1)
        y = np.asarray(history[key], dtype=float)
        ok = np.isfinite(y)
        ax.plot(epochs[ok], y[ok], marker=".")
        ax.set_xlabel("epoch")
        ax.set_title(key.replace("_", " "))
    fig.tight_layout()
    return fig
