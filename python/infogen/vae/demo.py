"""The ``vae`` section of ``infogen demo``: a VAE on the embedded 8x8 digits, in ASCII art."""
from __future__ import annotations

import time
from typing import TextIO

import numpy as np

from infogen._ascii import ascii_images, heading

#: Grey ramp from blank (0) to full ink (1), two characters per pixel.
_RAMP = " .:-=+*#%@"


def _draw(images: np.ndarray) -> str:
    return ascii_images(images, chars=_RAMP, width=2, per_row=len(images))


def vae_section(out: TextIO, quick: bool = False) -> None:
    """Train a 64-256-8 / 8-256-64 VAE on digits; report ELBO and the importance-weighted bound."""
    import infogen
    from infogen.datasets import load_digits

    heading(out, "Variational autoencoder on 8x8 digits")
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
    print(_draw(X_test[:6]), file=out)
    print(_draw(vae.reconstruct(X_test[:6])), file=out)
    print("\nnew digits sampled from the prior z ~ N(0, I):", file=out)
    print(_draw(vae.sample(6, random_state=1)), file=out)
    y_test = y[1500:]
    a = int(np.flatnonzero(y_test == 0)[0])
    b = int(np.flatnonzero(y_test == 7)[0])
    print("\nlatent-space interpolation from a test 0 to a test 7:", file=out)
    print(_draw(vae.interpolate(X_test[a], X_test[b], steps=6)), file=out)
