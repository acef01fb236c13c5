"""Complete and denoise inputs with a fitted generative model (the lecture's third use).

*Complete*: some entries of each row are known (a boolean mask, True = observed); the
others are filled with the model's P(x_i = 1 | observed). For an RBM that is block Gibbs
with the observed visible units clamped (in C++, ``rbm_gibbs_clamped``), averaging
P(v_i = 1 | h) over the sampling steps (the Rao-Blackwellised estimate), or a mean-field
fixed-point iteration; for a DBN the same in its top RBM, with the layers below passed up
and down by their conditionals; for a VAE iterated conditional reconstruction (encode,
decode, put the observed entries back). *Denoise*: every entry is suspect; a few
reconstruction steps pull the input towards what the model finds probable.

Observed entries are returned untouched; the rest are probabilities.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from infogen._random import draw_seed

__all__ = ["check_mask", "complete_dbn", "complete_rbm", "complete_vae", "denoise_rbm", "known_values"]


def _steps(n_steps: Any, burn_in: Any) -> tuple[int, int]:
    for name, v, lo in (("n_steps", n_steps, 1), ("burn_in", burn_in, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an int >= {lo}, got {v!r}")
    if burn_in >= n_steps:
        raise ValueError(f"burn_in ({burn_in}) must be smaller than n_steps ({n_steps})")
    return int(n_steps), int(burn_in)


def check_mask(X: np.ndarray, observed: Any) -> np.ndarray:
    """`observed` as a C-contiguous bool array of X's shape, with something observed and something not."""
    if observed is None:
        raise TypeError("observed must be a boolean array of X's shape (True = known), got None")
    mask = np.asarray(observed)
    if mask.dtype != np.bool_:
        raise TypeError(f"observed must be a boolean array (True = known), got dtype {mask.dtype}")
    if mask.shape != X.shape:
        raise ValueError(f"observed has shape {mask.shape}, X has shape {X.shape}: they must match")
    if not mask.any():
        raise ValueError("nothing is observed: to draw from the model use sample(); to denoise use denoise()")
    if mask.all():
        raise ValueError("everything is observed: there is nothing to complete")
    return np.ascontiguousarray(mask)


def known_values(X: Any, observed: Any, fill: float) -> Any:
    """X with its unobserved entries set to `fill` (they may hold anything, NaN included, and
    are never read), so that X can be validated; X itself when the mask does not fit it
    (check_mask then says why)."""
    mask = np.asarray(observed)
    if mask.dtype != np.bool_ or mask.shape != np.shape(X):
        return X
    return np.where(mask, np.nan_to_num(np.asarray(X, dtype=np.float64)), fill)


def _method(method: Any) -> bool:
    if method not in ("gibbs", "mean_field"):
        raise ValueError(f"method must be 'gibbs' or 'mean_field', got {method!r}")
    return method == "mean_field"


def complete_rbm(rbm: Any, X: np.ndarray, observed: Any, *, method: str = "gibbs", n_steps: int = 200,
                 burn_in: int = 50, random_state: Any = None) -> np.ndarray:
    """P(v_i = 1 | the observed v) for the unobserved entries of X (validated: rows of the RBM's
    width, in its dtype); the observed entries copied."""
    mean_field = _method(method)
    k, burn = _steps(n_steps, burn_in)
    mask = check_mask(X, observed)
    # the unobserved entries start at 1/2 (their values in X, if any, are never read)
    V0 = np.where(mask, X, X.dtype.type(0.5)).astype(X.dtype, copy=False)
    seed = 0 if mean_field else draw_seed(random_state)
    out = rbm._fn("gibbs_clamped")(*rbm._params(), np.ascontiguousarray(V0), mask.view(np.uint8), k, burn,
                                   mean_field, seed, rbm._threads())
    return out


def denoise_rbm(rbm: Any, X: np.ndarray, *, n_steps: int = 1) -> np.ndarray:
    """Mean-field reconstruction of every entry, `n_steps` times: P(v | h = P(h | v))."""
    k, _ = _steps(n_steps, 0)
    mask = np.zeros(X.shape, dtype=np.uint8)
    return rbm._fn("gibbs_clamped")(*rbm._params(), np.ascontiguousarray(X), mask, k, k - 1, True, 0,
                                    rbm._threads())


def complete_dbn(dbn: Any, X: np.ndarray, observed: Any, *, method: str = "gibbs", n_steps: int = 100,
                 burn_in: int = 20, random_state: Any = None) -> np.ndarray:
    """Up-down completion: the visible rows (observed clamped) are passed up by mean-field
    conditionals, the top RBM takes one Gibbs (or mean-field) step, the result comes back
    down; the unobserved entries' P(v = 1 | h) is averaged over steps after `burn_in`."""
    mean_field = _method(method)
    k, burn = _steps(n_steps, burn_in)
    mask = check_mask(X, observed)
    rng = np.random.default_rng(draw_seed(random_state))
    rbms = dbn.rbms_
    V = np.where(mask, X, 0.5).astype(X.dtype, copy=False)
    acc = np.zeros(X.shape, dtype=np.float64)
    for step in range(k):
        up = [V]
        for r in rbms[:-1]:
            up.append(r.transform(up[-1]).astype(X.dtype, copy=False))
        top = rbms[-1]
        h = top.transform(up[-1])
        if not mean_field:
            h = (rng.random(h.shape) < h).astype(X.dtype)
        down = top.sample_visible(h, mean=True)
        for r in reversed(rbms[:-1]):
            down = r.sample_visible(down, mean=True)
        if step >= burn:
            acc += down
        if mean_field:
            V = np.where(mask, X, down).astype(X.dtype, copy=False)
        else:
            V = np.where(mask, X, (rng.random(down.shape) < down)).astype(X.dtype, copy=False)
    return np.where(mask, X, acc / (k - burn)).astype(X.dtype, copy=False)


def complete_vae(vae: Any, X: np.ndarray, observed: Any, *, n_steps: int = 20) -> np.ndarray:
    """Iterated conditional reconstruction: decode(encode(x)) with the observed entries put back, n_steps times."""
    k, _ = _steps(n_steps, 0)
    mask = check_mask(X, observed)
    fill = np.asarray(X, dtype=np.float64).copy()
    fill[~mask] = 0.5
    x = fill
    for _ in range(k):
        x = np.where(mask, X, vae.reconstruct(x))
    return np.asarray(x)
