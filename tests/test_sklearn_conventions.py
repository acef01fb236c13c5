"""BernoulliRBM, DBN and VAE as citizens of scikit-learn, pickle and joblib.

scikit-learn's own estimator checks; the RBM as a drop-in for scikit-learn's; persistence
that keeps training bit for bit; the same seed giving the same model under any CPU
affinity; cheap defaults and logging; parameters checked before use (issue 18 items 1-5,
issue 22 items 6 and 16).
"""
import copy
import inspect
import logging
import os
import pickle
import shutil
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from infogen import _core
from infogen.datasets import load_digits
from infogen.rbm import DBN, BernoulliRBM
from infogen.vae import VAE
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import BernoulliRBM as SkBernoulliRBM
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks


@pytest.fixture(scope="module")
def digits():
    X_train, X_test, _ = load_digits(binary=True)
    return X_train, X_test


# ------------------------------------------------------------------ scikit-learn's checks
# Every check passes for these configurations: no expected failures. (The VAE is checked
# with the Gaussian likelihood: with the default Bernoulli likelihood it refuses data
# outside [0, 1] on purpose -- a Bernoulli log-likelihood of 2.2 does not exist -- and the
# checks feed normal draws; test_bernoulli_vae_refuses_data_outside_0_1 covers that.)
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {"BernoulliRBM": {}, "DBN": {}, "VAE": {}}


