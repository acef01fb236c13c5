"""DiscreteMarkovNetwork: the lecture's worked example and the RBM <-> factor-form equivalence."""
import itertools
import math

import numpy as np
import pytest
from infogen import BernoulliRBM, DiscreteMarkovNetwork
from infogen.reference import rbm as ref

LECTURE_PHI = {(1, 1): [[20, 3], [5, 10]], (1, 2): [[6, 20], [10, 2]], (2, 1): [[3, 3], [2, 10]],
               (2, 2): [[2, 1], [10, 10]], (3, 1): [[6, 3], [5, 10]], (3, 2): [[3, 1], [10, 10]]}
LECTURE_PSI = [[30, 1], [100, 1], [1, 100]]
LECTURE_XI = [[100, 1], [10, 10]]


def brute_unnormalized(v, h):
    p = 1.0
    for (i, j), t in LECTURE_PHI.items():
        p *= t[v[i - 1]][h[j - 1]]
    for i, t in enumerate(LECTURE_PSI):
        p *= t[v[i]]
    for j, t in enumerate(LECTURE_XI):
        p *= t[h[j]]
    return p


def test_lecture_worked_example():
    net = DiscreteMarkovNetwork.lecture_example()
    x = dict(v1=0, v2=0, v3=0, h1=1, h2=1)
    # phi11(0,1) phi12(0,1) phi21(0,1) phi22(0,1) phi31(0,1) phi32(0,1) psi1(0) psi2(0) psi3(0) xi1(1) xi2(1)
    assert net.unnormalized(x) == pytest.approx(3 * 20 * 3 * 1 * 3 * 1 * 30 * 100 * 1 * 1 * 10, rel=1e-14)
    Z = sum(brute_unnormalized(v, h) for v in itertools.product((0, 1), repeat=3)
            for h in itertools.product((0, 1), repeat=2))
    assert net.partition_function() == pytest.approx(Z, rel=1e-13)
    assert net.joint(x) == pytest.approx(16_200_000 / Z, rel=1e-13)
    assert net.joint_table().sum() == pytest.approx(1.0, rel=1e-13)


def test_lecture_tables_as_an_rbm_give_the_same_joint():
    net = DiscreteMarkovNetwork.lecture_example()
    W, b, c = net.to_rbm()
    lz = ref.log_partition_brute(W, b, c)
    rbm = BernoulliRBM(2, monitor=False, random_state=0).fit(np.array([[0, 1, 1], [1, 0, 1]]))
    rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_ = W, b, c
    assert rbm.log_partition().value == pytest.approx(lz, abs=1e-12)
    for v in itertools.product((0, 1), repeat=3):
        for h in itertools.product((0, 1), repeat=2):
            p_net = net.joint(dict(v1=v[0], v2=v[1], v3=v[2], h1=h[0], h2=h[1]))
            e = rbm.energy(np.array([v], float), np.array([h], float))[0]
            assert math.exp(-e - rbm.log_partition().value) == pytest.approx(p_net, rel=1e-12)
    # conditionals of the network are the RBM's sigmoids
    for v in itertools.product((0, 1), repeat=3):
        cond = net.conditional(["h1", "h2"], dict(v1=v[0], v2=v[1], v3=v[2]))
        ph = rbm.transform(np.array([v], float))[0]
        assert cond.sum(axis=1)[1] == pytest.approx(ph[0], rel=1e-12)
        assert cond.sum(axis=0)[1] == pytest.approx(ph[1], rel=1e-12)


def test_rbm_parameters_and_factor_form_agree(rng):
    n, m = 3, 4
    W, b, c = rng.normal(size=(n, m)), rng.normal(size=m), rng.normal(size=n)
    net = DiscreteMarkovNetwork.from_rbm(W, b, c)
    assert net.log_partition_function() == pytest.approx(ref.log_partition_brute(W, b, c), abs=1e-12)
    V, H, logp = ref.joint_table(W, b, c)
    lz = ref.log_partition_brute(W, b, c)
    for v, h, lp in zip(V[::7], H[::7], logp[::7], strict=True):
        x = {f"v{i + 1}": int(v[i]) for i in range(m)} | {f"h{j + 1}": int(h[j]) for j in range(n)}
        assert net.joint(x) == pytest.approx(math.exp(lp - lz), rel=1e-12)
    W2, b2, c2 = net.to_rbm()
    np.testing.assert_allclose(W2, W, atol=1e-12)
    np.testing.assert_allclose(b2, b, atol=1e-12)
    np.testing.assert_allclose(c2, c, atol=1e-12)
    # marginal over the visible layer = exp(-F(v)) / Z
    pv = net.marginal([f"v{i + 1}" for i in range(m)]).reshape(-1)
    np.testing.assert_allclose(pv, np.exp(-ref.free_energy(W, b, c, ref.all_states(m)) - lz), rtol=1e-12)


def test_general_network_marginals_and_conditionals():
    net = DiscreteMarkovNetwork({"a": 3, "b": 2})
    net.add_factor(("b", "a"), [[1, 2, 3], [4, 5, 6]])
    net.add_factor("a", [1, 1, 2])
    table = np.array([[1, 4], [2, 5], [6, 12]], float)
    np.testing.assert_allclose(net.joint_table(), table / table.sum())
    np.testing.assert_allclose(net.marginal("a"), table.sum(1) / table.sum())
    np.testing.assert_allclose(net.marginal(["b", "a"]), (table / table.sum()).T)
    np.testing.assert_allclose(net.conditional("b", {"a": 2}), [6 / 18, 12 / 18])


