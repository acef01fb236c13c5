"""`infogen demo`: the main job, on data that ships with Python and NumPy's ecosystem.

Each topic contributes a section: a function ``section(out, quick)`` that prints to
``out``. Sections are registered in ``SECTIONS`` in the order they run.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

import infogen
from infogen.ae.demo import ae_section
from infogen.info.demo import info_section
from infogen.ngram.demo import ngram_section
from infogen.rbm.demo import rbm_section
from infogen.vae.demo import vae_section

SECTIONS: dict[str, Callable[[TextIO, bool], None]] = {
    "info": info_section,
    "ngram": ngram_section,
    "rbm": rbm_section,
    "vae": vae_section,
    "ae": ae_section,
}


def run(sections: list[str] | None = None, quick: bool = False, out: TextIO | None = None) -> None:
    """Run the demo sections (all by default) and print to `out` (stdout)."""
    import sys

    out = out or sys.stdout
    names = list(SECTIONS) if not sections else sections
    unknown = [s for s in names if s not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown demo section(s) {unknown}; choose from {list(SECTIONS)}")
    print(f"infogen {infogen.__version__} demo - sections: {', '.join(names)}", file=out)
    for name in names:
        SECTIONS[name](out, quick)
