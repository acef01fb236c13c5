"""SciPy's conventions (issue 18 item 6; issue 22 items 4, 7, 14, 15 for the measures).

logsumexp exact in the tail, with signed weights, return_sign, tuple axes, keepdims and
empty input; elementwise rel_entr / kl_div / entr; nan_policy; one axis rule; results
independent of the array's alignment and of the thread count; strict argument types.
"""
import math

import infogen
import numpy as np
import pytest
import scipy.special
from infogen.reference import info as ref


def _exact(x, b=None):
    return ref.logsumexp_exact(x, b)


# --- logsumexp: the tail (scipy gh-18295) --------------------------------------------------
def test_logsumexp_tail_is_exact():
    assert infogen.logsumexp([0.0, -40.0]) == 4.248354255291589e-18
    got = infogen.logsumexp([0.0, -20.0, -30.0])
    want = _exact([0.0, -20.0, -30.0])[0]
    assert abs(got - want) <= 1e-15 * abs(want)
    # the same in float32, and for a maximum that is not first or in the first block
    assert infogen.logsumexp(np.array([0.0, -40.0], np.float32)) == np.float32(4.248354255291589e-18)
    x = np.full(1000, -45.0)
    x[700] = 0.0
    want = _exact(x)[0]
    assert abs(infogen.logsumexp(x) - want) <= 1e-15 * want


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_tail_below_the_vector_exp_range_is_exact(dtype):
    """Terms below Eigen's exp range (subnormal or zero) are not rounded up to its floor."""
    assert infogen.logsumexp(np.array([0.0, -np.inf], dtype)) == 0.0
    assert infogen.logsumexp(np.array([[0.0] + [-np.inf] * 300] * 3, dtype)).tolist() == [0.0] * 3
    x = np.array([0.0, -100.0, -720.0], dtype)
    np.testing.assert_allclose(infogen.logsumexp(x), scipy.special.logsumexp(x), rtol=1e-6, atol=0)


@pytest.mark.parametrize("n", [1, 2, 255, 256, 257, 1000, 5000])
def test_logsumexp_rows_match_the_exact_reference(n):
    rng = np.random.default_rng(n)
    x = rng.normal(size=(6, n)) * np.array([[0.1], [1], [10], [100], [1000], [1e5]])
    x[2, rng.integers(n)] = -np.inf
    x[3, :] = np.sort(x[3])  # rising maxima: the tail is rescaled block after block
    got = infogen.logsumexp(x)
    for r in range(6):
        want = _exact(x[r])[0]
        assert got[r] == want or abs(got[r] - want) <= 4e-16 * max(abs(want), 1.0), (r, got[r], want)


def test_logsumexp_ties_at_the_maximum():
    assert infogen.logsumexp([1.0, 1.0]) == 1.0 + math.log(2.0)
    x = np.zeros(600)
    assert infogen.logsumexp(x) == pytest.approx(math.log(600), rel=1e-15)


# --- logsumexp: scipy's arguments ------------------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (2, 0), (0, 1, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_axis_and_keepdims_match_scipy(axis, keepdims):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 4, 5)) * 10
    got = infogen.logsumexp(x, axis=axis, keepdims=keepdims)
    want = scipy.special.logsumexp(x, axis=axis, keepdims=keepdims)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_signed_weights_and_return_sign_match_scipy(dtype):
    rng = np.random.default_rng(5)
    x = (rng.normal(size=(50, 17)) * 3).astype(dtype)
    b = rng.normal(size=(50, 17)).astype(dtype)
    b[:, 3] = 0.0
    got, sign = infogen.logsumexp(x, b=b, return_sign=True)
    want, want_sign = scipy.special.logsumexp(x.astype(float), b=b.astype(float), axis=-1, return_sign=True)
    assert got.dtype == sign.dtype == dtype
    np.testing.assert_array_equal(sign, want_sign)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    # the sum of |terms| bounds the cancellation any method suffers
    cond = scipy.special.logsumexp(x.astype(float), b=np.abs(b.astype(float)), axis=-1) - want
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.exp(cond).max())
    # without return_sign a negative sum is NaN, as in scipy
    plain = infogen.logsumexp(x, b=b)
    assert np.array_equal(np.isnan(plain), want_sign < 0)
    # broadcasting a row of weights, and a plain number keeps a's dtype
    w = rng.normal(size=17).astype(dtype)
    np.testing.assert_allclose(infogen.logsumexp(x, b=w, return_sign=True)[1],
                               scipy.special.logsumexp(x.astype(float), b=w.astype(float), axis=-1,
                                                       return_sign=True)[1])
    assert infogen.logsumexp(x, b=2.0).dtype == dtype


