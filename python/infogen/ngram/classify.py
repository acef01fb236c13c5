"""Classify texts by which n-gram model explains them best (one model per class)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from infogen.info import softmax as _softmax
from infogen.ngram.model import NGramLM

__all__ = ["NGramClassifier"]


class NGramClassifier:
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

    _PARAMS = ("order", "smoothing", "k", "alpha", "prune", "discount_fallback", "min_count", "max_vocab",
               "priors", "n_threads")

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

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters, scikit-learn style."""
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params: Any) -> NGramClassifier:
        """Set parameters, scikit-learn style."""
        for key, value in params.items():
            if key not in self.get_params():
                raise ValueError(f"unknown parameter {key!r}")
            setattr(self, key, value)
        return self

    def fit(self, X: Iterable[Any], y: Sequence[Any]) -> NGramClassifier:
        """Fit one model per class on the texts of that class."""
        X = list(X)
        y = np.asarray(list(y))
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

    def _check_fitted(self) -> None:
        if not hasattr(self, "models_"):
            raise ValueError("this NGramClassifier is not fitted yet: call fit() first")

    def decision_function(self, X: Iterable[Any]) -> np.ndarray:
        """(n_texts, n_classes) array of log P(c) + log P(text | c) (natural log)."""
        self._check_fitted()
        X = list(X)
        scores = np.stack([m.scores(X) for m in self.models_], axis=1) if X else np.zeros((0, self.classes_.size))
        return scores + self.log_prior_

    def predict_log_proba(self, X: Iterable[Any]) -> np.ndarray:
        """Log-posterior of each class."""
        d = self.decision_function(X)
        if d.shape[0] == 0:
            return d
        mx = np.max(d, axis=1, keepdims=True)
        mx = np.where(np.isfinite(mx), mx, 0.0)
        return d - (mx + np.log(np.sum(np.exp(d - mx), axis=1, keepdims=True)))

    def predict_proba(self, X: Iterable[Any]) -> np.ndarray:
        """Posterior probability of each class (rows sum to 1), by infogen.softmax."""
        d = self.decision_function(X)
        if d.shape[0] == 0:
            return d
        if not np.all(np.any(np.isfinite(d), axis=1)):
            raise ValueError("a text has probability zero under every class model; use a smoothed model")
        return _softmax(d, axis=1)

    def predict(self, X: Iterable[Any]) -> np.ndarray:
        """The most probable class of each text."""
        d = self.decision_function(X)
        return self.classes_[np.argmax(d, axis=1)] if d.shape[0] else self.classes_[:0]

    def score(self, X: Iterable[Any], y: Sequence[Any]) -> float:
        """Accuracy."""
        return float(np.mean(self.predict(X) == np.asarray(list(y))))
