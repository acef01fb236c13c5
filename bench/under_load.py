"""Threads under load: does a 2-thread run degrade when another process saturates a core?

Starts a busy-looping process pinned to one core, then times each kernel with 1 and with
2 threads (median of repeated runs, interleaved so both see the same load). OpenMP teams
that spin while waiting can make the 2-thread run many times slower than the 1-thread run
under such contention; infogen waits passively and hands out chunks dynamically, so the
2-thread run should stay within 1.5x of the 1-thread run.

Usage: python bench/under_load.py [--repeats 15] [--json out.json]
"""
import argparse
import json
import multiprocessing as mp
import os
import statistics
import time

import infogen
import numpy as np


def _spin(core: int) -> None:
    try:
        os.sched_setaffinity(0, {core})
    except (AttributeError, OSError):
        pass
    x = 0
    while True:
        x += 1


def _time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10_000, 1_000))
    p, q = infogen.softmax(x), infogen.softmax(rng.normal(size=x.shape))
    x32 = x.astype(np.float32)
    kernels = {
        "logsumexp f64 10000x1000": lambda t: infogen.logsumexp(x, n_threads=t),
        "logsumexp f32 10000x1000": lambda t: infogen.logsumexp(x32, n_threads=t),
        "kl_divergence f64 10000x1000": lambda t: infogen.kl_divergence(p, q, n_threads=t),
        "entropy(logits) f64 10000x1000": lambda t: infogen.entropy(logits=x, n_threads=t),
    }
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    results = {}
    for loaded in (False, True):
        busy = None
        if loaded:
            busy = mp.Process(target=_spin, args=(cores[-1],), daemon=True)
            busy.start()
            time.sleep(0.5)
        try:
            for name, fn in kernels.items():
                fn(2)  # warm up
                one, two = [], []
                for _ in range(args.repeats):  # interleave so both see the same load
                    one.append(_time(lambda: fn(1), 1))
                    two.append(_time(lambda: fn(2), 1))
                t1, t2 = statistics.median(one), statistics.median(two)
                results[(name, loaded)] = (t1, t2)
                state = "other core busy" if loaded else "quiet          "
                print(f"{state} {name:32s} 1 thread {t1 * 1e3:7.2f} ms   2 threads {t2 * 1e3:7.2f} ms   "
                      f"2t/1t = {t2 / t1:.2f}", flush=True)
        finally:
            if busy is not None:
                busy.terminate()
                busy.join()
    worst = max(t2 / t1 for (_, loaded), (t1, t2) in results.items() if loaded)
    print(f"worst 2-thread / 1-thread ratio under load: {worst:.2f} (rule: <= 1.5)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{k[0]} | {'loaded' if k[1] else 'quiet'}": v for k, v in results.items()}, f, indent=1)


if __name__ == "__main__":
    main()
