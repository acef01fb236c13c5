"""RBM training speed: seconds per epoch, infogen vs scikit-learn vs a NumPy reference.

Same data, hidden units, PCD-1, batch size and learning rate for every implementation.
Each benchmark times ``fit`` with EPOCHS passes (5 on digits, so set-up is amortised; 1
on the stand-in), so seconds per epoch = median / EPOCHS (infogen with its default arguments), and
asserts that the trained parameters are finite and moved, and infogen's ``transform``
equals the NumPy reference on the trained parameters.

Sizes: digits (1500 x 64 binarised, 64 and 256 hidden, batch 10 and 100) always; the
MNIST-sized binary stand-in (500 hidden, batch 100) has 2,000 rows by default (fast for
the CI smoke run) and 60,000 x 784 with ``INFOGEN_BENCH_FULL=1``.

Threads under load: ``python bench/test_bench_rbm.py load`` times one epoch with 1 and 2
threads while another process keeps one core busy (see bench/README.md).

CPU time at one thread: ``python bench/test_bench_rbm.py cpu`` measures the CPU seconds per
epoch (``time.process_time``) of infogen and scikit-learn, both limited to one thread, for
every configuration -- the work each does, which a shared machine's load barely changes.
"""
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from infogen import BernoulliRBM
from infogen.datasets import load_digits
from infogen.reference import rbm as ref
from sklearn.neural_network import BernoulliRBM as SkRBM

FULL = os.environ.get("INFOGEN_BENCH_FULL", "") not in ("", "0")
STANDIN_ROWS = 60_000 if FULL else 2_000
DTYPES = {"f32": np.float32, "f64": np.float64}
IMPLS = ["infogen", "sklearn", "numpy"]
DIGITS_EPOCHS = 5


def digits(dtype):
    return np.ascontiguousarray(load_digits(binary=True)[0], dtype=dtype)


def standin(dtype, rows=STANDIN_ROWS):
    """Binary images with MNIST's shape and sparsity (~13% on), from strokes of a seeded generator."""
    rng = np.random.default_rng(0)
    proto = (rng.random((10, 784)) < 0.13)
    labels = rng.integers(0, 10, rows)
    flip = rng.random((rows, 784)) < 0.05
    return np.ascontiguousarray(proto[labels] ^ flip, dtype=dtype)


def run_epoch(impl, X, n_hidden, batch_size, seed=0, epochs=1):
    if impl == "infogen":
        model = BernoulliRBM(n_hidden, n_iter=epochs, batch_size=batch_size, learning_rate=0.1,
                             random_state=seed)  # default arguments (monitor off)
        model.fit(X)
        return model.components_, model.intercept_visible_, model.intercept_hidden_, model
    if impl == "sklearn":
        model = SkRBM(n_components=n_hidden, n_iter=epochs, batch_size=batch_size, learning_rate=0.1,
                      random_state=seed)
        model.fit(X)
        return model.components_, model.intercept_visible_, model.intercept_hidden_, model
    rng = np.random.default_rng(seed)
    W = (rng.normal(0, 0.01, size=(n_hidden, X.shape[1]))).astype(X.dtype)
    b = np.zeros(X.shape[1], X.dtype)
    c = np.zeros(n_hidden, X.dtype)
    chain = np.zeros((batch_size, n_hidden), X.dtype)
    for _ in range(epochs):
        W, b, c, chain = ref.pcd_epoch(W, b, c, chain, X, batch_size, 0.1, rng)
    return W, b, c, None


def check(impl, X, result, n_hidden):
    W, b, c, model = result
    assert W.shape == (n_hidden, X.shape[1])
    assert np.isfinite(W).all() and np.isfinite(b).all() and np.isfinite(c).all()
    assert np.abs(W).max() > 0.0
    if impl == "infogen":
        assert W.dtype == X.dtype
        rows = X[:50]
        tol = 1e-5 if X.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(model.transform(rows), ref.hidden_probs(W, b, c, rows), atol=tol)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("batch_size", [10, 100])
@pytest.mark.parametrize("n_hidden", [64, 256])
def test_epoch_digits(benchmark, impl, dtype, batch_size, n_hidden):
    benchmark.group = f"rbm-epoch-digits-h{n_hidden}-b{batch_size}-{dtype}"
    X = digits(DTYPES[dtype])
    benchmark.extra_info["epochs"] = DIGITS_EPOCHS
    result = benchmark(run_epoch, impl, X, n_hidden, batch_size, 0, DIGITS_EPOCHS)
    check(impl, X, result, n_hidden)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_epoch_standin(benchmark, impl, dtype):
    benchmark.group = f"rbm-epoch-standin{STANDIN_ROWS}x784-h500-b100-{dtype}"
    if impl == "numpy" and FULL:
        pytest.skip("the NumPy reference is only timed at the small stand-in size")
    X = standin(DTYPES[dtype])
    benchmark.extra_info["epochs"] = 1
    result = benchmark.pedantic(run_epoch, args=(impl, X, 500, 100), rounds=3 if FULL else 2, iterations=1)
    check(impl, X, result, 500)


