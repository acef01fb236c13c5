"""Classify texts by which n-gram model explains them best (one model per class)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets

from infogen._params import not_fitted
from infogen.info import softmax as _softmax
from infogen.ngram.model import NGramLM

__all__ = ["NGramClassifier"]


def _texts(X: Any, where: str) -> list[Any]:
    """X as a list of texts (str or token lists); a single str is a TypeError."""
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{where}: X must be a sequence of texts, got a single {type(X).__name__}; wrap it in a list")
    if isinstance(X, np.ndarray) and X.ndim != 1:
        raise ValueError(f"{where}: X must be a 1-D sequence of texts, got an array of shape {X.shape}")
    try:
        return list(X)
    except TypeError:
        raise TypeError(f"{where}: X must be a sequence of texts, got {type(X).__name__}") from None


class NGramClassifier(ClassifierMixin, BaseEstimator):
    """One n-gram language model per class, predicting by log-likelihood plus log-prior.

    The predicted class is argmax_c log P(c) + log P(text | c).
    The lecture's "is this review the critic's?": fit one model on the critic's reviews and
    one on everyone else's.

    Parameters
    ----------
    order : int, default=3
    smoothing : str, default="add_k"
        Smoothing of every class model (see :class:`~infogen.NGramLM`). The default gives
        unseen words a non-zero probability, which a classifier needs; ``"kneser_ney"``
        does too, and usually separates classes better on real text.
    k, alpha : float
        Parameters of the smoothing.
    prune, discount_fallback : optional
        Kneser–Ney pruning thresholds and discount fallback of every class model.
    min_count, max_vocab : optional
        Vocabulary limits of every class model (rarer words become ``<unk>``).
    priors : {"empirical", "uniform"} or array_like, default="empirical"
        Class priors: class frequencies in the training data, uniform, or given.
    n_threads : int, optional

    Attributes
    ----------
    classes_ : ndarray
        The sorted class labels.
    models_ : list of NGramLM
        The model of each class.
    log_prior_ : ndarray
        Natural-log prior of each class.

    Examples
    --------
    >>> from infogen import NGramClassifier
    >>> X = ["waste of time", "a waste of money", "a true masterpiece", "truly a masterpiece"]
    >>> y = ["bad", "bad", "good", "good"]
    >>> clf = NGramClassifier(order=2).fit(X, y)
    >>> clf.predict(["what a waste", "a masterpiece"]).tolist()
    ['bad', 'good']
    """

    def __init__(self, order: int = 3, *, smoothing: str = "add_k", k: float = 1.0, alpha: float = 0.4,
                 prune: Sequence[int] | None = None, discount_fallback: bool | Sequence[float] = False,
                 min_count: int = 1, max_vocab: int | None = None, priors: Any = "empirical",
                 n_threads: int | None = None) -> None:
        self.order = order
        self.smoothing = smoothing
        self.k = k
        self.alpha = alpha
        self.prune = prune
        self.discount_fallback = discount_fallback
        self.min_count = min_count
        self.max_vocab = max_vocab
        self.priors = priors
        self.n_threads = n_threads

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.classifier_tags.poor_score = True
        return tags

    def fit(self, X: Iterable[Any], y: Sequence[Any]) -> NGramClassifier:
        """Fit one model per class on the texts of that class."""
        X = _texts(X, "fit")
        y = np.asarray(list(y))
        check_classification_targets(y)
        if len(X) != y.shape[0]:
            raise ValueError(f"X has {len(X)} texts but y has {y.shape[0]} labels")
        if len(X) == 0:
            raise ValueError("cannot fit on an empty training set")
        self.classes_, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
        self.models_ = []
        for c in range(self.classes_.size):
            texts = [x for x, i in zip(X, inverse) if i == c]
            lm = NGramLM(self.order, smoothing=self.smoothing, k=self.k, alpha=self.alpha, prune=self.prune,
                         discount_fallback=self.discount_fallback, min_count=self.min_count,
                         max_vocab=self.max_vocab, n_threads=self.n_threads)
            self.models_.append(lm.fit(texts))
        if isinstance(self.priors, str):
            if self.priors == "empirical":
                prior = counts / counts.sum()
            elif self.priors == "uniform":
                prior = np.full(self.classes_.size, 1.0 / self.classes_.size)
            else:
                raise ValueError(f"priors must be 'empirical', 'uniform' or an array, got {self.priors!r}")
        else:
            prior = np.asarray(self.priors, dtype=np.float64)
            if prior.shape != (self.classes_.size,) or np.any(prior < 0) or not np.isclose(prior.sum(), 1.0):
                raise ValueError(f"priors must be {self.classes_.size} non-negative numbers summing to 1")
        with np.errstate(divide="ignore"):
            self.log_prior_ = np.log(prior)
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "models_")

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise not_fitted(self)

    def predict_joint_log_proba(self, X: Iterable[Any]) -> np.ndarray:
        """(n_texts, n_classes) array of log P(c) + log P(text | c) (natural log), as
        scikit-learn's naive Bayes classifiers name it.

        Raises
        ------
        ValueError
            If a text has probability zero under every class model (possible with
            ``smoothing="mle"``): no class explains it, so none can be predicted.
        """
        self._check_fitted()
        X = _texts(X, "predict")
        scores = np.stack([m.scores(X) for m in self.models_], axis=1) if X else np.zeros((0, self.classes_.size))
        d = scores + self.log_prior_
        dead = ~np.any(np.isfinite(d), axis=1) if d.shape[0] else np.zeros(0, dtype=bool)
        if dead.any():
            i = int(np.flatnonzero(dead)[0])
            raise ValueError(f"text {i} ({X[i]!r}) has probability zero under every class model, so no class can "
                             f"be predicted; use a smoothed model (smoothing='add_k' or 'kn')")
        return d

    def decision_function(self, X: Iterable[Any]) -> np.ndarray:
        """Confidence scores, scikit-learn's shape: the log-odds log P(c1 | text) - log P(c0 | text)
        of shape (n_texts,) for two classes, else the joint log-likelihoods (n_texts, n_classes).
        """
        d = self.predict_joint_log_proba(X)
        if self.classes_.size == 2:
            with np.errstate(invalid="ignore"):
                return d[:, 1] - d[:, 0]
        return d

    def predict_log_proba(self, X: Iterable[Any]) -> np.ndarray:
        """Log-posterior of each class."""
        d = self.predict_joint_log_proba(X)
        if d.shape[0] == 0:
            return d
        mx = np.max(d, axis=1, keepdims=True)
        mx = np.where(np.isfinite(mx), mx, 0.0)
        return d - (mx + np.log(np.sum(np.exp(d - mx), axis=1, keepdims=True)))

    def predict_proba(self, X: Iterable[Any]) -> np.ndarray:
        """Posterior probability of each class (rows sum to 1), by infogen.softmax."""
        d = self.predict_joint_log_proba(X)
        if d.shape[0] == 0:
            return d
        return _softmax(d, axis=1)

    def predict(self, X: Iterable[Any]) -> np.ndarray:
        """The most probable class of each text."""
        d = self.predict_joint_log_proba(X)
        return self.classes_[np.argmax(d, axis=1)] if d.shape[0] else self.classes_[:0]

    def score(self, X: Iterable[Any], y: Sequence[Any]) -> float:
        """Accuracy."""
        return float(np.mean(self.predict(X) == np.asarray(list(y))))