@parametrize_with_checks(
    [BernoulliRBM(n_components=8, n_iter=3), DBN((6, 4), rbm_params={"n_iter": 2}),
     VAE(likelihood="gaussian", hidden=(8,), n_epochs=2, batch_size=16)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS[type(est).__name__],
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_bernoulli_vae_refuses_data_outside_0_1():
    with pytest.raises(ValueError, match=r"in \[0, 1\] for the Bernoulli likelihood"):
        VAE(hidden=(4,), n_epochs=1).fit(np.full((4, 3), 2.0))


# ------------------------------------------------------------------ the RBM as a drop-in
def test_rbm_takes_scikit_learns_parameters_with_its_defaults():
    ours = inspect.signature(BernoulliRBM).parameters
    for name, value in SkBernoulliRBM().get_params().items():
        assert name in ours, name
        assert ours[name].default == value, name
    assert list(ours)[0] == "n_components"  # positional, as scikit-learn's
    BernoulliRBM(n_components=16, n_iter=5)  # the TypeError


def test_rbm_fitted_attributes_match_scikit_learns(digits):
    X = digits[0][:200]
    sk = SkBernoulliRBM(n_components=12, n_iter=2, random_state=0).fit(X)
    ours = BernoulliRBM(n_components=12, n_iter=2, random_state=0).fit(X)
    for name in ("components_", "intercept_hidden_", "intercept_visible_", "h_samples_"):
        assert getattr(ours, name).shape == getattr(sk, name).shape, name
    assert ours.n_features_in_ == sk.n_features_in_
    assert ours.transform(X).shape == sk.transform(X).shape
    np.testing.assert_array_equal(ours.get_feature_names_out(), [f"bernoullirbm{i}" for i in range(12)])


def _free_energy(rbm, V):
    W, b, c = (a.astype(np.float64) for a in (rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_))
    return -V @ b - np.logaddexp(0, V @ W.T + c).sum(axis=1)


@pytest.mark.parametrize("data", ["binary", "probabilities"])
def test_score_samples_is_scikit_learns_pseudo_likelihood_without_the_noise(digits, data):
    X = digits[0][:300] if data == "binary" else load_digits()[0][:300]
    assert data == "binary" or ((X > 0) & (X < 1)).any()
    rbm = BernoulliRBM(10, n_iter=3, random_state=0).fit(X)
    # scikit-learn: n_features * log sigmoid(F(v') - F(v)) with one random v_i -> 1 - v_i;
    # ours: the sum over every i, i.e. its expectation. Reference in NumPy.
    F = _free_energy(rbm, X)
    expected = np.zeros(len(X))
    for i in range(X.shape[1]):
        Xf = X.copy()
        Xf[:, i] = 1 - Xf[:, i]
        expected += -np.logaddexp(0, -(_free_energy(rbm, Xf) - F))
    np.testing.assert_allclose(rbm.score_samples(X), expected, rtol=1e-10, atol=1e-10)
    assert rbm.score(X) == pytest.approx(expected.mean(), rel=1e-12)
    if data == "binary":
        np.testing.assert_allclose(rbm.score_samples(X), rbm.pseudo_likelihood(X))
        assert np.all(rbm.log_likelihood(X) <= 0)  # the exact log-likelihood, by its own name


def test_sparse_input_gives_the_dense_results(digits):
    X = digits[0][:300]
    dense = BernoulliRBM(16, n_iter=2, random_state=0).fit(X)
    for fmt in (sp.csr_matrix, sp.csr_array, sp.csc_matrix):
        sparse = BernoulliRBM(16, n_iter=2, random_state=0).fit(fmt(X))
        np.testing.assert_array_equal(sparse.components_, dense.components_)
        np.testing.assert_array_equal(sparse.transform(fmt(X)), dense.transform(X))
        np.testing.assert_array_equal(sparse.score_samples(fmt(X)), dense.score_samples(X))
    dbn = DBN((8, 4), rbm_params={"n_iter": 1}, random_state=0)
    np.testing.assert_array_equal(dbn.fit(sp.csr_matrix(X)).transform(sp.csr_matrix(X)),
                                  clone(dbn).fit(X).transform(X))


def test_meta_tools_work_on_the_data_fit_accepts(digits):
    X = load_digits()[0][:400]  # grey levels in [0, 1]: fit takes them, and so does score
    scores = cross_val_score(BernoulliRBM(8, n_iter=2, random_state=0), X, cv=3)
    assert np.isfinite(scores).all()
    grid = GridSearchCV(BernoulliRBM(n_iter=2, random_state=0), {"n_components": [4, 8]}, cv=2).fit(X)
    assert grid.best_params_["n_components"] in (4, 8)
    pipe = Pipeline([("rbm", BernoulliRBM(8, n_iter=1, random_state=0)), ("vae", VAE(2, hidden=(8,), n_epochs=1,
                                                                                    random_state=0))])
    assert pipe.fit(X).transform(X).shape == (400, 2)
    assert clone(VAE(3, hidden=(5,))).get_params()["n_latent"] == 3


def test_set_output_pandas(digits):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(digits[0][:100], columns=[f"px{i}" for i in range(64)])
    for est in (BernoulliRBM(5, n_iter=1, random_state=0), DBN((6, 3), rbm_params={"n_iter": 1}, random_state=0),
                VAE(2, hidden=(4,), n_epochs=1, random_state=0)):
        out = est.set_output(transform="pandas").fit_transform(X)
        assert isinstance(out, pd.DataFrame)
        assert list(out.columns) == list(est.get_feature_names_out())
        np.testing.assert_array_equal(est.feature_names_in_, X.columns)


@pytest.mark.parametrize("random_state", [None, 3, np.random.RandomState(3), np.random.default_rng(3)])
def test_any_random_state_and_all_cores(digits, random_state):
    X = digits[0][:100]
    for est in (BernoulliRBM(4, n_iter=1, n_threads=-1, random_state=random_state),
                VAE(2, hidden=(4,), n_epochs=1, n_threads=-1, random_state=random_state)):
        assert np.isfinite(est.fit(X).transform(X)).all()
    a = BernoulliRBM(4, n_iter=2, random_state=np.random.default_rng(5)).fit(X)
    b = BernoulliRBM(4, n_iter=2, random_state=np.random.default_rng(5)).fit(X)
    np.testing.assert_array_equal(a.components_, b.components_)
    for bad in (True, 1.5, "0"):
        with pytest.raises(TypeError, match="random_state"):
            BernoulliRBM(4, random_state=bad).fit(X)


def test_unfitted_models_raise_not_fitted_error(digits):
    X = digits[0][:5]
    for est, methods in ((BernoulliRBM(4), ("transform", "score_samples", "score")),
                         (DBN((4,)), ("transform", "score_samples")), (VAE(2), ("transform", "encode", "score"))):
        for method in methods:
            with pytest.raises(NotFittedError):
                getattr(est, method)(X)


# ------------------------------------------------------------------ persistence that keeps training
def _round_trip(model, how, tmp_path):
    if how == "pickle":
        return pickle.loads(pickle.dumps(model))
    if how == "deepcopy":
        return copy.deepcopy(model)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    return joblib.load(path, mmap_mode="r" if how == "joblib-mmap" else None)


def _fitted(kind, X):
    if kind == "rbm":
        return BernoulliRBM(16, n_iter=2, momentum=0.5, random_state=0).fit(X)
    if kind == "rbm-generator":
        return BernoulliRBM(16, n_iter=2, dtype="float32", random_state=np.random.default_rng(1)).fit(X)
    if kind == "dbn":
        return DBN((12, 6), rbm_params={"n_iter": 2}, random_state=0).fit(X)
    return VAE(4, hidden=(16,), n_epochs=2, random_state=0).fit(X)


def _state(model):
    if isinstance(model, BernoulliRBM):
        return [model.components_, model.intercept_hidden_, model.intercept_visible_, model.h_samples_]
    if isinstance(model, DBN):
        return [a for rbm in model.rbms_ for a in _state(rbm)]
    return [model._flat, model._m, model._v]


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "joblib", "joblib-mmap"])
@pytest.mark.parametrize("kind", ["rbm", "rbm-generator", "dbn", "vae"])
def test_restored_models_predict_and_train_on_bit_for_bit(digits, tmp_path, kind, how):
    X = digits[0][:300].astype(np.float32 if kind == "rbm-generator" else np.float64)
    original = _fitted(kind, X)
    restored = _round_trip(original, how, tmp_path)
    np.testing.assert_array_equal(restored.transform(X), original.transform(X))
    before = [a.copy() for a in _state(original)]
    for _ in range(2):
        assert original.partial_fit(X) is original
        assert restored.partial_fit(X) is restored
    for a, b in zip(_state(restored), _state(original)):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, old) for a, old in zip(_state(original), before))  # it did learn
    np.testing.assert_array_equal(restored.transform(X), original.transform(X))
    if kind == "vae":  # params_ are views of the trained vector again
        assert np.shares_memory(restored.params_["out.W"], restored._flat)
        np.testing.assert_array_equal(restored.elbo(X), original.elbo(X))