EDGES = [
    ([0.0, -40.0], None), ([np.nan, 1.0], None), ([-np.inf, -np.inf], None), ([np.inf, 1.0], None),
    ([np.inf, -np.inf], None), ([np.inf, np.inf], [1.0, -1.0]), ([0.0, 0.0], [1.0, -1.0]),
    ([0.0, 1.0], [1.0, -1.0]), ([1.0, 2.0], [0.0, 0.0]), ([np.nan, 1.0], [0.0, 1.0]), ([1.0, 2.0], [np.nan, 1.0]),
    ([-np.inf, -np.inf], [1.0, -1.0]), ([np.inf, 1.0], [-1.0, 1.0]), ([5.0, 1.0], [0.0, -1.0]),
    ([np.inf, 1.0], [0.0, 1.0]), ([1.0, 1.0], [-1.0, 1.0]), ([1000.0, 0.0], [0.0, 1.0]), ([3.0], [-2.0]),
]


@pytest.mark.parametrize(("a", "b"), EDGES)
def test_logsumexp_edge_cases_match_scipy(a, b):
    for return_sign in (False, True):
        got = infogen.logsumexp(a, b=b, return_sign=return_sign, nan_policy="propagate")
        want = scipy.special.logsumexp(a, b=b, return_sign=return_sign)
        np.testing.assert_array_equal(got, want)


def test_logsumexp_empty_input_is_minus_infinity():
    assert infogen.logsumexp([]) == -np.inf
    out = infogen.logsumexp(np.zeros((3, 0)))
    np.testing.assert_array_equal(out, scipy.special.logsumexp(np.zeros((3, 0)), axis=-1))
    assert infogen.logsumexp(np.zeros((3, 0)), keepdims=True).shape == (3, 1)
    assert infogen.logsumexp(np.zeros((0, 4), np.float32)).dtype == np.float32
    value, sign = infogen.logsumexp([], return_sign=True)
    assert value == -np.inf and sign == 0.0  # an empty sum has sign 0 (scipy 1.17 says -1)


def test_logsumexp_infinite_weights_are_rejected():
    with pytest.raises(ValueError, match="b must be finite weights"):
        infogen.logsumexp([1.0, 2.0], b=[1.0, np.inf])


def test_logsumexp_row_path_is_independent_of_threads_and_alignment():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(300, 1000)) * 20
    one = infogen.logsumexp(x, n_threads=1)
    np.testing.assert_array_equal(one, infogen.logsumexp(x, n_threads=2))
    b = rng.normal(size=x.shape)
    np.testing.assert_array_equal(infogen.logsumexp(x, b=b, return_sign=True, n_threads=1),
                                  infogen.logsumexp(x, b=b, return_sign=True, n_threads=2))


# --- issue 22 item 4: results do not depend on the array's address ----------------------------
def _at_offsets(values, dtype):
    """The same values in np.empty(n + 8)[off:off + n] for every offset 0..7."""
    out = []
    for off in range(8):
        buf = np.empty(values.size + 8, dtype=dtype)
        view = buf[off:off + values.size].reshape(values.shape)
        view[...] = values
        out.append(view)
    return out


