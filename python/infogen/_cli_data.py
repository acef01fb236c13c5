"""The data of the model commands (``infogen vae``, ``infogen ae``): a .npy file or the digits."""
from __future__ import annotations

import os

import numpy as np

__all__ = ["load_npy", "train_test_data"]


def load_npy(path: str) -> np.ndarray:
    """A 2-D array of numbers from a .npy file, without pickle; errors name the file and say why."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such data file: {path!r}")
    with open(path, "rb") as f:
        if f.read(6) != b"\x93NUMPY":
            raise ValueError(f"{path!r} is not a .npy array file (no NumPy header): save one with numpy.save")
    try:
        X = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ValueError(f"{path!r} is not a .npy file of numbers infogen can read without pickle ({exc})") from None
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise ValueError(f"{path!r} must hold a 2-D array of numbers, got shape {X.shape} and dtype {X.dtype}")
    return X


def train_test_data(path: str | None, test_fraction: float) -> tuple[np.ndarray, np.ndarray, str]:
    """(train rows, test rows, a description): the embedded digits' split, or the last
    `test_fraction` of the rows of a 2-D .npy file (loaded without pickle)."""
    from infogen.datasets import load_digits

    if path is None:
        X_train, X_test, _ = load_digits()
        return X_train, X_test, "embedded digits (rows 0-1499 train, 1500-1796 test)"
    if not (0.0 < test_fraction < 1.0):
        raise ValueError(f"--test-fraction must be in (0, 1), got {test_fraction}")
    X = load_npy(path)
    if X.shape[0] < 2:
        raise ValueError(f"{path!r} must hold at least 2 rows, got shape {X.shape}")
    n_test = int(round(X.shape[0] * test_fraction))
    if not 1 <= n_test < X.shape[0]:
        raise ValueError(f"--test-fraction {test_fraction} of {X.shape[0]} rows leaves no train or no test rows")
    return X[:-n_test], X[-n_test:], f"{path} ({X.shape[0] - n_test} train rows, last {n_test} rows test)"
