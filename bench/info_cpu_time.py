"""CPU time per element, one thread, minimum of repeats: infogen against scipy.special.

The minimum of process CPU time is what survives a shared, loaded machine (wall-clock
medians there swing 2x between runs): this is how two builds, or infogen and scipy, are
compared on it. Inputs are the benchmark's (bench/test_bench_info.py): standard-normal
logits and softmax rows of them; every result is checked against scipy's.

Usage: python bench/info_cpu_time.py [repeats] [--logsumexp-only]
"""
import sys
import time

import infogen
import numpy as np
import scipy.special

SHAPES = [(100_000, 100), (10_000, 1_000), (1_000, 100_000)]


def cpu_ns(fn, elements, reps):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times) / elements * 1e9


def main(reps: int, logsumexp_only: bool) -> None:
    print("| measure, shape, dtype | infogen 1t ns/elem | scipy ns/elem | scipy / infogen |")
    print("|---|---|---|---|")
    for shape in SHAPES:
        for dtype in (np.float32, np.float64):
            rng = np.random.default_rng(0)
            x = rng.normal(size=shape).astype(dtype)
            p = infogen.softmax(x)
            q = infogen.softmax(rng.normal(size=shape).astype(dtype))
            cases = {"logsumexp": (lambda: infogen.logsumexp(x, n_threads=1),
                                   lambda: scipy.special.logsumexp(x, axis=-1))}
            if not logsumexp_only:
                cases.update({
                    "rel_entr": (lambda: infogen.rel_entr(p, q, n_threads=1), lambda: scipy.special.rel_entr(p, q)),
                    "kl_div": (lambda: infogen.kl_div(p, q, n_threads=1), lambda: scipy.special.kl_div(p, q)),
                    "entr": (lambda: infogen.entr(p, n_threads=1), lambda: scipy.special.entr(p)),
                })
            for name, (ours, theirs) in cases.items():
                f32 = dtype == np.float32  # (kl_div's -x + y cancels: absolute slack too)
                np.testing.assert_allclose(ours(), theirs(), rtol=1e-4 if f32 else 1e-12, atol=1e-9 if f32 else 1e-15)
                a = cpu_ns(ours, x.size, reps)
                b = cpu_ns(theirs, x.size, max(3, reps // 5))
                print(f"| {name} {shape[0]}x{shape[1]} {np.dtype(dtype).name} | {a:.2f} | {b:.2f} | {b / a:.1f}x |",
                      flush=True)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 15, "--logsumexp-only" in sys.argv)
