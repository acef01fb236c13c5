"""``infogen vae``: train a VAE from the command line, report its bounds, save it."""
from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

__all__ = ["register"]


def _vae_command(args: Any) -> int:
    import infogen
    from infogen.datasets import load_digits

    if args.data is None:
        X_train, X_test, _ = load_digits()
        source = "embedded digits (rows 0-1499 train, 1500-1796 test)"
    else:
        if not os.path.exists(args.data):
            raise FileNotFoundError(f"no such data file: {args.data!r}")
        X = np.load(args.data, allow_pickle=False)
        if X.ndim != 2 or X.shape[0] < 2:
            raise ValueError(f"{args.data!r} must hold a 2-D array with at least 2 rows, got shape {X.shape}")
        n_test = max(1, int(round(X.shape[0] * args.test_fraction)))
        X_train, X_test = X[:-n_test], X[-n_test:]
        source = f"{args.data} ({X_train.shape[0]} train rows, last {n_test} rows test)"
    vae = infogen.VAE(args.latent, hidden=tuple(args.hidden), likelihood=args.likelihood,
                      beta=args.beta, n_epochs=args.epochs, learning_rate=args.learning_rate,
                      batch_size=args.batch_size, random_state=args.seed, verbose=int(args.verbose))
    t = time.perf_counter()
    vae.fit(X_train)
    dt = time.perf_counter() - t
    print(f"{vae!r} on {source}: {args.epochs} epochs in {dt:.2f} s")
    print(f"test ELBO {vae.score(X_test):.3f} nats; importance-weighted bound (K={args.k}) "
          f"{float(vae.log_likelihood(X_test, n_samples=args.k).mean(dtype=np.float64)):.3f} nats")
    if args.save:
        vae.save(args.save)
        print(f"saved to {args.save}")
    return 0


def register(sub: Any) -> None:
    """Add ``infogen vae``: train a VAE on the digits (or a .npy file), report bounds, save."""
    p = sub.add_parser("vae", help="train a VAE and report its test ELBO and importance-weighted bound")
    p.add_argument("--data", help=".npy file of shape (n, features); default: the embedded digits")
    p.add_argument("--test-fraction", type=float, default=0.15, help="share of --data rows held out (last rows)")
    p.add_argument("--latent", type=int, default=8)
    p.add_argument("--hidden", type=int, nargs="+", default=[256])
    p.add_argument("--likelihood", choices=["bernoulli", "gaussian"], default="bernoulli")
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--k", type=int, default=1000, help="importance samples for the bound")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", help="write the model here (.npz)")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(func=_vae_command)
