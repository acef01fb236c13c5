import numpy as np
import pytest

DTYPES = [np.float32, np.float64]
# Relative tolerance against the exact reference, per dtype (issue #2).
RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-5}


@pytest.fixture(params=DTYPES, ids=["f32", "f64"])
def dtype(request):
    return np.dtype(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


def random_probs(rng, shape, dtype=np.float64, sparsity=0.0):
    """Random distributions along the last axis, optionally with exact zeros."""
    p = rng.dirichlet(np.ones(shape[-1]) * 0.7, size=int(np.prod(shape[:-1]) or 1))
    if sparsity:
        p[rng.random(p.shape) < sparsity] = 0.0
        p[:, 0] += 1e-3  # keep every row non-empty
        p /= p.sum(axis=1, keepdims=True)
    p = p.reshape(shape).astype(dtype)
    if dtype == np.float32:
        # renormalise in float64 so the float32 rows sum to 1 within tolerance
        p = (p.astype(np.float64) / p.astype(np.float64).sum(-1, keepdims=True)).astype(np.float32)
    return p


def assert_close(actual, expected, dtype, scale=None):
    """|actual - expected| <= rtol * scale, scale defaulting to |expected| (inf must match)."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    rtol = RTOL[np.dtype(dtype)]
    inf = np.isinf(expected)
    np.testing.assert_array_equal(np.isinf(actual), inf)
    np.testing.assert_array_equal(actual[inf], expected[inf])
    scale = np.abs(expected) if scale is None else np.asarray(scale, dtype=np.float64)
    scale = np.broadcast_to(scale, expected.shape)
    with np.errstate(invalid="ignore"):
        err = np.abs(actual - expected)[~inf]
    bound = (rtol * np.maximum(scale, np.finfo(np.float64).tiny))[~inf]
    bad = err > bound
    assert not bad.any(), f"max error {err.max():.3g}; worst relative {np.max(err / bound) * rtol:.3g} > {rtol}"
