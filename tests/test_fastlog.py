"""The kernels' fast float64 log (cpp/include/infogen/fastlog.hpp) against math.log."""
import math
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from infogen import _core

TINY = sys.float_info.min


def ulps(ours, exact):
    return abs(ours - exact) / math.ulp(exact) if exact != 0 else abs(ours) / math.ulp(0.0)


def test_special_values_behave_like_math_log():
    x = np.array([1.0, 0.5, 2.0, TINY, TINY / 2, 5e-324, 0.0, -0.0, -1.0, np.inf, -np.inf, np.nan,
                  sys.float_info.max, np.nextafter(1.0, 0), np.nextafter(1.0, 2)])
    ours = _core.vlog_f64(x)
    assert ours[0] == 0.0                     # log 1 is exactly 0
    assert ours[1] == -ours[2] == -math.log(2.0)
    assert ours[6] == ours[7] == -np.inf
    assert np.isnan(ours[8]) and np.isnan(ours[10]) and np.isnan(ours[11])
    assert ours[9] == np.inf
    for v, o in zip(x, ours):
        if v > 0 and np.isfinite(v):
            assert ulps(o, math.log(v)) <= 1.0, v


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=5e-324, max_value=1.7e308), min_size=1, max_size=40))
def test_within_one_ulp_everywhere(values):
    x = np.array(values)
    ours = _core.vlog_f64(x)
    for v, o in zip(values, ours):
        assert ulps(o, math.log(v)) <= 1.0, v


def test_near_one_keeps_relative_accuracy():
    x = 1.0 + np.linspace(-2**-7, 2**-6, 20001)
    ours = _core.vlog_f64(x)
    exact = np.log1p(x - 1.0)  # x - 1 is exact here
    np.testing.assert_allclose(ours, exact, rtol=3e-16, atol=0)


def test_result_does_not_depend_on_position():
    """An entry's log has the same bits whatever its neighbours, offset and the length."""
    rng = np.random.default_rng(7)
    x = np.exp(rng.uniform(-700, 700, 1001))
    x[::37] = 0.0
    full = _core.vlog_f64(x)
    for start in range(9):
        np.testing.assert_array_equal(_core.vlog_f64(x[start:].copy()), full[start:])
    np.testing.assert_array_equal(np.array([_core.vlog_f64(x[i:i + 1])[0] for i in range(50)]), full[:50])
