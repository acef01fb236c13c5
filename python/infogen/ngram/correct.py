"""Correct a sentence with a language model: the noisy channel, over word substitutions.

The intended sentence s was typed as the observed o by a channel that keeps each word with
probability 1 - e and replaces it by any one other word of the vocabulary with probability
e / (|V| - 1) (``error_rate`` e; |V| counts the words that can be predicted). The
correction is argmax_s P(s) P(o | s) over the sentences within ``max_edits`` substitutions
of o:

    log P(s | o) = log P_LM(s) + d log(e / (|V| - 1)) + (n - d) log(1 - e) + const,

d being the number of substituted words. One substitution is scored for every position
and every vocabulary word at once by the C++ core (the same kernel as ``fill``: only the
predictions the word takes part in are recomputed); more than one is a beam search that
extends the best ``beam`` sentences one substitution at a time.
"""
from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from infogen._config import resolve_threads
from infogen.ngram._text import BOS_ID, EOS_ID, UNK_ID, sentence_tokens

if TYPE_CHECKING:
    from infogen.ngram.model import NGramLM

__all__ = ["correct_candidates"]


def _check(max_edits: Any, error_rate: Any, k: Any, beam: Any) -> None:
    for name, v, lo in (("max_edits", max_edits, 0), ("k", k, 1), ("beam", beam, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an int >= {lo}, got {v!r}")
    if isinstance(error_rate, bool) or not isinstance(error_rate, (int, float, np.integer, np.floating)) \
            or not 0 < error_rate < 1:
        raise ValueError(f"error_rate must be a number in (0, 1), got {error_rate!r}")


def correct_candidates(lm: NGramLM, sentence: Any, *, k: int = 5, max_edits: int = 1, error_rate: float = 0.01,
                       beam: int = 16, bos: bool = True, eos: bool = True) -> list[tuple[str, float]]:
    """The k most probable intended sentences, with their posterior probabilities (see module)."""
    _check(max_edits, error_rate, k, beam)
    tokens = sentence_tokens(sentence, where="sentence")
    if not tokens:
        raise ValueError("cannot correct an empty sentence")
    query = lm._cpp
    threads = resolve_threads(lm.n_threads)
    n_words = lm.vocab_size - 1  # <s> is never a word of a sentence
    log_sub = math.log(error_rate / max(1, n_words - 1))
    log_keep = math.log1p(-error_rate)
    first = 1 if bos else 0

    def padded(ids: tuple[int, ...]) -> np.ndarray:
        return np.array(([BOS_ID] if bos else []) + list(ids) + ([EOS_ID] if eos else []), dtype=np.uint32)

    def token_scores(ids: tuple[int, ...]) -> np.ndarray:
        """log P of each prediction of the sentence (its words, then </s> when eos)."""
        _, tok, _ = query.score(np.array(ids, dtype=np.uint32), np.array([0, len(ids)], dtype=np.int64), bos, eos,
                                True, 1)
        return tok

    observed = tuple(int(i) for i in lm._ids(tokens))
    n = len(observed)
    # every hypothesis: ids -> (log P_LM, edited positions)
    seen: dict[tuple[int, ...], tuple[float, frozenset[int]]] = {
        observed: (float(token_scores(observed).sum()), frozenset())}
    order = lm.order
    frontier = [observed]
    banned = np.zeros(lm.vocab_size, dtype=bool)
    banned[[BOS_ID, EOS_ID, UNK_ID]] = True  # a correction is a real word
    for _ in range(int(max_edits)):
        proposals: list[tuple[float, tuple[int, ...], frozenset[int]]] = []
        for hyp in frontier:
            _, edited = seen[hyp]
            seq = padded(hyp)
            tok = token_scores(hyp)
            for pos in range(n):
                if pos in edited:
                    continue
                # the predictions the word at pos takes part in: its own and the next order - 1
                window = query.fill(seq, first, pos + first, threads)
                outside = np.concatenate([tok[:pos], tok[pos + order:]])
                scores = float(outside.sum()) + window
                scores[banned] = -np.inf
                scores[hyp[pos]] = -np.inf
                top = np.argpartition(-scores, min(beam, scores.size - 1))[:beam]
                for w in top:
                    if np.isfinite(scores[w]):
                        new = hyp[:pos] + (int(w),) + hyp[pos + 1:]
                        proposals.append((float(scores[w]), new, edited | {pos}))
        best = heapq.nlargest(beam, proposals, key=lambda x: x[0] + len(x[2]) * (log_sub - log_keep))
        frontier = []
        for lp, new, edited in best:
            if new not in seen:
                seen[new] = (lp, edited)
                frontier.append(new)
        if not frontier:
            break
    posterior = {h: lp + len(ed) * log_sub + (n - len(ed)) * log_keep for h, (lp, ed) in seen.items()}
    finite = [v for v in posterior.values() if np.isfinite(v)]
    if not finite:
        raise ValueError("no candidate sentence has a non-zero probability under the model")
    mx = max(finite)
    z = math.fsum(math.exp(v - mx) for v in finite)
    ranked = sorted(posterior.items(), key=lambda kv: -kv[1])[:k]
    vocab = lm.vocab_
    out = []
    for ids, v in ranked:
        if not np.isfinite(v):
            continue
        words = [tokens[i] if ids[i] == observed[i] else vocab[ids[i]] for i in range(n)]
        out.append((" ".join(words), math.exp(v - mx) / z))
    return out
