import itertools
import math
import os
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from infogen import NGramClassifier, NGramCounts, NGramLM, _core, datasets
from infogen.ngram import read_arpa
from infogen.reference import ngram as ref

SMOOTHINGS = ["mle", "add_k", "stupid_backoff"]
SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "kjv")
KJV_TRAIN = os.path.join(SHARED, "kjv.train.txt")
KJV_TEST = os.path.join(SHARED, "kjv.test.txt")


def zipf_corpus(seed, n_sentences=300, vocab=40, max_len=12, alphabet="abcdefghij"):
    rng = random.Random(seed)
    words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))) + str(i) for i in range(vocab)]
    cum = list(itertools.accumulate(1 / (i + 1) for i in range(vocab)))
    return [rng.choices(words, cum_weights=cum, k=rng.randint(0, max_len)) for _ in range(n_sentences)]


def counter_dict(counts, order):
    return {k: dict(ref.count_ngrams(counts, order)[k]) for k in range(1, order + 1)}


# --- counting ------------------------------------------------------------------------------
@pytest.mark.parametrize("order", [1, 2, 3, 6])
@pytest.mark.parametrize("seed", [0, 1])
def test_counts_equal_counter(order, seed):
    corpus = zipf_corpus(seed)
    expected = ref.count_ngrams(corpus, order)
    c = NGramCounts.from_sentences(corpus, order)
    for k in range(1, order + 1):
        assert c.to_dict(k) == dict(expected[k])
    assert c.n_tokens == sum(len(s) for s in corpus)
    assert c.n_sentences == sum(1 for s in corpus if s)
    assert c.total(1) == c.n_tokens + c.n_sentences  # n words give n + 1 predictions


def test_counts_wide_keys_use_hash_tables_and_match_counter():
    # 16 words of 9 bits do not pack into 128 bits: the hash-table counter runs instead.
    corpus = zipf_corpus(9, n_sentences=300, vocab=400, max_len=25)
    expected = ref.count_ngrams(corpus, 16)
    one = NGramCounts.from_sentences(corpus, 16, n_threads=1)
    two = NGramCounts.from_sentences(corpus, 16, n_threads=2)
    assert one == two
    assert len(one.vocab) > 256
    for k in (1, 2, 9, 16):
        assert one.to_dict(k) == dict(expected[k])


def test_counts_independent_of_threads_and_inputs(tmp_path):
    corpus = zipf_corpus(3, n_sentences=30000, vocab=3000)
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
    assert path.stat().st_size > 3 * 2**18  # several tokeniser chunks
    a = NGramCounts.from_file(path, 4, n_threads=1)
    b = NGramCounts.from_file(str(path), 4, n_threads=2)
    c = NGramCounts.from_sentences(corpus, 4, n_threads=2)
    d = NGramCounts.from_sentences([" ".join(s) for s in corpus], 4)
    assert a == b == c == d


def test_tokenizer_blocks_and_long_lines(tmp_path):
    rng = random.Random(5)
    lines = []
    for i in range(300):
        n = rng.choice([0, 1, 5, 50, 3000])
        lines.append(("\t" if i % 7 == 0 else "") + "  ".join(f"w{rng.randint(0, 60)}" for _ in range(n)) + " \r")
    text = "\n".join(lines)  # no newline at the end
    path = tmp_path / "long.txt"
    path.write_text(text)
    expected_ids = []
    index = {"<unk>": 0, "<s>": 1, "</s>": 2}
    offsets = [0]
    for line in lines:
        toks = line.split()
        if toks:
            for t in toks:
                expected_ids.append(index.setdefault(t, len(index)))
            offsets.append(len(expected_ids))
    for block in (4096, 1 << 20):
        tok = _core._Tokenizer(True)
        tok.feed_file(str(path), 2, block)
        ids, off, n_lines, n_bytes = tok.take()
        assert ids.tolist() == expected_ids
        assert off.tolist() == offsets
        assert n_lines == len(lines)
        assert n_bytes == len(text.encode())


_PIECES = [b"a", b"xy", b"abcdefg", b"abcdefgh", b"abcdefghi", b"\xc3\xa9t\xc3\xa9", b"\xff\xfe", b"\x00\x01",
           b"w" * 63, b"w" * 64, b"v" * 65, b"u" * 130, b" ", b"  ", b"\t", b"\r", b"\x0b", b"\x0c", b"\n", b"\n\n",
           b"\x0e", b"\x1f", b"!"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=120), st.sampled_from([1, 2]))
