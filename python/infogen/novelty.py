""""Is this one of them?": a one-class detector over any of infogen's generative models.

The lecture asks of every joint distribution it learns: *given a review, was it written
by the reviewer?* :class:`NoveltyDetector` answers with scikit-learn's novelty-detection
API. It scores each sample by how probable the model finds it (a language model's mean
log-probability per prediction, an RBM's negative free energy, a VAE's ELBO, ...) and
rejects the least probable fraction `contamination` of *new* data from the same source.

The threshold is calibrated on data the model did not train on: a model scores its own
training samples far too well, so a threshold taken from them rejects almost nothing but
also accepts too much (a threshold from training scores accepted 0.5% of unseen sentences
by the same author in the issue's trial, for a target of 5% rejected). ``"holdout"``
trains on part of the data and calibrates on the rest; ``"cross_fit"`` calibrates on the
out-of-fold scores of ``n_splits`` models and then trains the final model on everything.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from infogen._params import ParamsMixin, not_fitted
from infogen._random import check_random_state

__all__ = ["NoveltyDetector"]


def _n_samples(X: Any) -> int:
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _take(X: Any, idx: np.ndarray) -> Any:
    if hasattr(X, "shape"):
        return X[idx]
    return [X[i] for i in idx.tolist()]


def _per_token(model: Any, X: Any) -> np.ndarray:
    """Mean natural-log probability per prediction (words and </s>) of each text."""
    ids, offsets = model.encode(X)
    lengths = np.diff(offsets) + 1
    return model.scores(X) / lengths


def _neg_free_energy(model: Any, X: Any) -> np.ndarray:
    return -np.asarray(model.free_energy(X), dtype=np.float64)


#: the score of each model family when `score` is None (higher = more typical)
_DEFAULTS: dict[str, Callable[[Any, Any], np.ndarray]] = {
    "NGramLM": _per_token,
    "BernoulliRBM": _neg_free_energy,
    "VAE": lambda m, X: np.asarray(m.elbo(X), dtype=np.float64),
}


def _scorer(model: Any, score: Any) -> Callable[[Any, Any], np.ndarray]:
    if callable(score):
        return score
    if isinstance(score, str):
        if score == "per_token":
            return _per_token
        if score == "free_energy":
            return _neg_free_energy
        if not callable(getattr(model, score, None)):
            raise ValueError(f"score={score!r}: {type(model).__name__} has no method {score!r}")
        return lambda m, X: np.asarray(getattr(m, score)(X), dtype=np.float64)
    if score is not None:
        raise TypeError(f"score must be None, a method name or a callable(model, X), got {type(score).__name__}")
    name = type(model).__name__
    if name in _DEFAULTS:
        return _DEFAULTS[name]
    if callable(getattr(model, "score_samples", None)):
        return lambda m, X: np.asarray(m.score_samples(X), dtype=np.float64)
    raise TypeError(f"{name} has no per-sample score: pass score='method name' or a callable(model, X)")


def _clone(model: Any) -> Any:
    return type(model)(**model.get_params(deep=False))


class NoveltyDetector(ParamsMixin):
    """One-class detector over a generative model, with scikit-learn's novelty API.

    Parameters
    ----------
    model : estimator
        An unfitted (or, with ``calibration="prefit"``, fitted) generative model:
        :class:`~infogen.NGramLM` (texts; mean log-probability per prediction),
        :class:`~infogen.BernoulliRBM` (negative free energy: the log-likelihood up to the
        constant log Z), :class:`~infogen.VAE` (ELBO), :class:`~infogen.DBN` or any
        estimator with ``score_samples``.
    contamination : float in (0, 0.5], default=0.05
        The fraction of new samples from the model's own source to reject: the threshold
        is this quantile of calibration scores.
    calibration : {"holdout", "cross_fit", "prefit"}, default="holdout"
        ``"holdout"``: fit the model on 1 - `holdout` of X and calibrate on the rest.
        ``"cross_fit"``: the out-of-fold scores of `n_splits` models calibrate, then the
        model is fitted on all of X. ``"prefit"``: the model is already fitted; X is
        calibration data it did not see.
    holdout : float in (0, 1), default=0.25
    n_splits : int, default=5
    score : str or callable, optional
        A method of the model giving per-sample scores (higher = more typical), ``"free_energy"``
        (negated), ``"per_token"``, or ``callable(model, X) -> ndarray``. Default: by model.
    random_state : None, int, RandomState or Generator
        Drives the split of X (not the model's own randomness).

    Attributes
    ----------
    model_ : estimator
        The fitted model that scores new samples.
    threshold_ : float
        Samples scoring below it are outliers; ``offset_`` is the same number
        (scikit-learn's name: ``decision_function = score_samples - offset_``).
    calibration_scores_ : ndarray
        The held-out scores the threshold was taken from.
    false_rejection_rate_ : float
        The fraction of calibration samples rejected (close to `contamination`).

    Examples
    --------
    >>> from infogen import NGramLM, NoveltyDetector
    >>> reviews = ["a waste of time", "what a waste of money", "a waste of a good cast"] * 20
    >>> det = NoveltyDetector(NGramLM(2, smoothing="add_k", k=0.1), contamination=0.1, random_state=0).fit(reviews)
    >>> det.predict(["what a waste of time", "truly a masterpiece of cinema"]).tolist()
    [1, -1]
    """

    def __init__(self, model: Any, *, contamination: float = 0.05, calibration: str = "holdout",
                 holdout: float = 0.25, n_splits: int = 5, score: Any = None, random_state: Any = None) -> None:
        self.model = model
        self.contamination = contamination
        self.calibration = calibration
        self.holdout = holdout
        self.n_splits = n_splits
        self.score = score
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.estimator_type = "outlier_detector"
        return tags

    def _check_params(self, n: int) -> None:
        c = self.contamination
        if isinstance(c, bool) or not isinstance(c, (int, float, np.integer, np.floating)) or not 0 < c <= 0.5:
            raise ValueError(f"contamination must be a number in (0, 0.5], got {c!r}")
        if self.calibration not in ("holdout", "cross_fit", "prefit"):
            raise ValueError(f"calibration must be 'holdout', 'cross_fit' or 'prefit', got {self.calibration!r}")
        if self.calibration == "holdout" and not (isinstance(self.holdout, (int, float)) and 0 < self.holdout < 1):
            raise ValueError(f"holdout must be a fraction in (0, 1), got {self.holdout!r}")
        if self.calibration == "cross_fit" and (isinstance(self.n_splits, bool) or not isinstance(self.n_splits, int)
                                                or not 2 <= self.n_splits <= n):
            raise ValueError(f"n_splits must be an int in [2, {n}], got {self.n_splits!r}")
        n_cal = n if self.calibration in ("prefit", "cross_fit") else math.floor(n * self.holdout)
        if n_cal * c < 1:
            raise ValueError(f"{n_cal} calibration samples cannot place a {c:g} quantile: give at least "
                             f"{math.ceil(1 / c)} (more is better)")

    def fit(self, X: Any, y: Any = None) -> NoveltyDetector:
        """Fit the model and calibrate the threshold on samples it did not train on."""
        if isinstance(X, (str, bytes)):
            raise TypeError("X must be a sequence of samples, got a single str; wrap it in a list")
        n = _n_samples(X)
        if n == 0:
            raise ValueError("cannot fit a NoveltyDetector on no samples")
        self._check_params(n)
        rs = check_random_state(self.random_state)
        perm = rs.permutation(n)
        if self.calibration == "prefit":
            model, cal = self.model, self._scores(self.model, X)
        elif self.calibration == "holdout":
            n_cal = math.floor(n * self.holdout)
            fit_idx, cal_idx = np.sort(perm[n_cal:]), np.sort(perm[:n_cal])
            model = _clone(self.model).fit(_take(X, fit_idx))
            cal = self._scores(model, _take(X, cal_idx))
        else:
            folds = np.array_split(perm, self.n_splits)
            cal = np.empty(n)
            for i, held in enumerate(folds):
                rest = np.sort(np.concatenate([f for j, f in enumerate(folds) if j != i]))
                m = _clone(self.model).fit(_take(X, rest))
                cal[held] = self._scores(m, _take(X, held))
            model = _clone(self.model).fit(X)
        finite = cal[np.isfinite(cal)] if np.any(np.isfinite(cal)) else cal
        self.model_ = model
        self.calibration_scores_ = cal
        # the largest threshold that rejects at most a `contamination` share of calibration scores
        self.threshold_ = float(np.quantile(finite, self.contamination, method="lower"))
        self.offset_ = self.threshold_
        self.false_rejection_rate_ = float(np.mean(cal < self.threshold_))
        return self

    def _scores(self, model: Any, X: Any) -> np.ndarray:
        return np.asarray(_scorer(model, self.score)(model, X), dtype=np.float64)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    def score_samples(self, X: Any) -> np.ndarray:
        """The model's score of each sample (higher = more typical of the training source)."""
        if not self.__sklearn_is_fitted__():
            raise not_fitted(self)
        if isinstance(X, (str, bytes)):
            raise TypeError("X must be a sequence of samples, got a single str; wrap it in a list")
        return self._scores(self.model_, X)

    def decision_function(self, X: Any) -> np.ndarray:
        """``score_samples(X) - offset_``: positive for inliers, negative for outliers."""
        return self.score_samples(X) - self.offset_

    def predict(self, X: Any) -> np.ndarray:
        """+1 for samples like the training source (inliers), -1 for the others."""
        return np.where(self.decision_function(X) >= 0, 1, -1)

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit, then predict on the same samples."""
        return self.fit(X).predict(X)
