"""Quality of infogen.VAE against the same VAE in PyTorch on the embedded digits.

Trains both (64-256-8 / 8-256-64, Bernoulli on grey levels /16, Adam lr 1e-3, batch 128,
rows 0-1499) for each requested number of epochs and prints the test (rows 1500-1796)
ELBO and importance-weighted bound (K samples), in nats per digit, averaged over seeds.

    python bench/vae_quality.py --epochs 50 200 1000 --seeds 0 1 2 --k 1000

Needs torch (pip install torch==2.13.0); infogen alone with --no-torch.
"""
from __future__ import annotations

import argparse
import sys
import time

import infogen
import numpy as np
from infogen.datasets import load_digits


def run_infogen(X, X_test, epochs, seed, k, threads):
    t = time.perf_counter()
    m = infogen.VAE(8, hidden=(256,), n_epochs=epochs, random_state=seed, n_threads=threads).fit(X)
    dt = time.perf_counter() - t
    return (float(m.elbo(X_test, random_state=seed).mean(dtype=np.float64)),
            float(m.log_likelihood(X_test, n_samples=k, random_state=seed).mean(dtype=np.float64)), dt)


def run_torch(X, X_test, epochs, seed, k, threads):
    from vae_torch import torch_elbo, torch_log_likelihood, train_torch

    t = time.perf_counter()
    m = train_torch(X, 8, 256, epochs, threads=threads, seed=seed)
    dt = time.perf_counter() - t
    return (float(torch_elbo(m, X_test, seed).mean(dtype=np.float64)),
            float(torch_log_likelihood(m, X_test, k, seed).mean(dtype=np.float64)), dt)


def compare(epochs_list, seeds, k, threads, use_torch=True, out=sys.stdout):
    """Return {(impl, epochs): (mean ELBO, mean IW bound, mean seconds)} and print a table."""
    X, X_test, _ = load_digits()
    X, X_test = X.astype(np.float32), X_test.astype(np.float32)
    impls = {"infogen": run_infogen}
    if use_torch:
        impls["torch"] = run_torch
    results = {}
    print(f"{'impl':<8} {'epochs':>6} {'test ELBO':>10} {'IW (K=' + str(k) + ')':>12} {'train s':>8}", file=out)
    for epochs in epochs_list:
        for name, fn in impls.items():
            runs = np.array([fn(X, X_test, epochs, s, k, threads) for s in seeds])
            results[(name, epochs)] = tuple(runs.mean(axis=0))
            e, iw, dt = results[(name, epochs)]
            print(f"{name:<8} {epochs:>6} {e:>10.3f} {iw:>12.3f} {dt:>8.2f}", file=out, flush=True)
    return results


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, nargs="+", default=[50, 200, 1000])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--k", type=int, default=1000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-torch", action="store_true")
    args = p.parse_args(argv)
    compare(args.epochs, args.seeds, args.k, args.threads, use_torch=not args.no_torch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
