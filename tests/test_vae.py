"""infogen.VAE: gradients, determinism, training quality, bounds, errors, persistence."""
import json
import os

import infogen
import numpy as np
import pytest
from infogen import _core
from infogen.datasets import load_digits
from infogen.reference import vae as ref
from sklearn.exceptions import NotFittedError
from threadpoolctl import threadpool_limits


@pytest.fixture(scope="module")
def digits():
    X_train, X_test, _ = load_digits()
    return X_train, X_test


@pytest.fixture(scope="module")
def trained(digits):
    X_train, _ = digits
    return infogen.VAE(8, hidden=(128,), n_epochs=15, random_state=0).fit(X_train)


def tiny_model(likelihood="bernoulli", activation="tanh", decoder_variance="learned", hidden=(4, 3)):
    rng = np.random.default_rng(1)
    X = rng.random((6, 5))
    if likelihood == "bernoulli":
        X[0, 0], X[1, 1] = 0.0, 1.0
    model = infogen.VAE(2, hidden=hidden, activation=activation, likelihood=likelihood,
                        decoder_variance=decoder_variance, dtype=np.float64, random_state=3,
                        n_epochs=0).fit(X)
    # a learned decoder log-variance away from 0 so its gradient is exercised
    if "out.logvar" in model.params_:
        model.params_["out.logvar"][...] = rng.normal(size=5) * 0.3
    return model, X


@pytest.mark.parametrize("likelihood,activation,variance", [
    ("bernoulli", "tanh", "learned"), ("bernoulli", "softplus", "learned"), ("bernoulli", "relu", "learned"),
    ("gaussian", "tanh", "learned"), ("gaussian", "sigmoid", 0.5)])
def test_elbo_gradient_matches_finite_differences(likelihood, activation, variance):
    model, X = tiny_model(likelihood, activation, variance)
    beta = 0.7
    loss, _, _ = model._loss_and_grad(X, 42, beta, 1)
    grad = model._grad_flat.copy()
    flat = model._flat
    h = 1e-6
    numeric = np.empty_like(grad)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = model._loss_and_grad(X, 42, beta, 1)[0]
        flat[i] = old - h
        down = model._loss_and_grad(X, 42, beta, 1)[0]
        flat[i] = old
        numeric[i] = (up - down) / (2 * h)
    assert np.isfinite(loss)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_loss_and_gradient_match_the_numpy_reference(likelihood):
    model, X = tiny_model(likelihood, "relu")
    seed = 7
    zeros = np.zeros((X.shape[0], 2))
    eps = _core.vae_reparameterize_f64(zeros, zeros, 1, seed, 0, False, 1)[0]
    loss, _, _ = model._loss_and_grad(X, seed, 0.3, 1)
    ref_loss, ref_grads = ref.loss_and_grad({k: a.copy() for k, a in model.params_.items()}, X, eps,
                                            beta=0.3, activation="relu", likelihood=likelihood)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    assert set(ref_grads) <= set(model._grads)
    for name, g in ref_grads.items():
        np.testing.assert_allclose(model._grads[name], g, rtol=1e-10, atol=1e-13, err_msg=name)


def test_same_seed_same_model_with_one_or_two_threads(digits):
    X_train, X_test = digits
    models = [infogen.VAE(8, hidden=(256,), n_epochs=2, random_state=5, n_threads=t).fit(X_train[:600])
              for t in (1, 2, 2)]
    assert models[0]._flat.tobytes() == models[1]._flat.tobytes() == models[2]._flat.tobytes()
    for m in models[1:]:
        assert m.log_likelihood(X_test[:20], n_samples=500).tobytes() == \
            models[0].log_likelihood(X_test[:20], n_samples=500).tobytes()
        assert m.sample(5, random_state=1).tobytes() == models[0].sample(5, random_state=1).tobytes()
    other = infogen.VAE(8, hidden=(256,), n_epochs=2, random_state=6).fit(X_train[:600])
    assert other._flat.tobytes() != models[0]._flat.tobytes()