MEASURES = {
    "perplexity": lambda a, p, q: infogen.perplexity(a),
    "logsumexp": lambda a, p, q: infogen.logsumexp(a),
    "logsumexp_b": lambda a, p, q: infogen.logsumexp(a, b=p, return_sign=True),
    "entropy": lambda a, p, q: infogen.entropy(p),
    "entropy_logits": lambda a, p, q: infogen.entropy(logits=a),
    "cross_entropy": lambda a, p, q: infogen.cross_entropy(p, q),
    "kl_divergence": lambda a, p, q: infogen.kl_divergence(p, q),
    "js_divergence": lambda a, p, q: infogen.js_divergence(p, q),
    "bce": lambda a, p, q: infogen.binary_cross_entropy(p, q, reduction="sum"),
    "bce_logits": lambda a, p, q: infogen.binary_cross_entropy(p, logits=a, reduction="mean"),
    "gaussian_kl": lambda a, p, q: infogen.gaussian_kl(a, p),
    "softmax": lambda a, p, q: infogen.softmax(a),
    "rel_entr": lambda a, p, q: infogen.rel_entr(p, q),
    "kl_div": lambda a, p, q: infogen.kl_div(p, q),
    "entr": lambda a, p, q: infogen.entr(p),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(MEASURES))
def test_results_do_not_depend_on_memory_alignment(name, dtype):
    """Issue 22 item 4: the same values at eight addresses give bit-identical results."""
    rng = np.random.default_rng(4)
    a = -rng.exponential(size=1000) * 3
    p = rng.dirichlet(np.ones(1000))
    q = rng.dirichlet(np.ones(1000))
    results = [MEASURES[name](*arrays) for arrays in zip(*(_at_offsets(x.astype(dtype), dtype) for x in (a, p, q)))]
    for r in results[1:]:
        np.testing.assert_array_equal(np.asarray(r), np.asarray(results[0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_perplexity_issue_reproduction(dtype):
    values = np.log(np.random.default_rng(0).random(1000)).astype(dtype)
    got = {infogen.perplexity(v).tobytes() for v in _at_offsets(values, dtype)}
    assert len(got) == 1


# --- rel_entr, kl_div, entr ------------------------------------------------------------------
GRID = np.array([0.0, -0.0, 5e-324, 1e-310, 1e-300, 1e-20, 0.3, 1.0, 1.0 + 2e-16, 2.0, 1e20, 1e300, 1.7e308,
                 np.inf, -1.0, -np.inf, np.nan])


def _same_class(got, want):
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got) * np.sign(got), np.isinf(want) * np.sign(want))


def test_elementwise_edge_grid_matches_scipy():
    x, y = np.meshgrid(GRID, GRID, indexing="ij")
    got, want = infogen.rel_entr(x, y), scipy.special.rel_entr(x, y)
    _same_class(got, want)
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-14, atol=0)
    got, want = infogen.entr(GRID), scipy.special.entr(GRID)
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0, equal_nan=True)
    # kl_div: scipy's where x / y stays in range; where it under- or overflows scipy gives
    # +-inf and infogen the exact value (on purpose, see the docstring)
    got, want = infogen.kl_div(x, y), scipy.special.kl_div(x, y)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ratio = x / y
    in_range = ~((x > 0) & (y > 0) & ~((ratio > np.finfo(float).tiny) & (ratio < np.inf)))
    _same_class(got[in_range], want[in_range])
    ok = in_range & np.isfinite(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-14, atol=1e-300)
    outside = ~in_range & np.isfinite(x) & np.isfinite(y)
    exact = np.array([ref.kl_div(a, b) for a, b in zip(x[outside], y[outside])])
    np.testing.assert_allclose(got[outside], exact, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elementwise_random_inputs_match_scipy_and_the_reference(dtype):
    rng = np.random.default_rng(12)
    x = (rng.random(3000) * 10.0 ** rng.integers(-30, 30, 3000)).astype(dtype)
    y = (rng.random(3000) * 10.0 ** rng.integers(-30, 30, 3000)).astype(dtype)
    y[::7] = x[::7] * (1 + 1e-7 * rng.normal(size=x[::7].size)).astype(dtype)  # near-equal pairs
    x[::11] = 0.0
    rtol = 1e-14 if dtype == np.float64 else 1e-6
    for name in ("rel_entr", "kl_div"):
        got = getattr(infogen, name)(x, y)
        assert got.dtype == dtype
        want = getattr(scipy.special, name)(x.astype(float), y.astype(float))
        # with scipy to 1e-14 relative to the terms' size (kl_div's -x + y cancels), and
        # with the exact value within a few roundings of the terms
        xd, yd = x.astype(float), y.astype(float)
        with np.errstate(all="ignore"):
            terms = np.abs(xd * np.log(np.where(xd > 0, xd / yd, 1.0)))
            terms = np.where(np.isfinite(terms), terms, 0) + (0 if name == "rel_entr" else xd + yd)
        np.testing.assert_array_less(np.abs(got - want), rtol * np.maximum(np.abs(want), terms) + 1e-300)
        exact = np.array([getattr(ref, name)(a, b) for a, b in zip(x[:400], y[:400])])
        slack = 4 * np.finfo(dtype).eps * (np.abs(exact) + np.abs(x[:400]) + (0 if name == "rel_entr" else y[:400]))
        np.testing.assert_array_less(np.abs(got[:400] - exact), slack + 1e-300)
    got = infogen.entr(x)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, scipy.special.entr(x.astype(float)), rtol=rtol, atol=0)
    exact = np.array([ref.entr(a) for a in x[:400]])
    np.testing.assert_allclose(got[:400], exact, rtol=4 * np.finfo(dtype).eps, atol=0)


