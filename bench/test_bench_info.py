"""Information measures: infogen vs scipy vs torch vs the pure-Python reference.

Every benchmark records ``elements`` (entries of the input it processed) so that
``bench/report.py`` can turn medians into ns per element and ratios, and asserts its
result against a trusted float64 value.
"""
import infogen
import numpy as np
import pytest
import scipy.special
import scipy.stats
from conftest import torch_or_skip
from infogen.reference import info as ref
from scipy.spatial.distance import jensenshannon

MEASURES = ["logsumexp", "entropy", "kl_divergence", "js_divergence"]
ELEMENTWISE = ["rel_entr", "kl_div", "entr"]  # scipy.special's, against scipy only
REFERENCE_ELEMENTS = 20_000  # the pure-Python reference runs on a slice of rows this big


def _data(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype(dtype)
    p = infogen.softmax(x)
    q = infogen.softmax(rng.normal(size=shape).astype(dtype))
    return x, p, q


_cache = {}


def data(shape, dtype):
    key = (shape, np.dtype(dtype).name)
    if key not in _cache:
        _cache.clear()  # keep one size in memory at a time
        _cache[key] = _data(shape, dtype)
    return _cache[key]


def trusted(measure, x, p, q, rows):
    """float64 scipy value of the first `rows` rows."""
    x, p, q = (a[:rows].astype(np.float64) for a in (x, p, q))
    if measure == "logsumexp":
        return scipy.special.logsumexp(x, axis=-1)
    if measure == "entr":
        return scipy.special.entr(p)
    if measure in ELEMENTWISE:
        return getattr(scipy.special, measure)(p, q)
    if measure == "entropy":
        return scipy.stats.entropy(p, axis=-1)
    if measure == "kl_divergence":
        return scipy.stats.entropy(p, q, axis=-1)
    return jensenshannon(p, q, axis=-1) ** 2


def check(measure, result, x, p, q, dtype):
    rows = min(len(result), 50)
    rtol = 1e-4 if np.dtype(dtype) == np.float32 else 1e-9
    np.testing.assert_allclose(np.asarray(result, dtype=np.float64)[:rows], trusted(measure, x, p, q, rows),
                               rtol=rtol, atol=rtol)


def infogen_call(measure, x, p, q, n_threads):
    if measure == "logsumexp":
        return lambda: infogen.logsumexp(x, n_threads=n_threads)
    if measure == "entropy":
        return lambda: infogen.entropy(p, n_threads=n_threads)
    if measure == "entr":
        return lambda: infogen.entr(p, n_threads=n_threads)
    fn = getattr(infogen, measure)
    return lambda: fn(p, q, n_threads=n_threads)


@pytest.mark.parametrize("measure", MEASURES + ELEMENTWISE)
@pytest.mark.parametrize("threads", [2, 1], ids=["2t", "1t"])
def test_infogen(benchmark, measure, shape, dtype, threads):
    x, p, q = data(shape, dtype)
    benchmark.group = f"{measure} {shape[0]}x{shape[1]} {dtype.name}"
    benchmark.extra_info.update(elements=x.size, tool=f"infogen {threads}t")
    result = benchmark(infogen_call(measure, x, p, q, threads))
    check(measure, result, x, p, q, dtype)


@pytest.mark.parametrize("measure", MEASURES + ELEMENTWISE)
def test_scipy(benchmark, measure, shape, dtype):
    x, p, q = data(shape, dtype)
    benchmark.group = f"{measure} {shape[0]}x{shape[1]} {dtype.name}"
    benchmark.extra_info.update(elements=x.size, tool="scipy")
    calls = {
        "logsumexp": lambda: scipy.special.logsumexp(x, axis=-1),
        "entropy": lambda: scipy.stats.entropy(p, axis=-1),
        "kl_divergence": lambda: scipy.stats.entropy(p, q, axis=-1),
        "js_divergence": lambda: jensenshannon(p, q, axis=-1) ** 2,
        "rel_entr": lambda: scipy.special.rel_entr(p, q),
        "kl_div": lambda: scipy.special.kl_div(p, q),
        "entr": lambda: scipy.special.entr(p),
    }
    result = benchmark.pedantic(calls[measure], rounds=3, iterations=1)
    check(measure, result, x, p, q, dtype)


@pytest.mark.parametrize("measure", MEASURES)
def test_torch(benchmark, measure, shape, dtype):
    torch = torch_or_skip()
    x, p, q = data(shape, dtype)
    tx, tp, tq = (torch.from_numpy(a) for a in (x, p, q))
    benchmark.group = f"{measure} {shape[0]}x{shape[1]} {dtype.name}"
    benchmark.extra_info.update(elements=x.size, tool="torch 2t")
    F = torch.nn.functional

    def js():
        lm = (0.5 * (tp + tq)).log()
        return 0.5 * (F.kl_div(lm, tp, reduction="none").sum(-1) + F.kl_div(lm, tq, reduction="none").sum(-1))

    calls = {
        "logsumexp": lambda: torch.logsumexp(tx, -1),
        "entropy": lambda: torch.special.entr(tp).sum(-1),
        "kl_divergence": lambda: F.kl_div(tq.log(), tp, reduction="none").sum(-1),
        "js_divergence": js,
    }
    result = benchmark(calls[measure])
    check(measure, result.numpy(), x, p, q, dtype)


@pytest.mark.parametrize("measure", MEASURES)
def test_reference(benchmark, measure, shape, dtype):
    x, p, q = data(shape, dtype)
    rows = max(1, REFERENCE_ELEMENTS // shape[1])
    xs, ps, qs = x[:rows], p[:rows], q[:rows]
    benchmark.group = f"{measure} {shape[0]}x{shape[1]} {dtype.name}"
    benchmark.extra_info.update(elements=xs.size, tool="pure Python reference")
    calls = {
        "logsumexp": lambda: ref.rowwise(ref.logsumexp, xs),
        "entropy": lambda: ref.rowwise(ref.entropy, ps),
        "kl_divergence": lambda: ref.rowwise(ref.kl_divergence, ps, qs),
        "js_divergence": lambda: ref.rowwise(ref.js_divergence, ps, qs),
    }
    result = benchmark.pedantic(calls[measure], rounds=1, iterations=1)
    check(measure, result, x, p, q, dtype)