def test_tokenizer_splits_as_bytes_split(pieces, threads):
    """Tokens are the runs between ASCII whitespace (' ', \\t, \\r, \\v, \\f; \\n ends a
    sentence), whatever their length or bytes, also at the very end of the buffer."""
    data = b"".join(pieces)
    index = {}
    expected_ids, offsets = [], [0]
    for line in data.split(b"\n"):
        toks = line.split()
        if toks:
            expected_ids.extend(index.setdefault(t, len(index) + 3) for t in toks)
            offsets.append(len(expected_ids))
    tok = _core._Tokenizer(True)
    tok.feed_buffer(data, threads)
    ids, off, n_lines, n_bytes = tok.take()
    assert ids.tolist() == expected_ids
    assert off.tolist() == offsets
    assert n_bytes == len(data)


@pytest.mark.parametrize("threads", [1, 2])
def test_tokenizer_long_words_across_chunks_and_a_fixed_vocabulary(threads):
    """Words longer than 8 bytes are held in the vocabulary's slots by hash and compared
    through the word list: many long words of equal length sharing long prefixes, over
    many chunks (and merges), give the ids of a dict; a fixed vocabulary finds them too."""
    rng = np.random.default_rng(5)
    stems = [b"prefix-shared-" + bytes(f"{i:05d}", "ascii") for i in range(3000)]  # 19 bytes each
    words = stems + [w[:9] for w in stems[:50]] + [b"x" * n for n in range(1, 40)]
    lines = [b" ".join(words[j] for j in rng.integers(0, len(words), 12)) for _ in range(40_000)]
    data = b"\n".join(lines) + b"\n"
    assert len(data) > 4 * (1 << 18)  # several of the tokeniser's chunks
    index = {}
    expected = [index.setdefault(t, len(index) + 3) for line in lines for t in line.split()]
    tok = _core._Tokenizer(True)
    tok.feed_buffer(data, threads)
    ids, off, _, _ = tok.take()
    assert ids.tolist() == expected
    vocab = [b"<unk>", b"<s>", b"</s>"] + sorted(index, key=index.get)
    fixed = _core._Tokenizer(False)
    fixed.set_vocabulary(vocab)
    fixed.feed_buffer(data + b"prefix-shared-99999 prefix-shared-00001\n", threads)
    ids2, _, _, _ = fixed.take()
    assert ids2.tolist() == expected + [0, index[b"prefix-shared-00001"]]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_tokenizer_reads_a_pipe_as_a_file(tmp_path):
    """Regular files are memory-mapped; a named pipe cannot be, and is read block by block."""
    import threading

    text = "".join(f"w{i % 7} w{i % 5}  w{i % 3}\n" for i in range(3000)) + "last line"
    path = tmp_path / "corpus.txt"
    path.write_text(text)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(text))
    writer.start()
    results = []
    for source in (fifo, path):
        tok = _core._Tokenizer(True)
        tok.feed_file(str(source), 2, 4096)
        ids, off, n_lines, n_bytes = tok.take()
        results.append((ids.tolist(), off.tolist(), n_lines, n_bytes))
    writer.join()
    assert results[0] == results[1]
    assert results[0][2] == 3001 and results[0][3] == len(text)


def test_reserved_token_after_the_first_chunk_leaves_the_vocabulary_as_it_was():
    """The first chunk of a fresh vocabulary is merged early; an error further on undoes it."""
    tok = _core._Tokenizer(True)
    data = ("alpha beta gamma delta\n" * 40000 + "x <s> y\n").encode()
    assert len(data) > 3 * 2**18  # the error is chunks after the first
    with pytest.raises(ValueError, match=r":40001: the token '<s>' is reserved"):
        tok.feed_buffer(data, 2)
    assert tok.words_text_from(3) == ""
    tok.feed_buffer(b"delta alpha\n", 2)
    ids, off, n_lines, n_bytes = tok.take()
    assert ids.tolist() == [3, 4] and tok.words_text_from(3) == "delta\nalpha"


