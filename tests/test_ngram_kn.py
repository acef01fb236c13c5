"""Interpolated modified Kneser-Ney (smoothing="kneser_ney"): KenLM's lmplz is the spec."""
import itertools
import math
import os
import random
from pathlib import Path

import numpy as np
import pytest
from infogen import NGramCounts, NGramLM, cli
from infogen.reference import ngram as ref

KJV = Path(os.environ.get("INFOGEN_KJV_DIR", Path(__file__).resolve().parents[2] / "shared" / "data" / "kjv"))
LN10 = math.log(10)


def zipf_corpus(seed, n_sentences=200, vocab=30, max_len=10):
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    cum = list(itertools.accumulate(1 / (i + 1) for i in range(vocab)))
    return [rng.choices(words, cum_weights=cum, k=rng.randint(1, max_len)) for _ in range(n_sentences)]


def tables_by_words(lm):
    """{n-gram tuple: (logp, logbo)} of a fitted model (unigram <s> left out)."""
    out = {}
    for i, w in enumerate(lm.vocab_):
        if w != "<s>":
            out[(w,)] = (lm.logp_[0][i], lm.logbo_[0][i])
    for k in range(2, lm.order + 1):
        for row, p, b in zip(lm.ngrams_[k - 2].tolist(), lm.logp_[k - 1], lm.logbo_[k - 1]):
            out[tuple(lm.vocab_[i] for i in row)] = (p, b)
    out[("<s>",)] = (-math.inf, lm.logbo_[0][1])
    return out


def assert_matches_reference(lm, sentences, prune=None, fallback=None, tol=1e-10):
    counts = ref.count_ngrams(sentences, lm.order)
    logp, logbo, discounts = ref.kneser_ney(counts, lm.vocab_, prune=prune, fallback=fallback)
    np.testing.assert_allclose(np.array(lm.discounts_), np.array(discounts), rtol=0, atol=1e-12)
    ours = tables_by_words(lm)
    assert set(ours) == set(logp)
    for g, (p, b) in ours.items():
        assert p == pytest.approx(logp[g], abs=tol) or (p == -math.inf and logp[g] == -math.inf), g
        assert b == pytest.approx(logbo.get(g, 0.0), abs=tol), g


# --- hand-computed ----------------------------------------------------------------------------
HAND = ["a", "a", "a", "a b", "b b"]


def test_hand_computed_bigram_model():
    """Every number below is worked out by hand from the corpus HAND.

    Bigrams (raw counts, the highest order): <s> a 4, a </s> 3, b </s> 2, a b 1, <s> b 1,
    b b 1 -> t1..t4 = 3, 1, 1, 1; Y = 3/5; D1 = 1 - 2 Y 1/3 = 0.6, D2 = 2 - 3 Y 1/1 = 0.2,
    D3+ = 3 - 4 Y 1/1 = 0.6.
    Unigrams (adjusted = distinct left words): a {<s>} 1, b {a, <s>, b} 3, </s> {a, b} 2
    -> t = 1, 1, 1, 0; Y = 1/3; D1 = 1/3, D2 = 1, D3+ = 3. Total 6;
    gamma = (1/3 + 1 + 3) / 6 = 13/18; |V| = 4 (<unk>, </s>, a, b).
    """
    lm = NGramLM(2, smoothing="kneser_ney").fit(HAND)
    assert lm.count_of_counts_ == [(1, 1, 1, 0), (3, 1, 1, 1)]
    np.testing.assert_allclose(lm.discounts_, [(1 / 3, 1, 3), (0.6, 0.2, 0.6)], atol=1e-15)
    g1 = 13 / 18
    p_a = (1 - 1 / 3) / 6 + g1 / 4      # 7/24
    p_b = (3 - 3) / 6 + g1 / 4          # 13/72
    p_end = (2 - 1) / 6 + g1 / 4        # 25/72
    p_unk = g1 / 4
    assert p_a + p_b + p_end + p_unk == pytest.approx(1, abs=1e-15)
    assert lm.prob("a") == pytest.approx(7 / 24, abs=1e-14)
    assert lm.prob("<unk>") == pytest.approx(13 / 72, abs=1e-14)
    assert lm.prob("zzz") == pytest.approx(13 / 72, abs=1e-14)  # an unknown word is <unk>
    # context <s>: a 4, b 1 -> denominator 5, gamma = (D3 + D1) / 5 = 0.24
    assert lm.prob("a", ["<s>"]) == pytest.approx((4 - 0.6) / 5 + 0.24 * p_a, abs=1e-14)  # 0.75
    assert lm.prob("b", ["<s>"]) == pytest.approx((1 - 0.6) / 5 + 0.24 * p_b, abs=1e-14)
    assert lm.prob("</s>", ["<s>"]) == pytest.approx(0.24 * p_end, abs=1e-14)
    # context a: </s> 3, b 1 -> gamma = (D3 + D1) / 4 = 0.3
    assert lm.prob("</s>", ["a"]) == pytest.approx((3 - 0.6) / 4 + 0.3 * p_end, abs=1e-14)
    assert lm.prob("b", ["a"]) == pytest.approx((1 - 0.6) / 4 + 0.3 * p_b, abs=1e-14)
    assert lm.prob("a", ["a"]) == pytest.approx(0.3 * p_a, abs=1e-14)
    # context b: </s> 2, b 1 -> gamma = (D2 + D1) / 3 = 0.8 / 3
    gb = 0.8 / 3
    assert lm.prob("</s>", ["b"]) == pytest.approx((2 - 0.2) / 3 + gb * p_end, abs=1e-14)
    assert lm.prob("b", ["b"]) == pytest.approx((1 - 0.6) / 3 + gb * p_b, abs=1e-14)
    assert lm.prob("a", ["b"]) == pytest.approx(gb * p_a, abs=1e-14)
    # backoff weights are the gammas (natural log); </s> and <unk> are no contexts
    bo = dict(zip(lm.vocab_, lm.logbo_[0]))
    assert bo["<s>"] == pytest.approx(math.log(0.24))
    assert bo["a"] == pytest.approx(math.log(0.3))
    assert bo["b"] == pytest.approx(math.log(gb))
    assert bo["</s>"] == 0 and bo["<unk>"] == 0
    # a whole sentence: P(a | <s>) P(b | a) P(</s> | b)
    expected = math.log(0.75) + math.log(0.1 + 0.3 * p_b) + math.log(0.6 + gb * p_end)
    assert lm.score("a b") == pytest.approx(expected, abs=1e-13)


