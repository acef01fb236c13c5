"""Information measures against the plain-Python reference and scipy."""
import math

import infogen
import numpy as np
import pytest
import scipy.special
import scipy.stats
from conftest import assert_close, random_probs
from infogen.reference import info as ref
from scipy.spatial.distance import jensenshannon


def _log(p):
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(p, dtype=np.float64))


# --- agreement with the reference on random inputs ---------------------------------------
@pytest.mark.parametrize("sparsity", [0.0, 0.5], ids=["dense", "zeros"])
def test_entropy_matches_reference_and_scipy(rng, dtype, sparsity):
    p = random_probs(rng, (40, 37), dtype, sparsity)
    expected = ref.rowwise(ref.entropy, p)
    got = infogen.entropy(p)
    assert got.dtype == dtype and got.shape == (40,)
    assert_close(got, expected, dtype)
    assert_close(infogen.entropy(p, base=2), expected / math.log(2), dtype)
    assert_close(infogen.entropy(log_p=_log(p).astype(dtype)), expected, dtype)
    np.testing.assert_allclose(got, scipy.stats.entropy(p.astype(np.float64), axis=-1), rtol=1e-5)


@pytest.mark.parametrize("kind", ["probs", "log", "logits"])
@pytest.mark.parametrize("sparsity", [0.0, 0.4], ids=["dense", "zeros"])
def test_kl_cross_entropy_js_match_reference(rng, dtype, kind, sparsity):
    p = random_probs(rng, (30, 50), dtype, sparsity)
    q = random_probs(rng, (30, 50), dtype, sparsity * 0.5)
    p64, q64 = p.astype(np.float64), q.astype(np.float64)
    if kind == "probs":
        args = dict(p=p, q=q)
    elif kind == "log":
        args = dict(log_p=_log(p).astype(dtype), log_q=_log(q).astype(dtype))
    else:  # logits: shift each row by an arbitrary constant
        shift = rng.normal(size=(30, 1)) * 50
        args = dict(logits_p=(_log(p) + shift).astype(dtype), logits_q=(_log(q) - shift).astype(dtype))
    # condition scale: the sum of |terms|, which bounds what any summation order can reach
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_terms = np.where(p64 > 0, np.abs(p64 * (_log(p64) - _log(q64))), 0)
        ce_terms = np.where(p64 > 0, np.abs(p64 * _log(q64)), 0)
    kl_scale, ce_scale = kl_terms.sum(-1), ce_terms.sum(-1)
    if kind == "probs":
        assert_close(infogen.kl_divergence(**args), ref.rowwise(ref.kl_divergence, p64, q64), dtype, kl_scale)
        assert_close(infogen.cross_entropy(**args), ref.rowwise(ref.cross_entropy, p64, q64), dtype, ce_scale)
    else:
        # log inputs: reference in log space on the same (rounded) log values
        lp = np.asarray(args.get("log_p", args.get("logits_p")), dtype=np.float64)
        lq = np.asarray(args.get("log_q", args.get("logits_q")), dtype=np.float64)
        lp = lp - ref.rowwise(ref.logsumexp, lp)[:, None] if kind == "logits" else lp
        lq = lq - ref.rowwise(ref.logsumexp, lq)[:, None] if kind == "logits" else lq
        rtol_scale = kl_scale + (np.abs(lp).max(-1) if kind == "logits" else 0) * 4
        assert_close(infogen.kl_divergence(**args), ref.rowwise(ref.kl_divergence_from_log, lp, lq), dtype,
                     rtol_scale)
        assert_close(infogen.cross_entropy(**args), ref.rowwise(ref.cross_entropy_from_log, lp, lq), dtype,
                     ce_scale + rtol_scale)
    js = infogen.js_divergence(**args)
    assert_close(js, ref.rowwise(ref.js_divergence, p64, q64), dtype,
                 scale=np.maximum(ref.rowwise(ref.js_divergence, p64, q64), 1e-3))
    np.testing.assert_allclose(js, jensenshannon(p64, q64, axis=-1) ** 2, rtol=1e-4, atol=1e-7)


