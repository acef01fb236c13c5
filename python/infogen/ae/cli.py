"""``infogen ae``: train an autoencoder (any of the four kinds), compare it with PCA, save it."""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from infogen._cli_data import train_test_data

__all__ = ["register"]


def _ae_command(args: Any) -> int:
    import infogen

    X_train, X_test, source = train_test_data(args.data, args.test_fraction)
    kind = {"plain": {}, "sparse": dict(code_activation="sigmoid", sparsity="kl", sparsity_target=args.target,
                                        sparsity_weight=args.sparsity_weight),
            "denoising": dict(noise=args.noise, noise_level=args.noise_level),
            "contractive": dict(contractive=args.contractive)}[args.kind]
    ae = infogen.Autoencoder(args.latent, hidden=tuple(args.hidden), activation=args.activation, loss=args.loss,
                             n_epochs=args.epochs, learning_rate=args.learning_rate, batch_size=args.batch_size,
                             tied_weights=args.tied, random_state=args.seed, verbose=int(args.verbose), **kind)
    t = time.perf_counter()
    ae.fit(X_train)
    dt = time.perf_counter() - t
    print(f"{ae!r} on {source}: {args.epochs} epochs in {dt:.2f} s")
    err = float(np.mean((ae.predict(X_test) - X_test) ** 2))
    from sklearn.decomposition import PCA

    k = min(args.latent, *X_train.shape)
    pca = PCA(k).fit(X_train)
    pca_err = float(np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2))
    print(f"test reconstruction MSE {err:.5f}; PCA with {k} components {pca_err:.5f}")
    code = ae.transform(X_test)
    print(f"mean code activation {float(code.mean()):.4f}; mean squared encoder Jacobian norm "
          f"{float(ae.jacobian_norm(X_test).mean()):.4f}")
    if args.save:
        ae.save(args.save)
        print(f"saved to {args.save}")
    return 0


def register(sub: Any) -> None:
    """Add ``infogen ae``: train an autoencoder on the digits (or a .npy file), compare with PCA, save."""
    p = sub.add_parser("ae", help="train an autoencoder and compare its reconstructions with PCA's")
    p.add_argument("--kind", choices=["plain", "sparse", "denoising", "contractive"], default="plain")
    p.add_argument("--data", help=".npy file of shape (n, features); default: the embedded digits")
    p.add_argument("--test-fraction", type=float, default=0.15, help="share of --data rows held out (last rows)")
    p.add_argument("--latent", type=int, default=8)
    p.add_argument("--hidden", type=int, nargs="+", default=[256])
    p.add_argument("--activation", default="relu", choices=["relu", "tanh", "sigmoid", "softplus", "identity"])
    p.add_argument("--loss", choices=["mse", "bce"], default="mse")
    p.add_argument("--tied", action="store_true", help="tie the decoder's weights to the encoder's")
    p.add_argument("--target", type=float, default=0.05, help="sparse: target mean code activation")
    p.add_argument("--sparsity-weight", type=float, default=0.5)
    p.add_argument("--noise", choices=["mask", "gaussian", "salt_pepper"], default="mask")
    p.add_argument("--noise-level", type=float, default=0.3)
    p.add_argument("--contractive", type=float, default=0.1)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", help="write the model here (.npz)")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(func=_ae_command)
