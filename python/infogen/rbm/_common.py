"""Shared pieces of the RBM family: file formats, parameter checks, random-state and .npz helpers."""
from __future__ import annotations

import json
import math
import os
import tempfile
import zipfile
from typing import Any

import numpy as np

_FORMAT = "infogen.BernoulliRBM"
_FORMAT_VERSION = 1
_DBN_FORMAT = "infogen.DBN"
_DTYPES = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64)}
# Exact log-likelihood is tracked in the training history when the smaller layer has at
# most this many units (2^16 states: milliseconds).
_HISTORY_EXACT_UNITS = 16
# Rows of the training data used for the per-epoch history.
_HISTORY_ROWS = 500
# log_likelihood(method="auto") uses the exact log-likelihood up to this many units, AIS above.
_AUTO_EXACT_UNITS = 20




def _check_number(name: str, value: Any, lo: float, hi: float = math.inf, *, integer: bool = False,
                  lo_open: bool = False) -> None:
    types = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, types):
        kind = "an int" if integer else "a number"
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    ok = (value > lo if lo_open else value >= lo) and value <= hi and math.isfinite(float(value))
    if not ok:
        bracket = "(" if lo_open else "["
        raise ValueError(f"{name} must be in {bracket}{lo:g}, {hi:g}], got {value!r}")


def _rng_state(rs: np.random.RandomState | np.random.Generator) -> dict:
    """Return the state of a RandomState or Generator as JSON-able data (for ``.npz`` files)."""
    if isinstance(rs, np.random.RandomState):
        state = rs.get_state(legacy=False)
        kind = "RandomState"
    else:
        state = rs.bit_generator.state
        kind = "Generator"

    def plain(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        if isinstance(x, np.ndarray):
            return {"__array__": x.tolist(), "dtype": str(x.dtype)}
        return x.item() if isinstance(x, np.generic) else x

    return {"kind": kind, "state": plain(state)}


def _rng_from_state(saved: dict) -> np.random.RandomState | np.random.Generator:
    """Rebuild what :func:`_rng_state` described."""
    def arrays(x: Any) -> Any:
        if isinstance(x, dict):
            if "__array__" in x:
                return np.array(x["__array__"], dtype=x["dtype"])
            return {k: arrays(v) for k, v in x.items()}
        return x

    state = arrays(saved["state"])
    if saved["kind"] == "RandomState":
        rs = np.random.RandomState()
        rs.set_state(state)
        return rs
    name = state["bit_generator"]
    if name not in ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"):
        raise ValueError(f"unknown bit generator {name!r}")
    bitgen = getattr(np.random, name)()
    bitgen.state = state
    return np.random.Generator(bitgen)


def _writeable(a: np.ndarray) -> np.ndarray:
    """Return `a` if the core can update it in place, else a C-contiguous writeable copy.

    (joblib's ``mmap_mode="r"`` restores arrays read-only.)
    """
    if a.flags.writeable and a.flags.c_contiguous and type(a) is np.ndarray:
        return a
    return np.array(a, order="C", copy=True)


def _atomic_savez(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """Write an .npz atomically: temp file in the same directory, fsync, os.replace."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _read_npz(path: str | os.PathLike, what: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Metadata and arrays of an infogen ``.npz`` model file, read without pickle."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no saved {what} at {os.fspath(path)!r}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{os.fspath(path)!r} is not a readable infogen {what} file: {exc}") from exc
    if "metadata" not in arrays:
        raise ValueError(f"{os.fspath(path)!r} is not a saved infogen {what} (no metadata)")
    return json.loads(str(arrays.pop("metadata"))), arrays