def test_hand_computed_arpa_lines(tmp_path):
    lm = NGramLM(2, smoothing="kn").fit(HAND)
    lm.to_arpa(tmp_path / "hand.arpa")
    lines = (tmp_path / "hand.arpa").read_text().splitlines()
    assert lines[:3] == ["\\data\\", "ngram 1=5", "ngram 2=6"]
    by_words = {line.split("\t")[1]: line.split("\t") for line in lines if line.count("\t") >= 1}
    assert by_words["<s>"][0] == "0"  # as lmplz writes it: <s> is never predicted
    assert float(by_words["<s>"][2]) == pytest.approx(math.log10(0.24), abs=1e-15)
    assert float(by_words["a"][0]) == pytest.approx(math.log10(7 / 24), abs=1e-15)
    assert float(by_words["<s> a"][0]) == pytest.approx(math.log10(0.75), abs=1e-15)
    assert len(by_words["a b"]) == 2  # highest order: no backoff field


def test_hand_computed_trigram_matches_reference():
    corpus = [s.split() for s in ["a b c", "a b c d", "b c d", "a c"]]
    lm = NGramLM(3, smoothing="kn", discount_fallback=(0.5, 1.0, 1.5)).fit(corpus)
    # Trigrams: <s> a b 2, a b c 2, b c d 2, c d </s> 2, and four seen once: t3 = 0, so the
    # fallback. Bigrams (adjusted; <s> a, <s> b raw): <s> a 3, b c 2 {a, <s>}, c </s> 2 {b, a},
    # five with 1 -> t = 5, 2, 1: Y = 5/9, D1 = 5/9, D2 = 2 - 3 Y / 2 = 7/6, D3+ = 3.
    # Unigrams (adjusted): a 1, b 2, c 2, d 1, </s> 2 -> t3 = 0: the fallback.
    np.testing.assert_allclose(lm.discounts_, [(0.5, 1.0, 1.5), (5 / 9, 7 / 6, 3.0), (0.5, 1.0, 1.5)], atol=1e-15)
    # P(c): adjusted 2 of a total 8, gamma = (0.5 x 2 + 1 x 3) / 8 = 1/2, |V| = 6.
    p_c = (2 - 1) / 8 + 0.5 / 6
    # P(c | b): "b c" is b's only continuation, adjusted count 2: (2 - 7/6) / 2 + (7/6) / 2 P(c)
    p_c_b = (2 - 7 / 6) / 2 + 7 / 12 * p_c
    # P(c | a b): raw count 2, a b's only continuation: (2 - 1) / 2 + (1 / 2) P(c | b)
    assert lm.prob("c", ["a", "b"]) == pytest.approx(0.5 + 0.5 * p_c_b, abs=1e-14)
    assert_matches_reference(lm, corpus, fallback=(0.5, 1.0, 1.5))


