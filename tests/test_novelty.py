"""NoveltyDetector: "is this one of them?" over the generative models (issue 19 item 2)."""
import numpy as np
import pytest
from infogen import NGramLM, NoveltyDetector, datasets
from infogen.novelty import _per_token


@pytest.fixture(scope="module")
def split():
    text = [s for s in datasets.load_pydoc_text() if len(s.split()) >= 3]
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(text))
    half = len(text) // 2
    train = [text[i] for i in idx[:half]]
    same = [text[i] for i in idx[half:]]
    scrambled = [" ".join(rng.permutation(s.split())) for s in same]
    return train, same, scrambled


@pytest.mark.parametrize("calibration", ["holdout", "cross_fit"])
def test_calibrated_threshold_rejects_the_contamination_share_of_new_text(split, calibration):
    train, same, scrambled = split
    det = NoveltyDetector(NGramLM(3, smoothing="kn"), contamination=0.05, calibration=calibration,
                          random_state=0).fit(train)
    assert det.false_rejection_rate_ <= 0.05
    assert abs(det.false_rejection_rate_ - 0.05) < 0.01
    rejected_same = np.mean(det.predict(same) == -1)
    assert 0.02 < rejected_same < 0.08  # new text by the same "author": about the 5% asked for
    assert np.mean(det.predict(scrambled) == -1) > 4 * rejected_same
    np.testing.assert_array_equal(det.decision_function(same) >= 0, det.predict(same) == 1)
    assert det.offset_ == det.threshold_


def test_a_threshold_from_training_scores_is_biased(split):
    # why the detector calibrates on unseen data: the model scores its own sentences too well
    train, same, _ = split
    lm = NGramLM(3, smoothing="kn").fit(train)
    naive = np.quantile(_per_token(lm, train), 0.05)
    assert np.mean(_per_token(lm, same) < naive) > 0.3


def test_prefit_and_custom_scores(split):
    train, same, _ = split
    lm = NGramLM(2, smoothing="add_k", k=0.1).fit(train)
    det = NoveltyDetector(lm, calibration="prefit", contamination=0.1).fit(same[:500])
    assert det.model_ is lm and abs(det.false_rejection_rate_ - 0.1) < 0.01
    total = NoveltyDetector(lm, calibration="prefit", score=lambda m, X: m.scores(X)).fit(same[:500])
    np.testing.assert_allclose(total.score_samples(same[:5]), lm.scores(same[:5]))


def test_scikit_learn_conventions_and_bad_input(split):
    from sklearn.base import clone, is_outlier_detector
    from sklearn.exceptions import NotFittedError

    train, _, _ = split
    det = NoveltyDetector(NGramLM(2, smoothing="add_k"), contamination=0.1)
    assert is_outlier_detector(det)
    twin = clone(det)
    assert twin.get_params()["contamination"] == 0.1 and twin.get_params()["model__order"] == 2
    with pytest.raises(NotFittedError):
        det.predict(["a b"])
    for kwargs, match in (({"contamination": 0}, "contamination"), ({"contamination": 0.6}, "contamination"),
                          ({"calibration": "train"}, "calibration"), ({"holdout": 1.5}, "holdout"),
                          ({"calibration": "cross_fit", "n_splits": 1}, "n_splits")):
        with pytest.raises(ValueError, match=match):
            NoveltyDetector(NGramLM(2, smoothing="add_k"), **kwargs).fit(train)
    with pytest.raises(ValueError, match="calibration samples"):
        NoveltyDetector(NGramLM(2, smoothing="add_k"), contamination=0.01).fit(train[:20])
    with pytest.raises(ValueError, match="no samples"):
        NoveltyDetector(NGramLM(2)).fit([])
    with pytest.raises(TypeError, match="single str"):
        NoveltyDetector(NGramLM(2)).fit("some text")
    with pytest.raises(ValueError, match="has no method"):
        NoveltyDetector(NGramLM(2, smoothing="add_k"), score="nope").fit(train)


def test_images_with_an_rbm_and_a_vae():
    from infogen import VAE, BernoulliRBM

    X_train, X_test, _ = datasets.load_digits(binary=True)
    X = np.vstack([X_train, X_test])
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(X))
    fit_rows, new_rows = X[idx[:1400]], X[idx[1400:]]
    shuffled = np.array([rng.permutation(x) for x in new_rows])
    for model, score in ((BernoulliRBM(64, n_iter=30, persistent=False, random_state=0), "free_energy"),
                         (VAE(n_latent=4, hidden=(32,), n_epochs=30, random_state=0), None)):
        det = NoveltyDetector(model, contamination=0.05, score=score, random_state=0).fit(fit_rows)
        assert abs(det.false_rejection_rate_ - 0.05) < 0.02
        assert np.mean(det.predict(new_rows) == -1) < 0.15  # new digits: about the 5% asked for
        assert np.mean(det.predict(shuffled) == -1) > 0.9  # shuffled pixels are not digits
