"""Bad input gets a clear error naming what and where."""
import infogen
import numpy as np
import pytest


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: infogen.entropy([0.5, np.nan, 0.5]), r"contains NaN \(row 0, position 1\)"),
        (lambda: infogen.entropy([[0.5, 0.5], [1.2, -0.2]]), r"negative probability -0.2 \(row 1, position 1\)"),
        (lambda: infogen.entropy([[0.5, 0.5], [0.3, 0.3]]), r"row 1 does not sum to 1.*never renormalises"),
        (lambda: infogen.entropy(np.full((2, 3, 2), 0.4)), r"row \(0, 0\) does not sum to 1"),
        (lambda: infogen.entropy(np.empty((3, 0))), "empty axis to reduce"),
        (lambda: infogen.entropy(logits=[np.inf, 0.0]), "infinite entry"),
        (lambda: infogen.entropy(logits=[-np.inf, -np.inf]), "entirely -inf"),
        (lambda: infogen.entropy(log_p=[0.0, 0.0]), "does not sum to 1"),
        (lambda: infogen.kl_divergence([0.5, 0.5], [0.5, 0.5, 0.0]), "do not broadcast"),
        (lambda: infogen.kl_divergence([0.5, 0.5], [0.9, 0.2]), r"q: row 0 does not sum to 1"),
        (lambda: infogen.entropy([0.5, 0.5], base=1), "base must be positive"),
        (lambda: infogen.entropy([0.5, 0.5], axis=3), "axis 3 is out of range"),
        (lambda: infogen.binary_cross_entropy([0.0, 2.0], [0.5, 0.5]), r"targets in \[0, 1\], found 2.0"),
        (lambda: infogen.binary_cross_entropy([0.0, 1.0], logits=[0.0, np.inf]), "finite logits"),
        (lambda: infogen.binary_cross_entropy([0.0], [0.5], reduction="avg"), "reduction must be"),
        (lambda: infogen.perplexity([1.0, 2.0]), "log_probs must be log-probabilities <= 0"),
        (lambda: infogen.perplexity([-1.0], base=np.nan), "base must be positive"),
        (lambda: infogen.gaussian_kl([0.0, np.nan], [0.0, 0.0]), "mu_q contains NaN"),
        (lambda: infogen.gaussian_kl([0.0, 1.0], [0.0]), "same shape"),
        (lambda: infogen.perplexity([np.nan]), "contains NaN"),
        (lambda: infogen.mutual_information([0.5, 0.5]), "2-D table"),
        (lambda: infogen.mutual_information([[0.5, 0.5], [0.5, 0.5]]), "does not sum to 1"),
        (lambda: infogen.conditional_entropy([[1.0]], given="x"), "given must be"),
        (lambda: infogen.information_content([1.5]), r"probabilities in \[0, 1\]"),
        (lambda: infogen.logsumexp([1.0, np.nan]), "contains NaN"),
        (lambda: infogen.logsumexp([1.0, 2.0], b=[1.0, np.inf]), "b must be finite weights"),
        (lambda: infogen.softmax([-np.inf, -np.inf]), "entirely -inf"),
        (lambda: infogen.set_num_threads(-2), "non-negative"),
        (lambda: infogen.entropy([0.5, 0.5], n_threads=-2), "positive int"),  # (-1: all cores)
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_exactly_one_form_of_each_distribution():
    with pytest.raises(TypeError, match="exactly one of p, log_p, logits"):
        infogen.entropy([0.5, 0.5], logits=[0.0, 0.0])
    with pytest.raises(TypeError, match="exactly one of q, log_q, logits_q"):
        infogen.kl_divergence([0.5, 0.5])


def test_float32_sum_tolerance_is_documented_and_applied():
    p = np.array([0.5, 0.5 + 5e-6], dtype=np.float32)
    assert np.isfinite(infogen.entropy(p))
    with pytest.raises(ValueError):
        infogen.entropy(np.array([0.5, 0.5 + 5e-6]))  # float64: tighter tolerance


def test_validate_false_skips_checks_without_crashing():
    out = infogen.entropy([[0.5, 0.6], [np.nan, 0.5]], validate=False)
    assert out.shape == (2,)
    assert np.isnan(out[1])


def test_first_offending_row_is_reported_across_chunks():
    p = np.full((200_000, 4), 0.25)
    p[150_001, 2] = -0.25
    p[180_000, 1] = np.nan
    with pytest.raises(ValueError, match=r"row 150001, position 2"):
        infogen.entropy(p, n_threads=2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("width", [1, 7, 16, 33, 257, 2000])
@pytest.mark.parametrize(("bad", "message"), [(np.nan, "contains NaN"), (-1e-30, "negative probability"),
                                              (np.inf, "infinite"), (-np.inf, "negative probability")])
def test_every_bad_entry_is_found_wherever_it_sits(dtype, width, bad, message):
    """The vectorised checks (sum and minimum per block) miss nothing: a single bad entry at
    the start, middle or end of a row, in any block, is reported with its position."""
    rng = np.random.default_rng(width)
    for col in sorted({0, width // 2, width - 1}):
        p = np.full((5, width), 1.0 / width, dtype=dtype)
        p[3, col] = bad
        with pytest.raises(ValueError, match=rf"{message}.*row 3, position {col}\b"):
            infogen.entropy(p)
        x = rng.standard_normal((5, width)).astype(dtype)
        if np.isnan(bad):
            x[3, col] = bad
            with pytest.raises(ValueError, match=rf"contains NaN \(row 3, position {col}\)"):
                infogen.logsumexp(x)


def test_overflowing_but_finite_probabilities_fail_the_sum_check():
    p = np.full(4, np.finfo(np.float32).max, dtype=np.float32)  # the float32 sum overflows to inf
    with pytest.raises(ValueError, match="does not sum to 1"):
        infogen.entropy(p)


def test_logits_with_both_infinities_are_valid_for_logsumexp():
    assert infogen.logsumexp([np.inf, -np.inf, 0.0]) == np.inf
