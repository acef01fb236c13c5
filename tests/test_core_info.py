"""The raw _core layer: shapes, dtypes and layouts are checked at the binding."""
import numpy as np
import pytest
from infogen import _core


def test_core_refuses_wrong_dtype_instead_of_copying():
    x = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(TypeError):
        _core.logsumexp_f64(x, None, False, 1)


def test_core_refuses_non_contiguous_input():
    x = np.zeros((4, 6))[:, ::2]
    with pytest.raises(TypeError):
        _core.entropy_f64(x, 0, 1.0, 1)


def test_core_shape_errors_are_value_errors():
    with pytest.raises(ValueError, match="must be 2-D"):
        _core.entropy_f64(np.zeros(3), 0, 1.0, 1)
    with pytest.raises(ValueError, match="same shape"):
        _core.kl_divergence_f64(np.zeros((2, 3)), 0, np.zeros((2, 4)), 0, 1.0, 1)
    with pytest.raises(ValueError, match="last axis must not be empty"):
        _core.entropy_f64(np.zeros((2, 0)), 0, 1.0, 1)


def test_core_check_distribution_reports_first_problem():
    x = np.array([[0.5, 0.5], [0.7, 0.7], [-1.0, 2.0]])
    row, col, code, value = _core.check_distribution_f64(x, 0, 1e-6, 2)
    assert (row, code) == (1, 5) and value == pytest.approx(1.4)
    assert _core.check_distribution_f64(x[:1], 0, 1e-6, 1)[0] == -1


def test_core_logsumexp_returns_value_and_optional_sign():
    x = np.array([[0.0, 1.0]])
    out, sign = _core.logsumexp_f64(x, np.array([[1.0, -1.0]]), True, 1)
    assert sign[0] == -1.0 and out[0] == pytest.approx(0.5413248546129181)
    out, sign = _core.logsumexp_f64(x, None, False, 1)
    assert sign is None and out.shape == (1,)


def test_core_elementwise_and_perplexity_counts():
    x = np.array([0.5, 0.0, 2.0])
    assert _core.entr_f64(x, 1).shape == (3,)
    with pytest.raises(ValueError, match="same size"):
        _core.rel_entr_f64(x, x[:2], 1)
    with pytest.raises(TypeError):
        _core.kl_div_f32(x, x, 1)  # wrong dtype: refused, not copied
    lp = np.array([[-1.0, 0.0, -3.0]])
    assert _core.perplexity_f64(lp, np.array([2]), 1.0, 1)[0] == pytest.approx(np.exp(2.0))
    with pytest.raises(ValueError, match="one count per row"):
        _core.perplexity_f64(lp, np.array([2, 3]), 1.0, 1)


def test_build_info():
    assert isinstance(_core.has_openmp, bool)
    assert _core.build_info["openmp"] == _core.has_openmp
    assert _core.default_threads() >= 1
