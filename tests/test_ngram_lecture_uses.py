"""The lecture's uses of a language model: its tables as a model, and correcting a sentence."""
import itertools
import math

import numpy as np
import pytest
from infogen import NGramLM

LECTURE = {
    ("<s>",): {"more": 0.2},
    ("<s>", "more"): {"realistic": 0.25},
    ("more", "realistic"): {"than": 0.61, "as": 0.12, "for": 0.14, "real": 0.01, "the": 0.02, "life": 0.05},
    ("realistic", "than"): {"than": 0.01, "as": 0.10, "for": 0.09, "real": 0.50, "the": 0.12, "life": 0.11},
    ("than", "real"): {"than": 0.20, "as": 0.16, "for": 0.05, "real": 0.01, "the": 0.12, "life": 0.33},
}


def all_contexts(lm):
    words = lm.vocab_
    for n in range(lm.order):
        for ctx in itertools.product(words[:1] + words[3:], repeat=n):  # <s> only first, never </s>
            yield list(ctx)
    for n in range(lm.order - 1):
        for ctx in itertools.product(words[3:], repeat=n):
            yield ["<s>", *ctx]


def test_the_lecture_tables_give_p_m7():
    lm = NGramLM.from_probabilities(LECTURE)
    assert lm.order == 3 and lm.smoothing == "tables"
    p = math.exp(lm.score("more realistic than real life", eos=False))
    assert p == pytest.approx(0.2 * 0.25 * 0.61 * 0.50 * 0.33, rel=1e-12)
    assert round(p, 3) == 0.005
    for ctx, row in LECTURE.items():  # every listed probability is returned exactly
        for w, q in row.items():
            assert lm.prob(w, list(ctx)) == pytest.approx(q, rel=1e-12)


@pytest.mark.parametrize("missing", ["backoff", "renormalize"])
def test_every_context_is_a_distribution(missing):
    tables = dict(LECTURE)
    tables[()] = {"than": 0.3, "real": 0.2}
    lm = NGramLM.from_probabilities(tables, missing=missing)
    for ctx in all_contexts(lm):
        assert lm.distribution(ctx).sum() == pytest.approx(1.0, abs=1e-12), ctx
    if missing == "renormalize":
        assert lm.prob("than", ["more", "realistic"]) == pytest.approx(0.61 / 0.95, rel=1e-12)
        assert lm.prob("life", ["more", "realistic"]) == pytest.approx(0.05 / 0.95, rel=1e-12)
        assert lm.prob("more", ["more", "realistic"]) == 0.0
    else:
        # the unlisted mass of ("more", "realistic") goes to its unlisted words by the shorter contexts
        d = lm.distribution(["more", "realistic"])
        listed = [lm._word_index[w] for w in LECTURE[("more", "realistic")]]
        assert d[listed].sum() == pytest.approx(0.95, rel=1e-12)


def test_tables_survive_save_and_arpa(tmp_path):
    lm = NGramLM.from_probabilities(LECTURE)
    lm.save(tmp_path / "m.ngram")
    lm.to_arpa(tmp_path / "m.arpa")
    for other in (NGramLM.load(tmp_path / "m.ngram"), NGramLM.load(tmp_path / "m.arpa")):
        assert other.score("more realistic than real life", eos=False) == pytest.approx(
            lm.score("more realistic than real life", eos=False), rel=1e-14)


@pytest.mark.parametrize("tables,match", [
    ({("a",): {"b": 1.2}}, "not a probability"),
    ({("a",): {"b": -0.1}}, "not a probability"),
    ({("a",): {"b": 0.7, "c": 0.5}}, "sum to 1.2"),
    ({("</s>",): {"b": 0.5}}, "</s> cannot be a context word"),
    ({("a", "<s>"): {"b": 0.5}}, "<s> only its first"),
    ({("a",): {"<s>": 0.5}}, "can be predicted"),
    ({("a",): {"two words": 0.5}}, "can be predicted"),
    ({}, "non-empty dict"),
    ({("a",): {"b": "0.5"}}, "must be a number"),
])
def test_bad_tables(tables, match):
    with pytest.raises((ValueError, TypeError), match=match):
        NGramLM.from_probabilities(tables)
    with pytest.raises(ValueError, match="missing must be"):
        NGramLM.from_probabilities(LECTURE, missing="drop")
    with pytest.raises(ValueError, match="too small"):
        NGramLM.from_probabilities(LECTURE, order=2)


CORPUS = ["a waste of time", "a waste of money", "what a waste of time", "a true masterpiece",
          "truly a masterpiece of time", "the best of times"] * 3


def brute_force(lm, tokens, max_edits, error_rate):
    """Every sentence within max_edits substitutions, scored by lm.score (no shared shortcut)."""
    words = [w for w in lm.vocab_ if w not in ("<s>", "</s>", "<unk>")]
    n_words = lm.vocab_size - 1
    out = {}
    for d in range(max_edits + 1):
        for pos in itertools.combinations(range(len(tokens)), d):
            for repl in itertools.product(words, repeat=d):
                cand = list(tokens)
                if any(tokens[p] == r for p, r in zip(pos, repl)):
                    continue
                for p, r in zip(pos, repl):
                    cand[p] = r
                lp = lm.score(cand) + d * math.log(error_rate / (n_words - 1)) + \
                    (len(tokens) - d) * math.log1p(-error_rate)
                out[" ".join(cand)] = lp
    return out


@pytest.mark.parametrize("max_edits", [1, 2])
def test_correct_matches_brute_force(max_edits):
    lm = NGramLM(3, smoothing="add_k", k=0.05).fit(CORPUS)
    for sentence in ["a waist of time", "a waste off money", "truly a masterpiece of thyme"]:
        tokens = sentence.split()
        exact = brute_force(lm, tokens, max_edits, 0.05)
        got = lm.correct_candidates(sentence, k=3, max_edits=max_edits, error_rate=0.05, beam=200)
        best = sorted(exact.items(), key=lambda kv: -kv[1])[:3]
        assert [s for s, _ in got] == [s for s, _ in best]
        if max_edits == 1:  # every candidate was considered: the posterior is exact
            z = np.logaddexp.reduce(list(exact.values()))
            for (s, p), (_, lp) in zip(got, best):
                assert p == pytest.approx(math.exp(lp - z), rel=1e-9)
        assert lm.correct(sentence, max_edits=max_edits, error_rate=0.05) == best[0][0]
    assert lm.correct("a waste of time") == "a waste of time"  # nothing to correct


def test_correct_bad_arguments():
    lm = NGramLM(2, smoothing="add_k").fit(CORPUS)
    for kwargs, match in (({"max_edits": -1}, "max_edits"), ({"error_rate": 0}, "error_rate"),
                          ({"error_rate": 1.5}, "error_rate"), ({"k": 0}, "k must"), ({"beam": 0}, "beam")):
        with pytest.raises(ValueError, match=match):
            lm.correct_candidates("a waste", **kwargs)
    with pytest.raises(ValueError, match="empty sentence"):
        lm.correct("")


def test_correct_with_a_model_that_gives_zero_probabilities():
    lm = NGramLM(3, smoothing="mle").fit(CORPUS)
    assert lm.score("what a waist of time") == -math.inf
    assert lm.correct("what a waist of time") == "what a waste of time"