def test_kl_matches_scipy(rng):
    p, q = random_probs(rng, (100, 20)), random_probs(rng, (100, 20))
    np.testing.assert_allclose(infogen.kl_divergence(p, q), scipy.stats.entropy(p, q, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(infogen.cross_entropy(p, q), scipy.stats.entropy(p, axis=-1)
                               + scipy.stats.entropy(p, q, axis=-1), rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_logsumexp_matches_reference_and_scipy(rng, dtype, weighted):
    x = (rng.normal(size=(25, 64)) * 30).astype(dtype)
    b = rng.random((25, 64)).astype(dtype) if weighted else None
    got = infogen.logsumexp(x, b=b)
    expected = ref.rowwise(ref.logsumexp, x, b) if weighted else ref.rowwise(ref.logsumexp, x)
    assert got.dtype == dtype
    assert_close(got, expected, dtype, scale=np.maximum(np.abs(expected), np.abs(x).max(-1)))
    np.testing.assert_allclose(got, scipy.special.logsumexp(x.astype(np.float64), axis=-1, b=b),
                               rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_logsumexp_axis_none_and_keepdims(rng):
    x = rng.normal(size=(3, 4, 5))
    assert np.isclose(infogen.logsumexp(x, axis=None), scipy.special.logsumexp(x), rtol=1e-13)
    for axis in (0, 1, 2, -1):
        got = infogen.logsumexp(x, axis=axis, keepdims=True)
        np.testing.assert_allclose(got, scipy.special.logsumexp(x, axis=axis, keepdims=True), rtol=1e-13)
    assert infogen.logsumexp(x, axis=None, keepdims=True).shape == (1, 1, 1)


def test_softmax_and_log_softmax(rng, dtype):
    x = (rng.normal(size=(20, 33)) * 20).astype(dtype)
    x[3, :5] = -np.inf
    s, ls = infogen.softmax(x), infogen.log_softmax(x)
    assert s.dtype == ls.dtype == dtype
    assert np.all(s[3, :5] == 0) and np.all(np.isneginf(ls[3, :5]))
    expected = np.array([ref.softmax(r) for r in x.astype(np.float64)])
    np.testing.assert_allclose(s, expected, rtol=RTOL_SOFT[dtype], atol=np.finfo(dtype).tiny)
    np.testing.assert_allclose(infogen.softmax(x, axis=0), scipy.special.softmax(x.astype(np.float64), axis=0),
                               rtol=RTOL_SOFT[dtype], atol=np.finfo(dtype).tiny)
    finite = np.isfinite(ls)
    np.testing.assert_allclose(ls[finite], np.array([ref.log_softmax(r) for r in x.astype(np.float64)])[finite],
                               rtol=RTOL_SOFT[dtype], atol=np.abs(x[np.isfinite(x)]).max() * RTOL_SOFT[dtype])


RTOL_SOFT = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-12}


def test_information_content(rng, dtype):
    p = rng.random((5, 7)).astype(dtype)
    p[0, 0] = 0
    got = infogen.information_content(p, base=2)
    assert got.dtype == dtype and got.shape == p.shape and got[0, 0] == np.inf
    expected = np.vectorize(lambda t: ref.information_content(t, 2))(p.astype(np.float64))
    assert_close(got, expected, dtype)
    logits = rng.normal(size=(4, 6)).astype(dtype)
    assert_close(infogen.information_content(logits=logits),
                 -np.array([ref.log_softmax(r) for r in logits.astype(np.float64)]), dtype,
                 scale=np.abs(logits).max() + 2)


def test_binary_cross_entropy(rng, dtype):
    y = rng.random((6, 9)).astype(dtype)
    y[:, :3] = np.round(y[:, :3])
    p = rng.random((6, 9)).astype(dtype)
    z = (rng.normal(size=(6, 9)) * 10).astype(dtype)
    z[0, 0], z[0, 1] = 40, -40  # saturated logits stay exact
    ref_p = np.vectorize(ref.binary_cross_entropy)(y.astype(float), p.astype(float))
    ref_z = np.vectorize(ref.binary_cross_entropy_logits)(y.astype(float), z.astype(float))
    assert_close(infogen.binary_cross_entropy(y, p, reduction="none"), ref_p, dtype)
    assert_close(infogen.binary_cross_entropy(y, logits=z, reduction="none"), ref_z, dtype,
                 scale=np.maximum(np.abs(ref_z), np.abs(z) * 1e-3 if dtype == np.float32 else np.abs(ref_z)))
    assert_close(infogen.binary_cross_entropy(y, logits=z, reduction="sum"), ref_z.sum(-1), dtype,
                 scale=np.abs(ref_z).sum(-1) + (np.abs(z).sum(-1) * 1e-3 if dtype == np.float32 else 0))
    loss, grad = infogen.binary_cross_entropy(y, logits=z, reduction="mean", return_grad=True)
    assert_close(loss, ref_z.mean(-1), dtype, scale=np.abs(ref_z).mean(-1) + np.abs(z).mean(-1) * 1e-3)
    np.testing.assert_allclose(grad, (scipy.special.expit(z.astype(float)) - y) / 9, rtol=1e-5, atol=1e-7)


def test_binary_cross_entropy_gradient_probs_by_finite_differences(rng):
    y, p = rng.random(8), rng.uniform(0.1, 0.9, 8)
    _, g = infogen.binary_cross_entropy(y, p, reduction="sum", return_grad=True)
    h = 1e-6
    fd = [(infogen.binary_cross_entropy(y, p + h * e, reduction="sum")
           - infogen.binary_cross_entropy(y, p - h * e, reduction="sum")) / (2 * h) for e in np.eye(8)]
    np.testing.assert_allclose(g, fd, rtol=1e-6)


def test_gaussian_kl_and_gradient(rng, dtype):
    mu, lv = rng.normal(size=(10, 8)).astype(dtype), rng.normal(size=(10, 8)).astype(dtype)
    mp, lp = rng.normal(size=(10, 8)).astype(dtype), rng.normal(size=(10, 8)).astype(dtype)
    got = infogen.gaussian_kl(mu, lv)
    assert got.dtype == dtype
    expected = ref.rowwise(ref.gaussian_kl, mu, lv)
    terms = 0.5 * (np.abs(lv) + np.exp(lv) + 1 + mu.astype(float) ** 2).sum(-1)
    assert_close(got, expected, dtype, scale=terms)
    assert_close(infogen.gaussian_kl(mu, lv, mp, lp), ref.rowwise(ref.gaussian_kl, mu, lv, mp, lp), dtype,
                 scale=0.5 * (np.abs(lv - lp) + np.exp(lv - lp) + 1 + (mu - mp) ** 2 * np.exp(-lp)).sum(-1))
    # analytic gradient against central differences (float64)
    mu64, lv64 = mu.astype(float), lv.astype(float)
    _, g_mu, g_lv = infogen.gaussian_kl(mu64, lv64, mp.astype(float), lp.astype(float), return_grad=True)
    h = 1e-6
    for i, j in [(0, 0), (3, 5), (9, 7)]:
        e = np.zeros_like(mu64)
        e[i, j] = h
        f = lambda m, v: infogen.gaussian_kl(m, v, mp.astype(float), lp.astype(float))[i]  # noqa: E731
        assert np.isclose(g_mu[i, j], (f(mu64 + e, lv64) - f(mu64 - e, lv64)) / (2 * h), rtol=1e-6)
        assert np.isclose(g_lv[i, j], (f(mu64, lv64 + e) - f(mu64, lv64 - e)) / (2 * h), rtol=1e-6)


def test_perplexity(rng, dtype):
    lp = np.log(rng.random((7, 30))).astype(dtype)
    assert_close(infogen.perplexity(lp), ref.rowwise(ref.perplexity, lp), dtype,
                 scale=ref.rowwise(ref.perplexity, lp) * (1 + np.abs(lp).mean(-1)))
    assert math.isclose(infogen.perplexity(np.log10([0.1, 0.1, 0.1]), base=10), 10.0, rel_tol=1e-12)
    assert infogen.perplexity([0.0, -np.inf]) == np.inf


def test_mutual_information_and_conditional_entropy(rng, dtype):
    joint = rng.random((4, 6, 5))
    joint[0, 1, :] = 0
    joint /= joint.sum(axis=(1, 2), keepdims=True)
    j = joint.astype(dtype)
    mi = infogen.mutual_information(j)
    assert mi.shape == (4,) and mi.dtype == dtype
    assert_close(mi, [ref.mutual_information(t) for t in joint], dtype, scale=1.0)
    for given in ("rows", "columns"):
        assert_close(infogen.conditional_entropy(j, given=given, base=2),
                     [ref.conditional_entropy(t, given, 2) for t in joint], dtype, scale=3.0)
    # chain rule: H(X,Y) = H(X) + H(Y|X); I = H(Y) - H(Y|X)
    t = joint[1]
    h_xy = infogen.entropy(t.ravel())
    assert math.isclose(h_xy, infogen.entropy(t.sum(1)) + infogen.conditional_entropy(t), rel_tol=1e-12)
    assert math.isclose(infogen.mutual_information(t), infogen.entropy(t.sum(0)) - infogen.conditional_entropy(t),
                        rel_tol=1e-10, abs_tol=1e-14)


# --- semantics at the edges -----------------------------------------------------------------
def test_zero_log_zero_and_infinite_kl():
    assert infogen.entropy([1.0, 0.0]) == 0.0
    assert infogen.kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
    assert infogen.kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(math.log(2))
    assert infogen.cross_entropy([0.5, 0.5], [1.0, 0.0]) == np.inf
    assert infogen.kl_divergence(log_p=[0.0, -np.inf], log_q=[-np.inf, 0.0]) == np.inf
    assert not np.isnan(infogen.js_divergence([1.0, 0.0], [0.0, 1.0]))


def test_extreme_logits_stay_finite(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    assert np.all(np.isfinite(infogen.entropy(logits=z)))
    assert infogen.entropy(logits=z)[1] == pytest.approx(math.log(3), rel=1e-5)
    assert infogen.logsumexp(z)[0] == pytest.approx(1e4)
    np.testing.assert_allclose(infogen.softmax(z)[0], [1, 0, 0])
    assert np.all(np.isfinite(infogen.kl_divergence(logits_p=z, logits_q=z[::-1])))


def test_logsumexp_special_rows():
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [-np.inf, 3.0]])
    np.testing.assert_array_equal(infogen.logsumexp(x), [-np.inf, np.inf, 3.0])
    # zero weight on the largest entry must not underflow the rest
    assert infogen.logsumexp([1000.0, 0.0], b=[0.0, 1.0]) == 0.0


def test_subnormal_probabilities_are_exact():
    tiny = 1e-310
    p = np.array([0.5, 0.5 - tiny, tiny])
    q = np.array([tiny, 0.5, 0.5 - tiny])
    assert math.isclose(infogen.kl_divergence(p, q), ref.kl_divergence(p, q), rel_tol=1e-12)
    assert math.isclose(infogen.cross_entropy(p, q), ref.cross_entropy(p, q), rel_tol=1e-12)


# --- layout, dtype and input forms -----------------------------------------------------------
def test_layouts_give_the_same_result(rng):
    p = random_probs(rng, (20, 30))
    q = random_probs(rng, (20, 30))
    base = infogen.kl_divergence(p, q)
    np.testing.assert_allclose(infogen.kl_divergence(np.asfortranarray(p), np.asfortranarray(q)), base, rtol=1e-13)
    big = np.zeros((40, 60))
    big[::2, ::2] = p
    np.testing.assert_allclose(infogen.kl_divergence(big[::2, ::2], q), base, rtol=1e-13)
    np.testing.assert_allclose(infogen.kl_divergence(p.T, q.T, axis=0), base, rtol=1e-13)
    np.testing.assert_allclose(infogen.kl_divergence(p.reshape(4, 5, 30), q.reshape(4, 5, 30)).ravel(), base,
                               rtol=1e-13)
    assert infogen.kl_divergence(p, q[0]).shape == (20,)  # broadcasting


def test_dtypes_are_preserved_and_ints_become_float64():
    assert infogen.entropy(np.array([0.5, 0.5], dtype=np.float32)).dtype == np.float32
    assert infogen.entropy(np.array([1, 0])).dtype == np.float64
    assert infogen.kl_divergence(np.array([0.5, 0.5], np.float32), np.array([0.5, 0.5])).dtype == np.float64
    with pytest.raises(TypeError, match="real numbers"):
        infogen.entropy(np.array([0.5 + 0j, 0.5]))


def test_input_is_not_modified(rng):
    p = random_probs(rng, (5, 8))
    before = p.copy()
    infogen.entropy(p)
    infogen.softmax(p)
    np.testing.assert_array_equal(p, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_js_divergence_never_negative_for_nearly_equal_rows(dtype):
    """JS >= 0 exactly: rows that differ by rounding used to give -1e-17 (found by hypothesis)."""
    rng = np.random.default_rng(11)
    p = rng.dirichlet(np.full(37, 0.3), size=2000)
    q = p * (1 + rng.uniform(-1e-15, 1e-15, p.shape))
    q /= q.sum(axis=1, keepdims=True)
    js = infogen.js_divergence(p.astype(dtype), q.astype(dtype))
    assert js.dtype == dtype and np.all(js >= 0) and np.all(js < 1e-6)
    assert np.all(infogen.js_divergence(p, p) == 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3000, 7), (50, 1000), (2, 40000)])
def test_validated_entropy_is_bit_identical_to_the_unvalidated_kernel(dtype, shape):
    """entropy(p) validates from sums and minima computed in the same pass; the values are
    exactly those of the plain kernel, with any thread count."""
    p = infogen.softmax(np.random.default_rng(sum(shape)).standard_normal(shape)).astype(dtype)
    p /= p.sum(axis=-1, keepdims=True)
    for threads in (1, 2):
        a = infogen.entropy(p, n_threads=threads)
        b = infogen.entropy(p, validate=False, n_threads=threads)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(infogen.entropy(p, base=2, n_threads=threads),
                                      infogen.entropy(p, base=2, validate=False, n_threads=threads))


@pytest.mark.parametrize("n_cols", [1, 3, 100, 500, 3000])
def test_float64_entropy_of_a_row_does_not_depend_on_its_neighbours(n_cols):
    """Short float64 rows share one vector log; a row's entropy is still bit-identical to
    the entropy of that row alone, and certain outcomes give +0, not -0."""
    rng = np.random.default_rng(n_cols)
    p = rng.dirichlet(np.full(n_cols, 0.5), size=257)
    p[5] = 0.0
    p[5, 0] = 1.0
    h = infogen.entropy(p, validate=False)
    for i in (0, 5, 100, 256):
        assert h[i] == infogen.entropy(p[i], validate=False)
        assert h[i] == infogen.entropy(p[i:i + 3], validate=False)[0]
    assert not np.signbit(h[5])
