"""The ``rbm`` section of ``infogen demo``: the lecture's factor tables, an RBM on binarised
digits, completion and denoising."""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from infogen._ascii import ascii_images, heading
from infogen.rbm.model import BernoulliRBM

__all__ = ["rbm_section"]


def rbm_section(out: Any, quick: bool = False) -> None:
    """`infogen demo` section: an RBM on binarised digits, with exact likelihoods."""
    from infogen.datasets import load_digits
    from infogen.rbm.markov import DiscreteMarkovNetwork

    heading(out, "Restricted Boltzmann machine (lecture 19)")
    net = DiscreteMarkovNetwork.lecture_example()
    x = dict(v1=0, v2=0, v3=0, h1=1, h2=1)
    print(f"lecture example: unnormalised P(V=<0,0,0>, H=<1,1>) = {net.unnormalized(x):,.0f}, "
          f"Z = {net.partition_function():,.0f}, P = {net.joint(x):.4e}", file=out)
    X_train, X_test, _ = load_digits(binary=True)
    p = X_train.mean(axis=0).clip(1e-3, 1 - 1e-3)
    independent = float(np.mean(X_test @ np.log(p) + (1 - X_test) @ np.log(1 - p)))
    n_epochs = 30 if quick else 200
    rbm = BernoulliRBM(16, n_iter=n_epochs, batch_size=100 if not quick else 20, learning_rate=0.1,
                       random_state=0)
    t0 = time.perf_counter()
    rbm.fit(X_train, X_val=X_test)
    seconds = time.perf_counter() - t0
    val = rbm.history_["val_log_likelihood"]
    marks = sorted({1, *range(max(1, n_epochs // 5), n_epochs + 1, max(1, n_epochs // 5))})
    curve = ", ".join(f"{e}: {val[e - 1]:.2f}" for e in marks)
    print(f"digits 8x8 binarised (pixel > 8), 1500 train / 297 test rows, 16 hidden units, PCD-1, "
          f"{n_epochs} epochs in {seconds:.2f} s (training {sum(rbm.history_['seconds']):.2f} s)", file=out)
    print(f"exact test log-likelihood by epoch (nats/image): {curve}", file=out)
    exact = rbm.log_partition()
    ais = rbm.log_partition("ais", n_runs=100, n_betas=2_000 if quick else 10_000, random_state=0)
    print(f"log Z exact {exact.value:.4f}; AIS {ais.value:.4f} "
          f"[{ais.lower:.4f}, {ais.upper:.4f}]", file=out)
    print(f"test log-likelihood: RBM {rbm.log_likelihood(X_test).mean():.2f} nats vs independent pixels "
          f"{independent:.2f} nats; pseudo-likelihood {rbm.pseudo_likelihood(X_test).mean():.2f}", file=out)
    samples = rbm.sample(10, n_steps=1000, random_state=1)
    print("samples from the model (1000 Gibbs steps each):", file=out)
    print(ascii_images(samples), file=out)
    print("test digits and their mean-field reconstructions:", file=out)
    print(ascii_images(np.vstack([X_test[:10], rbm.reconstruct(X_test[:10])])), file=out)
    # the lecture's third use: complete and correct images
    cd = BernoulliRBM(100, n_iter=30 if quick else 100, batch_size=20, learning_rate=0.05, persistent=False,
                      random_state=0).fit(X_train)
    top = np.zeros(X_test.shape, dtype=bool)
    top[:, :32] = True
    P = cd.complete(X_test, top, random_state=0)
    majority = (X_train.mean(axis=0) > 0.5)[32:]
    err, base = np.mean((P[:, 32:] > 0.5) != X_test[:, 32:]), np.mean(majority != X_test[:, 32:])
    print(f"complete the bottom half from the top half (100 hidden, CD-1, clamped Gibbs): pixel error {err:.3f} "
          f"vs {base:.3f} for each pixel's majority ({err / base:.2f}x)", file=out)
    shown = np.where(top[:5], X_test[:5], 0.5)
    print("top halves given (: = unknown), the completions, the originals:", file=out)
    print(ascii_images(np.vstack([shown, P[:5], X_test[:5]]), per_row=5), file=out)
    rng = np.random.default_rng(0)
    noisy = np.where(rng.random(X_test.shape) < 0.1, 1 - X_test, X_test)
    D = cd.denoise(noisy)
    print(f"denoise 10% flipped pixels: error {np.mean(noisy != X_test):.3f} -> {np.mean((D > 0.5) != X_test):.3f}; "
          "noisy digits and their denoised versions:", file=out)
    print(ascii_images(np.vstack([noisy[:5], D[:5]]), per_row=5), file=out)
