"""Shared input checks: dtypes, shapes, and turning the core's findings into messages."""
from __future__ import annotations

from typing import Any

import numpy as np

from infogen import _core

# How far a row of probabilities may be from summing to 1 before it is rejected. We never
# renormalise silently (scipy.stats.entropy does); a row outside this is an error.
SUM_TOLERANCE = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-5}

# The core's encodings of a distribution (info.hpp: enum class Input).
PROBS, LOG_PROBS, LOGITS = 0, 1, 2
_INPUT_NAMES = {PROBS: "probabilities", LOG_PROBS: "log-probabilities", LOGITS: "logits"}

# The core's problem codes (info.hpp: struct Problem).
_NAN, _NEGATIVE, _ABOVE_ONE, _INFINITE, _BAD_SUM, _NO_MASS, _OUT_OF_RANGE = range(1, 8)
#: the core's problem code for NaN (check_range, check_distribution)
NAN_CODE = _NAN


def as_float_array(x: Any, name: str) -> np.ndarray:
    """Return `x` as a float32 or float64 array without changing a float dtype.

    Integers and booleans become float64; float16 becomes float32; anything else
    (complex, object, strings) is a TypeError.
    """
    arr = np.asarray(x)
    kind = arr.dtype.kind
    if arr.dtype in (np.float32, np.float64):
        return arr
    if kind == "f" and arr.dtype.itemsize < 4:
        return arr.astype(np.float32)
    if kind in "biu":
        return arr.astype(np.float64)
    raise TypeError(f"{name} must hold real numbers (float32 or float64), got dtype {arr.dtype}")


def common_float_dtype(*arrays: np.ndarray) -> np.dtype:
    """float64 if any argument is float64, else float32."""
    return np.dtype(np.float64) if any(a.dtype == np.float64 for a in arrays) else np.dtype(np.float32)


def suffix(dtype: np.dtype) -> str:
    """Suffix of the core's per-dtype entry points."""
    return "_f64" if dtype == np.float64 else "_f32"


def core_fn(name: str, dtype: np.dtype):
    """Return the core's entry point `name` for `dtype`."""
    return getattr(_core, name + suffix(dtype))


def rows_view(x: np.ndarray, axis: int | None, name: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """Move `axis` last and view `x` as a C-contiguous (rows, n) array.

    Returns the 2-D array and the leading shape (the shape of a row-wise result). Copies
    only when `x` is not already C-contiguous with `axis` last.
    """
    if axis is None:
        x = x.reshape(1, -1) if x.size else x.reshape(1, 0)
        lead: tuple[int, ...] = ()
    else:
        if x.ndim == 0:
            raise ValueError(f"{name} must have at least one dimension, got a scalar")
        try:
            x = np.moveaxis(x, axis, -1)
        except np.exceptions.AxisError as exc:
            raise ValueError(f"{name}: axis {axis} is out of range for {x.ndim}-D input") from exc
        lead = x.shape[:-1]
    n = x.shape[-1]
    if n == 0:
        raise ValueError(f"{name} has an empty last axis (shape {x.shape}): nothing to measure")
    x2 = np.ascontiguousarray(x).reshape(-1, n)
    return x2, lead


def where(row: int, lead: tuple[int, ...]) -> str:
    """Human name of row `row` of a batch with leading shape `lead`."""
    if len(lead) <= 1:
        return f"row {row}"
    return f"row {tuple(int(i) for i in np.unravel_index(row, lead))}"


def raise_problem(problem: tuple, name: str, input_code: int, lead: tuple[int, ...], tol: float) -> None:
    """Raise a ValueError describing a problem found by the core (no-op if none)."""
    row, col, code, value = problem
    if row < 0:
        return
    at = where(row, lead)
    kind = _INPUT_NAMES.get(input_code, "values")
    if code == _NAN:
        msg = f"{name} contains NaN ({at}, position {col})"
    elif code == _NEGATIVE:
        msg = f"{name} has a negative probability {value:g} ({at}, position {col})"
    elif code == _ABOVE_ONE:
        msg = f"{name} has a log-probability above 0 ({value:g}) ({at}, position {col})"
    elif code == _INFINITE:
        msg = f"{name} has an infinite entry {value:g} ({at}, position {col}); {kind} must be finite there"
    elif code == _BAD_SUM:
        what = "probabilities" if input_code == PROBS else "exp(log-probabilities)"
        msg = (
            f"{name}: {at} does not sum to 1: its {what} sum to {value!r} "
            f"(tolerance {tol:g}); infogen never renormalises silently - normalise it, "
            "or pass logits=... to normalise in log space"
        )
    elif code == _NO_MASS:
        msg = f"{name}: {at} is entirely -inf, so it is not a distribution"
    elif code == _OUT_OF_RANGE:
        msg = f"{name} has an out-of-range value {value!r} ({at}, position {col})"
    else:  # pragma: no cover - the core has no other codes
        msg = f"{name} is invalid ({at}, code {code})"
    raise ValueError(msg)


def check_distribution(x2: np.ndarray, input_code: int, name: str, lead: tuple[int, ...],
                       n_threads: int, check_sum: bool = True) -> None:
    """Validate rows of `x2` as distributions encoded by `input_code`."""
    tol = SUM_TOLERANCE[x2.dtype] if check_sum else -1.0
    problem = core_fn("check_distribution", x2.dtype)(x2, input_code, tol, n_threads)
    raise_problem(problem, name, input_code, lead, tol)


def check_range(x2: np.ndarray, name: str, lead: tuple[int, ...], n_threads: int,
                lo: float = -np.inf, hi: float = np.inf, what: str = "") -> None:
    """Validate that every entry of `x2` is in [lo, hi] (NaN never is)."""
    row, col, code, value = core_fn("check_range", x2.dtype)(x2, lo, hi, n_threads)
    if row < 0:
        return
    at = where(row, lead)
    if code == _NAN:
        raise ValueError(f"{name} contains NaN ({at}, position {col})")
    bounds = what or f"in [{lo:g}, {hi:g}]"
    raise ValueError(f"{name} must be {bounds}, found {value!r} ({at}, position {col})")


def check_bool(value: Any, name: str) -> bool:
    """Validate a boolean flag."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)
