"""The issue's 10^8-token corpus: line-shuffled, copy-suffixed copies of the KJV training text.

    python bench/big_corpus.py [--copies N] [--plain] [--shards S] SRC DST

With the default 120 copies the output is byte for byte that of
/work/shared/data/kjv/make_big_corpus.py (copy i, 0-based, has its lines shuffled by
random.Random(1000 + i) and, unless --plain, every token suffixed "_<i>"; 772,505,040 bytes).
Fewer copies give a prefix of it (the first N copies). With --shards S the copies go,
in order, into S files DST.0 .. DST.{S-1} (split as evenly as possible) whose
concatenation is the single-file output.
"""
from __future__ import annotations

import argparse
import random


def copy_lines(lines: list[str], i: int, plain: bool = False) -> str:
    """Copy number i of the corpus as text (each line ending in a newline)."""
    copy = lines[:]
    random.Random(1000 + i).shuffle(copy)
    if not plain:
        suffix = f"_{i}"
        copy = [" ".join(w + suffix for w in line.split()) for line in copy]
    return "\n".join(copy) + "\n"


def write_big_corpus(src: str, dst: str, copies: int = 120, plain: bool = False, shards: int = 1) -> list[str]:
    """Write the corpus (or `shards` consecutive pieces of it); returns the paths written."""
    with open(src, encoding="utf-8") as f:
        lines = f.read().splitlines()
    bounds = [round(s * copies / shards) for s in range(shards + 1)]
    paths = [dst] if shards == 1 else [f"{dst}.{s}" for s in range(shards)]
    for s, path in enumerate(paths):
        with open(path, "w", encoding="utf-8") as out:
            for i in range(bounds[s], bounds[s + 1]):
                out.write(copy_lines(lines, i, plain))
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--copies", type=int, default=120)
    ap.add_argument("--plain", action="store_true")
    ap.add_argument("--shards", type=int, default=1)
    a = ap.parse_args()
    for p in write_big_corpus(a.src, a.dst, a.copies, a.plain, a.shards):
        print(p)


if __name__ == "__main__":
    main()