def test_lookup_total_count_of_counts():
    c = NGramCounts.from_sentences(["waste of time and money", "waste of money", "a waste of time"], 3)
    assert c["waste", "of"] == 3
    assert c["waste of time"] == 2
    assert c["<s>", "waste"] == 2
    assert c["money", "</s>"] == 2
    assert c["<s>"] == 0 and c["not-a-word"] == 0 and c["of", "waste"] == 0
    assert c.total(1) == 12 + 3
    assert c.total(2) == 15
    coc = c.count_of_counts(1)
    assert coc[1] == 2 and coc[3] == 3  # (and, a) once; (waste, of, </s>) three times
    assert c.count_of_counts(1, max_count=2).tolist() == [0, 2, 5]
    with pytest.raises(KeyError):
        c["a b c d"]


def test_merge_equals_concatenation_and_save_load(tmp_path):
    a_corpus, b_corpus = zipf_corpus(10), zipf_corpus(11, alphabet="klmnop")
    a = NGramCounts.from_sentences(a_corpus, 3)
    b = NGramCounts.from_sentences(b_corpus, 3)
    merged = a.merge(b)
    assert merged == NGramCounts.from_sentences(a_corpus + b_corpus, 3)
    path = tmp_path / "counts.npz"
    merged.save(path)
    assert NGramCounts.load(path) == merged
    assert [p.name for p in tmp_path.iterdir()] == ["counts.npz"]  # no temp file left
    with pytest.raises(ValueError, match="cannot merge"):
        a.merge(NGramCounts.from_sentences(a_corpus, 2))


def test_min_count_and_max_vocab():
    corpus = ["a a a b b c", "a b d"]
    c = NGramCounts.from_sentences(corpus, 2, min_count=2)
    assert c.vocab == ["<unk>", "<s>", "</s>", "a", "b"]
    assert c["<unk>"] == 2
    c = NGramCounts.from_sentences(corpus, 2, max_vocab=1)
    assert c.vocab == ["<unk>", "<s>", "</s>", "a"]
    assert c["<unk>"] == 5 and c["a", "<unk>"] == 2


# --- estimation ------------------------------------------------------------------------------
def lecture_reviews():
    return ["an unexpected and necessary masterpiece", "delightfully merged information and comedy",
            "director's first true masterpiece", "sci-fi perfection , truly mesmerizing film .",
            "waste of time and money", "best lame historical movie ever", "a waste of time",
            "what a waste of money"]


def test_lecture_waste_of_time():
    reviews = lecture_reviews()
    lm = NGramLM(3).fit(reviews)
    c = lm.counts_
    assert c["waste of time"] == 2 and c["waste of"] == 3
    assert lm.prob("time", ["waste", "of"]) == pytest.approx(2 / 3, abs=1e-15)
    assert lm.prob("time", "waste of") == c["waste of time"] / c["waste of"]
    # The lecture's product of factors for a review.
    expected = (c["<s> waste"] / c.n_sentences) * (c["<s> waste of"] / c["<s> waste"]) * (2 / 3) \
        * (c["of time and"] / c["of time"]) * (c["time and money"] / c["time and"]) \
        * (c["and money </s>"] / c["and money"])
    assert math.exp(lm.score("waste of time and money")) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_distributions_sum_to_one_and_match_reference(smoothing, order):
    corpus = zipf_corpus(order * 7 + len(smoothing), n_sentences=150, vocab=25)
    lm = NGramLM(order, smoothing=smoothing, k=0.5, alpha=0.4).fit(corpus)
    logp, logbo = ref.estimate(ref.count_ngrams(corpus, order), lm.vocab_, smoothing,
                               0.5 if smoothing == "add_k" else 0.4)
    rng = random.Random(order)
    words = lm.vocab_[3:]
    contexts = [[], ["<s>"]] + [rng.choices(words, k=rng.randint(1, order)) for _ in range(20)]
    contexts += [["<s>"] + rng.choices(words, k=rng.randint(0, order)) for _ in range(10)]
    contexts += [list(s[:order - 1]) for s in corpus[:10]]
    for ctx in contexts:
        p = lm.distribution(ctx)
        assert abs(p.sum() - 1.0) <= 1e-9, (ctx, p.sum())
        assert p[1] == 0.0  # <s> is never predicted
        for w in rng.sample(lm.vocab_, 8):
            expected = ref.logprob(logp, logbo, order, ctx, w) if w != "<s>" else -math.inf
            got = lm.logprob(w, ctx)
            if math.isinf(expected):
                assert got == expected
            else:
                assert got == pytest.approx(expected, abs=1e-12)
                assert np.log(p[lm._word_index[w]]) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_scores_match_reference(smoothing):
    corpus = zipf_corpus(42, n_sentences=200)
    lm = NGramLM(3, smoothing=smoothing).fit(corpus)
    logp, logbo = ref.estimate(ref.count_ngrams(corpus, 3), lm.vocab_, smoothing, 1.0 if smoothing == "add_k" else 0.4)
    test = zipf_corpus(43, n_sentences=30) + [["unseen", "words"], []]
    for bos in (True, False):
        for eos in (True, False):
            got = lm.scores(test, bos=bos, eos=eos)
            exp = [ref.sentence_logprob(logp, logbo, 3, [w if w in lm._word_index else "<unk>" for w in s], bos, eos)
                   for s in test]
            np.testing.assert_allclose(got, exp, atol=1e-10)
    s = " ".join(test[0])
    assert lm.score(s, base=10) == pytest.approx(lm.score(s) / math.log(10))
    tok = lm.token_logprobs(test)
    assert tok.size == sum(len(t) + 1 for t in test)
    if smoothing == "add_k":
        assert lm.perplexity(test) == pytest.approx(math.exp(-tok.mean()))
        assert lm.cross_entropy(test) == pytest.approx(-tok.mean() / math.log(2))


