"""BernoulliRBM: kernels against brute-force enumeration, training, sampling, estimator API."""
import logging
import os

import infogen
import numpy as np
import pytest
from infogen import _core
from infogen.datasets import load_digits
from infogen.rbm import DBN, BernoulliRBM, ais_schedule
from infogen.reference import rbm as ref
from sklearn.exceptions import NotFittedError

SFX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
TOL = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-10}


def core(name, dtype):
    return getattr(_core, f"rbm_{name}_{SFX[np.dtype(dtype)]}")


def tiny_model(rng, n, m, scale=1.0, dtype=np.float64):
    W = rng.normal(size=(n, m)) * scale
    b = rng.normal(size=m) * scale
    c = rng.normal(size=n) * scale
    return tuple(np.ascontiguousarray(a, dtype=dtype) for a in (W, b, c))


def binary(rng, rows, cols, p=0.5, dtype=np.float64):
    return (rng.random((rows, cols)) < p).astype(dtype)


@pytest.fixture(scope="module")
def digits():
    return load_digits(binary=True)


@pytest.fixture(scope="module")
def trained20(digits):
    X_train, _, _ = digits
    return BernoulliRBM(20, n_iter=15, batch_size=20, learning_rate=0.05, random_state=3,
                        monitor=False).fit(X_train)


# ---------------------------------------------------------------- kernels vs brute force
@pytest.mark.parametrize("n,m", [(1, 1), (3, 5), (8, 4), (6, 8), (8, 8)])
@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_conditionals_energies_match_reference(rng, dtype, n, m, scale):
    W, b, c = tiny_model(rng, n, m, scale, dtype)
    V, H = binary(rng, 37, m, dtype=dtype), binary(rng, 37, n, dtype=dtype)
    tol = TOL[dtype]
    np.testing.assert_allclose(core("hidden_probs", dtype)(W, b, c, V, 1), ref.hidden_probs(W, b, c, V),
                               rtol=tol, atol=tol)
    np.testing.assert_allclose(core("visible_probs", dtype)(W, b, c, H, 1), ref.visible_probs(W, b, c, H),
                               rtol=tol, atol=tol)
    e = ref.energy(W, b, c, V, H)
    np.testing.assert_allclose(core("energy", dtype)(W, b, c, V, H, 1), e, rtol=tol, atol=tol * 10)
    f = ref.free_energy(W, b, c, V)
    np.testing.assert_allclose(core("free_energy", dtype)(W, b, c, V, 1), f, rtol=tol, atol=tol * 10)
    pl = ref.pseudo_likelihood(W, b, c, V)
    np.testing.assert_allclose(core("pseudo_likelihood", dtype)(W, b, c, V, 1), pl, rtol=tol * 10,
                               atol=tol * 10)


@pytest.mark.parametrize("n,m", [(1, 1), (2, 7), (7, 2), (5, 5), (8, 6), (6, 8), (8, 8)])
def test_log_partition_and_likelihood_equal_brute_force(rng, n, m):
    W, b, c = tiny_model(rng, n, m, 1.5)
    lz = _core.rbm_log_partition_f64(W, b, c, 24, 1)
    brute = ref.log_partition_brute(W, b, c)
    assert abs(lz - brute) <= 1e-10 * max(1.0, abs(brute))
    rbm = BernoulliRBM(n, monitor=False, random_state=0).fit(binary(rng, 10, m))
    rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_ = W, b, c
    V = binary(rng, 25, m)
    np.testing.assert_allclose(rbm.log_likelihood(V), ref.log_likelihood_brute(W, b, c, V), rtol=0, atol=1e-10)
    # the probabilities of all visible vectors sum to one
    allv = ref.all_states(m)
    assert abs(np.exp(rbm.log_likelihood(allv)).sum() - 1.0) < 1e-10


def test_log_partition_float32_accumulates_in_double(rng):
    W, b, c = tiny_model(rng, 10, 30, 1.0, np.float32)
    lz32 = _core.rbm_log_partition_f32(W, b, c, 24, 1)
    lz64 = ref.log_partition_enumerate_smaller(W, b, c)
    assert abs(lz32 - lz64) < 1e-9 * abs(lz64)


def test_extreme_parameters_stay_finite(rng, dtype):
    W, b, c = tiny_model(rng, 6, 7, 200.0, dtype)
    V = binary(rng, 20, 7, dtype=dtype)
    for name in ("hidden_probs",):
        out = core(name, dtype)(W, b, c, V, 1)
        assert np.isfinite(out).all() and ((out >= 0) & (out <= 1)).all()
    assert np.isfinite(core("free_energy", dtype)(W, b, c, V, 1)).all()
    assert np.isfinite(core("pseudo_likelihood", dtype)(W, b, c, V, 1)).all()
    lz = core("log_partition", dtype)(W, b, c, 24, 1)
    assert np.isfinite(lz)
    assert abs(lz - ref.log_partition_brute(W, b, c)) < 1e-6 * abs(lz)