def test_same_seed_same_model_when_the_kernels_run_in_parallel():
    # > 2**18 parameters and a 2048-row minibatch: Adam, the activations and the sampling
    # all take the kernels' multi-threaded path
    X = np.random.default_rng(0).random((4096, 320))
    runs = []
    for t in (1, 2):
        m = infogen.VAE(16, hidden=(400,), batch_size=2048, random_state=1, n_threads=t)
        m.partial_fit(X)
        assert m._flat.size > 2**18
        runs.append((m._flat.tobytes(), m.elbo(X[:64], n_samples=600).tobytes()))
    assert runs[0] == runs[1]


def test_training_improves_test_elbo(digits, trained):
    X_train, X_test = digits
    early = infogen.VAE(8, hidden=(128,), n_epochs=1, random_state=0).fit(X_train)
    e1, e15 = early.score(X_test), trained.score(X_test)
    assert e15 > e1 + 3.0
    assert -35.0 < e15 < -20.0
    loss = trained.history_["loss"]
    assert len(loss) == 15 and loss[-1] < loss[0]
    # the pure-NumPy reference, trained the same way, lands in the same place
    with threadpool_limits(1, user_api="blas"):  # OpenBLAS's 2 threads crawl on a busy machine
        reference = ref.ReferenceVAE(8, hidden=(128,), random_state=0).fit(X_train, 15)
    assert abs(reference.elbo(X_test).mean() - e15) < 2.0


def test_importance_weighted_bound(digits, trained):
    _, X_test = digits
    X = X_test[:60]
    elbo = trained.elbo(X, n_samples=20).mean(dtype=np.float64)
    iw = [trained.log_likelihood(X, n_samples=k).mean(dtype=np.float64) for k in (1, 10, 100, 1000)]
    assert iw[1] >= elbo
    assert iw[0] < iw[1] < iw[2] < iw[3]
    assert iw[3] - elbo < 3.0  # a tighter bound, not a different quantity
    # the reference computes the same bound with NumPy's log-sum-exp on the same model
    model = ref.ReferenceVAE(8, hidden=(128,))
    model.params = {k: a.copy() for k, a in trained.params_.items()}
    with threadpool_limits(1, user_api="blas"):
        assert abs(model.log_likelihood(X, n_samples=1000).mean() - iw[3]) < 0.1


def test_api_shapes_dtypes_and_ranges(digits, trained):
    X_train, X_test = digits
    mu, sigma = trained.encode(X_test[:10], return_sigma=True)
    assert mu.shape == sigma.shape == (10, 8) and mu.dtype == np.float32 and np.all(sigma > 0)
    np.testing.assert_array_equal(trained.transform(X_test[:10]), mu)
    rec = trained.reconstruct(X_test[:10])
    assert rec.shape == (10, 64) and np.all((rec >= 0) & (rec <= 1))
    # reconstructions beat the mean image
    assert np.mean((rec - X_test[:10]) ** 2) < np.mean((X_train.mean(0) - X_test[:10]) ** 2)
    s = trained.sample(7, random_state=3)
    assert s.shape == (7, 64) and np.all((s >= 0) & (s <= 1))
    np.testing.assert_array_equal(s, trained.sample(7, random_state=3))
    path = trained.interpolate(X_test[0], X_test[1], steps=5)
    assert path.shape == (5, 64)
    np.testing.assert_allclose(path[0], trained.reconstruct(X_test[:1])[0], atol=1e-6)
    np.testing.assert_allclose(path[-1], trained.reconstruct(X_test[1:2])[0], atol=1e-6)
    assert trained.elbo(X_test[:5]).dtype == np.float32
    np.testing.assert_array_equal(trained.elbo(X_test[:5]), trained.elbo(X_test[:5]))
    assert "n_latent=8" in repr(trained)