def test_elementwise_broadcasting_dtypes_and_scalars():
    p = np.array([[0.2, 0.8], [0.5, 0.5]], np.float32)
    q = np.array([0.5, 0.5], np.float32)
    out = infogen.rel_entr(p, q)
    assert out.shape == (2, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out, scipy.special.rel_entr(p, q), rtol=1e-6)
    assert infogen.rel_entr(p, q.astype(np.float64)).dtype == np.float64
    assert infogen.kl_div([1, 2], [2, 1]).dtype == np.float64  # ints become float64
    assert isinstance(infogen.entr(0.5), np.floating)
    np.testing.assert_allclose(infogen.rel_entr(p, q).sum(-1), infogen.kl_divergence(p, q), rtol=1e-6)
    with pytest.raises(ValueError, match="do not broadcast"):
        infogen.kl_div(np.ones(3), np.ones(4))
    with pytest.raises(TypeError, match="real numbers"):
        infogen.entr(np.array(["a"]))


def test_elementwise_is_independent_of_threads():
    rng = np.random.default_rng(2)
    x, y = rng.random(200_000), rng.random(200_000)
    for fn in (infogen.rel_entr, infogen.kl_div):
        np.testing.assert_array_equal(fn(x, y, n_threads=1), fn(x, y, n_threads=2))
    np.testing.assert_array_equal(infogen.entr(x, n_threads=1), infogen.entr(x, n_threads=2))


# --- nan_policy ------------------------------------------------------------------------------
def _probs_with_nan():
    p = np.array([[0.5, 0.5, 0.0], [0.25, np.nan, 0.75], [np.nan, np.nan, np.nan]])
    q = np.array([[0.2, 0.3, 0.5], [0.5, 0.0, 0.5], [0.2, 0.3, 0.5]])
    return p, q