def test_entropy_in_bits():
    lm = NGramLM(2).fit(["a b", "a c", "a d", "a e"])
    assert lm.entropy(["a"]) == pytest.approx(2.0)
    assert lm.entropy(["<s>"]) == pytest.approx(0.0)


# --- generation ------------------------------------------------------------------------------
def test_greedy_is_deterministic_and_follows_argmax():
    lm = NGramLM(3).fit(lecture_reviews())
    outs = {lm.generate(strategy="greedy") for _ in range(5)}
    assert len(outs) == 1
    assert lm.generate(strategy="greedy", prefix="what") == "what a waste of time"
    assert lm.sample(3, strategy="greedy") == [outs.pop()] * 3


def test_sampling_matches_conditionals_chi_square():
    from scipy import stats

    corpus = zipf_corpus(7, n_sentences=400, vocab=15)
    lm = NGramLM(2, smoothing="add_k", k=0.3).fit(corpus)
    ctx = lm.vocab_[3]
    p = lm.distribution([ctx])
    n = 20000
    draws = lm.sample(n, max_words=1, prefix=ctx, random_state=123)
    # max_words=1: one word after the prefix; an empty continuation means </s> was drawn.
    counts = Counter(d.split()[1] if len(d.split()) > 1 else "</s>" for d in draws)
    observed = np.array([counts.get(w, 0) for w in lm.vocab_], dtype=float)
    keep = p > 0
    chi2, pvalue = stats.chisquare(observed[keep], n * p[keep])
    assert pvalue > 1e-4, (chi2, pvalue)


@pytest.mark.parametrize("smoothing", ["add_k", "stupid_backoff"])
@pytest.mark.parametrize("path", ["backoff-walk", "full-distribution"])
def test_sampling_order3_chi_square(smoothing, path):
    from scipy import stats

    corpus = zipf_corpus(17, n_sentences=300, vocab=12)
    lm = NGramLM(3, smoothing=smoothing, k=0.5).fit(corpus)
    prefix = corpus[0][:2] if len(corpus[0]) >= 2 else ["<unk>", "<unk>"]
    p = lm.distribution(["<s>"] + list(prefix))
    n = 20000
    # top_k = |V| keeps every word but takes the full-distribution code path
    top_k = len(lm.vocab_) if path == "full-distribution" else None
    draws = lm.sample(n, max_words=1, prefix=prefix, random_state=99, top_k=top_k)
    counts = Counter(d.split()[2] if len(d.split()) > 2 else "</s>" for d in draws)
    observed = np.array([counts.get(w, 0) for w in lm.vocab_], dtype=float)
    keep = p > 0
    assert observed[~keep].sum() == 0
    _, pvalue = stats.chisquare(observed[keep], n * p[keep])
    assert pvalue > 1e-4


