"""Reconstruction quality of the autoencoders on the embedded digits, beside PCA and scikit-learn's MLP.

Test MSE (297 held-out digits, grey levels in [0, 1]) of an undercomplete 64-256-8-256-64
autoencoder after `epochs` epochs of Adam (batch 128, lr 1e-3), PCA with 8 components, and
scikit-learn's MLPRegressor fitted X -> X with the same architecture and settings (its code
layer is relu, as every MLPRegressor hidden layer). Then the other kinds: the KL-sparse
64-code autoencoder's mean activation, the denoising one on 30%-masked digits, the
contractive one's encoder Jacobian.

    python bench/ae_quality.py [epochs ...]
"""
import sys
import time
import warnings

import numpy as np
from infogen import Autoencoder
from infogen.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor


def main(epochs_list):
    X, Xt, _ = load_digits()
    pca = PCA(8).fit(X)
    print(f"PCA(8): test MSE {np.mean((pca.inverse_transform(pca.transform(Xt)) - Xt) ** 2):.4f}")
    for epochs in epochs_list:
        for seed in (0, 1, 2):
            t = time.perf_counter()
            ae = Autoencoder(8, hidden=(256,), n_epochs=epochs, random_state=seed).fit(X)
            dt = time.perf_counter() - t
            mlp = MLPRegressor(hidden_layer_sizes=(256, 8, 256), alpha=0.0, batch_size=128, learning_rate_init=1e-3,
                               max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, random_state=seed)
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                mlp.fit(X, X)
            dt_mlp = time.perf_counter() - t
            print(f"{epochs} epochs, seed {seed}: infogen {-ae.score(Xt):.4f} ({dt:.1f} s), "
                  f"MLPRegressor {np.mean((mlp.predict(Xt) - Xt) ** 2):.4f} ({dt_mlp:.1f} s)")
    masked = Xt * (np.random.default_rng(0).random(Xt.shape) >= 0.3)
    kw = dict(hidden=(256,), n_epochs=100, random_state=0)
    plain = Autoencoder(32, **kw).fit(X)
    dae = Autoencoder(32, noise="mask", noise_level=0.3, **kw).fit(X)
    err = [float(np.mean((m.predict(masked) - Xt) ** 2)) for m in (plain, dae)]
    print(f"30%-masked test digits, 32 codes, 100 epochs: plain {err[0]:.4f}, denoising {err[1]:.4f}")
    sp = Autoencoder(64, hidden=(128,), code_activation="sigmoid", sparsity="kl", sparsity_target=0.05,
                     sparsity_weight=0.5, n_epochs=100, random_state=0).fit(X)
    pl = Autoencoder(64, hidden=(128,), code_activation="sigmoid", n_epochs=100, random_state=0).fit(X)
    print(f"64 sigmoid codes, 100 epochs: mean activation {sp.transform(Xt).mean():.4f} with KL sparsity "
          f"(target 0.05; test MSE {-sp.score(Xt):.4f}), {pl.transform(Xt).mean():.4f} without ({-pl.score(Xt):.4f})")
    kw = dict(hidden=(64,), activation="sigmoid", code_activation="sigmoid", n_epochs=30, random_state=0)
    for w in (0.0, 0.003, 0.01):
        m = Autoencoder(16, contractive=w, **kw).fit(X)
        print(f"contractive {w}: mean squared Jacobian norm {m.jacobian_norm(Xt).mean():.3f}, test MSE "
              f"{-m.score(Xt):.4f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 300])
