"""The ``ae`` section of ``infogen demo``: the four autoencoders on the 8x8 digits, beside PCA."""
from __future__ import annotations

import time
from typing import TextIO

import numpy as np

from infogen._ascii import ascii_images, heading

_RAMP = " .:-=+*#%@"


def _draw(images: np.ndarray) -> str:
    return ascii_images(np.clip(images, 0, 1), chars=_RAMP, width=2, per_row=len(images))


def ae_section(out: TextIO, quick: bool = False) -> None:
    """Undercomplete, sparse, denoising and contractive autoencoders on digits; errors beside PCA's."""
    from sklearn.decomposition import PCA

    import infogen
    from infogen.datasets import load_digits

    heading(out, "Autoencoders on 8x8 digits: undercomplete, sparse, denoising, contractive")
    X_train, X_test, _ = load_digits()
    epochs = 40 if quick else 300
    common = dict(hidden=(256,), n_epochs=epochs, random_state=0)
    kinds = {
        "undercomplete (8 codes)": infogen.Autoencoder(8, **common),
        "sparse (64 sigmoid codes, KL to 0.05)": infogen.Autoencoder(
            64, code_activation="sigmoid", sparsity="kl", sparsity_target=0.05, sparsity_weight=0.5, **common),
        "denoising (32 codes, 30% masked)": infogen.Autoencoder(32, noise="mask", noise_level=0.3, **common),
        # the exact Jacobian penalty costs ~10x a plain epoch (NumPy): a smaller net, fewer epochs
        "contractive (16 codes, weight 0.01)": infogen.Autoencoder(
            16, hidden=(128,), activation="sigmoid", code_activation="sigmoid", contractive=0.01,
            n_epochs=min(epochs, 100), random_state=0),
    }
    masked = X_test * (np.random.default_rng(0).random(X_test.shape) >= 0.3)
    print(f"{epochs} epochs (contractive: {min(epochs, 100)}) on {len(X_train)} digits; test MSE on the "
          f"{len(X_test)} held-out digits (clean input / 30%-masked input), beside PCA with as many components:",
          file=out)
    for name, ae in kinds.items():
        t = time.perf_counter()
        ae.fit(X_train)
        dt = time.perf_counter() - t
        k = ae.n_latent
        pca = PCA(k).fit(X_train)
        pca_err = float(np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2))
        err = float(np.mean((ae.predict(X_test) - X_test) ** 2))
        err_masked = float(np.mean((ae.predict(masked) - X_test) ** 2))
        print(f"  {name:<38} {err:.4f} / {err_masked:.4f}   PCA({k}) {pca_err:.4f}   "
              f"[{dt:.1f} s, {dt / ae.n_epochs * 1e3:.1f} ms/epoch]", file=out)
    sparse = kinds["sparse (64 sigmoid codes, KL to 0.05)"]
    code = sparse.transform(X_test)
    rates = code.mean(axis=0)
    print(f"\nsparse code: mean activation {float(code.mean()):.3f} (target 0.05), per unit from "
          f"{float(rates.min()):.3f} to {float(rates.max()):.3f}; the largest activation per digit averages "
          f"{float(code.max(axis=1).mean()):.2f}", file=out)
    plain = kinds["undercomplete (8 codes)"]
    cae = kinds["contractive (16 codes, weight 0.01)"]
    flat = infogen.Autoencoder(16, hidden=(128,), activation="sigmoid", code_activation="sigmoid",
                               n_epochs=min(epochs, 100), random_state=0).fit(X_train)
    print(f"contractive encoder: mean squared Jacobian norm {float(cae.jacobian_norm(X_test).mean()):.3f}, "
          f"{float(flat.jacobian_norm(X_test).mean()):.3f} without the penalty", file=out)
    dae = kinds["denoising (32 codes, 30% masked)"]
    print("\n30%-masked test digits (top), the denoising autoencoder's output (middle), the originals "
          "(bottom):", file=out)
    print(_draw(masked[:6]), file=out)
    print(_draw(dae.predict(masked[:6])), file=out)
    print(_draw(X_test[:6]), file=out)
    print("\nthe undercomplete autoencoder's reconstructions of the same digits:", file=out)
    print(_draw(plain.predict(X_test[:6])), file=out)
