"""N-gram language models: estimate from counts, score, generate, complete, fill blanks."""
from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from infogen import _core
from infogen._config import resolve_threads
from infogen._io import atomic_write
from infogen._params import ParamsMixin, not_fitted
from infogen._random import draw_seed
from infogen.info import entropy as _entropy
from infogen.info import perplexity as _perplexity
from infogen.ngram._text import (
    BOS,
    BOS_ID,
    ENCODING,
    EOS,
    EOS_ID,
    ERRORS,
    UNK_ID,
    check_order,
    check_paths,
    decode,
    encode,
    is_token,
    sentence_tokens,
    to_buffer,
)
from infogen.ngram.arpa import parse_arpa, write_arpa
from infogen.ngram.compressed import read_bytes
from infogen.ngram.counts import NGramCounts
from infogen.ngram.model_file import check_precision, open_model_file, sniff_model_file

__all__ = ["NGramLM", "SMOOTHINGS", "read_arpa"]

SMOOTHINGS = {"mle": 0, "add_k": 1, "stupid_backoff": 2, "kneser_ney": 3}
_ALIASES = {"kn": "kneser_ney"}
#: lmplz's ``--discount_fallback`` default discounts (D1, D2, D3+).
DEFAULT_FALLBACK = (0.5, 1.0, 1.5)
_FORMAT = "infogen.ngram.model"
_NUMBER = (int, float, np.integer, np.floating)
#: the "smoothing" of models given rather than estimated: read from ARPA, or from tables
_GIVEN = ("arpa", "tables")


def random_seed(random_state: Any) -> int:
    """One 63-bit seed from an int, None, ``np.random.Generator`` or ``RandomState``."""
    return draw_seed(random_state)


def _log_scale(base: float | None) -> float:
    if base is None:
        return 1.0
    if isinstance(base, (bool, np.bool_)) or not isinstance(base, (int, float, np.integer, np.floating)):
        raise TypeError(f"base must be a number or None, got {type(base).__name__}")
    if not (math.isfinite(base) and base > 0 and base != 1):
        raise ValueError(f"base must be a positive finite number other than 1, got {base!r}")
    return 1.0 / math.log(base)


