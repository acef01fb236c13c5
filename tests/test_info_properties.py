"""Property tests (hypothesis): adversarial inputs against the plain-Python reference."""
import math

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
import infogen  # noqa: E402
import scipy.special as scipy_special  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402
from infogen.reference import info as ref  # noqa: E402

settings.register_profile("infogen", max_examples=150, deadline=None)
settings.load_profile("infogen")

# Probability rows built from non-negative weights that include exact zeros, subnormals
# and huge dynamic ranges, normalised in float64.
weights = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-320, max_value=1e-300),
    st.floats(min_value=1e-12, max_value=1.0),
    st.floats(min_value=1.0, max_value=1e6),
)


@st.composite
def prob_rows(draw, n_rows=None, n_cols=None):
    n_rows = n_rows or draw(st.integers(1, 4))
    n_cols = n_cols or draw(st.integers(1, 40))
    w = np.array(draw(st.lists(weights, min_size=n_rows * n_cols, max_size=n_rows * n_cols)),
                 dtype=np.float64).reshape(n_rows, n_cols)
    w[:, draw(st.integers(0, n_cols - 1))] += 1.0  # every row has mass
    return w / w.sum(axis=1, keepdims=True)


@st.composite
def prob_pairs(draw):
    n_rows, n_cols = draw(st.integers(1, 4)), draw(st.integers(1, 40))
    return draw(prob_rows(n_rows, n_cols)), draw(prob_rows(n_rows, n_cols))


def _close(a, b, scale, rtol=1e-12, atol=1e-300):
    """|a - b| <= rtol * scale + atol (infinities must match)."""
    a, b = float(a), float(b)
    if math.isinf(b):
        return a == b
    return abs(a - b) <= rtol * max(scale, 1e-300) + atol


# Rounding the float64 inputs alone moves KL and cross-entropy by up to 2 eps * sum(p):
# no algorithm can promise better than that absolute floor.
INPUT_FLOOR = 4 * np.finfo(np.float64).eps


def _kl_scale(p, q):
    terms = [abs(a * (math.log(a) - math.log(b))) for a, b in zip(p, q) if a > 0 and b > 0]
    return math.fsum(terms)


@given(prob_rows())
def test_entropy_property(p):
    got = infogen.entropy(p)
    for r in range(p.shape[0]):
        expected = ref.entropy(p[r])
        assert _close(got[r], expected, max(expected, 1e-300) + 1e-15)
        assert got[r] >= -1e-15


@given(prob_pairs())
def test_kl_and_cross_entropy_properties(pq):
    p, q = pq
    kl, ce, js = infogen.kl_divergence(p, q), infogen.cross_entropy(p, q), infogen.js_divergence(p, q)
    for r in range(p.shape[0]):
        assert _close(kl[r], ref.kl_divergence(p[r], q[r]), _kl_scale(p[r], q[r]), atol=INPUT_FLOOR)
        terms = math.fsum(abs(a * math.log(b)) for a, b in zip(p[r], q[r]) if a > 0 and b > 0)
        assert _close(ce[r], ref.cross_entropy(p[r], q[r]), terms, atol=INPUT_FLOOR)
        assert _close(js[r], ref.js_divergence(p[r], q[r]), 1.0, atol=INPUT_FLOOR)
        assert kl[r] >= -1e-12 and 0 <= js[r] <= math.log(2) + 1e-12
    assert np.all(infogen.kl_divergence(p, p) == 0)


def test_js_divergence_with_the_smallest_subnormal():
    """m = (p + q) / 2 underflows to 0 where p + q is the smallest subnormal: the reference
    takes log m as log(p + q) - log 2 and stays finite, as the kernel does (hypothesis found
    the case)."""
    p = np.zeros(11)
    p[0] = 1.0
    q = np.array([7.40740741e-4] + [0.0] * 8 + [5e-324, 9.99259259e-1])
    want = ref.js_divergence(p, q)
    assert math.isfinite(want)
    assert _close(infogen.js_divergence(p, q), want, 1.0, atol=INPUT_FLOOR)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=30),
                  elements=st.one_of(st.floats(-1e4, 1e4), st.just(-np.inf))))
