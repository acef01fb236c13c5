"""Results do not depend on the number of threads."""
import infogen
import pytest
from conftest import random_probs


@pytest.mark.parametrize("name", ["entropy", "kl", "js", "ce", "lse", "softmax", "bce", "gkl"])
def test_bit_identical_with_one_and_two_threads(rng, dtype, name):
    p = random_probs(rng, (3000, 67), dtype)
    q = random_probs(rng, (3000, 67), dtype)
    z = (rng.normal(size=(3000, 67)) * 5).astype(dtype)
    calls = {
        "entropy": lambda t: infogen.entropy(p, n_threads=t),
        "kl": lambda t: infogen.kl_divergence(p, q, n_threads=t),
        "js": lambda t: infogen.js_divergence(logits_p=z, q=q, n_threads=t),
        "ce": lambda t: infogen.cross_entropy(p, logits_q=z, n_threads=t),
        "lse": lambda t: infogen.logsumexp(z, n_threads=t),
        "softmax": lambda t: infogen.softmax(z, n_threads=t),
        "bce": lambda t: infogen.binary_cross_entropy(p * 0 + 1, logits=z, n_threads=t),
        "gkl": lambda t: infogen.gaussian_kl(z, z * 0.1, n_threads=t),
    }
    one, two = calls[name](1), calls[name](2)
    assert one.tobytes() == two.tobytes()
    with infogen.num_threads(2):
        assert calls[name](None).tobytes() == one.tobytes()


def test_thread_settings_round_trip():
    previous = infogen.set_num_threads(1)
    try:
        assert infogen.get_num_threads() == 1
    finally:
        infogen.set_num_threads(previous)
    assert infogen.get_num_threads() >= 1


def test_show_config_reports_openmp(capsys):
    cfg = infogen.show_config()
    assert isinstance(cfg["openmp"], bool)
    assert "openmp" in capsys.readouterr().out
