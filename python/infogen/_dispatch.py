"""Import the compiled core that suits this CPU, as ``infogen._core``.

A native source install has one extension module, ``infogen._core``, compiled for the
building CPU (``-march=native``). A portable build (``INFOGEN_NATIVE=OFF``, the wheels)
has one module per x86-64 level, compiled from the same sources with different flags:

============  ====================  ==========================================
``INFOGEN_SIMD``  module            compiled for
============  ====================  ==========================================
``avx512``    ``_core_v4``          x86-64-v4: AVX-512 F/BW/CD/DQ/VL, AVX2, FMA
``avx2``      ``_core_v3``          x86-64-v3: AVX2, FMA, BMI1/2, F16C, MOVBE
``baseline``  ``_core_baseline``    x86-64 (SSE2), or the architecture's baseline
============  ====================  ==========================================

The best module the CPU (and its operating system) can run is imported, as told by
``infogen._cpuinfo`` (cpuid and xgetbv, compiled for the baseline). Every other module
of the package keeps writing ``from infogen import _core``. The levels are whole modules,
never translation units mixed in one library, so no inline function compiled for one
level can be picked by the linker for another.

The environment variable ``INFOGEN_SIMD`` (``baseline``, ``avx2`` or ``avx512``) caps the
level, to test a lower path on a faster machine; it is read here, in Python, only. A cap
above what the CPU runs falls back to the best level the CPU runs, with a warning.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import warnings
from types import ModuleType
from typing import Any

#: (INFOGEN_SIMD name, module, x86-64 level it needs), best first.
LEVELS: tuple[tuple[str, str, int], ...] = (
    ("avx512", "_core_v4", 4),
    ("avx2", "_core_v3", 3),
    ("baseline", "_core_baseline", 0),
)
ENV = "INFOGEN_SIMD"

#: What the import chose and why; show_config() reports it.
choice: dict[str, Any] = {}


def _exists(module: str) -> bool:
    return importlib.util.find_spec(f"infogen.{module}") is not None


def _cpu() -> dict[str, Any]:
    try:
        from infogen import _cpuinfo
    except ImportError as exc:  # pragma: no cover - only in a broken install
        return {"arch": "unknown", "vendor": "", "flags": {}, "x86_level": 0, "error": str(exc)}
    return dict(_cpuinfo.features())


def _requested() -> str | None:
    value = os.environ.get(ENV, "").strip().lower()
    if not value:
        return None
    names = [name for name, _, _ in LEVELS]
    if value not in names:
        raise ValueError(f"{ENV}={os.environ[ENV]!r} is not a SIMD level: use one of {', '.join(names)} (or unset it)")
    return value


def load() -> ModuleType:
    """Import the best compiled core for this CPU and register it as ``infogen._core``."""
    requested = _requested()
    cpu = _cpu()
    flags = cpu.get("flags", {})
    found = sorted(name for name, on in flags.items() if on and not name.startswith("os_"))
    choice.clear()
    choice.update(cpu=cpu, cpu_flags=" ".join(found), requested=requested or "")

    if _exists("_core"):  # a single build: native, or dispatch switched off
        module = importlib.import_module("infogen._core")
        choice.update(offered=["_core"], module="_core",
                      reason=f"single-module build ({module.build_info['level']}); no run-time dispatch")
        if requested is not None:
            warnings.warn(f"{ENV}={requested} has no effect: this build of infogen has one module "
                          "(build it with -Ccmake.define.INFOGEN_NATIVE=OFF for one module per SIMD level)",
                          RuntimeWarning, stacklevel=3)
        return module

    offered = [(name, module, need) for name, module, need in LEVELS if _exists(module)]
    if not offered:
        raise ImportError("no compiled core found (neither infogen._core nor infogen._core_<level>)")
    level = int(cpu.get("x86_level", 0))
    runnable = [entry for entry in offered if entry[2] <= level]
    if not runnable:  # pragma: no cover - a baseline module is always built
        raise ImportError(f"no compiled core of this build runs on this CPU (offered: {[m for _, m, _ in offered]})")
    best = runnable[0]
    if level == 0:
        why = f"{cpu.get('arch', 'this architecture')}: only the baseline module is built"
    else:
        why = f"CPU is x86-64-v{level}" + (f" ({'AVX-512' if level >= 4 else 'AVX2+FMA' if level == 3 else 'no AVX2'})")
    if requested is not None:
        rank = [name for name, _, _ in LEVELS]
        need = LEVELS[rank.index(requested)][2]
        if need > level:
            warnings.warn(f"{ENV}={requested} asks for more than this CPU runs; using {best[0]}",
                          RuntimeWarning, stacklevel=3)
            why += f"; {ENV}={requested} is above what the CPU runs"
        else:
            best = [entry for entry in runnable if rank.index(entry[0]) >= rank.index(requested)][0]
            why += f"; capped by {ENV}={requested}" if best[0] == requested else \
                f"; {ENV}={requested} is not built here, using {best[0]}"
    name, module_name, _ = best
    module = importlib.import_module(f"infogen.{module_name}")
    sys.modules["infogen._core"] = module
    choice.update(offered=[m for _, m, _ in offered], module=module_name, simd=name, reason=why)
    return module