def test_float64_model_and_gaussian_likelihood(digits):
    X_train, X_test = digits
    m = infogen.VAE(4, hidden=(32,), likelihood="gaussian", n_epochs=5, dtype=np.float64,
                    random_state=0).fit(X_train * 2 - 1)
    assert m.elbo(X_test[:5] * 2 - 1).dtype == np.float64
    assert m.history_["loss"][-1] < m.history_["loss"][0]
    fixed = infogen.VAE(4, hidden=(32,), likelihood="gaussian", decoder_variance=0.1, n_epochs=2,
                        random_state=0).fit(X_train)
    assert "out.logvar" not in fixed.params_ and np.isfinite(fixed.score(X_test))


def test_partial_fit_validation_and_early_stopping(digits):
    X_train, X_test = digits
    m = infogen.VAE(4, hidden=(32,), random_state=0, kl_warmup=4)
    assert m.partial_fit(X_train[:300]) is m
    m.partial_fit(X_train[:300])
    assert m.n_epochs_trained_ == 2 and m.history_["beta"] == [0.0, 0.25]
    es = infogen.VAE(4, hidden=(32,), n_epochs=200, learning_rate=0.05, random_state=0)
    es.fit(X_train[:200], X_val=X_test, patience=2)
    n = len(es.history_["val_elbo"])
    assert n < 200
    assert es.best_val_elbo_ == max(es.history_["val_elbo"])
    assert es.score(X_test) == pytest.approx(es.best_val_elbo_, abs=1e-4)


def test_bad_input_gives_clear_errors(digits, trained):
    X_train, _ = digits
    bad = X_train[:5].copy()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match=r"X contains NaN \(row 2, position 3\)"):
        infogen.VAE(2).fit(bad)
    with pytest.raises(ValueError, match="in \\[0, 1\\] for the Bernoulli likelihood"):
        infogen.VAE(2).fit(X_train[:5] * 16)
    with pytest.raises(ValueError, match="X has 63 features, but VAE is expecting 64 features"):
        trained.encode(X_train[:3, :63])
    with pytest.raises(ValueError, match="Expected 2D array"):  # scikit-learn's message
        trained.elbo(X_train[0])
    with pytest.raises(ValueError, match="shape \\(n, 8\\)"):
        trained.decode(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="finite"):
        infogen.VAE(2, likelihood="gaussian").fit(np.full((3, 2), np.inf))
    with pytest.raises(ValueError, match="could not convert"):
        trained.encode(np.array([["a"] * 64]))
    for method, args in [("encode", (X_train,)), ("decode", (np.zeros((1, 2)),)), ("sample", (3,)),
                         ("elbo", (X_train,)), ("log_likelihood", (X_train,)), ("save", ("x.npz",))]:
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(infogen.VAE(2), method)(*args)
    for kwargs, match in [({"likelihood": "poisson"}, "likelihood"), ({"activation": "gelu"}, "activation"),
                          ({"hidden": 64}, "tuple"), ({"batch_size": 0}, "batch_size"),
                          ({"learning_rate": -1}, "learning_rate"), ({"logvar_bounds": (3, 1)}, "logvar_bounds"),
                          ({"dtype": np.int32}, "dtype"), ({"blas_threads": 0}, "blas_threads")]:
        with pytest.raises((ValueError, TypeError), match=match):
            infogen.VAE(2, **kwargs).fit(X_train[:5])
    with pytest.raises(ValueError, match="needs validation data"):
        infogen.VAE(2).fit(X_train[:5], patience=3)
    with pytest.raises(ValueError, match="n_samples"):
        trained.log_likelihood(X_train[:2], n_samples=0)


def test_input_not_mutated_and_fortran_order_ok(digits, trained):
    X_train, _ = digits
    X = np.asfortranarray(X_train[:20])
    before = X.copy()
    np.testing.assert_array_equal(trained.encode(X), trained.encode(np.ascontiguousarray(X)))
    np.testing.assert_array_equal(X, before)