# --- against the plain-Python reference -----------------------------------------------------
@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_reference(order, seed):
    corpus = zipf_corpus(seed)
    lm = NGramLM(order, smoothing="kn", discount_fallback=True).fit(corpus)
    assert_matches_reference(lm, corpus, fallback=(0.5, 1.0, 1.5))


def test_wide_ngrams_match_reference():
    # 7 words of 10 bits do not pack into 64 bits: the exact n-gram index is used instead
    corpus = zipf_corpus(4, n_sentences=600, vocab=5000, max_len=14)
    lm = NGramLM(8, smoothing="kn", discount_fallback=True).fit(corpus)
    assert len(lm.vocab_) > 512
    assert_matches_reference(lm, corpus, fallback=(0.5, 1.0, 1.5))


@pytest.mark.parametrize("prune", [(0, 1), (0, 0, 1), (0, 1, 1), (0, 1, 2, 3)])
def test_pruning_matches_reference_and_stays_normalised(prune):
    corpus = zipf_corpus(7, n_sentences=300)
    order = 4
    lm = NGramLM(order, smoothing="kn", prune=prune, discount_fallback=True).fit(corpus)
    full = prune + (prune[-1],) * (order - len(prune))
    assert_matches_reference(lm, corpus, prune=full, fallback=(0.5, 1.0, 1.5))
    counts = NGramCounts.from_sentences(corpus, order)
    for k in range(2, order + 1):
        kept = {tuple(r) for r in lm.ngrams_[k - 2].tolist()}
        expected = {tuple(r) for r, c in zip(counts.ngrams[k - 1].tolist(), counts.counts[k - 1]) if c > full[k - 1]}
        assert kept == expected
    assert_normalised(lm, corpus)


def assert_normalised(lm, corpus, n_contexts=40, seed=0):
    rng = random.Random(seed)
    contexts = [[], ["<s>"]]
    for _ in range(n_contexts):
        s = rng.choice(corpus)
        i = rng.randint(0, len(s))
        ctx = (["<s>"] + list(s))[max(0, i + 1 - rng.randint(0, lm.order - 1)):i + 1]
        contexts.append(ctx)
    contexts.append(["never", "seen"])
    for ctx in contexts:
        bos = bool(ctx) and ctx[0] == "<s>"
        p = lm.distribution(ctx[1:] if bos else ctx, bos=bos)
        assert p[1] == 0  # <s> is never predicted
        assert p.sum() == pytest.approx(1.0, abs=1e-12), ctx


def test_distributions_sum_to_one_property():
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")

    sentence = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), min_size=1, max_size=8)

    @hypothesis.settings(max_examples=40, deadline=None)
    @hypothesis.given(corpus=st.lists(sentence, min_size=1, max_size=25), order=st.integers(1, 4),
                      prune=st.sampled_from([None, (0, 1), (0, 0, 1)]))
    def check(corpus, order, prune):
        if prune is not None and len(prune) > order:
            prune = None
        lm = NGramLM(order, smoothing="kn", discount_fallback=True, prune=prune).fit(corpus)
        assert_normalised(lm, corpus, n_contexts=10)

    check()


def test_vocabulary_limit_with_unk_in_training_stays_normalised():
    corpus = zipf_corpus(11, n_sentences=400, vocab=200)
    corpus[0] = corpus[0] + ["<unk>"]
    lm = NGramLM(3, smoothing="kn", min_count=5, discount_fallback=True).fit(corpus)
    assert lm.counts_.ngrams[0][0, 0] == 0 and lm.counts_.counts[0][0] > 10  # <unk> has real counts
    assert_normalised(lm, corpus)
    assert_matches_reference(lm, [[w if w in set(lm.vocab_) else "<unk>" for w in s] for s in corpus],
                             fallback=(0.5, 1.0, 1.5))
    lm2 = NGramLM(3, smoothing="kn", max_vocab=10, discount_fallback=True).fit(corpus)
    assert len(lm2.vocab_) == 13
    assert_normalised(lm2, corpus)


def test_thread_count_independence():
    corpus = zipf_corpus(5, n_sentences=20000, vocab=2000, max_len=20)
    counts = NGramCounts.from_sentences(corpus, 4)
    assert counts.size(4) > 4 * 2**15  # several chunks of rows
    one = NGramLM(4, smoothing="kn", discount_fallback=True, n_threads=1).fit(counts)
    two = NGramLM(4, smoothing="kn", discount_fallback=True, n_threads=2).fit(counts)
    for a, b in zip(one.logp_ + one.logbo_, two.logp_ + two.logbo_):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(one.ngrams_, two.ngrams_):
        np.testing.assert_array_equal(a, b)