def test_sampling_seeded_and_thread_independent():
    lm = NGramLM(3, smoothing="add_k").fit(zipf_corpus(8))
    lm1 = NGramLM(3, smoothing="add_k", n_threads=1).fit(zipf_corpus(8))
    lm2 = NGramLM(3, smoothing="add_k", n_threads=2).fit(zipf_corpus(8))
    a = lm1.sample(64, random_state=5, temperature=0.8, top_k=5)
    b = lm2.sample(64, random_state=5, temperature=0.8, top_k=5)
    assert a == b
    assert lm.sample(64, random_state=6) != lm.sample(64, random_state=7)
    assert lm.sample(5, random_state=np.random.default_rng(1)) == lm.sample(5, random_state=np.random.default_rng(1))
    # top_k=1 sampling is greedy
    assert lm.sample(3, top_k=1, random_state=1) == [lm.generate(strategy="greedy")] * 3
    no_unk = lm.sample(50, random_state=2, allow_unk=False)
    assert all("<unk>" not in s.split() for s in no_unk)


def test_complete_and_fill():
    lm = NGramLM(3).fit(lecture_reviews())
    top = lm.complete("waste of", k=5)
    assert top[0] == ("time", pytest.approx(2 / 3))
    assert top[1] == ("money", pytest.approx(1 / 3))
    assert len(top) == 2  # MLE: only seen continuations have probability
    assert lm.fill("waste _ time and money") == "waste of time and money"
    # The right side matters: after "x" comes "a", but "a c" never occurs and "b c" often.
    lm2 = NGramLM(2, smoothing="add_k").fit(["x a"] * 3 + ["y b c"] + ["b c"] * 10)
    assert lm2.complete("<s> x", k=1)[0][0] == "a"  # left context alone says "a"
    assert lm2.fill("x _ c") == "x b c"  # but "a c" never occurs, "b c" does
    cands = lm2.fill_candidates("x _ c", k=100)
    assert sum(p for _, p in cands) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="exactly one blank"):
        lm.fill("waste of time")


# --- ARPA ------------------------------------------------------------------------------------
@pytest.mark.parametrize("smoothing", SMOOTHINGS)
@pytest.mark.parametrize("suffix", [".arpa", ".arpa.gz", ".arpa.xz"])
def test_arpa_round_trip(tmp_path, smoothing, suffix):
    corpus = zipf_corpus(21, n_sentences=200)
    lm = NGramLM(4, smoothing=smoothing).fit(corpus)
    path = tmp_path / f"m{suffix}"
    lm.to_arpa(path)
    back = NGramLM.from_arpa(path)
    assert back.vocab_ == lm.vocab_
    test = zipf_corpus(22, n_sentences=40)
    np.testing.assert_allclose(back.scores(test), lm.scores(test), atol=1e-12)
    for a, b in zip(back.logp_, lm.logp_):
        np.testing.assert_allclose(a, b, atol=1e-12)
    # and through our binary format
    lm.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(NGramLM.load(tmp_path / "m.npz").scores(test), lm.scores(test))


def test_arpa_header_is_standard(tmp_path):
    lm = NGramLM(2).fit(["a b", "b a"])
    lm.to_arpa(tmp_path / "m.arpa")
    text = (tmp_path / "m.arpa").read_text()
    assert text.startswith("\\data\\\nngram 1=5\nngram 2=")
    assert "\\1-grams:\n" in text and "\\2-grams:\n" in text and text.endswith("\\end\\\n")
    assert "-99\t<s>\t" in text


