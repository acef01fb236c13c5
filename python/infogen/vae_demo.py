"""The ``vae`` section of ``infogen demo``: a VAE on the embedded 8x8 digits, in ASCII art."""
from __future__ import annotations

import os
import time
from typing import Any, TextIO

import numpy as np

#: Grey ramp from blank (0) to full ink (1).
_RAMP = " .:-=+*#%@"


def ascii_images(images: np.ndarray, shape: tuple[int, int] = (8, 8), gap: str = "  ") -> str:
    """Render rows of `images` (values in [0, 1]) side by side as text, two characters per pixel."""
    imgs = np.clip(np.asarray(images, dtype=np.float64), 0.0, 1.0).reshape(-1, *shape)
    idx = np.minimum((imgs * len(_RAMP)).astype(int), len(_RAMP) - 1)
    lines = []
    for r in range(shape[0]):
        lines.append(gap.join("".join(_RAMP[i] * 2 for i in img[r]) for img in idx).rstrip())
    return "\n".join(lines)


def vae_section(out: TextIO, quick: bool = False) -> None:
    """Train a 64-256-8 / 8-256-64 VAE on digits; report ELBO and the importance-weighted bound."""
    import infogen
    from infogen.datasets import load_digits

    print("\n== Variational autoencoder on 8x8 digits " + "=" * 30, file=out)
    X_train, X_test, y = load_digits()
    epochs, k = (40, 100) if quick else (300, 1000)
    vae = infogen.VAE(8, hidden=(256,), n_epochs=epochs, random_state=0)
    t = time.perf_counter()
    vae.fit(X_train)
    dt = time.perf_counter() - t
    print(f"{vae!r}: {epochs} epochs on {len(X_train)} digits in {dt:.2f} s "
          f"({dt / epochs * 1e3:.1f} ms/epoch, {infogen.get_num_threads()} threads)", file=out)
    elbo = float(vae.elbo(X_test).mean(dtype=np.float64))
    t = time.perf_counter()
    iw = float(vae.log_likelihood(X_test, n_samples=k).mean(dtype=np.float64))
    dt_iw = time.perf_counter() - t
    print(f"test digits (rows 1500-1796): ELBO {elbo:.2f} nats, importance-weighted bound "
          f"(K={k}) {iw:.2f} nats [{dt_iw:.2f} s]; the bound is tighter, as it must be", file=out)
    first = vae.history_["nll"][0] + vae.history_["kl"][0]
    print(f"training: negative ELBO {first:.2f} -> {vae.history_['loss'][-1]:.2f} nats "
          f"(reconstruction {vae.history_['nll'][-1]:.2f} + KL {vae.history_['kl'][-1]:.2f})", file=out)
    print("\noriginals (top) and reconstructions (bottom) of test digits:", file=out)
    print(ascii_images(X_test[:6]), file=out)
    print(ascii_images(vae.reconstruct(X_test[:6])), file=out)
    print("\nnew digits sampled from the prior z ~ N(0, I):", file=out)
    print(ascii_images(vae.sample(6, random_state=1)), file=out)
    y_test = y[1500:]
    a = int(np.flatnonzero(y_test == 0)[0])
    b = int(np.flatnonzero(y_test == 7)[0])
    print("\nlatent-space interpolation from a test 0 to a test 7:", file=out)
    print(ascii_images(vae.interpolate(X_test[a], X_test[b], steps=6)), file=out)


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
