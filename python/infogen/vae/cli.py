"""``infogen vae``: train a VAE from the command line, report its bounds, save it."""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from infogen._cli_data import train_test_data

__all__ = ["register"]


def _vae_command(args: Any) -> int:
    import infogen

    X_train, X_test, source = train_test_data(args.data, args.test_fraction)
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
