"""Native build vs the portable build's SIMD levels, side by side on the same machine.

Runs the same pytest-benchmark rows (information kernels at 10000x1000, RBM epochs on the
digits, n-gram counting) once per configuration and round, interleaving the configurations
so that a change in the machine's load hits them all alike, and prints a markdown table of
the medians (median over rounds of each run's median) and each level's ratio to native:

    python bench/portable_vs_native.py --native /path/to/native-venv/bin/python \\
        --portable /path/to/portable-venv/bin/python --rounds 3

The portable interpreter is run once per level it offers on this CPU, with INFOGEN_SIMD
capping the level (avx512, avx2, baseline).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ["bench/test_bench_info.py", "bench/test_bench_rbm.py", "bench/test_bench_ngram.py"]
SELECT = ("(test_infogen and 10000x1000 and 2t and not js_divergence) or (test_epoch_digits and infogen) "
          "or test_count_infogen")


def levels(python: str) -> list[str]:
    """The INFOGEN_SIMD levels the portable build at `python` offers and this CPU runs."""
    code = ("import json, infogen; from infogen import _dispatch as d; c = d.choice; lv = c['cpu']['x86_level']; "
            "print(json.dumps([n for n, m, need in d.LEVELS if m in c['offered'] and need <= lv]))")
    env = {k: v for k, v in os.environ.items() if k != "INFOGEN_SIMD"}
    out = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(python: str, simd: str | None) -> dict[str, float]:
    """Median seconds of every selected benchmark, from one pytest run."""
    env = {k: v for k, v in os.environ.items() if k != "INFOGEN_SIMD"}
    if simd:
        env["INFOGEN_SIMD"] = simd
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *FILES, "-k", SELECT,
                        "--benchmark-only", f"--benchmark-json={out}"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        data = json.loads(out.read_text())
    return {b["fullname"].split("::", 1)[1]: b["stats"]["median"] for b in data["benchmarks"]}


def label(row: str) -> str:
    return (row.replace("test_infogen[", "info ").replace("test_epoch_digits[", "rbm epoch digits ")
            .replace("test_count_infogen_", "ngram count ").rstrip("]").replace("-", " "))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--native", required=True, help="python of an environment with the native build")
    ap.add_argument("--portable", required=True, help="python of an environment with the portable build")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    configs = [("native", args.native, None)] + [(lv, args.portable, lv) for lv in levels(args.portable)]
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in configs}
    start = time.time()
    for r in range(args.rounds):
        for name, python, simd in configs:
            t0 = time.time()
            results[name].append(run(python, simd))
            print(f"round {r + 1}/{args.rounds} {name}: {time.time() - t0:.0f} s", file=sys.stderr)
    medians = {name: {row: statistics.median(rnd[row] for rnd in rounds) for row in rounds[0]}
               for name, rounds in results.items()}
    names = [name for name, _, _ in configs]
    print(f"{args.rounds} rounds, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(start))}, "
          f"load average {os.getloadavg()[0]:.1f} at the end\n")
    head = "| row | " + " | ".join(f"{n} (ms)" for n in names) + " | " + \
        " | ".join(f"{n} / native" for n in names[1:]) + " |"
    print(head)
    print("|" + "---|" * (1 + 2 * len(names) - 1))
    for row in medians["native"]:
        base = medians["native"][row]
        cells = [f"{medians[n][row] * 1e3:.2f}" for n in names]
        ratios = [f"{medians[n][row] / base:.2f}" for n in names[1:]]
        print(f"| {label(row)} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
