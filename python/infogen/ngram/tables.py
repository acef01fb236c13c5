"""A backoff n-gram model from explicit conditional tables, as the lecture writes them.

``{("more", "realistic"): {"than": 0.61, "as": 0.12, ...}, ...}`` gives P(w | context) for
the listed words of each listed context. :func:`tables_to_backoff` turns such tables into
the backoff form every :class:`~infogen.NGramLM` is held in, so that each listed
probability is returned exactly and each context's distribution sums to 1:

- ``missing="backoff"`` (default): the mass a context leaves unlisted, 1 - sum of its
  listed probabilities, goes to its unlisted words in proportion to the next shorter
  context's distribution (Katz's backoff weight), down to the unigrams, whose unlisted
  mass is spread uniformly over the unlisted words (a vocabulary of every word the tables
  name, plus ``</s>`` and ``<unk>``). Without a unigram table (context ``()``) the
  unigrams are uniform.
- ``missing="renormalize"``: each context's listed probabilities are divided by their
  sum; its unlisted words get probability 0 (for a context that is listed).

The backoff form needs every n-gram's context and suffix to be listed one order down
(queries walk up from the unigram, as KenLM's do). Those the tables do not give are added
with exactly the probability the model already gives them, which changes no distribution.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from infogen.ngram._text import BOS, EOS, RESERVED, check_order, is_token

__all__ = ["tables_to_backoff"]

_TOL = 1e-9


def _check_tables(tables: Any) -> dict[tuple[str, ...], dict[str, float]]:
    if not isinstance(tables, Mapping) or not tables:
        raise TypeError("tables must be a non-empty dict {context tuple: {word: probability}}")
    out: dict[tuple[str, ...], dict[str, float]] = {}
    for ctx, dist in tables.items():
        if isinstance(ctx, str):
            ctx = tuple(ctx.split())
        if not isinstance(ctx, tuple) or not all(isinstance(w, str) and is_token(w) for w in ctx):
            raise TypeError(f"context {ctx!r} must be a tuple of words (or a str of words)")
        if any(w == EOS for w in ctx) or any(w == BOS for w in ctx[1:]):
            raise ValueError(f"context {ctx!r}: </s> cannot be a context word and <s> only its first")
        if not isinstance(dist, Mapping) or not dist:
            raise TypeError(f"the table of context {ctx!r} must be a non-empty dict {{word: probability}}")
        row: dict[str, float] = {}
        for w, p in dist.items():
            if not isinstance(w, str) or not is_token(w) or w == BOS:
                raise ValueError(f"context {ctx!r}: {w!r} is not a word that can be predicted")
            if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
                raise TypeError(f"P({w} | {' '.join(ctx)}) must be a number, got {type(p).__name__}")
            if not (0.0 <= float(p) <= 1.0):
                raise ValueError(f"P({w} | {' '.join(ctx)}) = {p!r} is not a probability in [0, 1]")
            row[w] = float(p)
        total = math.fsum(row.values())
        if total > 1.0 + _TOL:
            raise ValueError(f"the probabilities of context {ctx!r} sum to {total:.6g} > 1")
        out[ctx] = row
    return out


def tables_to_backoff(tables: Any, order: int | None = None, missing: str = "backoff"
                      ) -> tuple[int, list[str], list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """(order, vocabulary, n-grams of orders 2..N, log p per order, log backoff per order)."""
    if missing not in ("backoff", "renormalize"):
        raise ValueError(f"missing must be 'backoff' or 'renormalize', got {missing!r}")
    t = _check_tables(tables)
    longest = max(len(c) for c in t) + 1
    n = longest if order is None else check_order(order)
    if n < longest:
        raise ValueError(f"order={n} is too small for a context of {longest - 1} words")
    vocab = list(RESERVED)
    index = {w: i for i, w in enumerate(vocab)}
    for ctx, row in t.items():
        for w in (*ctx, *row):
            if w not in index:
                index[w] = len(vocab)
                vocab.append(w)
    predictable = [w for w in vocab if w != BOS]

    # the probabilities the tables give, by n-gram
    probs: dict[tuple[str, ...], float] = {}
    for ctx, row in t.items():
        total = math.fsum(row.values())
        for w, p in row.items():
            probs[(*ctx, w)] = p / total if missing == "renormalize" and total > 0 else p
    # closure: each n-gram's context and suffix one order down
    grams = set(probs)
    for k in range(n, 1, -1):
        for g in [g for g in grams if len(g) == k]:
            grams.add(g[:-1])
            grams.add(g[1:])
    grams |= {(w,) for w in predictable}
    grams.add((BOS,))

    logp: dict[tuple[str, ...], float] = {}
    logbo: dict[tuple[str, ...], float] = {}

    def prob(ctx: tuple[str, ...], w: str) -> float:
        """P(w | ctx) of the model built so far (orders up to len(ctx) + 1 complete)."""
        if w == BOS:
            return 0.0
        g = (*ctx, w)
        if g in logp:
            return math.exp(logp[g])
        if not ctx:
            raise AssertionError(f"unigram {w} missing")  # every unigram is listed
        return math.exp(logbo.get(ctx, 0.0)) * prob(ctx[1:], w)

    # unigrams
    uni = t.get((), {})
    listed = math.fsum(uni.values())
    if missing == "renormalize" and uni:
        rest = 0.0
    else:
        rest = max(0.0, 1.0 - listed)
    unlisted = [w for w in predictable if w not in uni]
    for w in predictable:
        if w in uni:
            p = uni[w] / listed if missing == "renormalize" and listed > 0 else uni[w]
        else:
            p = rest / len(unlisted) if unlisted else 0.0
        logp[(w,)] = math.log(p) if p > 0 else -math.inf
    if not unlisted and listed < 1.0 - _TOL and missing == "backoff":
        raise ValueError(f"the unigram table lists every word but sums to {listed:.6g} < 1")
    logp[(BOS,)] = -math.inf

    for k in range(2, n + 1):
        # backoff weights of the contexts of length k-1 with a table (the others keep 1)
        for ctx, row in t.items():
            if len(ctx) != k - 1:
                continue
            if missing == "renormalize":
                logbo[ctx] = -math.inf
                continue
            num = 1.0 - math.fsum(row.values())
            den = 1.0 - math.fsum(prob(ctx[1:], w) for w in row)
            if num <= _TOL:
                logbo[ctx] = -math.inf
            elif den <= _TOL:
                raise ValueError(f"context {ctx!r} leaves mass {num:.6g} unlisted but its words already take all "
                                 "of the shorter context's; use missing='renormalize'")
            else:
                logbo[ctx] = math.log(num / den)
        for g in sorted(x for x in grams if len(x) == k):
            if g in probs:
                p = probs[g]
            else:  # a filler: exactly what the model gives it already
                p = prob(g[:-1], g[-1])
            logp[g] = math.log(p) if p > 0 else -math.inf

    V = len(vocab)
    lp1 = np.full(V, -np.inf)
    bo1 = np.zeros(V)
    for w in predictable:
        lp1[index[w]] = logp[(w,)]
    for ctx, b in logbo.items():
        if len(ctx) == 1:
            bo1[index[ctx[0]]] = b
    ngrams, lps, bos = [], [lp1], [bo1]
    for k in range(2, n + 1):
        rows = sorted(tuple(index[w] for w in g) for g in grams if len(g) == k)
        arr = np.array(rows, dtype=np.uint32).reshape(-1, k)
        ngrams.append(arr)
        lps.append(np.array([logp[tuple(vocab[i] for i in r)] for r in rows], dtype=np.float64))
        bos.append(np.array([logbo.get(tuple(vocab[i] for i in r), 0.0) for r in rows], dtype=np.float64))
    return n, vocab, ngrams, lps, bos