@pytest.mark.parametrize("impl", ["infogen", "sklearn"])
def test_quality_digits(benchmark, impl):
    """Exact test log-likelihood after the same epochs and learning rate (16 hidden units)."""
    benchmark.group = "rbm-quality-digits-h16"
    X_train, X_test, _ = load_digits(binary=True)

    def fit():
        if impl == "infogen":
            return BernoulliRBM(16, n_iter=50, batch_size=20, learning_rate=0.05,
                                random_state=0).fit(X_train)
        sk = SkRBM(n_components=16, n_iter=50, batch_size=20, learning_rate=0.05, random_state=0).fit(X_train)
        twin = BernoulliRBM(16).fit(X_train[:20])
        twin.components_ = sk.components_
        twin.intercept_hidden_ = sk.intercept_hidden_
        twin.intercept_visible_ = sk.intercept_visible_
        return twin

    model = benchmark.pedantic(fit, rounds=1, iterations=1)
    ll = float(model.log_likelihood(X_test).mean())
    benchmark.extra_info["test_log_likelihood"] = ll
    assert -24.0 < ll < -15.0


# ------------------------------------------------------------------ threads under load
def _epoch_seconds(impl, X, n_hidden, batch_size, threads, repeats, clock=time.perf_counter, epochs=1):
    times = []
    env_threads = None
    for r in range(repeats):
        if impl == "infogen":
            model = BernoulliRBM(n_hidden, n_iter=epochs, batch_size=batch_size, random_state=r,
                                 n_threads=threads, learning_rate=0.1)
            t = clock()
            model.fit(X)
        else:
            from threadpoolctl import threadpool_limits

            env_threads = threadpool_limits(limits=threads)
            model = SkRBM(n_components=n_hidden, n_iter=epochs, batch_size=batch_size, random_state=r,
                          learning_rate=0.1)
            t = clock()
            model.fit(X)
            env_threads.restore_original_limits()
        times.append((clock() - t) / epochs)
    return float(np.median(times))


def threads_under_load(rows=10_000, n_hidden=500, batch_size=100, repeats=5):
    """Median seconds per epoch with 1 and 2 threads while one core is kept busy."""
    X = standin(np.float64, rows)
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        out = {}
        for impl in ("infogen", "sklearn"):
            for threads in (1, 2):
                out[(impl, threads)] = _epoch_seconds(impl, X, n_hidden, batch_size, threads, repeats)
    finally:
        hog.kill()
        hog.wait()
    return out


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "load":
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    res = threads_under_load(rows)
    print(f"one epoch, {rows}x784 stand-in, 500 hidden, batch 100, float64, one core busy:")
    for impl in ("infogen", "sklearn"):
        one, two = res[(impl, 1)], res[(impl, 2)]
        print(f"  {impl:8s} 1 thread {one:.3f} s, 2 threads {two:.3f} s, ratio 2/1 = {two / one:.2f}")


def cpu_seconds_per_epoch(repeats=5, standin_rows=10_000):
    """CPU ms per epoch at one thread, infogen and scikit-learn, for every configuration."""
    rows = []
    for name, dtype in DTYPES.items():
        X = digits(dtype)
        for n_hidden in (64, 256):
            for batch_size in (10, 100):
                cells = [_epoch_seconds(impl, X, n_hidden, batch_size, 1, repeats, time.process_time, DIGITS_EPOCHS)
                         for impl in ("infogen", "sklearn")]
                rows.append((f"digits, {n_hidden} hidden, batch {batch_size}, {name}", *cells))
        X = standin(dtype, standin_rows)
        cells = [_epoch_seconds(impl, X, 500, 100, 1, 3, time.process_time) for impl in ("infogen", "sklearn")]
        rows.append((f"{standin_rows} x 784 stand-in, 500 hidden, batch 100, {name}", *cells))
    return rows


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "cpu":
    print("| configuration | infogen CPU ms/epoch | scikit-learn CPU ms/epoch | ratio |")
    print("|---|---|---|---|")
    for label, ours, theirs in cpu_seconds_per_epoch():
        print(f"| {label} | {ours * 1e3:.2f} | {theirs * 1e3:.2f} | {theirs / ours:.1f}x |", flush=True)
