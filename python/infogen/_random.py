"""One seeding rule for every public ``random_state`` argument.

``random_state`` may be ``None`` (fresh entropy), an int (a fixed seed), a
``numpy.random.RandomState`` or a ``numpy.random.Generator`` (both advanced by the draw),
as in scikit-learn and NumPy. Python draws one 63-bit seed per call and the C++ core
derives a counter-based stream per work item from it, so results never depend on the
number of threads.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_random_state", "draw_seed"]

RandomLike = Any  # None | int | np.random.RandomState | np.random.Generator


def _check_int(random_state: Any) -> int | None:
    """`random_state` as a non-negative int, None if it is not an int; bools are refused."""
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError("random_state must be None, an int, a numpy RandomState or a numpy Generator, got bool")
    if isinstance(random_state, (int, np.integer)):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative int, got {random_state!r}")
        return int(random_state)
    return None


def _type_error(random_state: Any) -> TypeError:
    return TypeError("random_state must be None, an int, a numpy RandomState or a numpy Generator, "
                     f"got {type(random_state).__name__}")


def check_random_state(random_state: RandomLike) -> np.random.RandomState | np.random.Generator:
    """Turn `random_state` into a RandomState or Generator, as scikit-learn's helper does.

    An int seeds a ``RandomState`` (below 2**32, as NumPy requires) and None gives a fresh
    ``Generator``; a given RandomState or Generator is returned as is (shared, not copied).

    Raises
    ------
    TypeError
        For anything else (a bool, a float, a string...).
    ValueError
        For a negative int or one of 2**32 or more.
    """
    if isinstance(random_state, (np.random.RandomState, np.random.Generator)):
        return random_state
    if random_state is None:
        return np.random.default_rng()
    seed = _check_int(random_state)
    if seed is None:
        raise _type_error(random_state)
    if seed >= 2**32:
        raise ValueError(f"an int random_state must be below 2**32, got {random_state!r}")
    return np.random.RandomState(seed)


def draw_seed(random_state: RandomLike) -> int:
    """One 63-bit seed for the C++ core from `random_state`.

    A RandomState or Generator is advanced by one draw; an int (any size) gives the same
    seed every time; None a fresh one.
    """
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63, dtype=np.int64))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**63 - 1, dtype=np.int64))
    if random_state is None:
        return int(np.random.default_rng().integers(0, 2**63, dtype=np.int64))
    seed = _check_int(random_state)
    if seed is None:
        raise _type_error(random_state)
    return int(np.random.default_rng(seed).integers(0, 2**63, dtype=np.int64))