@pytest.mark.parametrize("n_rows", [1, 5])
def test_sigmoid_at_adversarial_pre_activations(dtype, n_rows):
    """P(v | h) with W = 0 is sigmoid(b): every bias against scipy's expit, around exp's
    overflow (x < -708 gives 0, as 1 / (1 + inf)), at +-0, subnormals and huge values; 21
    units, so float64 rows end in a partial vector."""
    b = np.array([-1e4, -800, -745.2, -709.5, -708.5, -708, -707.9, -700, -104, -88.5, -36.8, -1e-300, -0.0,
                  0.0, 5e-324, 1e-8, 0.5, 36.8, 88.5, 709.8, 1e4], dtype=dtype)
    W, c = np.zeros((3, len(b)), dtype), np.zeros(3, dtype)
    H = np.ones((n_rows, 3), dtype)
    P = core("visible_probs", dtype)(W, b, c, H, 1)
    expected = ref.visible_probs(W, b, c, H)
    assert ((P >= 0) & (P <= 1)).all()
    if dtype == np.float64:
        np.testing.assert_allclose(P, expected, rtol=1e-15, atol=3e-308)
    else:
        np.testing.assert_allclose(P, expected, rtol=1e-6, atol=1e-37)
    assert (P[:, b >= 36.8] == 1.0).all() and (P[:, b <= -800] == 0.0).all()


def test_bernoulli_sampling_frequencies(rng, dtype):
    p = np.ascontiguousarray(np.tile(np.array([0.0, 0.1, 0.5, 0.9, 1.0], dtype=dtype), (20000, 1)))
    s = core("sample_bernoulli", dtype)(p, 7, 2)
    assert set(np.unique(s)) <= {0.0, 1.0}
    freq = s.mean(axis=0)
    assert freq[0] == 0.0 and freq[-1] == 1.0
    np.testing.assert_allclose(freq[1:4], [0.1, 0.5, 0.9], atol=0.012)
    assert not np.array_equal(s, core("sample_bernoulli", dtype)(p, 8, 2))
    assert np.array_equal(s, core("sample_bernoulli", dtype)(p, 7, 1))


def test_gibbs_chain_samples_the_model(rng):
    """Long Gibbs chains visit visible vectors with the exact marginal p(v)."""
    W, b, c = tiny_model(rng, 3, 3, 1.0)
    V0 = np.zeros((20000, 3))
    v, h = _core.rbm_gibbs_f64(W, b, c, V0, 30, 11, 2)
    assert h.shape == (20000, 3)
    codes = (v @ np.array([4, 2, 1])).astype(int)
    freq = np.bincount(codes, minlength=8) / len(codes)
    exact = np.exp(-ref.free_energy(W, b, c, ref.all_states(3)) - ref.log_partition_brute(W, b, c))
    np.testing.assert_allclose(freq, exact, atol=0.012)


# ---------------------------------------------------------------- gradients
def test_fused_cd1_update_is_unbiased_for_expected_cd1(rng):
    """Averaged over seeds, the fused kernel's CD-1 step equals the exact expected CD-1 step."""
    n, m, B = 3, 4, 5
    W, b, c = tiny_model(rng, n, m, 1.0)
    X = binary(rng, B, m)
    lr, N = 1e-3, 6000
    steps = []
    for s in range(N):
        W2, b2, c2 = W.copy(), b.copy(), c.copy()
        z = np.zeros_like
        _core.rbm_cd_train_f64(W2, b2, c2, z(W), z(b), z(c), z(c), np.zeros((B, n)), X, None, B, 1, False,
                               lr, 0.0, 0.0, -1.0, 0.0, s, 1)
        steps.append(np.concatenate([((W2 - W) / lr).ravel(), (b2 - b) / lr, (c2 - c) / lr]))
    steps = np.array(steps)
    eW, eb, ec = ref.expected_cd1_update(W, b, c, X)
    expected = np.concatenate([eW.ravel(), eb, ec])
    se = steps.std(axis=0) / np.sqrt(N)
    assert np.all(np.abs(steps.mean(axis=0) - expected) <= 5 * se + 1e-9)


def exact_gradient_by_visible(W, b, c, X):
    """ref.exact_gradient with the model term summed over the visible states only (any
    number of hidden units): E_model[h v^T] = sum_v p(v) P(h|v) v^T, p(v) from -F(v)."""
    V = ref.all_states(W.shape[1])
    logp = -ref.free_energy(W, b, c, V)
    p = np.exp(logp - logp.max())
    p /= p.sum()
    PH = ref.hidden_probs(W, b, c, V)
    ph = ref.hidden_probs(W, b, c, X)
    return ph.T @ X / len(X) - (PH * p[:, None]).T @ V, X.mean(axis=0) - p @ V, ph.mean(axis=0) - p @ PH


