"""Seconds per epoch of autoencoder training: infogen vs scikit-learn's MLPRegressor (X -> X) vs plain NumPy.

The embedded digits (1500x64 in [0, 1]), an undercomplete 64-256-8-256-64 autoencoder
(relu hidden layers, linear code and output, squared error), batch 128, Adam with learning
rate 1e-3, in float64 (MLPRegressor's dtype for float64 data) and float32. Every
implementation runs the same architecture, epochs, batch size and learning rate;
MLPRegressor is refitted with ``warm_start=True, max_iter=1`` (one epoch per call,
shuffled, no early stopping, ``tol=0``), the reference is
:class:`infogen.reference.ae.ReferenceAutoencoder`. Each benchmark trains a few epochs
first and checks that the model learned (test MSE below that of predicting the mean digit).

    pytest bench/test_bench_ae.py --benchmark-only --benchmark-columns=median,min,max
"""
import warnings

import infogen
import numpy as np
import pytest
from infogen.datasets import load_digits
from infogen.reference.ae import ReferenceAutoencoder
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from threadpoolctl import threadpool_limits

WARM_EPOCHS = 2
N_LATENT, HIDDEN = 8, 256


@pytest.fixture(scope="module")
def digits():
    X_train, X_test, _ = load_digits()
    return X_train.astype(np.float64), X_test.astype(np.float64)


def _mlp_epoch(model, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, X)


CASES = [("infogen", 1), ("infogen", 2), ("sklearn-mlp", 1), ("sklearn-mlp", 2), ("numpy-reference", 1)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("impl,threads", CASES)
def test_bench_ae_epoch(benchmark, digits, impl, threads, dtype):
    X, X_test = (a.astype(dtype) for a in digits)
    benchmark.group = f"ae-epoch-digits-{dtype}"
    benchmark.extra_info.update(rows=X.shape[0], width=X.shape[1], threads=threads)
    rounds = dict(rounds=7, iterations=1)
    if impl == "infogen":
        model = infogen.Autoencoder(N_LATENT, hidden=(HIDDEN,), random_state=0, n_threads=threads)
        for _ in range(WARM_EPOCHS):
            model.partial_fit(X)
        benchmark.pedantic(model.partial_fit, args=(X,), **rounds)
        pred = model.predict(X_test)
    elif impl == "sklearn-mlp":
        model = MLPRegressor(hidden_layer_sizes=(HIDDEN, N_LATENT, HIDDEN), activation="relu", solver="adam", alpha=0.0,
                             batch_size=128, learning_rate_init=1e-3, max_iter=1, shuffle=True, tol=0.0,
                             warm_start=True, random_state=0)
        with threadpool_limits(threads, user_api="blas"):
            for _ in range(WARM_EPOCHS):
                _mlp_epoch(model, X)
            benchmark.pedantic(_mlp_epoch, args=(model, X), **rounds)
            pred = model.predict(X_test)
    else:
        model = ReferenceAutoencoder(N_LATENT, (HIDDEN,), seed=0, dtype=dtype)
        with threadpool_limits(threads, user_api="blas"):
            for _ in range(WARM_EPOCHS):
                model.epoch(X)
            benchmark.pedantic(model.epoch, args=(X,), **rounds)
        pred = model.predict(X_test)
    mse = float(np.mean((pred - X_test) ** 2))
    baseline = float(np.mean((X_test - X.mean(axis=0)) ** 2))
    assert mse < baseline, (mse, baseline)
