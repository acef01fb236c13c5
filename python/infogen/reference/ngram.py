"""Plain-Python references of the n-gram engine: counting, estimation and KenLM-style queries.

Dictionaries keyed by tuples of words, following the documented formulas of
:mod:`infogen.ngram` one line at a time; no code is shared with the C++ engine.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

BOS, EOS, UNK = "<s>", "</s>", "<unk>"


def count_ngrams(sentences: Iterable[Sequence[str]], order: int) -> dict[int, Counter]:
    """Counter of every n-gram of orders 1..order ending at a predicted position of
    ``<s> w1 .. wn </s>`` (so ``<s>`` only starts n-grams). Empty sentences are skipped.
    """
    counts = {k: Counter() for k in range(1, order + 1)}
    for s in sentences:
        words = list(s)
        if not words:
            continue
        padded = [BOS] + words + [EOS]
        for i in range(1, len(padded)):
            for k in range(1, order + 1):
                if i - k + 1 < 0:
                    break
                counts[k][tuple(padded[i - k + 1:i + 1])] += 1
    return counts


def estimate(counts: dict[int, Counter], vocab: Sequence[str], smoothing: str, param: float
             ) -> tuple[dict[tuple, float], dict[tuple, float]]:
    """Backoff-form natural-log probabilities and backoffs, keyed by n-gram tuples.

    Unigram entries exist for every word of `vocab` (except ``<s>``, whose probability is 0).
    """
    order = max(counts)
    V = len(vocab) - 1  # <s> is never predicted
    logp: dict[tuple, float] = {}
    logbo: dict[tuple, float] = {}
    total = sum(counts[1].values())
    for w in vocab:
        if w == BOS:
            logp[(w,)] = -math.inf
            continue
        c = counts[1].get((w,), 0)
        if smoothing == "add_k":
            logp[(w,)] = math.log((c + param) / (total + param * V))
        else:
            logp[(w,)] = math.log(c / total) if c else -math.inf
    for k in range(2, order + 1):
        by_context: dict[tuple, list[tuple[tuple, int]]] = {}
        for g, c in counts[k].items():
            by_context.setdefault(g[:-1], []).append((g, c))
        for h, rows in by_context.items():
            C = sum(c for _, c in rows)
            lower_seen = sum(math.exp(logp[g[1:]]) for g, _ in rows)
            if smoothing == "mle":
                for g, c in rows:
                    logp[g] = math.log(c / C)
                logbo[h] = -math.inf
            elif smoothing == "add_k":
                for g, c in rows:
                    logp[g] = math.log((c + param) / (C + param * V))
                left = param * (V - len(rows)) / (C + param * V)
                logbo[h] = math.log(left / (1 - lower_seen)) if left > 0 and lower_seen < 1 else -math.inf
            elif smoothing == "stupid_backoff":
                z = 1 + param * max(0.0, 1 - lower_seen)
                for g, c in rows:
                    logp[g] = math.log(c / C / z)
                logbo[h] = math.log(param / z)
            else:
                raise ValueError(smoothing)
    return logp, logbo


def logprob(logp: dict[tuple, float], logbo: dict[tuple, float], order: int, context: Sequence[str],
            word: str) -> float:
    """KenLM's query: longest listed n-gram (searching up from the unigram, stopping at the
    first miss) plus the backoffs of the longer listed contexts.
    """
    context = tuple(context)[max(0, len(context) - (order - 1)):]
    m = len(context)
    lp = logp[(word,)]
    matched = 1
    for k in range(2, m + 2):
        g = context[m - k + 1:] + (word,)
        if g not in logp:
            break
        lp = logp[g]
        matched = k
    for L in range(matched, m + 1):
        lp += logbo.get(context[m - L:], 0.0)
    return lp


def sentence_logprob(logp, logbo, order: int, words: Sequence[str], bos: bool = True, eos: bool = True) -> float:
    """Sum of the log-probabilities of a sentence's predictions."""
    seq = ([BOS] if bos else []) + list(words) + ([EOS] if eos else [])
    first = 1 if bos else 0
    return sum(logprob(logp, logbo, order, seq[max(0, i - order + 1):i], seq[i]) for i in range(first, len(seq)))