# --- errors ------------------------------------------------------------------------------------
def test_tiny_corpus_raises_lmplz_message_or_falls_back():
    # unigrams a, b, </s> each follow one distinct word: t1 = 3, t2 = 0
    with pytest.raises(ValueError, match=r"Could not calculate Kneser-Ney discounts for 1-grams with adjusted "
                                         r"count 3 because we didn't observe any 1-grams with adjusted count 2"):
        NGramLM(2, smoothing="kn").fit(["a b", "a b"])
    with pytest.raises(ValueError, match=r"Is this small or artificial data\?"):
        NGramLM(3, smoothing="kneser_ney").fit(["waste of time", "a waste of money"])
    lm = NGramLM(3, smoothing="kn", discount_fallback=True).fit(["waste of time", "a waste of money"])
    assert lm.discounts_ == [(0.5, 1.0, 1.5)] * 3
    assert any("Substituting fallback discounts D1=0.5 D2=1 D3+=1.5" in w for w in lm.discount_warnings_)
    lm = NGramLM(2, smoothing="kn", discount_fallback=(0.25, 0.5, 0.75)).fit(["a b", "a b"])
    assert lm.discounts_[1] == (0.25, 0.5, 0.75)


def test_discount_out_of_range_message():
    # order 1 (raw counts): x 1, y 2, a b c d </s> 3 -> t = 1, 1, 5, 0; Y = 1/3,
    # D2 = 2 - 3 Y 5 / 1 = -3
    corpus = ["x y a b c d", "y a b c d", "a b c d"]
    with pytest.raises(ValueError, match=r"ERROR: 1-gram discount out of range for adjusted count 2: -3"):
        NGramLM(1, smoothing="kn").fit(corpus)
    lm = NGramLM(1, smoothing="kn", discount_fallback=True).fit(corpus)
    assert lm.discounts_ == [(0.5, 1.0, 1.5)]
    # 18 tokens (</s> included), gamma = (0.5 + 1 + 5 x 1.5) / 18 = 1/2, |V| = 8
    assert lm.prob("a") == pytest.approx((3 - 1.5) / 18 + 0.5 / 8, abs=1e-15)


@pytest.mark.parametrize("kwargs, message", [
    ({"prune": (1, 1)}, "unigram pruning"),
    ({"prune": (0, 2, 1)}, "non-decreasing"),
    ({"prune": (0, -1)}, "non-negative"),
    ({"prune": (0, 1, 1, 1)}, "thresholds for a model of order 3"),
    ({"discount_fallback": (0.5, 1.0)}, "discount_fallback"),
    ({"discount_fallback": (1.5, 1.0, 1.0)}, "discount_fallback"),
])
def test_parameter_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NGramLM(3, smoothing="kn", **kwargs).fit(zipf_corpus(0))


def test_prune_only_for_kneser_ney():
    with pytest.raises(ValueError, match="kneser_ney"):
        NGramLM(3, smoothing="add_k", prune=(0, 1)).fit(zipf_corpus(0))


# --- persistence ---------------------------------------------------------------------------------
def test_arpa_and_npz_round_trip(tmp_path):
    corpus = zipf_corpus(3, n_sentences=400)
    lm = NGramLM(4, smoothing="kn", prune=(0, 0, 1), discount_fallback=True).fit(corpus)
    test = [" ".join(s) for s in zipf_corpus(4, n_sentences=50)] + ["unknown words here"]
    expected = lm.token_logprobs(test)
    lm.to_arpa(tmp_path / "kn.arpa")
    back = NGramLM.from_arpa(tmp_path / "kn.arpa")
    np.testing.assert_allclose(back.token_logprobs(test), expected, rtol=1e-13, atol=1e-13)
    lm.save(tmp_path / "kn.npz")
    again = NGramLM.load(tmp_path / "kn.npz")
    assert again.smoothing == "kneser_ney" and again.discounts_ == lm.discounts_
    np.testing.assert_array_equal(again.token_logprobs(test), expected)


def test_kenlm_module_loads_our_arpa(tmp_path):
    kenlm = pytest.importorskip("kenlm", reason="the kenlm module is not installed (pip install kenlm)")
    corpus = zipf_corpus(3, n_sentences=400)
    lm = NGramLM(3, smoothing="kn", discount_fallback=True).fit(corpus)
    lm.to_arpa(tmp_path / "kn.arpa")
    model = kenlm.Model(str(tmp_path / "kn.arpa"))
    for s in [" ".join(x) for x in zipf_corpus(8, n_sentences=30)] + ["w1 nothing w2"]:
        assert model.score(s, bos=True, eos=True) == pytest.approx(lm.score(s, base=10), abs=1e-4)