@pytest.mark.parametrize("fn", ["entropy", "cross_entropy", "kl_divergence", "js_divergence"])
def test_nan_policy_on_distributions(fn):
    p, q = _probs_with_nan()
    call = (lambda **kw: infogen.entropy(p, **kw)) if fn == "entropy" else \
        (lambda **kw: getattr(infogen, fn)(p, q, **kw))
    with pytest.raises(ValueError, match=r"contains NaN \(row 1, position 1\)"):
        call()  # the default: raise
    with pytest.raises(ValueError, match="contains NaN"):
        call(nan_policy="raise")
    prop = call(nan_policy="propagate")
    assert np.isfinite(prop[0]) and np.isnan(prop[1]) and np.isnan(prop[2])
    omit = call(nan_policy="omit")
    assert omit[0] == prop[0] and np.isnan(omit[2])
    # omitted: row 1 is the distribution [0.25, -, 0.75] (q loses the same entry)
    p1, q1 = np.array([0.25, 0.75]), np.array([0.5, 0.5])
    want = {"entropy": lambda: ref.entropy(p1), "cross_entropy": lambda: ref.cross_entropy(p1, q1),
            "kl_divergence": lambda: ref.kl_divergence(p1, q1), "js_divergence": lambda: None}[fn]()
    if want is not None:
        assert omit[1] == pytest.approx(want, rel=1e-14)
    # NaN in q only
    if fn != "entropy":
        q2 = q.copy()
        q2[0, 0] = np.nan
        assert np.isnan(getattr(infogen, fn)(p[:1], q2[:1], nan_policy="propagate")[0])


def test_nan_policy_other_checks_still_apply_to_rows_without_nan():
    p = np.array([[0.25, np.nan, 0.75], [0.5, 0.6, 0.0]])
    with pytest.raises(ValueError, match="row 1 does not sum to 1"):
        infogen.entropy(p, nan_policy="propagate")
    with pytest.raises(ValueError, match="row 0 does not sum to 1"):
        infogen.entropy(np.array([[0.5, np.nan, 0.25]]), nan_policy="omit")  # no renormalising


def test_nan_policy_log_inputs_and_logits():
    lp = np.log([[0.5, 0.5, 1e-300], [0.3, 0.7, 1e-300]])
    lp[0, 2] = np.nan
    got = infogen.entropy(log_p=lp, nan_policy="omit")
    assert got[0] == pytest.approx(math.log(2), rel=1e-14)
    z = np.array([[1.0, np.nan, 2.0]])
    assert infogen.entropy(logits=z, nan_policy="omit")[0] == pytest.approx(
        float(infogen.entropy(logits=[1.0, 2.0])), rel=1e-15)