def test_logsumexp_and_log_softmax_property(x):
    rows = x.reshape(-1, x.shape[-1])
    got = np.atleast_1d(infogen.logsumexp(x)).ravel()
    for r in range(rows.shape[0]):
        expected = ref.logsumexp(rows[r])
        finite = rows[r][np.isfinite(rows[r])]
        scale = max(abs(expected) if math.isfinite(expected) else 0, float(np.abs(finite).max()) if finite.size else 0)
        assert _close(got[r], expected, scale + 1.0)


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 30)),
                  elements=st.floats(-1e4, 1e4)), hnp.arrays(np.float64, st.just(1), elements=st.floats(-1e4, 1e4)))
def test_entropy_from_logits_is_shift_invariant(z, shift):
    h1 = infogen.entropy(logits=z)
    h2 = infogen.entropy(logits=z + shift[0])
    lp = np.array([ref.log_softmax(r) for r in z])
    for r in range(z.shape[0]):
        expected = ref.entropy_from_log(lp[r])
        scale = np.abs(z[r]).max() + 1
        assert _close(h1[r], expected, scale, 1e-11) and _close(h2[r], expected, scale + abs(shift[0]), 1e-11)


@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 3), st.integers(1, 50)),
                  elements=st.floats(-80, 80, width=32)))
def test_float32_agrees_with_float64(z):
    h32 = infogen.entropy(logits=z)
    h64 = infogen.entropy(logits=z.astype(np.float64))
    assert h32.dtype == np.float32
    np.testing.assert_allclose(h32, h64, rtol=1e-5, atol=1e-5 * (np.abs(z).max() + 1))


# --- logsumexp against scipy and the exact (60-digit) reference -----------------------------
_lse_values = st.one_of(st.floats(-1e3, 1e3), st.floats(-50, 0), st.just(-np.inf), st.just(0.0),
                        st.floats(-760, -700))
_weights = st.one_of(st.just(0.0), st.just(1.0), st.floats(-10, 10), st.floats(1e-300, 1e-200))


@st.composite
def lse_rows(draw):
    n_rows, n_cols = draw(st.integers(1, 3)), draw(st.integers(1, 40))
    x = np.array(draw(st.lists(_lse_values, min_size=n_rows * n_cols, max_size=n_rows * n_cols))).reshape(n_rows,
                                                                                                          n_cols)
    w = None
    if draw(st.booleans()):
        w = np.array(draw(st.lists(_weights, min_size=n_rows * n_cols, max_size=n_rows * n_cols))).reshape(
            n_rows, n_cols)
    return x, w


@given(lse_rows())
def test_logsumexp_matches_scipy_and_the_exact_reference(xw):
    """Within the sum's condition number of the exact value, as scipy is; signs agree."""
    x, w = xw
    got, sign = infogen.logsumexp(x, b=w, return_sign=True)
    with np.errstate(all="ignore"):
        want, want_sign = scipy_special.logsumexp(x, b=w, axis=-1, return_sign=True)
    eps = np.finfo(np.float64).eps
    for r in range(x.shape[0]):
        wr = None if w is None else w[r]
        exact, exact_sign = ref.logsumexp_exact(x[r], wr)
        if exact_sign == 0:
            assert got[r] == -np.inf or got[r] < math.log(eps) + max(x[r]), (got[r], exact)
            continue
        # cond = sum |terms| / |sum|: what any method's rounding is amplified by
        magnitude, _ = ref.logsumexp_exact(x[r], None if wr is None else np.abs(wr))
        cond = math.exp(magnitude - exact)
        if cond > 1e8:
            continue  # the sum cancels to noise; no method gets its sign reliably
        assert sign[r] == exact_sign, (got[r], sign[r], exact, exact_sign)
        # plus the rounding of the inputs themselves: x_k + log|w_k| for the largest term
        live = [abs(t) + (0 if wr is None else abs(math.log(abs(wr[j])))) for j, t in enumerate(x[r])
                if (wr is None or wr[j] != 0) and math.isfinite(t)]
        bound = 4e-16 * max(1.0, abs(exact)) + 8 * eps * cond + 2 * eps * max(live)
        assert abs(got[r] - exact) <= bound, (got[r], exact, cond)
        assert want_sign[r] == exact_sign and abs(want[r] - exact) <= 4 * bound


