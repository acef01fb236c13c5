"""Text output of the demos: section headings, and images drawn without matplotlib."""
from __future__ import annotations

from typing import TextIO

import numpy as np

__all__ = ["ascii_images", "heading"]


def heading(out: TextIO, title: str) -> None:
    """Print a demo section's heading: a blank line, then ``== title ====...``."""
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)), file=out)


def ascii_images(images: np.ndarray, shape: tuple[int, int] = (8, 8), per_row: int = 10,
                 chars: str = " .:#", width: int = 1) -> str:
    """Render rows of pixel values in [0, 1] as ASCII art, side by side.

    `chars` runs from blank (0) to full ink (1); each pixel takes `width` characters;
    `per_row` images go side by side.

    Examples
    --------
    >>> print(ascii_images(np.array([[0, 1, 1, 0]]), shape=(2, 2)))
     #
    #
    """
    images = np.asarray(images, dtype=np.float64).reshape(-1, shape[0] * shape[1])
    levels = np.clip((images * (len(chars) - 1)).round().astype(int), 0, len(chars) - 1)
    lines = []
    for start in range(0, len(images), per_row):
        group = levels[start:start + per_row].reshape(-1, *shape)
        for r in range(shape[0]):
            lines.append("  ".join("".join(chars[x] * width for x in img[r]) for img in group).rstrip())
        lines.append("")
    return "\n".join(lines).rstrip("\n")
