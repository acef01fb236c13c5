"""Native build vs the portable build's SIMD levels, side by side on the same machine.

The rows are the benchmarks' own: bench/test_bench_info.py's infogen rows (logsumexp,
entropy, KL; float32 and float64; 10000x1000; 2 threads), bench/test_bench_rbm.py's
digits epochs (infogen, 64/256 hidden, batch 10/100, float32/float64; 5 epochs per call) and
bench/test_bench_ngram.py's counting rows (orders 1-3 of KJV from its file, with 2 threads
and 1, and of the 10^6-token Zipf corpus), on the same data, called the same way.

One worker process per configuration (the native build; the portable build once per level
this CPU runs, with INFOGEN_SIMD capping the level: two levels cannot share a process)
stays alive for the whole run. The parent interleaves the configurations finely: in every
round, each row is timed in each configuration in turn (a few calls, the fastest kept),
so a change in the machine's load hits all configurations alike. A row's figure is the
median over rounds; the table gives milliseconds per call and each level's ratio to native:

    python bench/portable_vs_native.py --native /path/to/native-venv/bin/python \\
        --portable /path/to/portable-venv/bin/python --rounds 7
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

HERE = Path(__file__).resolve().parent
KJV = HERE.parent.parent / "shared" / "data" / "kjv" / "kjv.train.txt"

INFO_ROWS = [f"info {m} {d}" for d in ("f32", "f64") for m in ("logsumexp", "entropy", "kl_divergence")]
RBM_ROWS = [f"rbm {h} {b} {d}" for h in (64, 256) for b in (10, 100) for d in ("f32", "f64")]
NGRAM_ROWS = ["ngram kjv 2t", "ngram kjv 1t", "ngram zipf 2t"]


# ------------------------------------------------------------------------------ worker side
def _worker(corpora: dict[str, str]) -> None:
    """Serve "row calls" requests on stdin: time `calls` calls of the row, print the fastest."""
    sys.path.insert(0, str(HERE))
    import numpy as np
    import test_bench_info as binfo
    import test_bench_rbm as brbm
    from infogen import NGramCounts, _dispatch

    made: dict[str, object] = {}

    def make(row: str):
        kind, *rest = row.split()
        if kind == "info":
            measure, dt = rest
            x, p, q = binfo.data((10_000, 1_000), np.dtype(np.float32 if dt == "f32" else np.float64))
            return binfo.infogen_call(measure, x, p, q, 2)
        if kind == "rbm":
            hidden, batch, dt = int(rest[0]), int(rest[1]), brbm.DTYPES[rest[2]]
            X = brbm.digits(dt)
            return lambda: brbm.run_epoch("infogen", X, hidden, batch, 0, brbm.DIGITS_EPOCHS)
        corpus, threads = rest
        path = corpora[corpus]
        return lambda: NGramCounts.from_file(path, 3, n_threads=int(threads[0]))

    print(json.dumps({"module": _dispatch.choice.get("module")}), flush=True)
    for line in sys.stdin:
        row, calls = line.rsplit(" ", 1)
        if row not in made:
            made.clear()  # one row's data in memory at a time
            made[row] = make(row)
            made[row]()  # warm-up
        fn = made[row]
        best = float("inf")
        for _ in range(int(calls)):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        print(json.dumps(best), flush=True)


# ------------------------------------------------------------------------------ parent side
class Worker:
    def __init__(self, python: str, simd: str | None, corpora: dict[str, str]):
        env = {k: v for k, v in os.environ.items() if k != "INFOGEN_SIMD"}
        if simd:
            env["INFOGEN_SIMD"] = simd
        self.proc = subprocess.Popen([python, __file__, "--worker", json.dumps(corpora)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env, cwd=HERE.parent)
        self.module = json.loads(self.proc.stdout.readline())["module"]

    def time(self, row: str, calls: int) -> float:
        self.proc.stdin.write(f"{row} {calls}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def levels(python: str) -> list[str]:
    """The INFOGEN_SIMD levels the portable build at `python` offers and this CPU runs."""
    code = ("import json, infogen; from infogen import _dispatch as d; c = d.choice; lv = c['cpu']['x86_level']; "
            "print(json.dumps([n for n, m, need in d.LEVELS if m in c['offered'] and need <= lv]))")
    env = {k: v for k, v in os.environ.items() if k != "INFOGEN_SIMD"}
    out = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        _worker(json.loads(sys.argv[2]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--native", required=True, help="python of an environment with the native build")
    ap.add_argument("--portable", required=True, action="append",
                    help="python of an environment with the portable build (repeat to compare builds: the second "
                         "one's columns are named level#2, ...)")
    ap.add_argument("--levels", default="", help="comma-separated levels to run (default: every level the CPU runs)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--calls", type=int, default=3, help="calls per row, configuration and round (fastest kept)")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from zipf_corpus import write_zipf_corpus

    with tempfile.TemporaryDirectory() as tmp:
        zipf = Path(tmp) / "zipf.txt"
        write_zipf_corpus(zipf, 1_000_000)
        corpora = {"zipf": str(zipf)}
        rows = INFO_ROWS + RBM_ROWS + NGRAM_ROWS[2:]
        if KJV.exists():
            corpora["kjv"] = str(KJV)
            rows = INFO_ROWS + RBM_ROWS + NGRAM_ROWS
        configs = [("native", args.native, None)]
        for i, python in enumerate(args.portable):
            for lv in levels(python):
                if not args.levels or lv in args.levels.split(","):
                    configs.append((lv if i == 0 else f"{lv}#{i + 1}", python, lv))
        workers = {name: Worker(python, simd, corpora) for name, python, simd in configs}
        names = list(workers)
        samples: dict[str, dict[str, list[float]]] = {n: {row: [] for row in rows} for n in names}
        start = time.time()
        load0 = os.getloadavg()[0]
        for r in range(args.rounds):
            for row in rows:
                order = names[r % len(names):] + names[:r % len(names)]  # rotate who goes first
                for name in order:
                    samples[name][row].append(workers[name].time(row, args.calls))
            print(f"round {r + 1}/{args.rounds} done, {time.time() - start:.0f} s", file=sys.stderr)
        for w in workers.values():
            w.close()
    modules = ", ".join(f"{n} = {w.module}" for n, w in workers.items())
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(start))}, {args.rounds} rounds x {args.calls} calls "
          f"(fastest call per round, median over rounds), load average {load0:.1f} -> {os.getloadavg()[0]:.1f}; "
          f"{modules}\n")
    print("| row | " + " | ".join(f"{n} ms" for n in names) + " | " + " | ".join(f"{n} / native" for n in names[1:])
          + " |")
    print("|---" * (2 * len(names)) + "|")
    for row in rows:
        med = {n: statistics.median(samples[n][row]) for n in names}
        cells = [f"{med[n] * 1e3:.2f}" for n in names] + [f"{med[n] / med['native']:.2f}" for n in names[1:]]
        print(f"| {row} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