def test_nan_policy_logsumexp_and_perplexity():
    x = np.array([[0.0, np.nan, -1.0], [np.nan, np.nan, np.nan], [1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match=r"a contains NaN \(row 0, position 1\)"):
        infogen.logsumexp(x)
    prop = infogen.logsumexp(x, nan_policy="propagate")
    assert np.isnan(prop[0]) and np.isnan(prop[1]) and prop[2] == pytest.approx(scipy.special.logsumexp(x[2]),
                                                                                 rel=1e-15)
    omit = infogen.logsumexp(x, nan_policy="omit")
    np.testing.assert_allclose(omit, [scipy.special.logsumexp([0.0, -1.0]), -np.inf, prop[2]], rtol=1e-15)
    b = np.array([1.0, 2.0, np.nan])
    assert infogen.logsumexp(x[2], b=b, nan_policy="omit") == pytest.approx(
        scipy.special.logsumexp([1.0, 2.0], b=[1.0, 2.0]), rel=1e-15)
    lp = np.log([[0.5, 0.25, 0.1], [0.5, 0.5, 0.5], [0.2, 0.2, 0.2]])
    lp[0, 1] = np.nan
    lp[2, :] = np.nan
    with pytest.raises(ValueError, match="log_probs contains NaN"):
        infogen.perplexity(lp)
    prop = infogen.perplexity(lp, nan_policy="propagate")
    assert np.isnan(prop[0]) and prop[1] == pytest.approx(2.0) and np.isnan(prop[2])
    omit = infogen.perplexity(lp, nan_policy="omit")
    assert omit[0] == pytest.approx(ref.perplexity(np.log([0.5, 0.1])), rel=1e-14) and np.isnan(omit[2])


def test_nan_policy_joint_tables():
    j = np.array([[[0.25, 0.25], [0.25, 0.25]], [[0.5, np.nan], [0.0, 0.5]]])
    assert np.isnan(infogen.mutual_information(j, nan_policy="propagate")[1])
    assert infogen.mutual_information(j, nan_policy="omit")[1] == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match="contains NaN"):
        infogen.conditional_entropy(j)


def test_nan_policy_is_validated():
    with pytest.raises(ValueError, match="nan_policy must be 'propagate', 'raise' or 'omit', got 'ignore'"):
        infogen.entropy([0.5, 0.5], nan_policy="ignore")
    with pytest.raises(ValueError, match="nan_policy"):
        infogen.logsumexp([0.0], nan_policy=None)


# --- one axis rule (issue 22 item 14) --------------------------------------------------------
AXIS_CALLS = {
    "logsumexp": lambda x, axis: infogen.logsumexp(x, axis=axis),
    "softmax": lambda x, axis: infogen.softmax(x, axis=axis),
    "log_softmax": lambda x, axis: infogen.log_softmax(x, axis=axis),
    "information_content": lambda x, axis: infogen.information_content(logits=x, axis=axis),
    "entropy": lambda x, axis: infogen.entropy(logits=x, axis=axis),
    "kl_divergence": lambda x, axis: infogen.kl_divergence(logits_p=x, logits_q=x / 2, axis=axis),
    "bce_none": lambda x, axis: infogen.binary_cross_entropy(np.full(x.shape, 0.5), logits=x, axis=axis,
                                                             reduction="none"),
    "bce_mean": lambda x, axis: infogen.binary_cross_entropy(np.full(x.shape, 0.5), logits=x, axis=axis),
    "gaussian_kl_grad": lambda x, axis: infogen.gaussian_kl(x, x / 2, axis=axis, return_grad=True),
    "perplexity": lambda x, axis: infogen.perplexity(-np.abs(x), axis=axis),
}


@pytest.mark.parametrize("name", sorted(AXIS_CALLS))
def test_one_axis_rule(name):
    x = np.random.default_rng(1).normal(size=(3, 4, 5))
    call = AXIS_CALLS[name]
    with pytest.raises(TypeError, match=r"axis must be an int, a tuple of ints or None, got 1\.5 \(float\)"):
        call(x, 1.5)
    with pytest.raises(TypeError, match="axis must be an int"):
        call(x, True)
    with pytest.raises(ValueError, match="axis 3 is out of range for 3-D input"):
        call(x, 3)
    with pytest.raises(ValueError, match="names an axis twice"):
        call(x, (1, -2))
    # None = every axis = the flattened array; a tuple = those axes flattened; NumPy ints are ints
    def parts(r):
        return r if isinstance(r, tuple) else (r,)

    for a, b in zip(parts(call(x, None)), parts(call(x.reshape(1, -1), -1))):
        np.testing.assert_allclose(np.asarray(a).reshape(-1), np.asarray(b).reshape(-1), rtol=1e-12)
    moved = x.transpose(1, 0, 2).reshape(4, 15)  # axes (0, 2) last, in that order
    for a, b in zip(parts(call(x, (0, 2))), parts(call(moved, -1))):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape == x.shape:  # an elementwise result comes back in the input's layout
            b = b.reshape(4, 3, 5).transpose(1, 0, 2)
        np.testing.assert_allclose(a, b, rtol=1e-12)
    for a, b in zip(parts(call(x, np.int64(1))), parts(call(x, 1))):
        np.testing.assert_array_equal(a, b)


def test_softmax_axis_none_matches_scipy():
    x = np.random.default_rng(2).normal(size=(3, 4))
    np.testing.assert_allclose(infogen.softmax(x, axis=None), scipy.special.softmax(x, axis=None), rtol=1e-14)
    np.testing.assert_allclose(infogen.softmax(x, axis=(0, 1)), scipy.special.softmax(x, axis=(0, 1)), rtol=1e-14)
    np.testing.assert_allclose(infogen.log_softmax(x, axis=0), scipy.special.log_softmax(x, axis=0), rtol=1e-14)


# --- lax acceptance and strict types (issue 22 items 7 and 15) -------------------------------
def test_perplexity_rejects_positive_log_probabilities():
    with pytest.raises(ValueError, match=r"log_probs must be log-probabilities <= 0, found 1\.0"):
        infogen.perplexity([1.0, 2.0])
    assert infogen.perplexity([-1e-9, 0.0]) == pytest.approx(1.0)  # rounding noise above 0 passes
    assert infogen.perplexity([0.0, -np.inf]) == np.inf
    # bits: 1 bit per event is perplexity 2; a base below 1 flips the sign of the logs
    assert infogen.perplexity([-1.0, -1.0], base=2) == pytest.approx(2.0)
    assert infogen.perplexity([1.0, 1.0], base=0.5) == pytest.approx(2.0)


@pytest.mark.parametrize("base", [np.nan, 1, 1.0, 0, -2, np.inf])
@pytest.mark.parametrize("fn", ["entropy", "perplexity", "kl_divergence", "mutual_information",
                                "information_content"])
def test_bad_bases_name_base(fn, base):
    args = {"entropy": ([0.5, 0.5],), "perplexity": ([-1.0],), "kl_divergence": ([0.5, 0.5], [0.5, 0.5]),
            "mutual_information": ([[0.5, 0.0], [0.0, 0.5]],), "information_content": ([0.5],)}[fn]
    with pytest.raises(ValueError, match="base must be positive, finite and not 1"):
        getattr(infogen, fn)(*args, base=base)


def test_numpy_scalars_accepted_and_bools_strings_rejected():
    assert infogen.entropy([0.5, 0.5], base=np.int64(2)) == pytest.approx(1.0)
    assert infogen.entropy([0.5, 0.5], base=np.float32(2)) == pytest.approx(1.0)
    assert infogen.perplexity([-1.0], base=np.float64(2.0)) == pytest.approx(2.0)
    assert infogen.entropy([0.5, 0.5], n_threads=np.int32(1)) == pytest.approx(math.log(2))
    with pytest.raises(TypeError, match="base must be a number"):
        infogen.entropy([0.5, 0.5], base=True)
    with pytest.raises(TypeError, match="base must be a number"):
        infogen.entropy([0.5, 0.5], base="2")
    with pytest.raises(TypeError, match="return_grad must be True or False, got 'yes'"):
        infogen.gaussian_kl([0.0], [0.0], return_grad="yes")
    with pytest.raises(TypeError, match="return_grad must be True or False"):
        infogen.binary_cross_entropy([1.0], [0.5], return_grad=1)
    with pytest.raises(TypeError, match="return_sign must be True or False"):
        infogen.logsumexp([0.0], return_sign="no")
    with pytest.raises(TypeError, match="keepdims must be True or False"):
        infogen.logsumexp([0.0], keepdims=1)
    with pytest.raises(TypeError, match="validate must be True or False"):
        infogen.entropy([0.5, 0.5], validate="false")
    with pytest.raises(ValueError, match="reduction must be one of 'none', 'sum', 'mean', got 'avg'"):
        infogen.binary_cross_entropy([1.0], [0.5], reduction="avg")
    assert infogen.gaussian_kl([1.0], [0.0], return_grad=np.True_)[0] == pytest.approx(0.5)
