"""Typed stub for infogen._cpuinfo (private: CPU detection for the SIMD dispatch)."""
from typing import Any

def features() -> dict[str, Any]: ...