def test_cli_build_kneser_ney(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(s) for s in zipf_corpus(2, n_sentences=300)) + "\n")
    out = tmp_path / "kn.arpa"
    assert cli.main(["ngram", "build", str(corpus), "-o", "3", "-s", "kn", "--prune", "0", "1",
                     "--discount-fallback", "--output", str(out), "-q"]) == 0
    expected = NGramLM(3, smoothing="kneser_ney", prune=(0, 1), discount_fallback=True).fit(corpus)
    got = NGramLM.from_arpa(out)
    assert [g.shape for g in got.ngrams_] == [g.shape for g in expected.ngrams_]
    sents = corpus.read_text().splitlines()[:20]
    np.testing.assert_allclose(got.scores(sents), expected.scores(sents), rtol=1e-12)
    capsys.readouterr()
    assert cli.main(["ngram", "build", str(corpus), "-s", "kn", "--discount-fallback", "0.4", "0.8", "1.2",
                     "--output", str(tmp_path / "b.arpa"), "-q"]) == 0


# --- KJV against KenLM's own ARPA files ----------------------------------------------------------
@pytest.mark.parametrize("order, perplexity", [(3, 130.685), (5, 125.146)])
def test_kjv_matches_lmplz(tmp_path, order, perplexity):
    train, test, kenlm_arpa = KJV / "kjv.train.txt", KJV / "kjv.test.txt", KJV / f"kjv{order}.kenlm.arpa.xz"
    for p in (train, test, kenlm_arpa):
        if not p.exists():
            pytest.skip(f"{p} is absent (set INFOGEN_KJV_DIR to the folder with the KJV split and lmplz's ARPA)")
    lm = NGramLM(order, smoothing="kn").fit(train)  # timed in bench/test_bench_ngram.py -k kn_
    lm.to_arpa(tmp_path / "kjv.arpa")
    ours = NGramLM.from_arpa(tmp_path / "kjv.arpa")  # C++ parser: the two files in ~3 s
    theirs = NGramLM.from_arpa(kenlm_arpa)
    # their word ids -> ours
    index = {w: i for i, w in enumerate(ours.vocab_)}
    assert set(index) == set(theirs.vocab_)
    remap = np.array([index[w] for w in theirs.vocab_], dtype=np.uint32)
    worst_p = worst_b = 0.0
    for k in range(1, order + 1):
        if k == 1:
            a_lp, a_bo = ours.logp_[0][remap], ours.logbo_[0][remap]
            b_lp, b_bo = theirs.logp_[0], theirs.logbo_[0]
        else:
            rows = remap[theirs.ngrams_[k - 2]]
            perm = np.lexsort(rows.T[::-1])
            np.testing.assert_array_equal(rows[perm], ours.ngrams_[k - 2])  # the same n-grams
            a_lp, a_bo = ours.logp_[k - 1], ours.logbo_[k - 1]
            b_lp, b_bo = theirs.logp_[k - 1][perm], theirs.logbo_[k - 1][perm]
        finite = np.isfinite(b_lp)
        np.testing.assert_array_equal(np.isfinite(a_lp), finite)
        worst_p = max(worst_p, float(np.max(np.abs(a_lp[finite] - b_lp[finite]))) / LN10)
        worst_b = max(worst_b, float(np.max(np.abs(a_bo - b_bo))) / LN10)
    assert worst_p <= 1e-4 and worst_b <= 1e-4, (worst_p, worst_b)
    # the unigram <s> is written as lmplz writes it (log10 probability 0)
    with open(tmp_path / "kjv.arpa", encoding="utf-8") as f:
        assert any(line == "0\t<s>\t" + line.split("\t")[-1] for line in itertools.islice(f, 20000)
                   if line.split("\t")[1:2] == ["<s>"])
    stats = lm.evaluate(test)
    assert stats["oov"] > 0
    try:
        import kenlm
    except ImportError:
        kenlm = None
    if kenlm is not None and order == 3:  # KenLM's own query code on our file
        verses = test.read_text(encoding="utf-8").splitlines()[:300]
        model = kenlm.Model(str(tmp_path / "kjv.arpa"))
        theirs = [model.score(v, bos=True, eos=True) for v in verses]
        np.testing.assert_allclose(lm.scores(verses, base=10), theirs, atol=1e-3)
    assert round(stats["perplexity"], 3) == perplexity