def test_save_load_round_trip(tmp_path, digits, trained):
    X_train, X_test = digits
    path = tmp_path / "vae.npz"
    trained.save(path)
    assert os.listdir(tmp_path) == ["vae.npz"]  # the atomic write left no temporary file
    loaded = infogen.VAE.load(path)
    for name, a in trained.params_.items():
        np.testing.assert_array_equal(loaded.params_[name], a)
    np.testing.assert_array_equal(loaded.log_likelihood(X_test[:10], n_samples=20),
                                  trained.log_likelihood(X_test[:10], n_samples=20))
    assert loaded.history_ == json.loads(json.dumps(trained.history_))
    with np.load(path, allow_pickle=False) as data:
        assert set(data.files) == {"params", "adam_m", "adam_v", "meta"}
    # continuing training after a load matches continuing the original
    a = infogen.VAE(4, hidden=(16,), random_state=0, n_epochs=2).fit(X_train[:256])
    a.save(tmp_path / "a.npz")
    b = infogen.VAE.load(tmp_path / "a.npz")
    a.partial_fit(X_train[:256])
    b.partial_fit(X_train[:256])
    assert a._flat.tobytes() == b._flat.tobytes()
    with pytest.raises(FileNotFoundError):
        infogen.VAE.load(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a VAE file"):
        infogen.VAE.load(tmp_path / "junk.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="not a VAE file"):
        infogen.VAE.load(tmp_path / "other.npz")
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["meta"]))
    for key, value in [("rng_kind", "seed"), ("hidden", "x"), ("version", 99), ("n_steps", None)]:
        bad = dict(meta, **{key: value})
        np.savez(tmp_path / "bad.npz", **dict(arrays, meta=np.array(json.dumps(bad))))
        with pytest.raises(ValueError, match="not a valid VAE file"):
            infogen.VAE.load(tmp_path / "bad.npz")
    np.savez(tmp_path / "short.npz", **dict(arrays, params=arrays["params"][:-1]))
    with pytest.raises(ValueError, match="params has shape"):
        infogen.VAE.load(tmp_path / "short.npz")


def test_demo_section_prints_bounds_and_ascii_art():
    import io

    from infogen import demo

    out = io.StringIO()
    demo.run(["vae"], quick=True, out=out)
    text = out.getvalue()
    assert "test digits (rows 1500-1796): ELBO" in text and "importance-weighted bound (K=100)" in text
    assert "latent-space interpolation" in text
    assert "@@" in text  # the ASCII digits have ink


def test_plots(digits, trained):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from infogen.vae import plotting as pv

    X_train, X_test = digits
    fig, axes = plt.subplots(1, 4)
    pv.plot_samples(trained, 16, n_cols=4, ax=axes[0])
    pv.plot_reconstructions(trained, X_test, 4, ax=axes[1])
    pv.plot_latent_manifold(trained, n=5, ax=axes[2])
    m = infogen.VAE(2, hidden=(16,), n_epochs=3, random_state=0).fit(X_train[:200], X_val=X_test[:50])
    pv.plot_learning_curves(m, ax=axes[3])
    assert len(axes[3].lines) == 3 and axes[0].images
    with pytest.raises(ValueError, match="not a square image"):
        pv._image_shape(63, None)
    plt.close(fig)


def test_cli_vae_command(tmp_path, capsys):
    from infogen import cli

    path = tmp_path / "m.npz"
    assert cli.main(["vae", "--epochs", "2", "--hidden", "32", "--k", "10", "--save", str(path)]) == 0
    text = capsys.readouterr().out
    assert "test ELBO" in text and "importance-weighted bound (K=10)" in text
    assert infogen.VAE.load(path).n_epochs_trained_ == 2
    data = tmp_path / "x.npy"
    np.save(data, np.random.default_rng(0).random((50, 6)) * 3)
    assert cli.main(["vae", "--data", str(data), "--epochs", "1", "--k", "5"]) == 2
    assert "in [0, 1] for the Bernoulli likelihood" in capsys.readouterr().err
    assert cli.main(["vae", "--data", str(data), "--likelihood", "gaussian", "--epochs", "1", "--k", "5"]) == 0
    assert cli.main(["vae", "--data", str(tmp_path / "missing.npy")]) == 2
