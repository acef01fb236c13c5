"""The raw _core layer: shapes, dtypes and layouts are checked at the binding."""
import numpy as np
import pytest
from infogen import _core


def test_core_refuses_wrong_dtype_instead_of_copying():
    x = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(TypeError):
        _core.logsumexp_f64(x, None, 1)


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


def test_build_info():
    assert isinstance(_core.has_openmp, bool)
    assert _core.build_info["openmp"] == _core.has_openmp
    assert _core.default_threads() >= 1
