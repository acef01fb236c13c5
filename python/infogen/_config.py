"""Thread settings and build information."""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from infogen import _core

_num_threads = 0  # 0 means "OpenMP's default"


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def set_num_threads(n: int | None) -> int:
    """Set the number of threads infogen's kernels use by default.

    Parameters
    ----------
    n : int or None
        A positive thread count, or ``None``/``0`` to restore the default (OpenMP's,
        normally the number of available cores).

    Returns
    -------
    int
        The previous setting (0 meaning "default"), so it can be restored.

    Examples
    --------
    >>> import infogen
    >>> previous = infogen.set_num_threads(1)
    >>> infogen.get_num_threads()
    1
    >>> _ = infogen.set_num_threads(previous)
    """
    global _num_threads
    if n is None:
        n = 0
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n_threads must be a non-negative int or None, got {n!r}")
    previous, _num_threads = _num_threads, n
    return previous


def get_num_threads() -> int:
    """Return the number of threads a kernel uses when ``n_threads`` is not given."""
    return _num_threads if _num_threads > 0 else max(1, _core.default_threads())


@contextlib.contextmanager
def num_threads(n: int | None) -> Iterator[None]:
    """Context manager that sets the default thread count for the ``with`` block.

    Examples
    --------
    >>> import infogen
    >>> with infogen.num_threads(1):
    ...     infogen.get_num_threads()
    1
    """
    previous = set_num_threads(n)
    try:
        yield
    finally:
        set_num_threads(previous)


def resolve_threads(n_threads: int | None) -> int:
    """Thread count to pass to the core for a call's ``n_threads`` argument.

    ``None``, 0 and -1 mean "the default" (:func:`get_num_threads`: all available cores
    unless :func:`set_num_threads` says otherwise), as ``n_jobs=-1`` does in scikit-learn.
    NumPy integers are accepted; bools, floats and other negative values are not.
    """
    if n_threads is None:
        return get_num_threads()
    if isinstance(n_threads, (bool, np.bool_)) or not isinstance(n_threads, (int, np.integer)):
        raise TypeError(f"n_threads must be an int or None, got {type(n_threads).__name__}")
    if n_threads in (0, -1):
        return get_num_threads()
    if n_threads < -1:
        raise ValueError(f"n_threads must be a positive int, -1 (all cores) or None, got {n_threads!r}")
    return int(n_threads)


def show_config(file: Any = None) -> dict[str, Any]:
    """Print and return how infogen was built and how it will run.

    Reports the version, compiler, build type, whether OpenMP was found at build time
    (without it kernels run serially), the default thread count, the OpenMP wait policy,
    and the SIMD choice: which compiled module was imported (a portable build offers one
    per x86-64 level and imports the best the CPU runs), why (the CPU's usable features),
    and the code path each kernel family (info, ngram, rbm, vae) takes in it.

    Returns
    -------
    dict
        The same information as a dictionary; ``kernels`` maps each family to its path.
    """
    from infogen import _dispatch

    build = dict(_core.build_info)
    kernels = dict(build.pop("kernels", {}))
    choice = _dispatch.choice
    cpu = choice.get("cpu", {})
    info: dict[str, Any] = build
    info["module"] = f"infogen.{choice.get('module', '_core')}"
    info["modules_built"] = ", ".join(choice.get("offered", ["_core"]))
    info["dispatch_reason"] = choice.get("reason", "")
    level = cpu.get("x86_level", 0)
    info["cpu"] = " ".join(str(part) for part in (cpu.get("arch", ""), cpu.get("vendor", ""),
                                                  f"x86-64-v{level}" if level else "") if part)
    info["cpu_flags"] = choice.get("cpu_flags", "")
    info["simd_override"] = choice.get("requested", "") or os.environ.get(_dispatch.ENV, "")
    info["kernels"] = {family: f"{choice.get('module', '_core')}: {path}" for family, path in kernels.items()}
    info["default_threads"] = get_num_threads()
    info["available_cpus"] = _available_cpus()
    info["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY", "")
    info["python"] = sys.version.split()[0]
    import numpy

    info["numpy"] = numpy.__version__
    out = file if file is not None else sys.stdout
    rows = [(key, value) for key, value in info.items() if key != "kernels"]
    rows += [(f"kernels.{family}", path) for family, path in info["kernels"].items()]
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}} : {value}", file=out)
    return info