@pytest.mark.parametrize("n, m, B, scale, density, k, dtype", [
    (3, 5, 8, 0.8, 0.5, 50, np.float64),
    (16, 8, 8, 0.8, 0.5, 50, np.float64),
    (256, 10, 1024, 0.1, 0.3, 30, np.float32),
    (256, 10, 1024, 0.1, 0.3, 30, np.float64),
])
def test_long_chain_gradient_converges_to_exact_gradient(rng, n, m, B, scale, density, k, dtype):
    """PCD with many long chains estimates the exact log-likelihood gradient. 16 x 8 goes
    through the weight update's 8 x 8 register tiles (float32's 16 x 16 tiles are checked
    against these in test_float32_and_float64_agree); 256 hidden x 10 visible x 1024 rows
    is large enough to train by parts of the hidden units (each thread owns parts in every
    phase; the visible units' sums are added across parts), its model term enumerated over
    the visible states only."""
    W, b, c = tiny_model(rng, n, m, scale)
    X = binary(rng, B, m, density)
    exact = ref.exact_gradient if n + m <= 24 else exact_gradient_by_visible
    gW, gb, gc = exact(W, b, c, X)
    lr, n_chain = 1e-3 if dtype == np.float32 else 1e-4, 20000
    W2, b2, c2, X2 = (a.astype(dtype) for a in (W, b, c, X))
    z = np.zeros_like
    core("cd_train", dtype)(W2, b2, c2, z(W2), z(b2), z(c2), z(c2), np.zeros((n_chain, n), dtype), X2, None, B, k,
                            True, lr, 0.0, 0.0, -1.0, 0.0, 5, 2)
    np.testing.assert_allclose((W2 - W) / lr, gW, atol=0.02)
    np.testing.assert_allclose((b2 - b) / lr, gb, atol=0.02)
    np.testing.assert_allclose((c2 - c) / lr, gc, atol=0.02)


