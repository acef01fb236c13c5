"""The worked examples of the lecture notes (shared/seeds/000 and 003)."""
import math

import infogen
import numpy as np
import pytest

P = np.array([0.9, 0.1, 0.0])  # bridge fine / under repair / collapsed
Q = np.array([0.1, 0.5, 0.4])  # the changed world


def test_information_content_of_rare_events():
    # a clean-air day (1 in 10) tells less than a closed bridge (1 in 1000)
    day, bridge = infogen.information_content([0.1, 0.001])
    assert day == pytest.approx(math.log(10)) and bridge == pytest.approx(math.log(1000))
    assert infogen.information_content([1.0])[0] == 0.0  # the sun rises: no information


def test_bridge_entropy_in_bits_and_nats():
    h_nats = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1))
    assert infogen.entropy(P) == pytest.approx(h_nats, rel=1e-15)
    assert infogen.entropy(P, base=2) == pytest.approx(h_nats / math.log(2), rel=1e-15)
    assert infogen.entropy(P, base=2) == pytest.approx(0.4689955935892812, rel=1e-14)


def test_cross_entropy_is_entropy_plus_kl_and_kl_is_asymmetric():
    h, ce, kl = infogen.entropy(P), infogen.cross_entropy(P, Q), infogen.kl_divergence(P, Q)
    assert ce == pytest.approx(h + kl, rel=1e-14)
    assert kl == pytest.approx(0.9 * math.log(9) + 0.1 * math.log(0.2), rel=1e-14)
    assert infogen.kl_divergence(Q, P) == math.inf  # Q allows the collapse P rules out
    assert kl > 0 and infogen.kl_divergence(P, P) == 0


def test_binary_cross_entropy_blueberry_strawberry():
    # expected blueberry (y=1), predicted 0.8; expected strawberry (y=0), predicted 0.3
    losses = infogen.binary_cross_entropy([1.0, 0.0], [0.8, 0.3], reduction="none")
    np.testing.assert_allclose(losses, [-math.log(0.8), -math.log(0.7)], rtol=1e-15)
    # it is the cross-entropy of the two-outcome distributions
    assert losses[0] == pytest.approx(infogen.cross_entropy([1.0, 0.0], [0.8, 0.2]))


def test_coin_log_likelihood_ratio_converges_to_kl():
    p1, p2 = 0.7, 0.4
    kl = infogen.kl_divergence([p1, 1 - p1], [p2, 1 - p2])
    rng = np.random.default_rng(7)
    errors = []
    for n in (100, 10_000, 1_000_000):
        flips = rng.random(n) < p1  # observations from coin 1
        log_p1 = np.where(flips, math.log(p1), math.log(1 - p1))
        log_p2 = np.where(flips, math.log(p2), math.log(1 - p2))
        llr = (log_p1.sum() - log_p2.sum()) / n  # (1/N) log P(obs|coin 1)/P(obs|coin 2)
        errors.append(abs(llr - kl))
    # standard deviation of the estimate shrinks like 1/sqrt(N): within 5 sigma
    sigma = math.sqrt(p1 * (1 - p1)) * abs(math.log(p1 / p2) - math.log((1 - p1) / (1 - p2)))
    assert errors[-1] < 5 * sigma / math.sqrt(1_000_000)
    assert errors[-1] < errors[0]
    # and the perplexity view: (prod p)^(-1/N) per toss under each coin
    ppl1 = infogen.perplexity(log_p1)
    ppl2 = infogen.perplexity(log_p2)
    assert math.log(ppl2) - math.log(ppl1) == pytest.approx(kl, abs=5 * sigma / 1000)


def test_vae_kl_term_closed_form():
    mu, logvar = np.array([0.5, -1.0]), np.array([0.2, -0.3])
    expected = 0.5 * np.sum(np.exp(logvar) + mu**2 - 1 - logvar)
    assert infogen.gaussian_kl(mu, logvar) == pytest.approx(expected, rel=1e-15)
