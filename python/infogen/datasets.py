"""Embedded data: real data that ships inside installed packages, so demos need no download."""
from __future__ import annotations

import numpy as np

__all__ = ["load_digits"]


def load_digits(*, binary: bool = False, threshold: float = 8.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Load the 1,797 real 8x8 handwritten digits shipped with scikit-learn, split for training.

    Parameters
    ----------
    binary : bool, default=False
        Binarise pixels (``pixel > threshold``) for RBMs; otherwise scale the 0..16 grey
        levels to [0, 1] (for the VAE).
    threshold : float, default=8.0
        Grey level above which a pixel is 1 when ``binary``.

    Returns
    -------
    X_train : ndarray of shape (1500, 64)
        Rows 0-1499, float64.
    X_test : ndarray of shape (297, 64)
        Rows 1500-1796.
    y : ndarray of shape (1797,)
        The digit labels.
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as exc:  # pragma: no cover - scikit-learn is a dependency
        raise ImportError("load_digits needs scikit-learn (pip install scikit-learn)") from exc
    data = _sk_load_digits()
    X = data.data.astype(np.float64)
    X = (X > threshold).astype(np.float64) if binary else X / 16.0
    return X[:1500], X[1500:], data.target