def test_momentum_weight_decay_and_sparsity_change_the_update(rng):
    n, m, B = 4, 6, 10
    W, b, c = tiny_model(rng, n, m, 0.5)
    X = binary(rng, B, m)

    def step(wd, target, cost):
        W2, b2, c2 = W.copy(), b.copy(), c.copy()
        z = np.zeros_like
        q = np.full(n, 0.5)
        _core.rbm_cd_train_f64(W2, b2, c2, z(W), z(b), z(c), q, np.zeros((B, n)), X, None, B, 1, True, 0.1,
                               0.0, wd, target, cost, 1, 1)
        return W2, b2, c2, q

    W0, b0, c0, _ = step(0.0, -1.0, 0.0)
    W1, _, _, _ = step(0.5, -1.0, 0.0)
    np.testing.assert_allclose(W1 - W0, -0.1 * 0.5 * W, atol=1e-12)  # same draws, plus decay
    W3, _, c3, q = step(0.0, 0.01, 1.0)
    ph = ref.hidden_probs(W, b, c, X).mean(axis=0)
    np.testing.assert_allclose(q, 0.9 * 0.5 + 0.1 * ph, atol=1e-12)
    np.testing.assert_allclose(c3 - c0, 0.1 * (0.01 - q), atol=1e-12)  # pushes activations down
    # momentum: a second call moves further along the remembered velocity
    W4, b4, c4 = W.copy(), b.copy(), c.copy()
    vW, vb, vc = np.ones_like(W), np.ones_like(b), np.ones_like(c)
    _core.rbm_cd_train_f64(W4, b4, c4, vW, vb, vc, np.zeros(n), np.zeros((B, n)), X, None, B, 1, True, 0.1,
                           0.5, 0.0, -1.0, 0.0, 1, 1)
    np.testing.assert_allclose(W4 - W0, 0.5 * np.ones_like(W), atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sparsity", [False, True])
@pytest.mark.parametrize("n, m, B", [(40, 48, 10), (264, 64, 128)])
def test_weights_and_their_transpose_stay_in_step(rng, dtype, sparsity, n, m, B):
    """Training keeps W^T (the products of visible states read it) in step with W: two
    minibatches in one call equal two calls of one minibatch each (W^T rebuilt from W),
    bit for bit. 48 visible x 40 hidden units: whole register tiles and scalar edges;
    264 hidden x 64 visible x 128 rows: trained by parts of the hidden units."""
    W, b, c = tiny_model(rng, n, m, 0.3, dtype)
    X = binary(rng, 2 * B, m, 0.3, dtype)
    train = core("cd_train", dtype)
    target, cost = (0.05, 0.5) if sparsity else (-1.0, 0.0)

    def state():
        return [a.copy() for a in (W, b, c)] + [np.zeros_like(W), np.zeros_like(b), np.zeros_like(c),
                                                 np.full(n, 0.2, dtype), np.zeros((B, n), dtype)]

    one = state()
    train(*one, X, None, B, 1, True, 0.05, 0.5, 1e-3, target, cost, 7, 2)
    two = state()
    train(*two, X[:B], None, B, 1, True, 0.05, 0.5, 1e-3, target, cost, 7, 2)
    train(*two, X[B:], None, B, 1, True, 0.05, 0.5, 1e-3, target, cost, 8, 2)
    for a, b_ in zip(one, two):
        np.testing.assert_array_equal(a, b_)
    assert not np.array_equal(one[0], W)


@pytest.mark.parametrize("persistent", [True, False])
def test_float32_step_equals_float64_step(rng, persistent):
    """One fused update of a 48 x 32 model (float32's 16 x 16 register tiles, float64's
    8 x 8 ones) moves float32 and float64 weights alike, the same draws on both."""
    n, m, B = 32, 48, 10
    W, b, c = tiny_model(rng, n, m, 0.3)
    X = binary(rng, B, m, 0.3)
    out = {}
    for dtype in (np.float32, np.float64):
        s = [a.astype(dtype) for a in (W, b, c)]
        s += [np.zeros_like(s[0]), np.zeros_like(s[1]), np.zeros_like(s[2]), np.full(n, 0.2, dtype),
              np.zeros((B, n), dtype)]
        core("cd_train", dtype)(*s, X.astype(dtype), None, B, 1, persistent, 0.05, 0.5, 1e-3, 0.05, 0.5, 3, 2)
        out[dtype] = s
    for a32, a64 in zip(out[np.float32], out[np.float64]):
        np.testing.assert_allclose(a32, a64, atol=2e-6)
    assert np.abs(out[np.float64][0] - W).max() > 1e-3


# ---------------------------------------------------------------- log Z: exact and AIS
def test_exact_log_partition_refuses_absurd_sizes():
    rbm = BernoulliRBM(30, monitor=False, random_state=0).fit(np.eye(40)[:10] * 0 + (np.arange(40) % 2))
    with pytest.raises(ValueError, match=r"2\^30 .*multiply-adds.*ais"):
        rbm.log_partition()
    with pytest.raises(ValueError, match="2\\^30"):
        rbm.log_likelihood(np.zeros((1, 40)))
    with pytest.raises(ValueError, match="max_units"):
        rbm.log_partition(max_units=41)
    with pytest.raises(ValueError, match="method"):
        rbm.log_partition("magic")


def test_ais_lands_within_its_interval_of_exact(trained20):
    exact = trained20.log_partition("exact").value
    est = trained20.log_partition("ais", n_runs=100, n_betas=10_000, random_state=1)
    assert est.method == "ais" and len(est.log_weights) == 100
    assert est.lower <= exact <= est.upper
    assert abs(est.value - exact) < 0.5


def test_ais_schedule():
    b = ais_schedule(14_500)
    assert b[0] == 0 and b[-1] == 1 and np.all(np.diff(b) >= 0)
    assert np.sum(b < 0.5) == 500 and np.sum((b >= 0.5) & (b < 0.9)) == 4000
    with pytest.raises(ValueError):
        ais_schedule(2)


# ---------------------------------------------------------------- training on digits
def test_training_improves_exact_test_log_likelihood(digits):
    X_train, X_test, _ = digits
    rbm = BernoulliRBM(16, n_iter=30, batch_size=20, learning_rate=0.1, random_state=0, monitor=True)
    rbm.fit(X_train, X_val=X_test)
    val = rbm.history_["val_log_likelihood"]
    assert len(val) == 30 and np.isfinite(val).all()
    p = X_train.mean(axis=0).clip(1e-3, 1 - 1e-3)
    independent = float(np.mean(X_test @ np.log(p) + (1 - X_test) @ np.log(1 - p)))
    assert independent < -23.5
    # (over three seeds: seed 0 alone reaches -21.3, the lowest of seeds 0-4, -21.3 to -19.4)
    finals = [rbm.log_likelihood(X_test).mean()] + [
        BernoulliRBM(16, n_iter=30, batch_size=20, learning_rate=0.1, random_state=seed).fit(X_train)
        .log_likelihood(X_test).mean() for seed in (1, 2)]
    assert np.mean(finals) > independent + 3.0
    assert np.mean(val[-5:]) > np.mean(val[:2]) + 2.0
    assert rbm.history_["log_likelihood"][-1] > rbm.history_["log_likelihood"][0]
    assert rbm.history_["pseudo_likelihood"][-1] > rbm.history_["pseudo_likelihood"][0]
    assert all(s >= 0 for s in rbm.history_["seconds"])


def test_at_least_as_good_as_sklearn_at_same_settings(digits):
    from sklearn.neural_network import BernoulliRBM as SkRBM

    X_train, X_test, _ = digits
    ours = BernoulliRBM(16, n_iter=40, batch_size=20, learning_rate=0.05, random_state=0,
                        monitor=False).fit(X_train)
    sk = SkRBM(n_components=16, n_iter=40, batch_size=20, learning_rate=0.05, random_state=0).fit(X_train)
    # same parameters -> same transform
    twin = BernoulliRBM(16, monitor=False).fit(X_train[:30])
    twin.components_ = sk.components_.copy()
    twin.intercept_hidden_ = sk.intercept_hidden_.copy()
    twin.intercept_visible_ = sk.intercept_visible_.copy()
    np.testing.assert_allclose(twin.transform(X_test), sk.transform(X_test), rtol=1e-12, atol=1e-14)
    assert ours.log_likelihood(X_test).mean() >= twin.log_likelihood(X_test).mean() - 0.3


# ---------------------------------------------------------------- determinism and dtypes
@pytest.mark.parametrize("batch_size", [100, 200])
def test_same_seed_bit_identical_with_one_and_two_threads(digits, dtype, batch_size):
    """(batch 100 x 64 visible x 256 hidden trains on one thread; batch 200, by parts.)"""
    X = digits[0].astype(dtype)
    fits = []
    for t in (1, 2):
        rbm = BernoulliRBM(256, n_iter=2, batch_size=batch_size, random_state=7, n_threads=t, monitor=False,
                           momentum=0.5).fit(X)
        fits.append(rbm)
    a, b = fits
    for name in ("components_", "intercept_hidden_", "intercept_visible_", "h_samples_"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes(), name
    assert a.transform(X).tobytes() == b.transform(X).tobytes()
    Xb = X[:300]
    assert a.pseudo_likelihood(Xb).tobytes() == b.pseudo_likelihood(Xb).tobytes()
    assert a.sample(50, 20, random_state=1).tobytes() == b.sample(50, 20, random_state=1).tobytes()
    small = BernoulliRBM(12, n_iter=1, random_state=0, monitor=False, dtype=dtype).fit(X)
    results = []
    for t in (1, 2):
        small.n_threads = t
        results.append((small.log_partition().value,
                        small.log_partition("ais", n_runs=40, n_betas=500, random_state=2).value))
    assert results[0] == results[1]


def test_float32_and_float64_agree(digits):
    X = digits[0]
    r64 = BernoulliRBM(12, n_iter=3, random_state=0, monitor=False).fit(X)
    r32 = BernoulliRBM(12, monitor=False, dtype="float32").fit(X[:20])
    r32.components_ = r64.components_.astype(np.float32)
    r32.intercept_hidden_ = r64.intercept_hidden_.astype(np.float32)
    r32.intercept_visible_ = r64.intercept_visible_.astype(np.float32)
    assert r32.transform(X).dtype == np.float32 and r64.transform(X).dtype == np.float64
    np.testing.assert_allclose(r32.transform(X), r64.transform(X), atol=2e-6)
    np.testing.assert_allclose(r32.free_energy(X), r64.free_energy(X), rtol=2e-6, atol=1e-5)
    np.testing.assert_allclose(r32.log_partition().value, r64.log_partition().value, rtol=1e-6)
    np.testing.assert_allclose(r32.log_likelihood(X[:50]), r64.log_likelihood(X[:50]), atol=1e-4)
    # training in float32 reaches the same quality (PCD trajectories are chaotic: a single
    # draw that lands between the float32 and float64 probability sends them apart, so
    # compare the mean over seeds)
    s32, s64 = [], []
    for seed in range(3):
        t32 = BernoulliRBM(12, n_iter=8, random_state=seed, monitor=False, dtype="float32").fit(X)
        t64 = BernoulliRBM(12, n_iter=8, random_state=seed, monitor=False).fit(X)
        assert t32.components_.dtype == np.float32
        s32.append(t32.log_likelihood(digits[1]).mean())
        s64.append(t64.log_likelihood(digits[1]).mean())
    assert abs(np.mean(s32) - np.mean(s64)) < 1.0


def test_float32_input_keeps_float32(digits):
    X = digits[0][:200].astype(np.float32)
    rbm = BernoulliRBM(8, n_iter=1, random_state=0).fit(X, X_val=digits[1])  # float64 X_val
    assert np.isfinite(rbm.history_["val_log_likelihood"]).all()
    assert rbm.components_.dtype == np.float32
    assert rbm.transform(X).dtype == np.float32
    assert rbm.reconstruct(X).dtype == np.float32


# ---------------------------------------------------------------- bad input
def test_bad_input_is_rejected_clearly(digits):
    X = digits[0][:100]
    # like scikit-learn's, values outside [0, 1] are mean-field inputs, not refused
    Xbad = X.copy()
    Xbad[3, 5] = 2.0
    Xbad[4, 5] = -1.0
    wide = BernoulliRBM(4, n_iter=1, random_state=0).fit(Xbad)
    assert np.isfinite(wide.intercept_visible_).all() and np.isfinite(wide.score_samples(Xbad)).all()
    Xnan = X.copy()
    Xnan[1, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN at row 1, column 1"):
        BernoulliRBM(4).fit(Xnan)
    for bad in (np.inf, -np.inf):
        Xinf = X.astype(np.float32).copy()
        Xinf[7, 2] = bad
        with pytest.raises(ValueError, match=r"infinity.*row 7, column 2"):
            BernoulliRBM(4).fit(Xinf)
    rbm = BernoulliRBM(4, n_iter=1, random_state=0).fit(X * 0.5)  # probabilities are fine
    with pytest.raises(ValueError, match="binary"):
        rbm.log_likelihood(X * 0.5)
    Xhalf = X.copy()
    Xhalf[4, 6] = 0.5
    with pytest.raises(ValueError, match=r"binary \(0 or 1\).*found 0.5 at row 4, column 6"):
        rbm.log_likelihood(Xhalf)
    assert np.isfinite(rbm.pseudo_likelihood(X * 0.5)).all()  # the data fit accepts
    with pytest.raises(ValueError, match="features"):
        rbm.transform(X[:, :10])
    with pytest.raises(ValueError, match="NaN"):
        rbm.transform(Xnan)
    with pytest.raises(NotFittedError):
        BernoulliRBM(4).transform(X)
    with pytest.raises(NotFittedError):
        BernoulliRBM(4).log_partition()
    with pytest.raises(ValueError, match="could not convert"):
        BernoulliRBM(4).fit(np.array([["a"] * 3]))
    for kwargs, exc in [({"n_components": 0}, ValueError), ({"momentum": 1.0}, ValueError),
                        ({"learning_rate": -1}, ValueError), ({"batch_size": 2.5}, TypeError),
                        ({"k": 0}, ValueError), ({"persistent": "yes"}, TypeError),
                        ({"dtype": "int8"}, ValueError), ({"sparsity_target": 2.0}, ValueError)]:
        with pytest.raises(exc):
            BernoulliRBM(**{"n_components": 4, **kwargs}).fit(X)
    with pytest.raises(ValueError, match="h must"):
        rbm.sample_visible(np.full((2, 4), 2.0))
    with pytest.raises(ValueError, match="shape"):
        rbm.sample_visible(np.zeros((2, 5)))


def test_core_refuses_in_place_arrays_it_cannot_update(rng):
    W, b, c = tiny_model(rng, 3, 4)
    X = binary(rng, 5, 4)
    z = np.zeros_like
    args = [W, b, c, z(W), z(b), z(c), z(c), np.zeros((5, 3)), X, None, 5, 1, True, 0.1, 0.0, 0.0, -1.0, 0.0, 1, 1]
    bad = list(args)
    bad[0] = W.astype(np.float32)
    with pytest.raises(TypeError, match="W must have dtype"):
        _core.rbm_cd_train_f64(*bad)
    bad = list(args)
    bad[0] = np.asfortranarray(W)
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.rbm_cd_train_f64(*bad)
    bad = list(args)
    ro = W.copy()
    ro.flags.writeable = False
    bad[0] = ro
    with pytest.raises(ValueError, match="writeable"):
        _core.rbm_cd_train_f64(*bad)
    bad = list(args)
    bad[9] = np.array([0, 1, 2, 3, 99], dtype=np.int64)
    with pytest.raises(IndexError):
        _core.rbm_cd_train_f64(*bad)


# ---------------------------------------------------------------- estimator API
def test_partial_fit_returns_self_and_continues(digits):
    X = digits[0]
    rbm = BernoulliRBM(8, random_state=0)
    assert rbm.partial_fit(X[:100]) is rbm
    before = rbm.components_.copy()
    assert rbm.partial_fit(X[100:200]) is rbm
    assert not np.array_equal(before, rbm.components_)
    assert rbm.n_updates_ == 20


def test_input_not_mutated_and_sampling_api(digits):
    X = digits[0][:300]
    X0 = X.copy()
    rbm = BernoulliRBM(10, n_iter=3, random_state=0).fit(X)
    np.testing.assert_array_equal(X, X0)
    g1, g2 = rbm.gibbs(X[:20]), rbm.gibbs(X[:20])
    assert set(np.unique(g1)) <= {0.0, 1.0} and not np.array_equal(g1, g2)
    s = rbm.sample(7, n_steps=50, random_state=0)
    assert s.shape == (7, 64) and set(np.unique(s)) <= {0.0, 1.0}
    assert np.array_equal(s, rbm.sample(7, n_steps=50, random_state=0))
    assert rbm.sample(3, 5, init="uniform", random_state=1).shape == (3, 64)
    assert rbm.sample(2, 5, init=X[:2], random_state=1).shape == (2, 64)
    h = (rbm.transform(X[:5]) > 0.5).astype(float)
    pv = rbm.sample_visible(h, mean=True)
    np.testing.assert_allclose(pv, ref.visible_probs(*rbm._params(), h), atol=1e-12)
    assert set(np.unique(rbm.sample_visible(h, random_state=0))) <= {0.0, 1.0}
    e = rbm.energy(X[:5], h)
    np.testing.assert_allclose(e, ref.energy(*rbm._params(), X[:5], h), atol=1e-10)
    assert rbm.reconstruct(X[:5]).shape == (5, 64)


def test_save_load_round_trip(tmp_path, digits):
    X = digits[0][:300]
    rbm = BernoulliRBM(10, n_iter=2, random_state=0, momentum=0.3).fit(X)
    path = tmp_path / "model.npz"
    rbm.save(path)
    assert os.listdir(tmp_path) == ["model.npz"]  # no temp file left behind
    back = BernoulliRBM.load(path)
    np.testing.assert_array_equal(back.components_, rbm.components_)
    np.testing.assert_array_equal(back.transform(X), rbm.transform(X))
    assert back.get_params() == rbm.get_params()
    assert back.history_.keys() == rbm.history_.keys()
    for key, values in rbm.history_.items():
        np.testing.assert_array_equal(back.history_[key], values)
    assert back.log_partition().value == rbm.log_partition().value
    assert back.partial_fit(X) is back
    with pytest.raises(FileNotFoundError):
        BernoulliRBM.load(tmp_path / "missing.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not a saved"):
        BernoulliRBM.load(tmp_path / "other.npz")


def test_pipeline_and_grid_search(digits):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    X_train, X_test, y = digits
    pipe = Pipeline([("rbm", BernoulliRBM(32, n_iter=5, learning_rate=0.05, random_state=0, monitor=False)),
                     ("clf", LogisticRegression(max_iter=500))])
    pipe.fit(X_train, y[:1500])
    assert pipe.score(X_test, y[1500:]) > 0.7
    grid = GridSearchCV(BernoulliRBM(n_iter=3, random_state=0, monitor=False),
                        {"n_components": [4, 12]}, cv=2)
    grid.fit(X_train[:600])
    assert grid.best_params_["n_components"] in (4, 12)
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()


def test_sklearn_clone_and_params():
    from sklearn.base import clone

    rbm = BernoulliRBM(5, learning_rate=0.01, k=3, persistent=False)
    c = clone(rbm)
    assert c.get_params() == rbm.get_params()


def test_cd_k_nonpersistent_trains(digits):
    X_train, X_test, _ = digits
    rbm = BernoulliRBM(12, n_iter=10, k=3, persistent=False, learning_rate=0.1, batch_size=20,
                       weight_decay=1e-4, momentum=0.5, sparsity_target=0.1, random_state=0).fit(X_train)
    assert rbm.log_likelihood(X_test).mean() > -22.5


def test_dbn_stacks_and_samples(digits):
    X = digits[0][:400]
    dbn = DBN((16, 8), rbm_params={"n_iter": 3, "monitor": False}, random_state=0).fit(X)
    assert len(dbn.rbms_) == 2 and dbn.rbms_[1].n_features_in_ == 16
    Z = dbn.transform(X)
    np.testing.assert_allclose(Z, dbn.rbms_[1].transform(dbn.rbms_[0].transform(X)))
    s = dbn.sample(5, n_steps=20, random_state=0)
    assert s.shape == (5, 64) and set(np.unique(s)) <= {0.0, 1.0}
    p = dbn.sample(5, n_steps=20, random_state=0, mean=True)
    assert ((p >= 0) & (p <= 1)).all()
    with pytest.raises(ValueError, match="n_components"):
        DBN((4,), rbm_params={"n_components": 3}).fit(X)


def test_dbn_save_load_round_trip(tmp_path, digits):
    X = digits[0][:300]
    dbn = DBN((12, 6), rbm_params={"n_iter": 2, "monitor": False, "dtype": np.float32}, random_state=4).fit(X)
    path = tmp_path / "dbn.npz"
    dbn.save(path)
    assert os.listdir(tmp_path) == ["dbn.npz"]
    with np.load(path, allow_pickle=False) as data:  # readable without pickle
        assert "layer1.components" in data.files
    back = DBN.load(path)
    assert back.hidden_layers == (12, 6) and back.random_state == 4
    assert back.rbm_params["dtype"] == "float32" and back.rbm_params["n_iter"] == 2
    np.testing.assert_array_equal(back.transform(X), dbn.transform(X))
    np.testing.assert_array_equal(back.sample(3, n_steps=10, random_state=1), dbn.sample(3, n_steps=10, random_state=1))
    with pytest.raises(FileNotFoundError, match="no saved DBN"):
        DBN.load(tmp_path / "missing.npz")
    dbn.rbms_[0].save(tmp_path / "rbm.npz")
    with pytest.raises(ValueError, match="not 'infogen.DBN'"):
        DBN.load(tmp_path / "rbm.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a readable"):
        DBN.load(tmp_path / "junk.npz")


def test_public_exports():
    assert infogen.BernoulliRBM is BernoulliRBM and infogen.DBN is DBN
    assert "DiscreteMarkovNetwork" in infogen.__all__


def test_cli_train_save_score(tmp_path, capsys, caplog):
    from infogen import cli

    out = tmp_path / "m.npz"
    with caplog.at_level(logging.INFO, logger="infogen"):
        assert cli.main(["rbm", "train", "--hidden", "6", "--epochs", "2", "--out", str(out)]) == 0
    assert "val_log_likelihood" in caplog.text  # the epochs' lines go through logging
    assert out.exists()
    assert cli.main(["rbm", "score", str(out), "--method", "exact"]) == 0
    text = capsys.readouterr().out
    assert "mean log-likelihood (exact)" in text
    assert cli.main(["rbm", "score", str(tmp_path / "missing.npz")]) == 2


def test_demo_rbm_section():
    import io

    from infogen import demo

    buf = io.StringIO()
    demo.run(["rbm"], quick=True, out=buf)
    text = buf.getvalue()
    assert "P(V=<0,0,0>, H=<1,1>) = 16,200,000" in text
    assert "independent pixels" in text and "#" in text


def test_memory_layout_does_not_matter(digits):
    X = digits[0][:200]
    rbm = BernoulliRBM(8, n_iter=2, random_state=0, monitor=False).fit(X)
    expected = rbm.transform(X)
    np.testing.assert_array_equal(rbm.transform(np.asfortranarray(X)), expected)
    wide = np.zeros((200, 128))
    wide[:, ::2] = X
    np.testing.assert_array_equal(rbm.transform(wide[:, ::2]), expected)
    np.testing.assert_array_equal(rbm.transform(X.astype(int)), expected)
    np.testing.assert_array_equal(rbm.transform(X.astype(bool)), expected)


def test_kernels_property_based():
    pytest.importorskip("hypothesis")
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=40, deadline=None)
    @given(n=st.integers(1, 6), m=st.integers(1, 6), rows=st.integers(1, 40), scale=st.sampled_from([0.1, 1.0, 8.0]),
           seed=st.integers(0, 2**32 - 1))
    def check(n, m, rows, scale, seed):
        rng = np.random.default_rng(seed)
        W, b, c = tiny_model(rng, n, m, scale)
        V = binary(rng, rows, m)
        np.testing.assert_allclose(_core.rbm_free_energy_f64(W, b, c, V, 2), ref.free_energy(W, b, c, V),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(_core.rbm_pseudo_likelihood_f64(W, b, c, V, 2),
                                   ref.pseudo_likelihood(W, b, c, V), rtol=1e-10, atol=1e-10)
        lz = _core.rbm_log_partition_f64(W, b, c, 24, 2)
        assert abs(lz - ref.log_partition_brute(W, b, c)) <= 1e-10 * max(1.0, abs(lz))

    check()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [0, 1, 2047, 2048, 5000])
def test_column_totals_against_reference_and_threads(dtype, rows):
    """The visible marginals' sums: exact counts for binary data, double sums of
    probabilities; chunks of rows cross the kernel's chunk size, same bits with 1 and 2
    threads."""
    rng = np.random.default_rng(rows)
    X = binary(rng, rows, 37, p=0.2, dtype=dtype)
    one = core("column_totals", dtype)(X, 1)
    assert one.dtype == np.float64 and one.shape == (37,)
    np.testing.assert_array_equal(one, ref.column_totals(X))  # integers: exact
    P = rng.random((rows, 37)).astype(dtype)
    got = core("column_totals", dtype)(P, 2)
    np.testing.assert_allclose(got, ref.column_totals(P), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(got, core("column_totals", dtype)(P, 1))


def test_column_totals_rejects_a_vector():
    with pytest.raises(ValueError):
        _core.rbm_column_totals_f64(np.zeros(5), 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_momentum_zero_keeps_the_last_step_as_velocity(dtype):
    """With momentum 0 the update skips the velocity except on a call's last minibatch:
    afterwards the velocity still equals the last step (W after three minibatches minus W
    after the first two, which a call of two minibatches reproduces: same seeds, same
    rows), so switching momentum on for a later call starts from it."""
    rng = np.random.default_rng(3)
    n, m, B = 40, 48, 20
    X = binary(rng, 3 * B, m, p=0.3, dtype=dtype)
    W0, b0, c0 = tiny_model(rng, n, m, 0.1, dtype)

    def train(rows):
        W, b, c = W0.copy(), b0.copy(), c0.copy()
        vW, vb, vc = (np.full_like(a, np.nan) if a is W else np.zeros_like(a) for a in (W, b, c))
        core("cd_train", dtype)(W, b, c, vW, vb, vc, np.zeros(n, dtype), np.zeros((B, n), dtype), X[:rows], None, B,
                                1, True, 0.1, 0.0, 0.0, -1.0, 0.0, 7, 2)
        return W, vW

    W2, _ = train(2 * B)
    W3, v3 = train(3 * B)
    assert np.isfinite(v3).all()  # written by the last minibatch, not read: NaN before is harmless
    np.testing.assert_allclose(v3, W3 - W2, rtol=0, atol=4 * np.finfo(dtype).eps * np.abs(W3).max())
    assert np.abs(v3).max() > 0