# --- rel_entr, kl_div, entr against scipy on any floats ---------------------------------------
_any = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)


@given(hnp.arrays(np.float64, st.integers(1, 60), elements=_any), hnp.arrays(np.float64, st.integers(1, 60),
                                                                             elements=_any))
def test_elementwise_match_scipy_on_any_floats(x, y):
    n = min(x.size, y.size)
    x, y = x[:n], y[:n]
    got = infogen.rel_entr(x, y)
    want = scipy_special.rel_entr(x, y)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-14, atol=1e-320)
    np.testing.assert_allclose(infogen.entr(x), scipy_special.entr(x), rtol=1e-14, atol=1e-320, equal_nan=True)
    # kl_div: scipy's value wherever x / y stays in range (elsewhere scipy over/underflows)
    with np.errstate(all="ignore"):
        ratio = x / y
        in_range = ~((x > 0) & (y > 0)) | ((ratio > np.finfo(float).tiny) & (ratio < np.inf))
        got, want = infogen.kl_div(x, y)[in_range], scipy_special.kl_div(x, y)[in_range]
        scale = np.abs(x * np.log(np.where((x > 0) & (y > 0), ratio, 1.0))) + np.abs(x) + np.abs(y)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[np.isinf(want)], want[np.isinf(want)])
    ok = np.isfinite(want)
    assert np.all(np.abs(got[ok] - want[ok]) <= 1e-14 * np.where(np.isfinite(scale[in_range][ok]),
                                                                 scale[in_range][ok], np.inf) + 1e-320)


# --- fuzz: a clear exception or an answer, never a crash or a silent NaN (issue 22) ----------
_hostile = st.one_of(st.just(np.nan), st.just(np.inf), st.just(-np.inf), st.just(0.0), st.just(-0.0),
                     st.floats(-1e308, 1e308), st.just(1e-320), st.just(0.5), st.just(1.0))
_FUZZED = {
    "entropy": lambda x, y: infogen.entropy(x),
    "entropy_logits": lambda x, y: infogen.entropy(logits=x),
    "cross_entropy": lambda x, y: infogen.cross_entropy(x, y),
    "kl_divergence": lambda x, y: infogen.kl_divergence(x, y),
    "kl_log": lambda x, y: infogen.kl_divergence(log_p=x, log_q=y),
    "js_divergence": lambda x, y: infogen.js_divergence(x, y),
    "perplexity": lambda x, y: infogen.perplexity(x),
    "logsumexp": lambda x, y: infogen.logsumexp(x),
    "logsumexp_b": lambda x, y: infogen.logsumexp(x, b=np.abs(y)),  # signed sums may be NaN by definition
    "softmax": lambda x, y: infogen.softmax(x),
    "information_content": lambda x, y: infogen.information_content(x),
    "bce": lambda x, y: infogen.binary_cross_entropy(x, y),
    "gaussian_kl": lambda x, y: infogen.gaussian_kl(x, y),
    "mutual_information": lambda x, y: infogen.mutual_information(x),
}


@given(st.sampled_from(sorted(_FUZZED)),
       hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 6)), elements=_hostile),
       hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 6)), elements=_hostile))
def test_measures_raise_clearly_or_answer_without_nan(name, x, y):
    y = np.resize(y, x.shape)
    try:
        with np.errstate(all="raise"):  # NumPy-side warnings would be silent NaN factories too
            out = _FUZZED[name](x, y)
    except (ValueError, TypeError) as exc:
        assert str(exc)  # a message, naming something
        return
    for part in out if isinstance(out, tuple) else (out,):
        assert not np.isnan(np.asarray(part, dtype=np.float64)).any(), (name, x, y, out)