@pytest.mark.parametrize("kind", ["rbm", "rbm-generator", "dbn", "vae"])
def test_npz_save_load_keeps_the_random_state(digits, tmp_path, kind):
    X = digits[0][:300].astype(np.float32 if kind == "rbm-generator" else np.float64)
    original = _fitted(kind, X)
    original.save(tmp_path / "m.npz")
    loaded = type(original).load(tmp_path / "m.npz")
    original.partial_fit(X)
    loaded.partial_fit(X)
    for a, b in zip(_state(loaded), _state(original)):
        np.testing.assert_array_equal(a, b)


def test_old_parameter_names_in_saved_files_still_load(digits, tmp_path):
    import json

    rbm = BernoulliRBM(6, n_iter=1, random_state=0).fit(digits[0][:50])
    meta, arrays = rbm._to_arrays()
    params = meta["params"]
    params["n_hidden"], params["n_epochs"] = params.pop("n_components"), params.pop("n_iter")
    del meta["rng"]
    np.savez(tmp_path / "old.npz", metadata=np.array(json.dumps(meta)), **arrays)
    back = BernoulliRBM.load(tmp_path / "old.npz")
    assert back.n_components == 6 and back.n_iter == 1
    np.testing.assert_array_equal(back.transform(digits[0][:5]), rbm.transform(digits[0][:5]))


# ------------------------------------------------------------------ same seed, same model anywhere
_TRAIN = textwrap.dedent("""
    import hashlib, sys
    import numpy as np
    from infogen import BernoulliRBM
    from infogen.datasets import load_digits
    X = load_digits(binary=True)[0].astype(sys.argv[1])
    out = []
    for threads in (1, 2):
        # 512 hidden units, batch 100, persistent chain: large enough to train by parts
        rbm = BernoulliRBM(512, n_iter=2, batch_size=100, random_state=7, n_threads=threads).fit(X)
        out.append(hashlib.sha256(rbm.components_.tobytes() + rbm.h_samples_.tobytes()).hexdigest())
    print(" ".join(out))
""")


