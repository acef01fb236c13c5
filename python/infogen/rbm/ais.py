"""Annealed importance sampling: the temperature schedule and the log-partition result."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["LogPartition", "ais_schedule"]


class LogPartition(NamedTuple):
    """A log partition function with its uncertainty.

    Attributes
    ----------
    value : float
        log Z (exact) or log Z-hat (AIS).
    lower, upper : float
        For AIS, log of the mean importance weight minus/plus three standard errors
        (``lower`` is ``-inf`` when that interval reaches zero); for ``method="exact"``
        both equal ``value``.
    method : str
        ``"exact"`` or ``"ais"``.
    log_weights : ndarray or None
        The AIS runs' log importance weights (None for exact).
    """

    value: float
    lower: float
    upper: float
    method: str
    log_weights: np.ndarray | None = None


def ais_schedule(n_betas: int = 10_000) -> np.ndarray:
    """Return the inverse-temperature schedule of Salakhutdinov & Murray (2008), scaled.

    Their schedule spaces 500 betas uniformly in [0, 0.5], 4,000 in [0.5, 0.9] and 10,000
    in [0.9, 1]; this keeps those proportions for ``n_betas`` values in total.

    Parameters
    ----------
    n_betas : int, default=10000
        Number of inverse temperatures, at least 4.

    Returns
    -------
    ndarray of shape (n_betas,)
        Non-decreasing, from exactly 0 to exactly 1.

    Examples
    --------
    >>> from infogen.rbm import ais_schedule
    >>> b = ais_schedule(100)
    >>> float(b[0]), float(b[-1]), len(b)
    (0.0, 1.0, 100)
    """
    if isinstance(n_betas, bool) or not isinstance(n_betas, (int, np.integer)) or n_betas < 4:
        raise ValueError(f"n_betas must be an int >= 4, got {n_betas!r}")
    n1 = max(1, round(n_betas * 500 / 14_500))
    n2 = max(1, round(n_betas * 4_000 / 14_500))
    n3 = n_betas - n1 - n2
    betas = np.concatenate([
        np.linspace(0.0, 0.5, n1, endpoint=False),
        np.linspace(0.5, 0.9, n2, endpoint=False),
        np.linspace(0.9, 1.0, n3),
    ])
    betas[0], betas[-1] = 0.0, 1.0
    return betas
