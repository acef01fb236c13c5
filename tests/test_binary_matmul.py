"""The product of a 0/1 matrix with a dense one through its support (RBM training's kernel)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from infogen import _core

FUNCS = {np.float32: _core.binary_matmul_f32, np.float64: _core.binary_matmul_f64}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
# widths around every block size of the kernel (8..128 lanes) and its scalar tail
@pytest.mark.parametrize("cols", [1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 128, 129, 200, 500])
def test_equals_numpy_on_every_width(dtype, cols):
    rng = np.random.default_rng(cols)
    S = (rng.random((13, 37)) < 0.3).astype(dtype)
    S[0] = 0  # a row with no ones
    S[1] = 1  # a row of ones
    A = rng.normal(size=(37, cols)).astype(dtype)
    bias = rng.normal(size=cols).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(FUNCS[dtype](S, A, bias), S.astype(np.float64) @ A + bias, rtol=tol, atol=tol)
    np.testing.assert_allclose(FUNCS[dtype](S, A), S.astype(np.float64) @ A, rtol=tol, atol=tol)
    np.testing.assert_array_equal(FUNCS[dtype](S[:1], A, bias), bias[None, :])


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(0, 12), inner=st.integers(1, 40), cols=st.integers(1, 90),
       density=st.floats(0, 1), seed=st.integers(0, 2**32 - 1), f64=st.booleans())
def test_property_random_shapes(rows, inner, cols, density, seed, f64):
    dtype = np.float64 if f64 else np.float32
    rng = np.random.default_rng(seed)
    S = (rng.random((rows, inner)) < density).astype(dtype)
    A = rng.normal(size=(inner, cols)).astype(dtype)
    out = FUNCS[dtype](S, A, None)
    assert out.dtype == dtype and out.shape == (rows, cols)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, S.astype(np.float64) @ A, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [0.5, -1.0, 2.0, np.nan])
def test_non_binary_matrix_is_reported(dtype, bad):
    S = np.zeros((3, 40), dtype)
    S[2, 39] = bad  # in the scalar tail and, for 40 columns, after the vector blocks
    assert FUNCS[dtype](S, np.ones((40, 5), dtype)) is None
    S[2, 39] = 0
    S[1, 3] = bad  # inside a vector block
    assert FUNCS[dtype](S, np.ones((40, 5), dtype)) is None


def test_shape_errors_name_the_argument():
    with pytest.raises(ValueError, match="A must have 4 rows"):
        _core.binary_matmul_f64(np.zeros((2, 4)), np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"bias must have shape \(5,\)"):
        _core.binary_matmul_f64(np.zeros((2, 4)), np.zeros((4, 5)), np.zeros(4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_through_the_support_matches_the_dense_path(dtype):
    """0/1 data go through their support; data with 1 replaced by the float just below 1 are
    not binary, so the positive phase and the gradient take the dense GEMM path. Same seed,
    so the same draws: the trained weights agree to rounding."""
    from infogen.rbm import BernoulliRBM

    rng = np.random.default_rng(3)
    X = (rng.random((200, 70)) < 0.3).astype(dtype)
    almost = np.where(X > 0, np.nextafter(dtype(1), dtype(0)), dtype(0)).astype(dtype)
    kw = dict(n_iter=2, batch_size=10, random_state=1, dtype=dtype)
    sparse = BernoulliRBM(40, **kw).fit(X)
    dense = BernoulliRBM(40, **kw).fit(almost)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(sparse.components_, dense.components_, atol=tol)
    np.testing.assert_allclose(sparse.intercept_hidden_, dense.intercept_hidden_, atol=tol)