@pytest.mark.skipif(shutil.which("taskset") is None or len(os.sched_getaffinity(0)) < 2,
                    reason="needs taskset and two available CPUs")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_seed_same_weights_on_one_cpu_and_on_two(dtype):
    def run(prefix):
        done = subprocess.run([*prefix, sys.executable, "-c", _TRAIN, dtype], capture_output=True, text=True,
                              check=True, timeout=600)
        return done.stdout.split()

    both = run([])
    one = run(["taskset", "-c", "0"])
    assert both[0] == both[1]  # 1 and 2 threads
    assert one == both  # one CPU (affinity mask) and two


# ------------------------------------------------------------------ cheap defaults, logging
def test_default_fit_runs_no_monitoring_kernel(digits, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("monitoring ran during a default fit")

    for name in ("pseudo_likelihood", "free_energy", "log_partition", "visible_probs"):
        for sfx in ("f32", "f64"):
            monkeypatch.setattr(_core, f"rbm_{name}_{sfx}", refuse)
    rbm = BernoulliRBM(16, n_iter=2, random_state=0).fit(digits[0])
    assert len(rbm.history_["seconds"]) == 2 and np.isnan(rbm.history_["pseudo_likelihood"]).all()


def test_monitoring_does_not_change_the_model(digits):
    X = digits[0]  # more rows than the monitor's 500
    quiet = BernoulliRBM(16, n_iter=2, random_state=0).fit(X)
    watched = BernoulliRBM(16, n_iter=2, random_state=0, monitor=True).fit(X)
    np.testing.assert_array_equal(quiet.components_, watched.components_)
    assert np.isfinite(watched.history_["pseudo_likelihood"]).all()


def test_verbose_lines_go_through_logging(digits, caplog):
    X = digits[0][:100]
    with caplog.at_level(logging.INFO, logger="infogen"):
        BernoulliRBM(4, n_iter=2, random_state=0, verbose=1).fit(X)
        VAE(2, hidden=(4,), n_epochs=2, random_state=0, verbose=1).fit(X)
        DBN((4, 2), rbm_params={"n_iter": 1}, verbose=1, random_state=0).fit(X)
    text = caplog.text
    assert "BernoulliRBM epoch 2" in text and "VAE epoch 2" in text and "DBN: layer 2 of 2" in text
    assert all(r.name == "infogen" for r in caplog.records)


def test_verbose_output_without_a_terminal_has_no_escape_codes():
    code = textwrap.dedent("""
        import numpy as np
        from infogen import BernoulliRBM, VAE
        X = (np.random.default_rng(0).random((60, 8)) < 0.5).astype(float)
        BernoulliRBM(4, n_iter=3, random_state=0, verbose=True).fit(X)
        VAE(2, hidden=(4,), n_epochs=3, random_state=0, verbose=1).fit(X)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert done.stdout == ""  # nothing on standard output
    assert "[infogen] BernoulliRBM epoch 3" in done.stderr and "[infogen] VAE epoch 3" in done.stderr
    assert "\x1b" not in done.stderr and "\r" not in done.stderr
    assert not logging.getLogger("infogen").handlers  # (this process's logger untouched)


# ------------------------------------------------------------------ parameters checked before use
def test_nan_parameters_are_refused_before_use(digits, tmp_path):
    X = digits[0][:50]
    rbm = BernoulliRBM(4, n_iter=1, random_state=0).fit(X)
    rbm.save(tmp_path / "good.npz")
    rbm.components_[1, 2] = np.nan
    for call in (lambda: rbm.transform(X), lambda: rbm.sample(2, 3, random_state=0), lambda: rbm.partial_fit(X),
                 lambda: rbm.score_samples(X), lambda: rbm.gibbs(X), lambda: rbm.sample_visible(np.zeros((1, 4)))):
        with pytest.raises(ValueError, match="components_ contains NaN"):
            call()
    meta_arrays = dict(np.load(tmp_path / "good.npz", allow_pickle=False))
    meta_arrays["intercept_hidden"] = np.full(4, np.nan)
    np.savez(tmp_path / "tampered.npz", **meta_arrays)
    with pytest.raises(ValueError, match="intercept_hidden_ contains NaN"):
        BernoulliRBM.load(tmp_path / "tampered.npz")
    vae = VAE(2, hidden=(4,), n_epochs=1, random_state=0).fit(X)
    vae.params_["enc0.W"][0, 0] = np.nan
    for call in (lambda: vae.transform(X), lambda: vae.partial_fit(X), lambda: vae.sample(2)):
        with pytest.raises(ValueError, match="NaN"):
            call()


def test_parameters_changed_after_fit_are_checked_again(digits):
    X = digits[0][:50]
    rbm = BernoulliRBM(4, n_iter=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match="learning_rate"):
        rbm.set_params(learning_rate=-1.0).partial_fit(X)
    rbm.set_params(learning_rate=0.1)
    rbm.intercept_hidden_ = np.zeros(5)
    with pytest.raises(ValueError, match="intercept_hidden_ must be a float64 array of shape"):
        rbm.partial_fit(X)
    rbm.intercept_hidden_ = np.zeros(4, dtype=np.float32)
    with pytest.raises(ValueError, match="intercept_hidden_"):
        rbm.transform(X)
    vae = VAE(2, hidden=(4,), n_epochs=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match="batch_size"):
        vae.set_params(batch_size=0).partial_fit(X)


def test_energy_validates_h(digits):
    X = digits[0][:3]
    rbm = BernoulliRBM(4, n_iter=1, random_state=0).fit(X)
    h = np.array([[0, 1, 0, 1]] * 3, dtype=float)
    W, b, c = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
    np.testing.assert_allclose(rbm.energy(X, h), -X @ b - h @ c - np.einsum("ri,ji,rj->r", X, W, h))
    for bad, match in ((np.full((3, 4), np.nan), "finite"), (h * 2, r"in \[0, 1\]"), (h[:, :3], "shape"),
                       (h[:2], "shape"), (np.array([["a"] * 4] * 3), "numbers")):
        with pytest.raises((ValueError, TypeError), match=match):
            rbm.energy(X, bad)


def test_batch_larger_than_the_data_is_clamped(digits, caplog):
    X = digits[0][:200]
    with caplog.at_level(logging.INFO, logger="infogen"):
        rbm = BernoulliRBM(8, batch_size=10**6, n_iter=1, random_state=0).fit(X)
    assert rbm.h_samples_.shape == (200, 8)  # not a 10**6-row chain
    assert "batch_size=1000000 is larger than the 200 rows" in caplog.text
    same = BernoulliRBM(8, batch_size=200, n_iter=1, random_state=0).fit(X)
    np.testing.assert_array_equal(rbm.components_, same.components_)
    rbm.partial_fit(X[:50])  # the chain keeps its rows
    assert rbm.h_samples_.shape == (200, 8)



@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_verbose_output_on_a_terminal_shows_a_progress_bar():
    import fcntl
    import pty
    import struct
    import termios

    code = textwrap.dedent("""
        import numpy as np
        from infogen import BernoulliRBM
        X = (np.random.default_rng(0).random((60, 8)) < 0.5).astype(float)
        BernoulliRBM(4, n_iter=3, random_state=0, verbose=True).fit(X)
    """)
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=child)
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(main)
    assert proc.wait(timeout=300) == 0
    text = out.decode("utf-8", "replace")
    assert "BernoulliRBM:" in text and "/3 [" in text  # the tqdm bar
    assert "[infogen] BernoulliRBM epoch 3" in text


def test_verbose_ais_runs_in_blocks_with_the_same_weights(digits, caplog):
    X = digits[0][:300]
    rbm = BernoulliRBM(12, n_iter=2, random_state=0).fit(X)
    quiet = rbm.log_partition("ais", n_runs=70, n_betas=200, random_state=3)
    with caplog.at_level(logging.INFO, logger="infogen"):
        loud = rbm.set_params(verbose=1).log_partition("ais", n_runs=70, n_betas=200, random_state=3)
    np.testing.assert_array_equal(loud.log_weights, quiet.log_weights)
    assert loud.value == quiet.value
    assert "AIS: 70 runs x 200 temperatures" in caplog.text
    for offset in (0, 16, 48):  # the core's run offset: run r keeps the stream (seed, r)
        W, b, c = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
        betas = np.linspace(0, 1, 50)
        full = _core.rbm_ais_f64(W, b, c, b, betas, 80, 9, 2)[1]
        part = _core.rbm_ais_f64(W, b, c, b, betas, 32, 9, 1, run_offset=offset)[1]
        np.testing.assert_array_equal(part, full[offset:offset + 32])
