"""Complete and denoise with the generative models (issue 19 item 1), against brute force."""
import itertools

import numpy as np
import pytest
from infogen import DBN, VAE, BernoulliRBM, DiscreteMarkovNetwork, datasets


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    W, b, c = rng.normal(0, 1.5, (4, 6)), rng.normal(0, 1, 6), rng.normal(0, 1, 4)
    return BernoulliRBM.from_params(W, b, c), W, b, c


def exact_conditional(W, b, c, x, observed):
    """P(v_i = 1 | observed) by enumerating the unobserved units (free energies)."""
    free = np.flatnonzero(~observed)
    vs, logw = [], []
    for bits in itertools.product([0, 1], repeat=free.size):
        v = x.astype(float).copy()
        v[free] = bits
        vs.append(v)
        logw.append(v @ b + np.logaddexp(0, c + W @ v).sum())
    w = np.exp(np.array(logw) - max(logw))
    return (w[:, None] * np.array(vs)).sum(0) / w.sum()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clamped_gibbs_matches_the_exact_conditionals(tiny, dtype):
    rbm, W, b, c = tiny
    if dtype == np.float32:
        rbm = BernoulliRBM.from_params(W.astype(np.float32), b.astype(np.float32), c.astype(np.float32))
    rng = np.random.default_rng(1)
    for observed in (np.array([1, 1, 1, 0, 0, 0], bool), np.array([0, 1, 0, 1, 0, 1], bool)):
        x = rng.integers(0, 2, 6)
        X = np.repeat(x[None].astype(dtype), 300, axis=0)
        M = np.repeat(observed[None], 300, axis=0)
        P = rbm.complete(X, M, n_steps=400, burn_in=50, random_state=2)
        assert P.dtype == dtype
        np.testing.assert_array_equal(P[:, observed], X[:, observed])  # observed entries untouched
        np.testing.assert_allclose(P.mean(0)[~observed], exact_conditional(W, b, c, x, observed)[~observed],
                                   atol=0.01)


def test_mean_field_is_a_fixed_point_and_seeds_reproduce(tiny):
    rbm, W, b, c = tiny
    x = np.array([[1, 0, 1, 0, 0, 0]], float)
    m = np.array([[1, 1, 1, 0, 0, 0]], bool)
    P = rbm.complete(x, m, method="mean_field", n_steps=300, burn_in=299)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    again = sig(b + sig(c + W @ P[0]) @ W)
    np.testing.assert_allclose(P[0, 3:], again[3:], atol=1e-8)
    a = rbm.complete(np.repeat(x, 50, 0), np.repeat(m, 50, 0), random_state=5)
    np.testing.assert_array_equal(a, rbm.complete(np.repeat(x, 50, 0), np.repeat(m, 50, 0), random_state=5))
    with_1 = BernoulliRBM.from_params(W, b, c, n_threads=1).complete(np.repeat(x, 300, 0), np.repeat(m, 300, 0),
                                                                     random_state=5)
    np.testing.assert_array_equal(with_1, rbm.complete(np.repeat(x, 300, 0), np.repeat(m, 300, 0), random_state=5))
    X = np.where(m, x, np.nan)  # the unobserved entries may hold anything
    np.testing.assert_array_equal(rbm.complete(X, m, random_state=5), rbm.complete(x, m, random_state=5))


def test_bad_masks(tiny):
    rbm = tiny[0]
    X = np.zeros((2, 6))
    for mask, err, match in ((np.ones((2, 5), bool), ValueError, "shape"), (np.ones((2, 6)), TypeError, "boolean"),
                             (np.zeros((2, 6), bool), ValueError, "nothing is observed"),
                             (np.ones((2, 6), bool), ValueError, "everything is observed"),
                             (None, TypeError, "boolean")):
        with pytest.raises(err, match=match):
            rbm.complete(X, mask)
    m = np.zeros((2, 6), bool)
    m[:, 0] = True
    for kwargs, match in (({"method": "exact"}, "method"), ({"n_steps": 0}, "n_steps"),
                          ({"n_steps": 5, "burn_in": 5}, "burn_in")):
        with pytest.raises(ValueError, match=match):
            rbm.complete(X, m, **kwargs)


@pytest.fixture(scope="module")
def digits():
    X_train, X_test, _ = datasets.load_digits(binary=True)
    top = np.zeros(X_test.shape, bool)
    top[:, :32] = True
    majority = (X_train.mean(0) > 0.5).astype(float)
    base = np.mean(majority[32:] != X_test[:, 32:])
    return X_train, X_test, top, base


def test_rbm_completes_the_bottom_half_of_digits_and_denoises(digits):
    X_train, X_test, top, base = digits
    rbm = BernoulliRBM(n_components=100, n_iter=100, batch_size=20, learning_rate=0.05, persistent=False,
                       random_state=0).fit(X_train)
    for method in ("gibbs", "mean_field"):
        P = rbm.complete(X_test, top, method=method, random_state=0)
        err = np.mean((P[:, 32:] > 0.5) != X_test[:, 32:])
        assert err < 0.8 * base, (method, err, base)  # the issue measured 0.70x
    rng = np.random.default_rng(0)
    flip = rng.random(X_test.shape) < 0.1
    noisy = np.where(flip, 1 - X_test, X_test)
    D = rbm.denoise(noisy)
    assert np.mean((D > 0.5) != X_test) < 0.8 * np.mean(noisy != X_test)  # the issue measured 0.66x


def test_dbn_and_vae_complete(digits):
    X_train, X_test, top, base = digits
    dbn = DBN((100, 50), rbm_params={"n_iter": 50, "persistent": False, "learning_rate": 0.05},
              random_state=0).fit(X_train)
    P = dbn.complete(X_test, top, random_state=0)
    np.testing.assert_array_equal(P[:, :32], X_test[:, :32])
    assert np.mean((P[:, 32:] > 0.5) != X_test[:, 32:]) < base
    vae = VAE(n_latent=8, hidden=(64,), n_epochs=30, random_state=0).fit(X_train)
    Q = vae.complete(X_test, top)
    np.testing.assert_array_equal(Q[:, :32], X_test[:, :32])
    assert np.all((Q >= 0) & (Q <= 1))
    assert np.mean((Q[:, 32:] > 0.5) != X_test[:, 32:]) < base


def test_from_params_turns_a_markov_network_into_a_working_rbm():
    net = DiscreteMarkovNetwork.lecture_example()
    rbm = BernoulliRBM.from_params(*net.to_rbm())
    # the RBM's P(v) is the network's marginal over the visible units (up to Z)
    V = np.array(list(itertools.product([0, 1], repeat=3)), float)
    p = np.exp(-rbm.free_energy(V))
    np.testing.assert_allclose(p / p.sum(), net.marginal(["v1", "v2", "v3"]).ravel(), rtol=1e-10)
    assert rbm.transform(V).shape == (8, 2)
    rbm.partial_fit(V)  # it trains on
    with pytest.raises(ValueError, match="contains NaN"):
        BernoulliRBM.from_params([[np.nan, 0.0]], [0.0, 0.0], [0.0])
    with pytest.raises(ValueError, match="must be"):
        BernoulliRBM.from_params(np.zeros((2, 3)), np.zeros(2), np.zeros(2))
