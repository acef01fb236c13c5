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


def kneser_ney(counts: dict[int, Counter], vocab: Sequence[str], prune: Sequence[int] | None = None,
               fallback: Sequence[float] | None = None
               ) -> tuple[dict[tuple, float], dict[tuple, float], list[tuple[float, float, float]]]:
    """Interpolated modified Kneser-Ney as lmplz estimates it, one formula at a time.

    `counts` as :func:`count_ngrams` returns them; `vocab` lists every word (with
    ``<unk>``, ``<s>``, ``</s>``). Returns backoff-form natural-log probabilities and
    backoffs keyed by n-gram tuples (unigrams for every word, ``<s>`` at -inf; backoffs
    only where they differ from 0) and the discounts (D1, D2, D3+) of each order.

    - adjusted count a(g): raw count at the highest order and for n-grams starting with
      ``<s>``; otherwise the number of distinct words v such that (v,) + g was counted.
    - discounts from the count-of-counts t1..t4 of a at each order:
      Y = t1 / (t1 + 2 t2), Dj = j - (j + 1) Y t(j+1) / tj; invalid when a tj (j <= 3) is 0
      or Dj is outside [0, j] (ValueError, or `fallback`).
    - P(w | h) = (a(hw) - D(a(hw))) / sum_v a(hv) + gamma(h) P(w | h[1:]), gamma(h) = (sum of
      the kept continuations' discounts + the pruned ones' a) / sum_v a(hv); the unigram
      level interpolates with 1 / |V|, |V| = words other than ``<s>``.
    - pruning: an n-gram of order k >= 2 whose raw count is <= prune[k-1] is dropped.
    """
    order = max(counts)
    adjusted: dict[int, dict[tuple, int]] = {order: dict(counts[order])}
    for k in range(order - 1, 0, -1):
        left: dict[tuple, int] = {}
        for g in counts[k + 1]:
            left[g[1:]] = left.get(g[1:], 0) + 1
        adjusted[k] = {g: (c if g[0] == BOS else left[g]) for g, c in counts[k].items()}
    discounts = []
    for k in range(1, order + 1):
        t = [sum(1 for a in adjusted[k].values() if a == j) for j in (1, 2, 3, 4)]
        try:
            if 0 in t[:3]:
                j = t[:3].index(0) + 1
                raise ValueError(f"Could not calculate Kneser-Ney discounts for {k}-grams with adjusted count {j + 1} "
                                 f"because we didn't observe any {k}-grams with adjusted count {j}; "
                                 "Is this small or artificial data?")
            y = t[0] / (t[0] + 2 * t[1])
            d = tuple(j - (j + 1) * y * t[j] / t[j - 1] for j in (1, 2, 3))
            for j, dj in enumerate(d, 1):
                if not 0 <= dj <= j:
                    raise ValueError(f"ERROR: {k}-gram discount out of range for adjusted count {j}: {dj}")
        except ValueError:
            if fallback is None:
                raise
            d = tuple(float(x) for x in fallback)
        discounts.append(d)

    def disc(k: int, a: int) -> float:
        return 0.0 if a <= 0 else discounts[k - 1][min(a, 3) - 1]

    def pruned(g: tuple) -> bool:
        return bool(prune) and len(g) >= 2 and counts[len(g)][g] <= prune[len(g) - 1]

    words = [w for w in vocab if w != BOS]
    prob: dict[tuple, float] = {}
    gamma: dict[tuple, float] = {}
    a1 = adjusted[1]
    total = sum(a1.values())
    g0 = sum(disc(1, a) for a in a1.values()) / total
    for w in words:
        a = a1.get((w,), 0)
        prob[(w,)] = (a - disc(1, a)) / total + g0 / len(words)
    for k in range(2, order + 1):
        groups: dict[tuple, list[tuple]] = {}
        for g in adjusted[k]:
            groups.setdefault(g[:-1], []).append(g)
        for h, rows in groups.items():
            denom = sum(adjusted[k][g] for g in rows)
            numer = sum(adjusted[k][g] if pruned(g) else disc(k, adjusted[k][g]) for g in rows)
            gamma[h] = numer / denom
            for g in rows:
                if not pruned(g):
                    a = adjusted[k][g]
                    prob[g] = (a - disc(k, a)) / denom + gamma[h] * prob[g[1:]]
    logp = {g: math.log(p) for g, p in prob.items()}
    logp[(BOS,)] = -math.inf
    logbo = {h: math.log(gm) for h, gm in gamma.items() if h in logp and gm != 1.0}
    return logp, logbo, discounts