def test_markov_network_errors():
    with pytest.raises(ValueError, match="twice"):
        DiscreteMarkovNetwork(["a", "a"])
    net = DiscreteMarkovNetwork(["a", "b"])
    with pytest.raises(ValueError, match="unknown variable"):
        net.add_factor(("a", "z"), np.ones((2, 2)))
    with pytest.raises(ValueError, match="shape"):
        net.add_factor(("a", "b"), np.ones((2, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        net.add_factor("a", [1, -1])
    net.add_factor("a", [0, 0])
    with pytest.raises(ValueError, match="zero"):
        net.log_partition_function()
    with pytest.raises(ValueError, match="missing"):
        DiscreteMarkovNetwork(["a"]).joint({})
    with pytest.raises(ValueError, match="too many to enumerate.*method='gibbs'"):
        DiscreteMarkovNetwork([f"x{i}" for i in range(30)]).marginal("x0")
    ok = DiscreteMarkovNetwork(["a", "b"]).add_factor(("a", "b"), [[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="probability zero"):
        DiscreteMarkovNetwork(["a", "b"]).add_factor("a", [1, 0]).conditional("b", {"a": 1})
    with pytest.raises(ValueError, match="v1..vm"):
        ok.to_rbm()


def test_gibbs_marginals_of_a_3x3_grid_match_enumeration():
    net = DiscreteMarkovNetwork.ising_grid(3, 3, coupling=0.6, field=0.2)
    for names in (["p0_0"], ["p0_0", "p1_1"], ["p2_2", "p0_1", "p1_0"]):
        exact = net.marginal(names)
        gibbs = net.marginal(names, method="gibbs", n_samples=40_000, burn_in=100, n_chains=200, random_state=0)
        assert gibbs.shape == exact.shape and gibbs.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(gibbs, exact, atol=0.015)
    evidence = {"p0_1": 1, "p1_0": 1, "p2_1": 0}
    exact = net.conditional(["p1_1", "p0_0"], evidence)
    gibbs = net.conditional(["p1_1", "p0_0"], evidence, method="gibbs", n_samples=40_000, random_state=1)
    np.testing.assert_allclose(gibbs, exact, atol=0.015)


def test_gibbs_on_a_general_network_with_three_state_variables():
    rng = np.random.default_rng(3)
    net = DiscreteMarkovNetwork({"a": 3, "b": 2, "c": 3})
    net.add_factor(("a", "b"), rng.uniform(0.2, 3, (3, 2))).add_factor(("c", "b"), rng.uniform(0.2, 3, (3, 2)))
    net.add_factor(("a", "b", "c"), rng.uniform(0.2, 3, (3, 2, 3))).add_factor("c", [1.0, 0.0, 2.0])
    np.testing.assert_allclose(net.marginal(["c", "a"], method="gibbs", n_samples=60_000, random_state=2),
                               net.marginal(["c", "a"]), atol=0.015)
    x = net.sample(1000, method="gibbs", random_state=5)
    assert not np.any(x[:, 2] == 1)  # a state of potential zero is never visited


def test_gibbs_sampling_is_seeded_and_scales_past_enumeration():
    big = DiscreteMarkovNetwork.ising_grid(30, 30, coupling=0.8)
    a = big.sample(200, method="gibbs", burn_in=30, n_chains=50, random_state=7)
    b = big.sample(200, method="gibbs", burn_in=30, n_chains=50, random_state=7)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (200, 900) and set(np.unique(a)) <= {0, 1}
    # strong coupling: neighbours agree far more often than independent pixels would
    grid = a.reshape(200, 30, 30)
    assert np.mean(grid[:, :, 1:] == grid[:, :, :-1]) > 0.75
    clamped = big.sample(20, method="gibbs", evidence={"p0_0": 1, "p5_5": 0}, burn_in=5, n_chains=10,
                         random_state=0)
    assert np.all(clamped[:, 0] == 1) and np.all(clamped[:, 5 * 30 + 5] == 0)
    with pytest.raises(ValueError, match="method='gibbs'"):
        big.sample(10)
    with pytest.raises(ValueError, match="method must be"):
        big.sample(10, method="mcmc")
    with pytest.raises(ValueError, match="n_chains"):
        big.sample(10, method="gibbs", n_chains=0)
    with pytest.raises(ValueError, match="unknown evidence"):
        big.sample(10, method="gibbs", evidence={"zz": 1})


def test_exact_sampling_matches_the_joint():
    net = DiscreteMarkovNetwork.lecture_example()
    x = net.sample(50_000, random_state=0)
    freq = np.bincount(np.ravel_multi_index(x.T, (2,) * 5), minlength=32) / 50_000
    np.testing.assert_allclose(freq, net.joint_table().ravel(), atol=0.01)


def test_from_rbm_refuses_non_finite_parameters():
    with pytest.raises(ValueError, match="W contains NaN"):
        DiscreteMarkovNetwork.from_rbm([[np.nan, 0.0]], [0.0, 0.0], [0.0])
    with pytest.raises(ValueError, match="c contains NaN"):
        DiscreteMarkovNetwork.from_rbm([[0.0, 0.0]], [0.0, 0.0], [np.inf])