class NGramLM(ParamsMixin):
    """An n-gram language model: P(w1..wn) = prod_i P(w_i | w_{i-N+1} .. w_{i-1}).

    Sentences are padded with ``<s>`` and ``</s>`` as in KenLM: a sentence of n words makes
    n + 1 predictions. Every model is held in backoff form (the form ARPA files store) and
    queried like KenLM, in C++; each context's conditional distribution sums to 1 over
    the vocabulary (every word but ``<s>``).

    Parameters
    ----------
    order : int, default=3
        N, the number of words of the longest n-gram (1..16).
    smoothing : {"mle", "add_k", "stupid_backoff"}, default="mle"
        How probabilities are estimated from counts c and context totals C(h):

        - ``"mle"``: c(h w) / C(h), the lecture's count(waste of time) / count(waste of).
          Unseen words in a seen context get probability 0; an unseen context backs off to
          its longest seen suffix.
        - ``"add_k"``: (c(h w) + k) / (C(h) + k|V|) for every seen n-gram (exactly Laplace
          at order 1, and at k = 1); the remaining mass of a context goes to its unseen
          words in proportion to the order below (Katz-style backoff weights), so the model
          is normalised and exactly representable in ARPA.
        - ``"stupid_backoff"``: Brants et al.'s c(h w) / C(h), else alpha times the score of
          the shorter context, divided by its sum over the vocabulary so it is a
          distribution.
        - ``"kneser_ney"`` (alias ``"kn"``): interpolated modified Kneser-Ney (Chen &
          Goodman) exactly as KenLM's ``lmplz`` estimates it: three discounts per order
          from the count-of-counts, continuation counts below the highest order (raw counts
          for n-grams starting with ``<s>``), interpolation down to the uniform
          distribution over the vocabulary; the ARPA file matches lmplz's.
    k : float, default=1.0
        Pseudo-count of ``"add_k"``.
    alpha : float, default=0.4
        Backoff factor of ``"stupid_backoff"``.
    prune : sequence of int, optional
        ``"kneser_ney"`` only: lmplz's ``--prune`` count thresholds per order, e.g.
        ``(0, 1, 1)`` drops bigrams and trigrams seen once (the last value applies to the
        remaining orders; non-decreasing; unigrams cannot be pruned). The mass of a pruned
        n-gram goes to its context's backoff, so every distribution still sums to 1.
    discount_fallback : bool or (float, float, float), default=False
        ``"kneser_ney"`` only: when the count-of-counts of an order give no valid discounts
        (small or artificial data), use these (D1, D2, D3+) instead of raising ValueError;
        ``True`` means lmplz's defaults (0.5, 1, 1.5).
    min_count, max_vocab : int, optional
        Vocabulary limits when fitting from text (see :meth:`NGramCounts.from_file`).
    n_threads : int, optional
        Threads for counting and batched queries (default: all). Results do not depend on it.

    Attributes
    ----------
    vocab_ : list of str
        Word of each id (0, 1, 2 = ``<unk>``, ``<s>``, ``</s>``).
    counts_ : NGramCounts or None
        The counts the model was estimated from (None when read from ARPA).
    logp_, logbo_ : list of ndarray
        Natural-log probabilities and backoff weights per order; order 1 is dense over the
        vocabulary, order k >= 2 aligned with ``ngrams_[k-2]``.
    ngrams_ : list of ndarray
        Sorted (m_k, k) uint32 arrays of the listed n-grams of orders 2..N.
    discounts_ : list of tuple or None
        ``"kneser_ney"``: (D1, D2, D3+) of each order.
    count_of_counts_ : list of tuple or None
        ``"kneser_ney"``: (t1, t2, t3, t4) of each order's (adjusted) counts.
    discount_warnings_, used_fallback_ : list
        ``"kneser_ney"``: lmplz-style messages for the orders whose discounts were invalid,
        and per order whether it used the fallback discounts.

    Examples
    --------
    The lecture's estimate P(time | waste of) = count(waste of time) / count(waste of):

    >>> from infogen import NGramLM
    >>> reviews = ["waste of time and money", "a waste of money", "what a waste of time"]
    >>> lm = NGramLM(3).fit(reviews)
    >>> lm.prob("time", ["waste", "of"])
    0.6666666666666666
    >>> lm.generate(strategy="greedy")  # "of time" ends a review once and goes on once: a tie
    'waste of time'
    """

    def __init__(self, order: int = 3, *, smoothing: str = "mle", k: float = 1.0, alpha: float = 0.4,
                 prune: Sequence[int] | None = None, discount_fallback: bool | Sequence[float] = False,
                 min_count: int = 1, max_vocab: int | None = None, n_threads: int | None = None) -> None:
        self.order = order
        self.smoothing = smoothing
        self.k = k
        self.alpha = alpha
        self.prune = prune
        self.discount_fallback = discount_fallback
        self.min_count = min_count
        self.max_vocab = max_vocab
        self.n_threads = n_threads

    # --- fitting ------------------------------------------------------------------------------
    def _kind(self) -> str:
        """The smoothing's canonical name ("kn" is "kneser_ney")."""
        return _ALIASES.get(self.smoothing, self.smoothing) if isinstance(self.smoothing, str) else self.smoothing

    def _check_params(self) -> None:
        check_order(self.order)
        kind = self._kind()
        if kind not in SMOOTHINGS:
            raise ValueError(f"smoothing must be one of {sorted(SMOOTHINGS)} or 'kn', got {self.smoothing!r}")
        if kind == "add_k":
            if isinstance(self.k, (bool, np.bool_)) or not isinstance(self.k, _NUMBER):
                raise TypeError(f"k must be a number, got {type(self.k).__name__}")
            if not (self.k > 0 and math.isfinite(self.k) and self.k <= 1e6):
                raise ValueError(f"k must be a positive finite number of at most 1e6, got {self.k!r}")
        if kind == "stupid_backoff":
            if isinstance(self.alpha, (bool, np.bool_)) or not isinstance(self.alpha, _NUMBER):
                raise TypeError(f"alpha must be a number, got {type(self.alpha).__name__}")
            if not 0 < self.alpha <= 1:
                raise ValueError(f"alpha must be in (0, 1], got {self.alpha!r}")
        if kind != "kneser_ney" and (self.prune is not None or self.discount_fallback not in (False, None)):
            raise ValueError("prune and discount_fallback apply to smoothing='kneser_ney' only")
        if kind == "kneser_ney":  # fail before counting
            self._kn_prune()
            self._kn_fallback()

    def _kn_prune(self) -> list[int]:
        return kn_prune_thresholds(self.prune, self.order)

    def _kn_fallback(self) -> list[float]:
        return kn_fallback_discounts(self.discount_fallback)

    def fit(self, corpus: NGramCounts | str | os.PathLike | Iterable[Any], y: None = None) -> NGramLM:
        """Estimate the model.

        Parameters
        ----------
        corpus : NGramCounts, path, list of paths, or iterable of sentences
            Counts of at least this model's order, corpus file(s) (one sentence per line,
            gzip/xz/bzip2 compressed or not), or sentences as strings or token lists.
        y : None
            Ignored (scikit-learn's signature for unsupervised estimators).

        Returns
        -------
        self
        """
        self._check_params()
        threads = resolve_threads(self.n_threads)
        if isinstance(corpus, NGramCounts):
            if corpus.order < self.order:
                raise ValueError(f"counts of order {corpus.order} cannot fit a model of order {self.order}")
            counts = corpus
        elif isinstance(corpus, (str, os.PathLike)) or (
                isinstance(corpus, (list, tuple)) and corpus and all(isinstance(p, os.PathLike) for p in corpus)):
            counts = NGramCounts.from_file(corpus, self.order, min_count=self.min_count, max_vocab=self.max_vocab,
                                           n_threads=threads)
        else:
            counts = NGramCounts.from_sentences(corpus, self.order, min_count=self.min_count,
                                                max_vocab=self.max_vocab, n_threads=threads)
        tables = list(zip(counts.ngrams[: self.order], counts.counts[: self.order]))
        self.discounts_ = self.count_of_counts_ = None
        self._path = None
        if self._kind() == "kneser_ney":
            res = _core.ngram_estimate_kn(tables, len(counts.vocab), self._kn_prune(), self._kn_fallback(), threads)
            self._set_tables(list(counts.vocab), list(res["ngrams"]), list(res["logp"]), list(res["logbo"]))
            self.discounts_ = [tuple(d) for d in res["discounts"]]
            self.count_of_counts_ = [tuple(t) for t in res["count_of_counts"]]
            self.discount_warnings_ = list(res["warnings"])
            self.used_fallback_ = [bool(b) for b in res["used_fallback"]]
        else:
            param = float(self.k) if self._kind() == "add_k" else float(self.alpha)
            logs = _core.ngram_estimate(tables, len(counts.vocab), SMOOTHINGS[self._kind()], param)
            self._set_tables(list(counts.vocab), [g for g, _ in tables[1:]], [lp for lp, _ in logs],
                             [bo for _, bo in logs])
        self.counts_ = counts
        return self

    def _set_tables(self, vocab: list[str], ngrams: list[np.ndarray], logp: list[np.ndarray],
                    logbo: list[np.ndarray]) -> None:
        self._vocab = vocab
        self._ngrams = [np.ascontiguousarray(g, dtype=np.uint32) for g in ngrams]
        self._logp = [np.ascontiguousarray(a, dtype=np.float64) for a in logp]
        self._logbo = [np.ascontiguousarray(a, dtype=np.float64) for a in logbo]
        self._reset_runtime(None)
        if not hasattr(self, "counts_"):
            self.counts_ = None

    def _reset_runtime(self, query: Any) -> None:
        """Drop what is derived from the tables: the query model (built on first use from the
        tables, or the mapped file's), the word index and the lock that guards them.
        """
        self._query = query
        self._word_index_cache = None
        self._lock = threading.Lock()

    # The fitted tables. A model opened from a .ngram file has only its mapped query
    # model: these are read out of it on first use (the n-grams as read-only views).
    @property
    def vocab_(self) -> list[str]:
        """Word of each id (0, 1, 2 = ``<unk>``, ``<s>``, ``</s>``)."""
        self._check_fitted()
        if self._vocab is None:
            self._vocab = decode(self._query.words())
        return self._vocab

    @property
    def ngrams_(self) -> list[np.ndarray]:
        """Sorted (m_k, k) uint32 arrays of the listed n-grams of orders 2..N."""
        self._check_fitted()
        if self._ngrams is None:
            self._ngrams = [self._query.ngrams(k) for k in range(2, self.order + 1)]
        return self._ngrams

    def _read_logs(self) -> None:
        threads = resolve_threads(self.n_threads)
        logs = [self._query.order_logs(k, threads) for k in range(1, self.order + 1)]
        self._logp = [lp for lp, _ in logs]
        self._logbo = [bo for _, bo in logs]

    @property
    def logp_(self) -> list[np.ndarray]:
        """Natural-log probabilities per order (order 1 dense over the vocabulary)."""
        self._check_fitted()
        if self._logp is None:
            self._read_logs()
        return self._logp

    @property
    def logbo_(self) -> list[np.ndarray]:
        """Natural-log backoff weights per order (aligned like :attr:`logp_`)."""
        self._check_fitted()
        if self._logbo is None:
            self._read_logs()
        return self._logbo

    def _arpa_bos(self) -> str:
        """How ARPA writes <s>'s log10 probability: "0" as lmplz does for Kneser-Ney (and as
        the ARPA file this model was read from did), "-99" otherwise.
        """
        written = getattr(self, "bos_text_", None)
        return written if written is not None else ("0" if self._kind() == "kneser_ney" else "-99")

    def _meta(self) -> dict[str, Any]:
        """What a model file keeps besides the tables (JSON)."""
        meta: dict[str, Any] = {"format": _FORMAT, "version": 1, "order": int(self.order), "smoothing": self._kind(),
                                "k": float(self.k), "alpha": float(self.alpha)}
        if self._kind() == "kneser_ney":
            meta["prune"] = None if self.prune is None else [int(t) for t in self.prune]
            fb = self.discount_fallback
            meta["discount_fallback"] = fb if isinstance(fb, bool) else [float(x) for x in fb]
            meta["discounts"] = self.discounts_
        if getattr(self, "bos_text_", None) is not None:
            meta["bos_text"] = self.bos_text_
        return meta

    def _build_image(self, precision: str = "double", slots_per_ngram: float = 1.5) -> Any:
        return _core._NGramModel.build(self.order, encode(self._vocab), self._ngrams, self._logp, self._logbo,
                                       json.dumps(self._meta()), check_precision(precision), float(slots_per_ngram),
                                       resolve_threads(self.n_threads))

    @property
    def _cpp(self) -> Any:
        """The C++ query model: built on first use (estimating and writing ARPA need none),
        or the memory-mapped model file.
        """
        self._check_fitted()
        if self._query is None:
            with self._lock:
                if self._query is None:
                    self._query = self._build_image()
        return self._query

    @property
    def _word_index(self) -> dict[str, int]:
        if self._word_index_cache is None:
            self._word_index_cache = {w: i for i, w in enumerate(self.vocab_)}
        return self._word_index_cache

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # texts, not a numeric matrix
        tags.input_tags.string = True
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return getattr(self, "_query", None) is not None or getattr(self, "_logp", None) is not None

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise not_fitted(self, "call fit() or load one with NGramLM.load()/from_arpa()")

    @property
    def memory_mapped_(self) -> bool:
        """True when the model is a memory-mapped ``.ngram`` file."""
        self._check_fitted()
        return self._query is not None and self._query.mapped

    @property
    def vocab_size(self) -> int:
        """Number of words including ``<unk>``, ``<s>``, ``</s>``."""
        return int(self._cpp.vocab_size)

    # --- encoding -----------------------------------------------------------------------------
    def _word_id(self, token: str) -> int:
        i = self._cpp.find_word(token.encode(ENCODING, ERRORS))
        return UNK_ID if i < 0 else i

    def _ids(self, tokens: Sequence[str]) -> np.ndarray:
        return np.array([self._word_id(t) for t in tokens], dtype=np.uint32)

    def encode(self, sentences: Iterable[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Sentences -> (ids, offsets) in CSR form; unknown words become ``<unk>`` (id 0).

        Tokens are split on ASCII whitespace in C++, as when fitting; one sentence per
        input, empty ones included.
        """
        self._check_fitted()
        buf, n = to_buffer(sentences)
        ids, offsets = self._cpp.encode(buf, resolve_threads(self.n_threads))
        if offsets.size - 1 != n:  # cannot happen: one line per sentence
            raise RuntimeError(f"tokeniser returned {offsets.size - 1} sentences for {n}")
        return ids, offsets

    def encode_files(self, paths: Any) -> tuple[np.ndarray, np.ndarray]:
        """Text files (gzip, xz or bzip2 compressed or not) -> (ids, offsets), one sentence per
        line, empty lines as empty sentences.
        """
        self._check_fitted()
        files = check_paths(paths)
        threads = resolve_threads(self.n_threads)
        parts = [self._cpp.encode(read_bytes(f), threads) for f in files]
        if len(parts) == 1:
            return parts[0]
        ids = np.concatenate([p[0] for p in parts])
        starts = np.cumsum([0] + [p[0].size for p in parts[:-1]])
        offsets = np.concatenate([[0]] + [p[1][1:] + s0 for p, s0 in zip(parts, starts)]).astype(np.int64)
        return ids, offsets

    def evaluate(self, corpus: Any, *, bos: bool = True, eos: bool = True) -> dict[str, float]:
        """Score a test corpus (file path(s) or sentences) and summarise, as KenLM's ``query`` does.

        Returns
        -------
        dict
            ``sentences``, ``tokens``, ``predictions`` (tokens plus sentence ends), ``oov``
            (tokens that are ``<unk>``), ``logprob`` (natural log, total), ``log10prob``,
            ``perplexity`` (all predictions), ``perplexity_excluding_oov`` and
            ``bits_per_word`` (cross-entropy per prediction).
        """
        if isinstance(corpus, (str, os.PathLike)) or (
                isinstance(corpus, (list, tuple)) and corpus and all(isinstance(p, os.PathLike) for p in corpus)):
            ids, offsets = self.encode_files(corpus)
        else:
            ids, offsets = self.encode(corpus)
        _, tok, _ = self._cpp.score(ids, offsets, bool(bos), bool(eos), True, resolve_threads(self.n_threads))
        n_sent = offsets.size - 1
        # positions of the word predictions inside `tok` (skipping each sentence's </s>)
        if eos:
            word_pos = np.arange(ids.size) + np.repeat(np.arange(n_sent), np.diff(offsets))
        else:
            word_pos = np.arange(ids.size)
        oov = ids == UNK_ID
        total = float(tok.sum()) if tok.size else 0.0
        kept = np.ones(tok.size, dtype=bool)
        kept[word_pos[oov]] = False
        return {
            "sentences": int(n_sent), "tokens": int(ids.size), "predictions": int(tok.size), "oov": int(oov.sum()),
            "logprob": total, "log10prob": total / math.log(10),
            "perplexity": float(_perplexity(tok)) if tok.size else math.nan,
            "perplexity_excluding_oov": float(_perplexity(tok[kept])) if kept.any() else math.nan,
            "bits_per_word": -total / tok.size / math.log(2) if tok.size else math.nan,
        }

    def _context_ids(self, context: Any, bos: bool) -> np.ndarray:
        tokens = sentence_tokens(context if context is not None else [], where="context")
        if tokens and tokens[0] == BOS:
            tokens = tokens[1:]
            bos = True
        for t in tokens:
            if t in (BOS, EOS):
                raise ValueError(f"{t} may only appear at the start of a context, got {tokens}")
        ids = self._ids(tokens)
        return np.concatenate([[BOS_ID], ids]).astype(np.uint32) if bos else ids

    # --- probabilities ------------------------------------------------------------------------
    def logprob(self, word: str, context: Any = (), *, base: float | None = None) -> float:
        """Log P(word | context), natural log unless `base` (10 for KenLM's convention).

        `context` is a str or a token list; start it with ``"<s>"`` to condition on the start
        of a sentence. Unknown words are ``<unk>``.
        """
        self._check_fitted()
        scale = _log_scale(base)
        if not isinstance(word, str):
            raise TypeError(f"word must be a str, got {type(word).__name__}")
        if not is_token(word):
            raise ValueError(f"word must be one token (no whitespace, not empty), got {word!r}")
        if word == BOS:
            return -math.inf
        seq = np.concatenate([self._context_ids(context, False), self._ids([word])]).astype(np.uint32)
        return self._cpp.logprob(seq)[0] * scale

    def prob(self, word: str, context: Any = ()) -> float:
        """P(word | context); see :meth:`logprob`."""
        return math.exp(self.logprob(word, context))

    def distribution(self, context: Any = (), *, bos: bool = False) -> np.ndarray:
        """P(w | context) for every word id w (a float64 vector over :attr:`vocab_`, summing to 1).

        With ``bos=True`` (or a context starting with ``"<s>"``) the context is the start of a
        sentence.
        """
        self._check_fitted()
        lp = self._cpp.distribution(self._context_ids(context, bos))
        return np.exp(lp)

    def entropy(self, context: Any = (), *, bos: bool = False, base: float | None = 2) -> float:
        """Entropy of the next word given `context`, in bits by default (infogen.entropy)."""
        return float(_entropy(self.distribution(context, bos=bos), base=base))

    def scores(self, sentences: Iterable[Any], *, bos: bool = True, eos: bool = True,
               base: float | None = None) -> np.ndarray:
        """Log-probability of each sentence (batched in C++); see :meth:`score`."""
        ids, offsets = self.encode(sentences)
        out, _, _ = self._cpp.score(ids, offsets, bool(bos), bool(eos), False, resolve_threads(self.n_threads))
        return out * _log_scale(base)

    def score(self, sentence: str | Sequence[str], *, bos: bool = True, eos: bool = True,
              base: float | None = None) -> float:
        """Log-probability of one sentence, natural log unless `base`.

        Parameters
        ----------
        sentence : str or list of str
            Words separated by whitespace, or a token list.
        bos : bool, default=True
            Condition the first word on ``<s>`` (the sentence starts here). With False the
            first word is scored by its unigram probability - right for a fragment, wrong for
            a whole sentence.
        eos : bool, default=True
            Also predict ``</s>`` after the last word (the sentence ends here). With False a
            prefix like "waste of" is scored without claiming the review ends there.
        base : float, optional
            Log base: ``base=10`` gives KenLM's ``Model.score`` convention.

        Examples
        --------
        >>> from infogen import NGramLM
        >>> lm = NGramLM(2).fit(["a b", "a c"])
        >>> round(lm.score("a b"), 6) == round(math.log(1.0 * 0.5 * 1.0), 6)
        True
        """
        if isinstance(sentence, (list, tuple)) and sentence and not isinstance(sentence[0], str):
            raise TypeError("score takes one sentence; use scores() for a batch")
        return float(self.scores([sentence], bos=bos, eos=eos, base=base)[0])

    def token_logprobs(self, sentences: Iterable[Any], *, bos: bool = True, eos: bool = True) -> np.ndarray:
        """Natural-log probability of every prediction of every sentence, concatenated."""
        ids, offsets = self.encode(sentences)
        _, tok, _ = self._cpp.score(ids, offsets, bool(bos), bool(eos), True, resolve_threads(self.n_threads))
        return tok

    def perplexity(self, sentences: str | Iterable[Any], *, bos: bool = True, eos: bool = True) -> float:
        """exp(-mean log P) over every prediction (``</s>`` included when `eos`), as KenLM reports it.

        `sentences` is an iterable of sentences, or one sentence as a str (KenLM's
        ``Model.perplexity(sentence)``).
        """
        if isinstance(sentences, str):
            sentences = [sentences]
        tok = self.token_logprobs(sentences, bos=bos, eos=eos)
        if tok.size == 0:
            raise ValueError("perplexity of an empty set of sentences is undefined")
        return float(_perplexity(tok))

    def cross_entropy(self, sentences: Iterable[Any], *, bos: bool = True, eos: bool = True) -> float:
        """Cross-entropy of the sentences under the model, in bits per prediction (log2 perplexity)."""
        return math.log2(self.perplexity(sentences, bos=bos, eos=eos))

    # --- generation ---------------------------------------------------------------------------
    def _generate_ids(self, n: int, max_words: int, strategy: str, temperature: float, top_k: int | None,
                      prefix: Any, random_state: Any, allow_unk: bool) -> tuple[list[str], np.ndarray, np.ndarray]:
        self._check_fitted()
        if strategy not in ("greedy", "sample"):
            raise ValueError(f"strategy must be 'greedy' or 'sample', got {strategy!r}")
        if isinstance(max_words, bool) or not isinstance(max_words, (int, np.integer)) or max_words < 0:
            raise ValueError(f"max_words must be a non-negative int, got {max_words!r}")
        if not (isinstance(temperature, (int, float)) and temperature > 0 and math.isfinite(temperature)):
            raise ValueError(f"temperature must be a positive finite number, got {temperature!r}")
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1):
            raise ValueError(f"top_k must be a positive int or None, got {top_k!r}")
        prefix_tokens = sentence_tokens(prefix if prefix is not None else [], where="prefix")
        if prefix_tokens and prefix_tokens[0] == BOS:
            prefix_tokens = prefix_tokens[1:]
        ctx = self._context_ids(prefix_tokens, True)
        seed = random_seed(random_state) if strategy == "sample" else 0
        banned = [] if allow_unk else [UNK_ID]
        ids, offsets = self._cpp.generate(ctx, int(n), int(max_words), seed, float(temperature), int(top_k or 0),
                                          strategy == "greedy", banned, resolve_threads(self.n_threads))
        return prefix_tokens, ids, offsets

    def generate(self, max_words: int = 20, *, strategy: str = "greedy", temperature: float = 1.0,
                 top_k: int | None = None, prefix: Any = None, random_state: Any = None,
                 allow_unk: bool = True) -> str:
        """Generate one sentence, word by word from the model's conditionals.

        Parameters
        ----------
        max_words : int, default=20
            Stop after this many new words if ``</s>`` has not been drawn.
        strategy : {"greedy", "sample"}, default="greedy"
            ``"greedy"`` takes the most probable word each time (the same sentence on every
            call, the lecture's point); ``"sample"`` rolls the model's biased die.
        temperature : float, default=1.0
            Sampling from P ** (1 / temperature), renormalised.
        top_k : int, optional
            Sample only among the k most probable words.
        prefix : str or list of str, optional
            Words the sentence starts with (kept in the output).
        random_state : int, numpy Generator or None
            Seeds the sentence's random stream (a fresh seed each call if None).
        allow_unk : bool, default=True
            With False, ``<unk>`` is never produced (the rest renormalised).

        Returns
        -------
        str
        """
        return self.sample(1, max_words=max_words, strategy=strategy, temperature=temperature, top_k=top_k,
                           prefix=prefix, random_state=random_state, allow_unk=allow_unk)[0]

    def sample(self, n_sentences: int, *, max_words: int = 20, strategy: str = "sample", temperature: float = 1.0,
               top_k: int | None = None, prefix: Any = None, random_state: Any = None,
               allow_unk: bool = True) -> list[str]:
        """Generate `n_sentences` sentences at once in C++ (see :meth:`generate`).

        Sentence i draws from its own counter-based random stream (seed, i), so the output
        is identical for any number of threads.
        """
        if isinstance(n_sentences, bool) or not isinstance(n_sentences, (int, np.integer)) or n_sentences < 0:
            raise ValueError(f"n_sentences must be a non-negative int, got {n_sentences!r}")
        prefix_tokens, ids, offsets = self._generate_ids(n_sentences, max_words, strategy, temperature, top_k,
                                                         prefix, random_state, allow_unk)
        vocab = self.vocab_
        words = [vocab[i] for i in ids.tolist()]
        head = prefix_tokens
        return [" ".join(head + words[offsets[i]:offsets[i + 1]]) for i in range(n_sentences)]

    def complete(self, prefix: Any = None, k: int = 5, *, bos: bool = True) -> list[tuple[str, float]]:
        """The k most probable next words after `prefix`, with their probabilities.

        ``</s>`` among them means "the sentence ends here". Ties are broken by word id.
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive int, got {k!r}")
        p = self.distribution(prefix if prefix is not None else [], bos=bos)
        top = np.argsort(-p, kind="stable")[:k]
        return [(self.vocab_[i], float(p[i])) for i in top if p[i] > 0]

    def fill_candidates(self, sentence: Any, *, blank: str = "_", k: int = 5, bos: bool = True,
                        eos: bool = True) -> list[tuple[str, float]]:
        """The k best words for the blank, by the probability of the whole sentence.

        Every word w of the vocabulary is put in the blank and the full joint
        P(sentence with w) is compared (both sides of the blank matter, not only the words
        before it); the returned probabilities are the posterior P(w | rest of the sentence).
        """
        self._check_fitted()
        tokens = sentence_tokens(sentence, where="sentence")
        where = [i for i, t in enumerate(tokens) if t == blank]
        if len(where) != 1:
            raise ValueError(f"the sentence must contain exactly one blank {blank!r}, found {len(where)}")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive int, got {k!r}")
        ids = self._ids(tokens)
        seq = np.concatenate([[BOS_ID] if bos else [], ids, [EOS_ID] if eos else []]).astype(np.uint32)
        first = 1 if bos else 0
        scores = self._cpp.fill(seq, first, where[0] + first, resolve_threads(self.n_threads))
        finite = np.isfinite(scores)
        if not finite.any():
            return []
        mx = scores[finite].max()
        post = np.where(finite, np.exp(scores - mx), 0.0)
        post /= post.sum()
        top = np.argsort(-post, kind="stable")[:k]
        return [(self.vocab_[i], float(post[i])) for i in top if post[i] > 0]

    def fill(self, sentence: Any, *, blank: str = "_", bos: bool = True, eos: bool = True) -> str:
        """The sentence with its blank replaced by the most probable word (see :meth:`fill_candidates`).

        Examples
        --------
        >>> from infogen import NGramLM
        >>> lm = NGramLM(3).fit(["waste of time and money", "a waste of money"])
        >>> lm.fill("waste _ time and money")
        'waste of time and money'
        """
        best = self.fill_candidates(sentence, blank=blank, k=1, bos=bos, eos=eos)
        if not best:
            raise ValueError("no word gives the sentence a non-zero probability")
        tokens = sentence_tokens(sentence)
        return " ".join(best[0][0] if t == blank else t for t in tokens)

    def correct_candidates(self, sentence: Any, *, k: int = 5, max_edits: int = 1, error_rate: float = 0.01,
                           beam: int = 16, bos: bool = True, eos: bool = True) -> list[tuple[str, float]]:
        """The k most probable intended sentences for an observed one, with their probabilities.

        A noisy channel over word substitutions: each word was kept with probability
        1 - `error_rate`, or replaced by any one other vocabulary word with probability
        error_rate / (|V| - 1). Candidates are the sentences within `max_edits`
        substitutions (every word of the vocabulary at every position, scored in C++;
        more than one edit by a beam search of width `beam`); the probabilities are the
        posterior among the candidates considered. The observed sentence itself is a
        candidate (0 edits). See :mod:`infogen.ngram.correct`.
        """
        from infogen.ngram.correct import correct_candidates

        self._check_fitted()
        return correct_candidates(self, sentence, k=k, max_edits=max_edits, error_rate=error_rate, beam=beam,
                                  bos=bos, eos=eos)

    def correct(self, sentence: Any, *, max_edits: int = 1, error_rate: float = 0.01, beam: int = 16,
                bos: bool = True, eos: bool = True) -> str:
        """The most probable intended sentence within `max_edits` word substitutions.

        Examples
        --------
        >>> from infogen import NGramLM
        >>> lm = NGramLM(3, smoothing="add_k", k=0.01).fit(["a waste of time", "a waste of money"] * 5)
        >>> lm.correct("a waist of time")
        'a waste of time'
        """
        return self.correct_candidates(sentence, k=1, max_edits=max_edits, error_rate=error_rate, beam=beam,
                                       bos=bos, eos=eos)[0][0]

    # --- persistence --------------------------------------------------------------------------
    def to_arpa(self, path: str | os.PathLike, *, precision: str = "double") -> None:
        """Write the model as an ARPA file (log10 probabilities and backoffs), atomically.

        ``precision="double"`` (default) writes each number in the shortest form that reads
        back to the same double; ``"float"`` to the same float, as KenLM writes (about 9
        significant digits; a smaller file, written faster).
        """
        self._check_fitted()
        write_arpa(self, path, precision=precision)

    @classmethod
    def from_probabilities(cls, tables: Any, *, order: int | None = None, missing: str = "backoff",
                           n_threads: int | None = None) -> NGramLM:
        """A model from explicit conditional tables ``{context tuple: {word: P(word | context)}}``.

        Contexts include ``"<s>"`` where the sentence starts; ``()`` is the unigram table.
        Every listed probability is returned exactly. A context's unlisted mass goes to
        its unlisted words through the shorter contexts (``missing="backoff"``, the
        default, down to uniform unigrams when no unigram table is given), or the listed
        probabilities are renormalised (``missing="renormalize"``). See
        :mod:`infogen.ngram.tables`.

        Parameters
        ----------
        tables : dict
            ``{("more", "realistic"): {"than": 0.61, ...}, ...}``; a context may also be a
            str of words.
        order : int, optional
            The model's order (default: the longest context + 1).
        missing : {"backoff", "renormalize"}, default="backoff"

        Raises
        ------
        ValueError
            A probability outside [0, 1], a context whose probabilities sum to more than 1,
            ``</s>`` as a context word.

        Examples
        --------
        The lecture's critic, P(M7) = 0.2 x 0.25 x 0.61 x 0.50 x 0.33:

        >>> from infogen import NGramLM
        >>> lm = NGramLM.from_probabilities({
        ...     ("<s>",): {"more": 0.2}, ("<s>", "more"): {"realistic": 0.25},
        ...     ("more", "realistic"): {"than": 0.61, "as": 0.12, "for": 0.14, "real": 0.01, "the": 0.02, "life": 0.05},
        ...     ("realistic", "than"): {"than": 0.01, "as": 0.10, "for": 0.09, "real": 0.50, "the": 0.12, "life": 0.11},
        ...     ("than", "real"): {"than": 0.20, "as": 0.16, "for": 0.05, "real": 0.01, "the": 0.12, "life": 0.33}})
        >>> round(math.exp(lm.score("more realistic than real life", eos=False)), 6)
        0.005033
        """
        from infogen.ngram.tables import tables_to_backoff

        n, vocab, ngrams, logp, logbo = tables_to_backoff(tables, order, missing)
        lm = cls(n, smoothing="tables", n_threads=n_threads)
        lm._path = None
        lm._set_tables(vocab, ngrams, logp, logbo)
        return lm

    @classmethod
    def from_arpa(cls, path: str | os.PathLike, *, n_threads: int | None = None) -> NGramLM:
        """Read an ARPA file (ours or another tool's, e.g. KenLM's ``lmplz``) into a model."""
        return read_arpa(path, n_threads=n_threads)

    def save(self, path: str | os.PathLike, *, precision: str = "double", slots_per_ngram: float = 1.5) -> None:
        """Write the model to `path`, atomically; the suffix chooses the format.

        - ``.ngram`` (and any suffix not listed below): infogen's model file, the query
          model's own bytes. :meth:`load` memory-maps it in milliseconds whatever its size.
          ``precision="float"`` stores log-probabilities and backoffs of orders >= 2 as
          float32, as KenLM does (12-16 instead of 16-24 bytes per table slot; scores then
          agree with the double model to ~1e-7 relative per prediction).
          ``slots_per_ngram`` sizes the hash tables (KenLM's ``-p``, default 1.5).
        - ``.arpa``, ``.arpa.gz``, ``.arpa.xz``, ``.arpa.bz2``: ARPA text (see :meth:`to_arpa`).
        - ``.npz``: the older arrays-and-JSON form (no pickle); :meth:`load` still reads it.
        """
        self._check_fitted()
        path = os.fspath(path)
        lower = path.lower()
        if lower.endswith((".arpa", ".arpa.gz", ".arpa.xz", ".arpa.bz2")):
            self.to_arpa(path, precision=precision)
            return
        if lower.endswith(".npz"):
            self._save_npz(path)
            return
        check_precision(precision)
        if not (isinstance(slots_per_ngram, (int, float, np.integer, np.floating))
                and not isinstance(slots_per_ngram, bool) and 1.05 <= slots_per_ngram <= 16):
            raise ValueError(f"slots_per_ngram must be a number in [1.05, 16], got {slots_per_ngram!r}")
        if self._query is not None and self._query.mapped and precision == self._query.header["precision"] \
                and slots_per_ngram == 1.5:
            image = self._query
        elif self._vocab is None or self._logp is None:  # a mapped model in another precision
            image = self._with_tables()._build_image(precision, slots_per_ngram)
        else:
            image = self._build_image(precision, slots_per_ngram)
        with atomic_write(path) as f:
            f.write(image.image())

    def _with_tables(self) -> NGramLM:
        """self, with every table read out of the mapped file."""
        _ = (self.vocab_, self.ngrams_, self.logp_)
        return self

    def _save_npz(self, path: str) -> None:
        meta = self._meta()
        arrays = {"meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                  "vocab": np.frombuffer(b"\n".join(encode(self.vocab_)), dtype=np.uint8)}
        for i in range(self.order):
            arrays[f"logp_{i + 1}"] = self.logp_[i]
            arrays[f"logbo_{i + 1}"] = self.logbo_[i]
            if i >= 1:
                arrays[f"ngrams_{i + 1}"] = self.ngrams_[i - 1]
        with atomic_write(path) as f:
            np.savez(f, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike, *, n_threads: int | None = None, populate: bool = False,
             verify: bool = False) -> NGramLM:
        """Open a model file: a ``.ngram`` file (memory-mapped), an ARPA file or an ``.npz``.

        The kind is recognised from the file's first bytes, not its name. A KenLM binary
        model, a truncated or corrupt file, or one from another format version is a
        ``ValueError`` naming the file.

        Parameters
        ----------
        path : str or path-like
        n_threads : int, optional
            Threads for batched queries (default: all).
        populate : bool, default=False
            ``.ngram`` only: read every page of the file now (``MAP_POPULATE``) instead of
            on first touch - faster for a model about to score a large text, slower to open.
        verify : bool, default=False
            ``.ngram`` only: recompute the checksum of the whole file (reads all of it) and
            raise ValueError if it does not match the header's.
        """
        path = os.fspath(path)
        kind = sniff_model_file(path)
        if kind == "arpa":
            return cls.from_arpa(path, n_threads=n_threads)
        if kind == "npz":
            return cls._load_npz(path, n_threads)
        query = open_model_file(path, populate)
        if verify and not query.verify():
            raise ValueError(f"{path}: the content checksum does not match the header (the file is corrupt)")
        return cls._from_query(query, path, n_threads)

    @classmethod
    def _from_query(cls, query: Any, path: str, n_threads: int | None) -> NGramLM:
        try:
            meta = json.loads(bytes(query.meta).decode())
            if meta.get("format") != _FORMAT or int(meta["order"]) != query.order:
                raise ValueError("metadata of another kind")
            smoothing = meta["smoothing"]
            if smoothing not in SMOOTHINGS and smoothing not in _GIVEN:
                raise ValueError(f"unknown smoothing {smoothing!r}")
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: the model file's metadata are corrupt ({exc})") from None
        lm = cls(query.order, smoothing=smoothing, k=meta.get("k", 1.0), alpha=meta.get("alpha", 0.4),
                 prune=meta.get("prune"), discount_fallback=meta.get("discount_fallback", False), n_threads=n_threads)
        lm._vocab = lm._ngrams = lm._logp = lm._logbo = None
        lm._reset_runtime(query)
        lm._path = os.path.abspath(path)
        lm.counts_ = None
        lm.discounts_ = [tuple(d) for d in meta["discounts"]] if meta.get("discounts") is not None else None
        if meta.get("bos_text") in ("0", "-99"):
            lm.bos_text_ = meta["bos_text"]
        return lm

    @classmethod
    def _load_npz(cls, path: str, n_threads: int | None) -> NGramLM:
        import zipfile

        try:
            with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
                meta = json.loads(z["meta"].tobytes().decode())
                if meta.get("format") != _FORMAT:
                    raise ValueError(f"{path} is not an infogen n-gram model file")
                order = int(meta["order"])
                if meta.get("smoothing") not in SMOOTHINGS and meta.get("smoothing") not in _GIVEN:
                    raise ValueError(f"unknown smoothing {meta.get('smoothing')!r}")
                vocab = decode(z["vocab"].tobytes().split(b"\n"))
                logp = [z[f"logp_{k}"] for k in range(1, order + 1)]
                logbo = [z[f"logbo_{k}"] for k in range(1, order + 1)]
                ngrams = [z[f"ngrams_{k}"] for k in range(2, order + 1)]
        except (KeyError, OSError, EOFError, ValueError, TypeError, zipfile.BadZipFile) as exc:
            raise ValueError(f"{path} is not a valid infogen n-gram model file ({exc})") from exc
        lm = cls(order, smoothing=meta["smoothing"], k=meta["k"], alpha=meta["alpha"],
                 prune=meta.get("prune"), discount_fallback=meta.get("discount_fallback", False), n_threads=n_threads)
        lm._path = None
        lm._set_tables(vocab, ngrams, logp, logbo)
        if "discounts" in meta:
            lm.discounts_ = [tuple(d) for d in meta["discounts"]] if meta["discounts"] is not None else None
        if meta.get("bos_text") in ("0", "-99"):
            lm.bos_text_ = meta["bos_text"]
        return lm

    # --- pickle and copy ----------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """A memory-mapped model pickles as its path and checksums; an in-memory one by value."""
        state = {k: v for k, v in self.__dict__.items()
                 if k not in ("_query", "_lock", "_word_index_cache")}
        if getattr(self, "_path", None) is not None and self._query is not None and self._query.mapped:
            h = self._query.header
            state.update(_vocab=None, _ngrams=None, _logp=None, _logbo=None,
                         _mapped_check=(h["file_size"], h["header_hash"], h["content_hash"]))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        check = state.pop("_mapped_check", None)
        self.__dict__.update(state)
        query = None
        if check is not None:
            path = self._path
            if not os.path.exists(path):
                raise FileNotFoundError(f"the pickled NGramLM maps {path}, which no longer exists")
            query = open_model_file(path, False)
            h = query.header
            if (h["file_size"], h["header_hash"], h["content_hash"]) != tuple(check):
                raise ValueError(f"the pickled NGramLM maps {path}, which has changed since it was pickled")
        self._reset_runtime(query)

    # --- KenLM's decoder API ------------------------------------------------------------------
    def __contains__(self, word: object) -> bool:
        """``word in lm``: is the word in the vocabulary (``<unk>``, ``<s>``, ``</s>`` included)?"""
        if not isinstance(word, str):
            return False
        return self._cpp.find_word(word.encode(ENCODING, ERRORS)) >= 0

    def begin_state(self) -> tuple[int, ...]:
        """The state at the start of a sentence (after ``<s>``), for :meth:`advance`.

        States are tuples of word ids: hashable, cheap, and equal when the model cannot
        tell the contexts apart (only the words of the longest n-gram found are kept,
        at most order - 1 of them, as in KenLM).
        """
        self._check_fitted()
        return (BOS_ID,) if self.order > 1 else ()

    def null_state(self) -> tuple[int, ...]:
        """The empty context (no ``<s>``): a fragment that may start mid-sentence."""
        self._check_fitted()
        return ()

    def advance(self, state: tuple[int, ...], word: str, *, base: float | None = None) -> tuple[float, tuple[int, ...]]:
        """Score `word` after `state`: ``(log P(word | state), new state)``.

        The log is natural unless `base` (10 for KenLM's ``BaseScore``). ``"</s>"`` ends the
        sentence. Summing ``advance`` over a sentence from :meth:`begin_state`, then
        ``"</s>"``, gives :meth:`score`.

        Examples
        --------
        >>> from infogen import NGramLM
        >>> lm = NGramLM(2).fit(["a b", "a c"])
        >>> total, state = 0.0, lm.begin_state()
        >>> for w in ["a", "b", "</s>"]:
        ...     lp, state = lm.advance(state, w)
        ...     total += lp
        >>> round(total, 12) == round(lm.score("a b"), 12)
        True
        """
        query = self._query if self._query is not None else self._cpp
        try:
            lp, new_state = query.advance(state, word.encode(ENCODING, ERRORS))
        except (TypeError, AttributeError):  # checked here only on failure: this is the per-word path
            if not isinstance(word, str):
                raise TypeError(f"word must be a str, got {type(word).__name__}") from None
            raise TypeError("state must be a tuple of word ids, from begin_state(), null_state() or "
                            "advance()") from None
        return (lp if base is None else lp * _log_scale(base)), new_state

    def full_scores(self, sentence: str | Sequence[str], *, bos: bool = True, eos: bool = True,
                    base: float | None = None) -> Iterator[tuple[float, int, bool]]:
        """``(log P, n-gram length, oov)`` for each word and ``</s>``, as KenLM's ``full_scores``.

        The n-gram length is that of the longest n-gram the model lists for the
        prediction (1 = the unigram); ``oov`` is True for words outside the vocabulary.
        Natural log unless `base` (10 for KenLM's numbers).
        """
        scale = _log_scale(base)
        tokens = sentence_tokens(sentence)
        ids, offsets = self.encode([" ".join(tokens)])
        _, tok, lens = self._cpp.score(ids, offsets, bool(bos), bool(eos), True, resolve_threads(self.n_threads),
                                       True)
        oov = np.concatenate([ids == UNK_ID, [False] if eos else []]).astype(bool)
        for lp, n, o in zip(tok.tolist(), lens.tolist(), oov.tolist()):
            yield lp * scale, n, o

    def __repr__(self) -> str:
        fitted = f", vocab={self._cpp.vocab_size}" if self.__sklearn_is_fitted__() else ""
        where = f", file={self._path!r}" if getattr(self, "_path", None) else ""
        return f"NGramLM(order={self.order}, smoothing={self.smoothing!r}{fitted}{where})"


def read_arpa(path: str | os.PathLike, *, n_threads: int | None = None) -> NGramLM:
    """Read an ARPA file (ours or another tool's, e.g. KenLM's ``lmplz``; plain, gzip, xz or
    bzip2) into a queryable :class:`NGramLM` (``smoothing="arpa"``).

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not well-formed ARPA; the message gives the line number.
    """
    t = parse_arpa(path)
    lm = NGramLM(t.order, smoothing="arpa", n_threads=n_threads)
    lm._set_tables(t.vocab, t.ngrams, t.logp, t.logbo)
    if t.bos_text is not None:
        lm.bos_text_ = t.bos_text
    lm.counts_ = None
    return lm


def kn_prune_thresholds(prune: Sequence[int] | None, order: int) -> list[int]:
    """Per-order pruning thresholds of a Kneser-Ney model of `order`, checked; [] = none.

    As lmplz's ``--prune``: the last value applies to the remaining orders.
    """
    if prune is None:
        return []
    p = list(prune) if not isinstance(prune, (str, bytes)) else None
    if not p or any(isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= t < 2**62 for t in p):
        raise ValueError(f"prune must be a non-empty sequence of non-negative ints below 2**62, got {prune!r}")
    if len(p) > order:
        raise ValueError(f"prune has {len(p)} thresholds for a model of order {order}")
    if p[0] != 0:
        raise ValueError(f"unigram pruning is not supported (as in lmplz): prune[0] must be 0, got {p[0]}")
    if any(b < a for a, b in zip(p, p[1:])):
        raise ValueError(f"prune thresholds must be non-decreasing, got {list(p)}")
    p = [int(t) for t in p] + [int(p[-1])] * (order - len(p))
    return [] if not any(p) else p


def kn_fallback_discounts(fb: bool | Sequence[float] | None) -> list[float]:
    """The fallback discounts (D1, D2, D3+) that `discount_fallback` asks for, checked; [] = none."""
    if fb is False or fb is None:
        return []
    if fb is True:
        return list(DEFAULT_FALLBACK)
    try:
        d = [float(x) for x in fb]
    except (TypeError, ValueError):
        d = []
    if len(d) != 3 or not all(math.isfinite(x) and 0 <= x <= j for j, x in enumerate(d, 1)):
        raise ValueError(f"discount_fallback must be True, False or (D1, D2, D3+) with 0 <= Dj <= j, got {fb!r}")
    return d
