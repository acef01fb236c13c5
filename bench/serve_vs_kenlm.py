"""Whole-process load + score: ``infogen ngram score`` on .ngram files vs KenLM's ``query``.

    python bench/serve_vs_kenlm.py MODEL.arpa TEST.txt [--runs 5] [--kenlm-bin DIR]

Converts the ARPA file to infogen's .ngram (double and float precision) and to KenLM's
probing binary (``build_binary probing``), then runs, interleaved and `--runs` times each,
``infogen ngram score X.ngram TEST`` and ``query -v summary X.probing < TEST``, reading
each process's wall time and peak resident memory (``/usr/bin/time``), and prints the
medians and the ratios to KenLM with the perplexities (which must agree to 1e-6).
The issue's setup: ``python bench/big_corpus.py --copies 26 kjv.train.txt train26.txt``,
``infogen ngram build train26.txt -o 4 -s kn --output kn4.arpa`` and as test the first 10
suffixed copies of kjv.test.txt (``big_corpus.copy_lines``).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys


def timed(cmd: list[str], stdin: str | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout+stderr) of one run of `cmd`."""
    fmt = "@@%e %M"
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as f:
        out = subprocess.run(["/usr/bin/time", "-f", fmt, *cmd], stdin=f, capture_output=True, text=True, check=True)
    m = re.search(r"@@([\d.]+) (\d+)", out.stderr)
    return float(m.group(1)), int(m.group(2)) / 1024, out.stdout + out.stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("arpa")
    ap.add_argument("test")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--kenlm-bin", default=os.environ.get("KENLM_BIN", ""))
    args = ap.parse_args()
    base = os.path.splitext(args.arpa)[0]
    tool = lambda name: os.path.join(args.kenlm_bin, name) if args.kenlm_bin else shutil.which(name)  # noqa: E731
    infogen = [sys.executable, "-m", "infogen"]
    for prec, suffix in (("double", ".ngram"), ("float", ".f.ngram")):
        if not os.path.exists(base + suffix):
            subprocess.run([*infogen, "ngram", "convert", args.arpa, base + suffix, "--precision", prec], check=True)
    if not os.path.exists(base + ".probing"):
        subprocess.run([tool("build_binary"), "probing", args.arpa, base + ".probing"], check=True,
                       capture_output=True)
    runs: dict[str, list[tuple[float, float]]] = {}
    ppl: dict[str, float] = {}
    cmds = {
        "KenLM query, probing binary": ([tool("query"), "-v", "summary", base + ".probing"], args.test,
                                        r"Perplexity including OOVs:\s*([\d.]+)"),
        "infogen ngram score, .ngram (double)": ([*infogen, "ngram", "score", base + ".ngram", args.test], None,
                                                 r"perplexity ([\d.]+)"),
        "infogen ngram score, .ngram (float)": ([*infogen, "ngram", "score", base + ".f.ngram", args.test], None,
                                                r"perplexity ([\d.]+)"),
    }
    for _ in range(args.runs):
        for name, (cmd, stdin, pat) in cmds.items():
            t, mem, text = timed(cmd, stdin)
            runs.setdefault(name, []).append((t, mem))
            ppl[name] = float(re.search(pat, text).group(1))
    ref_t = statistics.median(t for t, _ in runs["KenLM query, probing binary"])
    ref_m = statistics.median(m for _, m in runs["KenLM query, probing binary"])
    sizes = {"KenLM query, probing binary": base + ".probing", "infogen ngram score, .ngram (double)": base + ".ngram",
             "infogen ngram score, .ngram (float)": base + ".f.ngram"}
    print("| load + score | time (median, range) | peak memory | file | time / KenLM | memory / KenLM | perplexity |")
    print("|---|---|---|---|---|---|---|")
    for name, rs in runs.items():
        t = statistics.median(x for x, _ in rs)
        m = statistics.median(x for _, x in rs)
        lo, hi = min(x for x, _ in rs), max(x for x, _ in rs)
        print(f"| {name} | {t:.2f} s ({lo:.2f}-{hi:.2f}) | {m:,.0f} MB | {os.path.getsize(sizes[name]) / 2**20:,.0f} MB"
              f" | {t / ref_t:.2f}x | {m / ref_m:.2f}x | {ppl[name]:.4f} |")
    first = next(iter(ppl.values()))
    assert all(abs(p - first) <= 1e-6 * first for p in ppl.values()), ppl


if __name__ == "__main__":
    main()