MALFORMED = {
    "no header": ("hello\n", 1, "data"),
    "bad count line": ("\\data\\\nngram one=3\n", 2, "expected"),
    "wrong fields": ("\\data\\\nngram 1=2\n\n\\1-grams:\n-1.0\ta\n-1.0\tb\tc\td\n\\end\\\n", 6, "field"),
    "not a number": ("\\data\\\nngram 1=1\n\n\\1-grams:\nx\ta\n\\end\\\n", 5, "not a number"),
    "count mismatch": ("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\ta\n-1\tb\n\\end\\\n", 7, "announces 3"),
    "missing end": ("\\data\\\nngram 1=1\n\n\\1-grams:\n-1\ta\n", 5, "end"),
    "positive log prob": ("\\data\\\nngram 1=1\n\n\\1-grams:\n0.5\ta\n\\end\\\n", 5, "log10"),
    "unknown word": ("\\data\\\nngram 1=1\nngram 2=1\n\n\\1-grams:\n-1\ta\n\n\\2-grams:\n-1\ta b\n\\end\\\n", None,
                     "not among the unigrams"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_arpa(tmp_path, name):
    text, line, match = MALFORMED[name]
    path = tmp_path / "bad.arpa"
    path.write_text(text)
    pattern = f"bad.arpa:{line}:.*{match}" if line else match
    with pytest.raises(ValueError, match=pattern):
        read_arpa(path)


def test_kenlm_agrees_with_our_scores(tmp_path):
    kenlm = pytest.importorskip("kenlm", reason="the kenlm module is not installed (pip install kenlm)")
    corpus = [" ".join(s) for s in zipf_corpus(31, n_sentences=500)]
    test = [" ".join(s) for s in zipf_corpus(32, n_sentences=100)] + ["unseen words here", ""]
    for smoothing in SMOOTHINGS:
        lm = NGramLM(3, smoothing=smoothing).fit(corpus)
        path = tmp_path / f"{smoothing}.arpa"
        lm.to_arpa(path)
        model = kenlm.Model(str(path))
        ours = lm.scores(test, base=10)
        for bos in (True, False):
            for eos in (True, False):
                ours = lm.scores(test, base=10, bos=bos, eos=eos)
                theirs = np.array([model.score(s, bos=bos, eos=eos) for s in test])
                finite = np.isfinite(ours)  # MLE zeros are -99 in ARPA, -inf here
                assert (theirs[~finite] < -90).all()
                np.testing.assert_allclose(ours[finite], theirs[finite], atol=1e-4)
        assert finite.sum() > 0


# --- classifier ------------------------------------------------------------------------------
def test_classifier():
    a = [" ".join(s) for s in zipf_corpus(50, n_sentences=200, alphabet="abc")]
    b = [" ".join(s) for s in zipf_corpus(51, n_sentences=200, alphabet="xyz")]
    X, y = a[:150] + b[:150], ["a"] * 150 + ["b"] * 150
    X_test = [s for s in a[150:] + b[150:]]
    y_test = np.array(["a"] * 50 + ["b"] * 50)
    nonempty = np.array([bool(s) for s in X_test])
    clf = NGramClassifier(order=2).fit(X, y)
    assert clf.score(np.array(X_test)[nonempty], y_test[nonempty]) > 0.95
    proba = clf.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert proba.shape == (100, 2)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(X_test))
    assert clf.get_params()["order"] == 2 and clf.set_params(order=3) is clf
    with pytest.raises(ValueError, match="not fitted"):
        NGramClassifier().predict(["a"])


def test_classifier_with_kneser_ney_passes_model_options_through():
    a = [" ".join(s) for s in zipf_corpus(50, n_sentences=300, alphabet="abc")]
    b = [" ".join(s) for s in zipf_corpus(51, n_sentences=300, alphabet="xyz")]
    X, y = a[:250] + b[:250], ["a"] * 250 + ["b"] * 250
    X_test = [s for s in a[250:] + b[250:] if s]
    y_test = ["a" if s in a[250:] else "b" for s in X_test]
    clf = NGramClassifier(order=3, smoothing="kn", prune=(0, 0, 1), discount_fallback=True, min_count=2).fit(X, y)
    assert clf.score(X_test, y_test) > 0.95
    m = clf.models_[0]
    assert m.smoothing == "kn" and m._kind() == "kneser_ney" and tuple(m.prune) == (0, 0, 1) and m.min_count == 2
    assert clf.get_params()["prune"] == (0, 0, 1)
    with pytest.raises(ValueError, match="Invalid parameter"):
        clf.set_params(bogus=1)


# --- bad input -------------------------------------------------------------------------------
def test_bad_input(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        NGramCounts.from_file(missing)
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        NGramLM().fit(missing)
    with pytest.raises(FileNotFoundError, match="nope.arpa"):
        NGramLM.from_arpa(tmp_path / "nope.arpa")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n\t\n")
    with pytest.raises(ValueError, match="empty corpus"):
        NGramCounts.from_file(empty)
    with pytest.raises(ValueError, match="empty corpus"):
        NGramLM().fit([])
    for bad_order in (0, -1, 17):
        with pytest.raises(ValueError, match="order"):
            NGramCounts.from_sentences(["a b"], bad_order)
        with pytest.raises(ValueError, match="order"):
            NGramLM(bad_order).fit(["a b"])
    with pytest.raises(TypeError):
        NGramCounts.from_sentences(["a b"], 2.5)
    with pytest.raises(ValueError, match="smoothing"):
        NGramLM(smoothing="kneser").fit(["a"])
    with pytest.raises(ValueError, match="not fitted"):
        NGramLM().score("a")
    with pytest.raises(ValueError, match="reserved"):
        NGramCounts.from_sentences(["a b", "a <s> b"])
    reserved = tmp_path / "reserved.txt"
    reserved.write_text("a b\n\nc </s> d\n")
    with pytest.raises(ValueError, match=r"reserved.txt:3:.*reserved"):
        NGramCounts.from_file(reserved)
    with pytest.raises(ValueError, match="whitespace"):
        NGramCounts.from_sentences([["a b", "c"]])
    with pytest.raises(TypeError, match="single str"):
        NGramCounts.from_sentences("a b c")
    lm = NGramLM(2, smoothing="add_k").fit(["a b"])
    with pytest.raises(ValueError, match="temperature"):
        lm.generate(temperature=0)
    with pytest.raises(ValueError, match="strategy"):
        lm.generate(strategy="beam")
    with pytest.raises(ValueError, match="top_k"):
        lm.sample(2, top_k=0)


def test_non_utf8_bytes_pass_through(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\u00e9 au lait\ncaf\u00e9 noir\n".encode("latin-1") + b"\xff\xfe x\n")
    c = NGramCounts.from_file(path, 2)
    word = b"caf\xe9".decode("utf-8", "surrogateescape")
    assert c[word] == 2 and c[word, "noir"] == 1
    lm = NGramLM(2).fit(c)
    assert lm.prob("noir", [word]) == pytest.approx(0.5)
    lm.to_arpa(tmp_path / "m.arpa")
    assert NGramLM.from_arpa(tmp_path / "m.arpa").prob("noir", [word]) == pytest.approx(0.5)
    c.save(tmp_path / "c.npz")
    assert NGramCounts.load(tmp_path / "c.npz") == c


def test_corpus_of_only_unk():
    c = NGramCounts.from_sentences(["<unk> <unk>", "<unk>"], 3)
    assert c.vocab == ["<unk>", "<s>", "</s>"]
    assert c["<unk>"] == 3 and c["<unk> <unk>"] == 1
    for smoothing in SMOOTHINGS:
        lm = NGramLM(3, smoothing=smoothing).fit(c)
        assert lm.distribution(["<unk>"]).sum() == pytest.approx(1.0, abs=1e-12)
        assert np.isfinite(lm.score("never seen"))
        assert lm.generate(strategy="greedy") in ("", "<unk>", "<unk> <unk>")
    # min_count maps everything to <unk>
    c = NGramCounts.from_sentences(["a b", "c d"], 2, min_count=5)
    assert c.vocab == ["<unk>", "<s>", "</s>"] and c["<unk> <unk>"] == 2


def test_very_long_line(tmp_path):
    words = [f"w{i % 977}" for i in range(300_000)]
    path = tmp_path / "long.txt"
    path.write_text(" ".join(words))
    c = NGramCounts.from_file(path, 3)
    assert c.n_sentences == 1 and c.n_tokens == len(words)
    assert c.to_dict(3) == dict(ref.count_ngrams([words], 3)[3])


# --- real corpus ------------------------------------------------------------------------------
def kjv_train_lines():
    if os.path.exists(KJV_TRAIN):
        return KJV_TRAIN
    try:
        verses = datasets.load_kjv(split="train")
    except FileNotFoundError as exc:
        pytest.skip(f"King James Bible unavailable: {exc} and {KJV_TRAIN} is absent")
    return verses


def test_kjv_counts_equal_counter(tmp_path):
    src = kjv_train_lines()
    if isinstance(src, str):
        with open(src, encoding="utf-8") as f:
            lines = f.read().splitlines()
        c = NGramCounts.from_file(src, 3)
    else:
        lines = src
        c = NGramCounts.from_sentences(src, 3)
    tokens = [line.split() for line in lines]
    expected = ref.count_ngrams(tokens, 3)
    assert c.n_tokens == 831_324 and len(c.vocab) == 12_029 + 3
    assert c.sizes == [12_030, 129_367, 359_847]  # KenLM's counts, less <s> and <unk> unigrams
    for k in (1, 2, 3):
        assert c.to_dict(k) == dict(expected[k])


def test_kjv_loader_matches_prepared_text():
    try:
        verses = datasets.load_kjv()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    assert len(verses) == 31_102
    if os.path.exists(KJV_TRAIN):
        with open(KJV_TRAIN, encoding="utf-8") as f, open(KJV_TEST, encoding="utf-8") as g:
            ref_lines = f.read().splitlines() + g.read().splitlines()
        assert verses == ref_lines


def test_kjv_kenlm_scores(tmp_path):
    kenlm = pytest.importorskip("kenlm", reason="the kenlm module is not installed (pip install kenlm)")
    if not os.path.exists(KJV_TRAIN):
        pytest.skip(f"{KJV_TRAIN} is absent")
    lm = NGramLM(3, smoothing="add_k", k=0.1).fit(KJV_TRAIN)
    lm.to_arpa(tmp_path / "kjv.arpa")
    model = kenlm.Model(str(tmp_path / "kjv.arpa"))
    with open(KJV_TEST, encoding="utf-8") as f:
        test = f.read().splitlines()[:500]
    ours = lm.scores(test, base=10)
    theirs = np.array([model.score(s) for s in test])
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_pydoc_corpus():
    sentences = datasets.load_pydoc_text()
    assert len(sentences) > 1000 and sum(len(s.split()) for s in sentences) > 30_000
    lm = NGramLM(3, smoothing="add_k", k=0.01).fit(sentences[:-200])
    ppl = lm.perplexity(sentences[-200:])
    assert 10 < ppl < 5000


def test_empty_batches():
    lm = NGramLM(2, smoothing="add_k").fit(["a b"])
    assert lm.scores([]).shape == (0,)
    assert lm.token_logprobs([]).shape == (0,)
    assert lm.sample(0) == []
    with pytest.raises(ValueError, match="empty"):
        lm.perplexity([])
    assert np.isfinite(lm.score(""))  # an empty sentence still predicts </s>
    assert lm.score("", eos=False) == 0.0


def test_exact_lookup_mode_gives_the_same_scores(monkeypatch):
    corpus = zipf_corpus(61, n_sentences=200)
    test = zipf_corpus(62, n_sentences=50)
    fast = NGramLM(3, smoothing="add_k").fit(corpus)
    monkeypatch.setenv("INFOGEN_NGRAM_EXACT_LOOKUP", "1")
    exact = NGramLM(3, smoothing="add_k").fit(corpus)
    np.testing.assert_array_equal(exact.scores(test), fast.scores(test))
    assert exact.sample(20, random_state=3) == fast.sample(20, random_state=3)
    assert exact.distribution(["<s>"] + test[0][:1]).tolist() == fast.distribution(["<s>"] + test[0][:1]).tolist()


def test_reads_kenlm_arpa_and_reproduces_its_perplexity():
    """KenLM's own model of the KJV (lmplz -o 3): our query gives KenLM's test perplexity."""
    arpa = os.path.join(SHARED, "kjv3.kenlm.arpa.xz")
    if not os.path.exists(arpa):
        pytest.skip(f"{arpa} is absent")
    lm = NGramLM.from_arpa(arpa)
    assert [len(lm.vocab_)] + [g.shape[0] for g in lm.ngrams_] == [12_032, 129_367, 359_847]
    ev = lm.evaluate(KJV_TEST)
    assert ev["tokens"] == 82_049 and ev["predictions"] == 85_160 and ev["oov"] == 1_421
    assert round(ev["perplexity"], 3) == 130.685  # KenLM: including OOVs
    assert round(ev["perplexity_excluding_oov"], 3) == 112.367
    p = lm.distribution(["<s>", "and"])
    assert abs(p.sum() - 1) < 1e-4  # KenLM's float32 probabilities


def test_arpa_lines_streamed_in_slabs_equal_the_whole():
    lm = NGramLM(3, smoothing="kn", discount_fallback=True).fit(datasets.load_pydoc_text()[:300])
    vocab = [w.encode() for w in lm.vocab_]
    for k in (1, 2, 3):
        ngrams = None if k == 1 else lm.ngrams_[k - 2]
        logbo = lm.logbo_[k - 1] if k < 3 else None
        whole = _core.ngram_arpa_lines(k, ngrams, lm.logp_[k - 1], logbo, vocab, "0", 2)
        parts = []
        assert _core.ngram_arpa_lines(k, ngrams, lm.logp_[k - 1], logbo, vocab, "0", 2, parts.append, 7) is None
        assert b"".join(parts) == whole
        assert k == 1 or len(parts) == -(-lm.logp_[k - 1].shape[0] // 7)
    with pytest.raises(ValueError, match="slab_rows"):
        _core.ngram_arpa_lines(2, lm.ngrams_[0], lm.logp_[1], None, vocab, "0", 1, parts.append, 0)
