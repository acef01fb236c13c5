"""Shared input checks: dtypes, shapes, and turning the core's findings into messages.

One rule each, one message each (issue 22 items 14 and 15):

* ``axis`` is an int, a tuple of ints or None (all axes); NumPy integers count as ints,
  bools, floats and strings do not (TypeError); an axis out of range or given twice is a
  ValueError.
* ``nan_policy`` is ``"propagate"``, ``"raise"`` or ``"omit"``, with scipy's meaning.
* numbers (``base``, ...) may be Python or NumPy scalars; bools and strings are TypeErrors.
* flags (``return_grad``, ``keepdims``, ``validate``, ...) must be bools.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass
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


NAN_POLICIES = ("propagate", "raise", "omit")


def _axis_int(a: Any) -> int:
    if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
        raise TypeError
    return operator.index(a)


def check_axis(axis: Any, ndim: int, name: str = "axis") -> tuple[int, ...]:
    """Normalise `axis` (int, tuple of ints or None) to a tuple of non-negative axes.

    ``None`` means every axis. Anything else (a float, a bool, a string) is a TypeError;
    an axis out of range for `ndim` dimensions, or given twice, is a ValueError.
    """
    if axis is None:
        return tuple(range(ndim))
    try:
        axes = [_axis_int(a) for a in axis] if isinstance(axis, (tuple, list)) else [_axis_int(axis)]
    except TypeError:
        raise TypeError(f"{name} must be an int, a tuple of ints or None, got {axis!r} "
                        f"({type(axis).__name__})") from None
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{name} {a} is out of range for {ndim}-D input")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{name} {tuple(axis)!r} names an axis twice")
    return tuple(out)


def check_nan_policy(nan_policy: Any) -> str:
    """Validate `nan_policy` (scipy's three values)."""
    if not isinstance(nan_policy, str) or nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy must be 'propagate', 'raise' or 'omit', got {nan_policy!r}")
    return nan_policy


def check_real(value: Any, name: str) -> float:
    """Validate a real number: a Python or NumPy int or float (not a bool or a string)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    return float(value)


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """Validate a string option."""
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}, got {value!r}")
    return value


def log_base(base: Any) -> float:
    """``ln(base)`` for a logarithm base: positive, finite and not 1 (None means e)."""
    if base is None:
        return 1.0
    if isinstance(base, (bool, np.bool_)) or not isinstance(base, (int, float, np.integer, np.floating)):
        raise TypeError(f"base must be a number such as 2, e or 10, got {base!r} ({type(base).__name__})")
    b = float(base)
    if not (b > 0 and b != 1 and math.isfinite(b)):
        raise ValueError(f"base must be positive, finite and not 1, got {base!r}")
    return math.log(b)


@dataclass
class Rows:
    """An array viewed as C-contiguous rows: the reduced axes flattened last.

    `x2` has shape (prod(lead), n); `lead` is the shape of a per-row result (the kept
    axes in order), `axes` the reduced axes, `shape` the original shape.
    """

    x2: np.ndarray
    lead: tuple[int, ...]
    axes: tuple[int, ...]
    shape: tuple[int, ...]

    @property
    def n(self) -> int:
        """Entries per row."""
        return self.x2.shape[1]

    def _perm(self) -> list[int]:
        return [i for i in range(len(self.shape)) if i not in self.axes] + list(self.axes)

    def result(self, out: np.ndarray, keepdims: bool = False) -> Any:
        """Shape a per-row result like the input without the reduced axes (kept as 1s)."""
        if keepdims:
            return out.reshape([1 if i in self.axes else d for i, d in enumerate(self.shape)])
        return out.reshape(self.lead)[()]

    def full(self, out2: np.ndarray) -> np.ndarray:
        """Shape a (rows, n) elementwise result like the input."""
        perm = self._perm()
        return np.transpose(out2.reshape([self.shape[i] for i in perm]), np.argsort(perm))


def to_rows(x: np.ndarray, axis: Any, name: str, allow_empty: bool = False) -> Rows:
    """View `x` as rows along `axis` (int, tuple of ints or None: see check_axis).

    Copies only when the reduced axes are not already last and C-contiguous. An empty
    row is a ValueError unless `allow_empty`.
    """
    axes = check_axis(axis, x.ndim)
    kept = [i for i in range(x.ndim) if i not in axes]
    lead = tuple(x.shape[i] for i in kept)
    n = math.prod(x.shape[i] for i in axes)
    if n == 0 and not allow_empty:
        raise ValueError(f"{name} has an empty axis to reduce (shape {x.shape}): nothing to measure")
    xt = np.transpose(x, kept + list(axes)) if x.ndim else x
    x2 = np.ascontiguousarray(xt).reshape(math.prod(lead), n)
    return Rows(x2, lead, axes, tuple(x.shape))


def rows_view(x: np.ndarray, axis: Any, name: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """Move `axis` (int, tuple of ints or None) last and view `x` as a C-contiguous (rows, n) array.

    Returns the 2-D array and the leading shape (the shape of a row-wise result). Copies
    only when `x` is not already C-contiguous with `axis` last.
    """
    r = to_rows(x, axis, name)
    return r.x2, r.lead


def nan_rows(*arrays: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows (of 2-D arrays of the same shape) holding a NaN anywhere."""
    mask = np.zeros(arrays[0].shape[0], dtype=bool)
    for a in arrays:
        mask |= np.isnan(a).any(axis=1)
    return mask


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
