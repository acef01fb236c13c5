"""The ``vae`` section of ``infogen demo``: a VAE on the embedded 8x8 digits, in ASCII art."""
from __future__ import annotations

import time
from typing import TextIO

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
