"""Seconds per epoch of VAE training: infogen vs the pure-NumPy reference vs PyTorch CPU.

Two problems: the embedded digits (1500x64, 64-256-8 / 8-256-64) and a 784-wide stand-in
for MNIST (784-400-20 / 20-400-784, batch 128) with 1,024 rows by default and 60,000 rows
with INFOGEN_BENCH_FULL=1. Each benchmark times one epoch of minibatch Adam (the model is
trained a few epochs before timing starts) and asserts that the model learned.
Thread counts: infogen's kernels get `threads` with NumPy's BLAS at the VAE's default of one
thread (``blas_threads=1``; the `infogen-blas` variant gives BLAS `threads` too); the
reference's BLAS and PyTorch get `threads`.
"""
import os

import infogen
import numpy as np
import pytest
from infogen.datasets import load_digits
from infogen.reference.vae import ReferenceVAE
from threadpoolctl import threadpool_limits
from vae_torch import stand_in_784, torch

FULL = os.environ.get("INFOGEN_BENCH_FULL", "") not in ("", "0")
THREADS = [1, 2]
WARM_EPOCHS = 1


@pytest.fixture(scope="module")
def digits():
    X_train, X_test, _ = load_digits()
    return X_train.astype(np.float32), X_test.astype(np.float32)


@pytest.fixture(scope="module")
def wide():
    X = stand_in_784(60_000 if FULL else 1_024, seed=0).astype(np.float32)
    return X, stand_in_784(512, seed=1).astype(np.float32)


PROBLEMS = {"digits": (8, 256), "wide": (20, 400)}


def _data(request, problem):
    return request.getfixturevalue(problem)


def _rounds(problem):
    return {"rounds": 3, "iterations": 1} if (problem == "wide" and FULL) else {"rounds": 7, "iterations": 1}


CASES = [(impl, t) for impl in ("infogen", "numpy-reference", "torch") for t in THREADS] + [("infogen-blas", 2)]


@pytest.mark.parametrize("problem", ["digits", "wide"])
@pytest.mark.parametrize("impl,threads", CASES)
def test_bench_vae_epoch(benchmark, request, problem, threads, impl):
    X, X_test = _data(request, problem)
    n_latent, hidden = PROBLEMS[problem]
    benchmark.group = f"vae-epoch-{problem}"
    benchmark.extra_info.update(rows=X.shape[0], width=X.shape[1], threads=threads)
    if impl.startswith("infogen"):
        blas = threads if impl == "infogen-blas" else 1
        model = infogen.VAE(n_latent, hidden=(hidden,), random_state=0, n_threads=threads, blas_threads=blas)
        for _ in range(WARM_EPOCHS):
            model.partial_fit(X)
        benchmark.pedantic(model.partial_fit, args=(X,), **_rounds(problem))
        elbo = model.elbo(X_test).mean()
    elif impl == "numpy-reference":
        model = ReferenceVAE(n_latent, hidden=(hidden,), random_state=0)
        with threadpool_limits(threads, user_api="blas"):
            for _ in range(WARM_EPOCHS):
                model.partial_fit(X)
            benchmark.pedantic(model.partial_fit, args=(X,), **_rounds(problem))
        elbo = model.elbo(X_test).mean()
    else:
        if torch is None:
            pytest.skip("PyTorch is not installed (pip install torch==2.13.0 for the CPU build)")
        from vae_torch import TorchVAE, torch_elbo, torch_epoch

        torch.set_num_threads(threads)
        torch.manual_seed(0)
        model = TorchVAE(X.shape[1], n_latent, hidden)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        Xt = torch.tensor(X)
        for _ in range(WARM_EPOCHS):
            torch_epoch(model, opt, Xt)
        benchmark.pedantic(torch_epoch, args=(model, opt, Xt), **_rounds(problem))
        elbo = torch_elbo(model, X_test).mean()
    # every implementation has learned: the data's ELBO beats the untrained model's
    # (about -45 nats on digits and -545 on the stand-in)
    assert np.isfinite(elbo)
    assert elbo > (-40.0 if problem == "digits" else -500.0), elbo


@pytest.mark.benchmark(group="vae-quality")
def test_quality_matches_torch(benchmark):
    """Test ELBO and IW bound (K=1000) after 50 epochs within 1 nat of PyTorch's (seed 0).

    The full table (50/200/1000 epochs, several seeds): python bench/vae_quality.py.
    """
    if torch is None:
        pytest.skip("PyTorch is not installed (pip install torch==2.13.0 for the CPU build)")
    from vae_quality import compare

    results = benchmark.pedantic(compare, args=([50], [0], 1000, 1), rounds=1, iterations=1)
    ours, theirs = results[("infogen", 50)], results[("torch", 50)]
    assert abs(ours[0] - theirs[0]) < 1.0, (ours, theirs)
    assert abs(ours[1] - theirs[1]) < 1.0, (ours, theirs)
    assert ours[1] >= ours[0] - 0.05  # the IW bound is the tighter one
