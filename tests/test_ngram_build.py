"""The count trie and the streaming Kneser-Ney build (infogen.ngram.build_arpa).

The in-memory path (count_ngrams -> NGramLM(kneser_ney) -> to_arpa) is the reference: it is
itself checked against the Python reference and against lmplz (test_ngram_kn.py), and the
streaming build must write the same file byte for byte.
"""
import gzip
import itertools
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from infogen import NGramLM, _core, cli
from infogen.ngram import BuildReport, NGramCounts, build_arpa
from infogen.ngram._text import encode
from infogen.reference import ngram as ref

KJV = Path(os.environ.get("INFOGEN_KJV_DIR", Path(__file__).resolve().parents[2] / "shared" / "data" / "kjv"))


def zipf_sentences(seed, n_sentences=300, vocab=200, max_len=12):
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    cum = list(itertools.accumulate(1 / (i + 1) for i in range(vocab)))
    return [" ".join(rng.choices(words, cum_weights=cum, k=rng.randint(1, max_len))) for _ in range(n_sentences)]


def write_corpus(path, sentences):
    path.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    return path


def reference_arpa(tmp_path, corpus, order, **kw):
    out = tmp_path / "reference.arpa"
    NGramLM(order, smoothing="kneser_ney", **kw).fit(corpus).to_arpa(out)
    return out.read_bytes()


def trie_of(sentences, order, threads=1):
    counts_ids = NGramCounts.from_sentences(sentences, 1)  # only for its vocabulary
    vocab = counts_ids.vocab
    index = {w: i for i, w in enumerate(vocab)}
    ids, offsets = [], [0]
    for s in sentences:
        ids.extend(index[w] for w in s.split())
        offsets.append(len(ids))
    ids = np.array(ids, dtype=np.uint32)
    offsets = np.array(offsets, dtype=np.int64)
    return _core.ngram_count_trie(ids, offsets, order, len(vocab), threads), ids, offsets, vocab


# --- the count trie ---------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 7), min_size=0, max_size=9), min_size=1, max_size=25),
       st.integers(1, 6))
def test_trie_holds_the_counts_of_count_ngrams(sentences, order):
    """Every order's n-grams and counts, as the sorted tables of the reference counter."""
    sentences = [" ".join(f"v{w}" for w in s) for s in sentences]
    if not any(sentences):
        sentences.append("v0")
    trie, ids, offsets, vocab = trie_of(sentences, order)
    tables, _ = _core.ngram_count(ids, offsets, order, len(vocab), 1)
    assert trie.sizes[0] == len(vocab)
    for k in range(1, order + 1):
        g, c = trie.table(k)
        np.testing.assert_array_equal(g, tables[k - 1][0].reshape(g.shape))
        np.testing.assert_array_equal(c, tables[k - 1][1])
        if k >= 2:
            assert trie.sizes[k - 1] == len(c)
    assert trie.n_tokens == ids.size
    assert trie.n_sentences == int(np.count_nonzero(np.diff(offsets)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 9), min_size=0, max_size=9), min_size=1, max_size=30),
       st.integers(1, 5), st.sampled_from([1, 2, 5, 17]), st.sampled_from([1, 40, 200]), st.sampled_from([1, 2]))
def test_trie_is_the_same_for_any_buckets_rounds_and_threads(sentences, order, bucket_windows, round_bytes,
                                                             threads):
    """Many small buckets, gathered in many rounds (one scan of the corpus each), on 1 or 2
    threads, give the trie of the defaults (one bucket, one round on corpora this small)."""
    sentences = [" ".join(f"v{w}" for w in s) for s in sentences]
    if not any(sentences):
        sentences.append("v0")
    trie, ids, offsets, vocab = trie_of(sentences, order)
    small = _core.ngram_count_trie(ids, offsets, order, len(vocab), threads, bucket_windows=bucket_windows,
                                   round_bytes=round_bytes)
    assert small.sizes == trie.sizes
    for k in range(1, order + 1):
        for got, want in zip(small.table(k), trie.table(k)):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("order", [1, 3, 6])
def test_large_corpus_counts_through_the_trie_are_the_same(tmp_path, monkeypatch, order):
    import infogen.ngram.counts as counts_mod

    corpus = write_corpus(tmp_path / "c.txt", zipf_sentences(8, n_sentences=2000, vocab=300))
    direct = NGramCounts.from_file(corpus, order)
    monkeypatch.setattr(counts_mod, "TRIE_MIN_TOKENS", 0)
    via_trie = NGramCounts.from_file(corpus, order)
    assert via_trie == direct
    assert via_trie.n_tokens == direct.n_tokens and via_trie.n_sentences == direct.n_sentences


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.integers(0, 6), min_size=0, max_size=8), min_size=1, max_size=20), st.integers(1, 5))
def test_trie_counts_equal_the_plain_python_reference(sentences, order):
    sentences = [" ".join(f"v{w}" for w in s) for s in sentences]
    if not any(sentences):
        sentences.append("v0")
    trie, ids, offsets, vocab = trie_of(sentences, order)
    expected = ref.count_ngrams([s.split() for s in sentences], order)
    for k in range(1, order + 1):
        g, c = trie.table(k)
        got = {tuple(vocab[i] for i in row): int(n) for row, n in zip(g.tolist(), c.tolist())}
        assert got == dict(expected[k])


def test_streamed_file_equals_the_plain_python_kneser_ney(tmp_path):
    """Read back, the streamed ARPA file holds the reference estimator's numbers (1e-10)."""
    sentences = zipf_sentences(21, n_sentences=500)
    build_arpa(sentences, tmp_path / "m.arpa", 3)
    lm = NGramLM.from_arpa(tmp_path / "m.arpa")
    logp, logbo, _ = ref.kneser_ney(ref.count_ngrams([s.split() for s in sentences], 3), lm.vocab_)
    for k in range(1, 4):
        rows = [(i,) for i in range(len(lm.vocab_))] if k == 1 else lm.ngrams_[k - 2].tolist()
        for row, p, b in zip(rows, lm.logp_[k - 1], lm.logbo_[k - 1]):
            g = tuple(lm.vocab_[i] for i in row)
            if g == ("<s>",):
                continue
            assert p == pytest.approx(logp[g], abs=1e-10), g
            assert b == pytest.approx(logbo.get(g, 0.0), abs=1e-10), g
    assert sum(1 for k in range(2, 4) for _ in lm.ngrams_[k - 2]) + len(lm.vocab_) == \
        sum(1 for g in logp if g != ("<s>",)) + 1


def test_trie_memory_is_eight_bytes_per_ngram_and_four_per_context():
    trie, *_ = trie_of(zipf_sentences(3), 4)
    m = trie.sizes
    assert trie.nbytes == 4 * m[0] + 8 * sum(m[1:]) + 4 * (m[0] + 1) + 4 * sum(x + 1 for x in m[1:-1])


def test_trie_is_the_same_with_one_or_two_threads():
    sentences = zipf_sentences(5, n_sentences=3000, vocab=400)
    one, *_ = trie_of(sentences, 5, threads=1)
    two, *_ = trie_of(sentences, 5, threads=2)
    for k in range(1, 6):
        for a, b in zip(one.table(k), two.table(k)):
            np.testing.assert_array_equal(a, b)


def test_trie_rejects_bad_ids_and_unpackable_orders():
    ids = np.array([3, 1, 4], dtype=np.uint32)  # 1 is <s>: not allowed inside a sentence
    offsets = np.array([0, 3], dtype=np.int64)
    with pytest.raises(ValueError, match="sentence boundary"):
        _core.ngram_count_trie(ids, offsets, 3, 5, 1)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        _core.ngram_count_trie(np.array([9], dtype=np.uint32), np.array([0, 1], dtype=np.int64), 3, 5, 1)
    assert not _core.ngram_count_trie_supported(16, 300)  # 16 x 9 bits > 128
    with pytest.raises(ValueError, match="128-bit"):
        _core.ngram_count_trie(np.array([3], dtype=np.uint32), np.array([0, 1], dtype=np.int64), 16, 300, 1)


# --- build_arpa: byte for byte the in-memory path -----------------------------------------------
@pytest.mark.parametrize("order", [1, 2, 3, 5])
@pytest.mark.parametrize("seed", [0, 1])
def test_build_arpa_writes_the_in_memory_models_file(tmp_path, order, seed):
    corpus = write_corpus(tmp_path / "c.txt", zipf_sentences(seed, n_sentences=400 + 300 * seed))
    rep = build_arpa(corpus, tmp_path / "s.arpa", order, discount_fallback=True)
    assert (tmp_path / "s.arpa").read_bytes() == reference_arpa(tmp_path, corpus, order, discount_fallback=True)
    assert isinstance(rep, BuildReport) and rep.order == order and len(rep.sizes) == order
    lm = NGramLM(order, smoothing="kn", discount_fallback=True).fit(corpus)
    assert rep.sizes == tuple([len(lm.vocab_)] + [g.shape[0] for g in lm.ngrams_])
    np.testing.assert_array_equal(np.array(rep.discounts), np.array(lm.discounts_))
    assert list(rep.count_of_counts) == lm.count_of_counts_
    assert rep.n_tokens == lm.counts_.n_tokens and rep.n_sentences == lm.counts_.n_sentences


@pytest.mark.parametrize("prune", [(0, 1), (0, 1, 2), (0, 0, 1), (0, 2, 2, 3)])
def test_build_arpa_prunes_like_the_in_memory_model(tmp_path, prune):
    corpus = write_corpus(tmp_path / "c.txt", zipf_sentences(7, n_sentences=800, vocab=60))
    build_arpa(corpus, tmp_path / "s.arpa", 4, prune=prune, discount_fallback=True)
    expected = reference_arpa(tmp_path, corpus, 4, prune=prune, discount_fallback=True)
    assert (tmp_path / "s.arpa").read_bytes() == expected


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5), min_size=1, max_size=8), min_size=1, max_size=30), st.integers(1, 4))
def test_build_arpa_matches_on_arbitrary_small_corpora(tmp_path_factory, sentences, order):
    """Tiny corpora exercise the fallback discounts and one-word sentences."""
    tmp = tmp_path_factory.mktemp("b")
    corpus = [" ".join(f"u{w}" for w in s) for s in sentences]
    build_arpa(corpus, tmp / "s.arpa", order, discount_fallback=True)
    expected = tmp / "r.arpa"
    NGramLM(order, smoothing="kn", discount_fallback=True).fit(corpus).to_arpa(expected)
    assert (tmp / "s.arpa").read_bytes() == expected.read_bytes()


def test_build_arpa_slabs_threads_and_vocabulary_limits(tmp_path):
    """Slab boundaries, 1 or 2 threads and min_count/max_vocab change nothing in the file."""
    sentences = zipf_sentences(11, n_sentences=5000, vocab=3000)
    corpus = write_corpus(tmp_path / "c.txt", sentences)
    one = build_arpa(corpus, tmp_path / "one.arpa", 3, n_threads=1, min_count=2, discount_fallback=True)
    build_arpa(corpus, tmp_path / "two.arpa", 3, n_threads=2, min_count=2, discount_fallback=True)
    assert (tmp_path / "one.arpa").read_bytes() == (tmp_path / "two.arpa").read_bytes()
    assert (tmp_path / "one.arpa").read_bytes() == reference_arpa(tmp_path, corpus, 3, min_count=2, discount_fallback=True)
    assert one.n_types < 3000
    build_arpa(corpus, tmp_path / "mv.arpa", 3, max_vocab=100, discount_fallback=True)
    assert (tmp_path / "mv.arpa").read_bytes() == reference_arpa(tmp_path, corpus, 3, max_vocab=100, discount_fallback=True)
    # tiny slabs through the core: the pieces join into the same text
    trie, *_ = trie_of(sentences, 3)
    pieces = []
    vocab = NGramCounts.from_sentences(sentences, 1).vocab
    _core.ngram_write_kn_arpa(trie, encode(vocab), [], [0.5, 1.0, 1.5], 2, lambda mv: pieces.append(bytes(mv)), 7)
    assert len(pieces) > 100
    assert b"".join(pieces) == reference_arpa(tmp_path, sentences, 3, discount_fallback=True)
    with pytest.raises(ValueError, match="empty"):  # the trie was consumed
        _core.ngram_write_kn_arpa(trie, encode(vocab), [], [], 2, pieces.append)


def test_float_precision_like_kenlm(tmp_path):
    """precision="float": both routes write the same, smaller file; every number reads back
    within float rounding of the double file's, and the model scores the same."""
    sentences = zipf_sentences(17, n_sentences=800)
    build_arpa(sentences, tmp_path / "d.arpa", 4)
    build_arpa(sentences, tmp_path / "f.arpa", 4, precision="float")
    NGramLM(4, smoothing="kn").fit(sentences).to_arpa(tmp_path / "r.arpa", precision="float")
    assert (tmp_path / "f.arpa").read_bytes() == (tmp_path / "r.arpa").read_bytes()
    assert (tmp_path / "f.arpa").stat().st_size < 0.9 * (tmp_path / "d.arpa").stat().st_size
    d, f = NGramLM.from_arpa(tmp_path / "d.arpa"), NGramLM.from_arpa(tmp_path / "f.arpa")
    for k in range(4):
        finite = np.isfinite(d.logp_[k])
        np.testing.assert_array_equal(np.isfinite(f.logp_[k]), finite)
        # rounding to a float, then its shortest decimal: each within half a float ulp
        np.testing.assert_allclose(f.logp_[k][finite], d.logp_[k][finite], rtol=2.4e-7, atol=0)
        np.testing.assert_allclose(f.logbo_[k], d.logbo_[k], rtol=2.4e-7, atol=0)
    np.testing.assert_allclose(f.scores(sentences[:50]), d.scores(sentences[:50]), rtol=1e-6)
    # each number is the shortest decimal of a float: at most 9 significant digits
    for line in (tmp_path / "f.arpa").read_text().splitlines():
        fields = line.split("\t")
        if len(fields) >= 2:
            for x in (fields[0], *fields[2:]):
                digits = x.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
                assert len(digits) <= 9, line
    with pytest.raises(ValueError, match="precision must be"):
        build_arpa(sentences, tmp_path / "x.arpa", 3, precision="half")


def test_build_arpa_reports_each_slab(tmp_path):
    calls = []
    rep = build_arpa(zipf_sentences(3), tmp_path / "m.arpa", 3, write_progress=lambda *a: calls.append(a))
    assert [k for k, _, _ in calls] == [1, 2, 3]  # one slab per order at this size
    assert [(done, total) for _, done, total in calls] == [(n, n) for n in rep.sizes]


def test_build_arpa_accepts_sentences_lists_of_paths_and_compresses(tmp_path):
    sentences = zipf_sentences(4)
    a = write_corpus(tmp_path / "a.txt", sentences[:150])
    b = write_corpus(tmp_path / "b.txt", sentences[150:])
    build_arpa([a, b], tmp_path / "files.arpa.gz", 3)
    build_arpa(sentences, tmp_path / "sents.arpa", 3)
    with gzip.open(tmp_path / "files.arpa.gz", "rb") as f:
        assert f.read() == (tmp_path / "sents.arpa").read_bytes() == reference_arpa(tmp_path, sentences, 3)


def test_build_arpa_beyond_128_bit_keys_counts_with_the_hash_counter(tmp_path):
    """Order 16 with 300 word types does not pack into 128 bits: the hash counter's tables
    go into the trie, with the same file as a result."""
    rng = random.Random(0)
    sentences = [" ".join(f"t{rng.randrange(300)}" for _ in range(rng.randint(1, 30))) for _ in range(400)]
    rep = build_arpa(sentences, tmp_path / "s.arpa", 16, discount_fallback=True)
    assert (tmp_path / "s.arpa").read_bytes() == reference_arpa(tmp_path, sentences, 16, discount_fallback=True)
    assert rep.trie_bytes > 0 and len(rep.sizes) == 16 and any(rep.used_fallback)


def test_build_arpa_from_counts_and_out_of_core(tmp_path):
    """NGramCounts (e.g. merged by a distributed count) and a memory budget (spilled runs read
    back in chunks) give the same file."""
    import infogen.ngram.build as build

    sentences = zipf_sentences(12, n_sentences=3000, vocab=500)
    corpus = write_corpus(tmp_path / "c.txt", sentences)
    expected = reference_arpa(tmp_path, corpus, 4)
    counts = NGramCounts.from_file(corpus, 5)
    build_arpa(counts, tmp_path / "counts.arpa", 4)
    assert (tmp_path / "counts.arpa").read_bytes() == expected
    old = build._CHUNK_ROWS
    build._CHUNK_ROWS = 1000  # many chunks per order
    try:
        rep = build_arpa(corpus, tmp_path / "ooc.arpa", 4, memory="1M", temp_dir=tmp_path)
    finally:
        build._CHUNK_ROWS = old
    assert (tmp_path / "ooc.arpa").read_bytes() == expected
    assert set(rep.seconds) == {"count", "trie", "estimate"}
    # the vocabulary limits under a budget (a first pass fixes the vocabulary)
    build_arpa(corpus, tmp_path / "mc.arpa", 3, min_count=3, max_vocab=200, discount_fallback=True)
    build_arpa(corpus, tmp_path / "mc_ooc.arpa", 3, min_count=3, max_vocab=200, discount_fallback=True,
               memory="1M", temp_dir=tmp_path)
    assert (tmp_path / "mc_ooc.arpa").read_bytes() == (tmp_path / "mc.arpa").read_bytes()
    assert not [p for p in os.listdir(tmp_path) if p.startswith("infogen-count-")]  # runs removed
    with pytest.raises(ValueError, match="pass paths"):
        build_arpa(sentences, tmp_path / "x.arpa", 3, memory="1M")
    with pytest.raises(ValueError, match="apply when counting text"):
        build_arpa(counts, tmp_path / "x.arpa", 3, min_count=2)
    with pytest.raises(ValueError, match="counts of order 5 cannot build"):
        build_arpa(counts, tmp_path / "x.arpa", 6)


def test_trie_builder_rejects_what_is_not_counts_of_one_corpus():
    def builder():
        return _core._TrieBuilder(2, 6, [0, 2])

    u = (np.array([[3], [4]], dtype=np.uint32), np.array([2, 1], dtype=np.int64))
    ok = builder()
    ok.add(1, *u)
    ok.add(2, np.array([[3, 4], [4, 5]], dtype=np.uint32), np.array([1, 1], dtype=np.int64))
    assert ok.finish(3, 1).table(2)[1].tolist() == [1, 1]
    cases = [
        (np.array([[4, 5], [3, 4]], dtype=np.uint32), np.array([1, 1], dtype=np.int64), "not sorted"),
        (np.array([[3, 4], [3, 4]], dtype=np.uint32), np.array([1, 1], dtype=np.int64), "not sorted"),
        (np.array([[3, 4], [3, 9]], dtype=np.uint32), np.array([1, 1], dtype=np.int64), "outside the vocabulary"),
        (np.array([[3, 4], [3, 5]], dtype=np.uint32), np.array([1, 0], dtype=np.int64), "below 1"),
    ]
    for g, c, msg in cases:
        b = builder()
        b.add(1, *u)
        with pytest.raises(ValueError, match=msg):
            b.add(2, g, c)
    b = _core._TrieBuilder(3, 6, [0, 1, 1])
    b.add(1, *u)
    b.add(2, np.array([[3, 4]], dtype=np.uint32), np.array([1], dtype=np.int64))
    with pytest.raises(ValueError, match="first words are not an n-gram of the order below"):
        b.add(3, np.array([[4, 4, 4]], dtype=np.uint32), np.array([1], dtype=np.int64))
    b = builder()
    with pytest.raises(ValueError, match="in turn"):
        b.add(2, np.array([[3, 4]], dtype=np.uint32), np.array([1], dtype=np.int64))
    b = builder()
    b.add(1, *u)
    with pytest.raises(ValueError, match="announced with 2 rows, got 0"):
        b.finish(3, 1)
    with pytest.raises(ValueError, match="unigram"):
        builder().add(1, np.array([[1]], dtype=np.uint32), np.array([1], dtype=np.int64))


def test_build_arpa_errors_leave_no_file(tmp_path):
    out = tmp_path / "m.arpa"
    with pytest.raises(FileNotFoundError, match="not found"):
        build_arpa(tmp_path / "missing.txt", out, 3)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        build_arpa(["a b"], tmp_path / "no" / "m.arpa", 3)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(ValueError, match="empty corpus"):
        build_arpa(empty, out, 3)
    with pytest.raises(ValueError, match="non-decreasing"):
        build_arpa(["a b"], out, 3, prune=(0, 2, 1))
    with pytest.raises(ValueError, match="order"):
        build_arpa(["a b"], out, 0)
    # tiny data: lmplz's message without a fallback, and nothing written
    with pytest.raises(ValueError, match="Could not calculate Kneser-Ney discounts"):
        build_arpa(["a b", "b a"], out, 2)
    assert not out.exists() and os.listdir(tmp_path) == ["empty.txt"]


def test_build_arpa_sink_failure_removes_the_partial_file(tmp_path, monkeypatch):
    """A write error (disk full) propagates and leaves neither the file nor its temp."""
    import infogen.ngram.build as build

    class Full:
        def __init__(self):
            self.n = 0

        def write(self, data):
            self.n += 1
            if self.n == 3:
                raise OSError(28, "No space left on device")

    from contextlib import contextmanager

    @contextmanager
    def full_output(path):
        yield Full()

    monkeypatch.setattr(build, "arpa_output", full_output)
    with pytest.raises(OSError, match="No space left"):
        build_arpa(zipf_sentences(1), tmp_path / "m.arpa", 3)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_killed_mid_build_leaves_no_file(tmp_path, sig):
    """Ctrl-C or a kill while the file is being written: neither it nor its temp file stays."""
    corpus = write_corpus(tmp_path / "c.txt", zipf_sentences(2, n_sentences=4000))
    out = tmp_path / "out" / "m.arpa"
    out.parent.mkdir()
    # The child's output stream announces its first write, then waits to be interrupted there.
    script = textwrap.dedent(f"""
        import contextlib, signal, sys, time
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import infogen.ngram.build as build
        real = build.arpa_output

        @contextlib.contextmanager
        def slow_output(path):
            with real(path) as stream:
                class Slow:
                    def write(self, data):
                        stream.write(data)
                        print("writing", flush=True)
                        time.sleep(60)
                yield Slow()

        build.arpa_output = slow_output
        build.build_arpa({str(corpus)!r}, {str(out)!r}, 3, discount_fallback=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline().strip()
    assert line == b"writing", proc.communicate(timeout=60)[1].decode()[-2000:]
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert (b"KeyboardInterrupt" in err) if sig == signal.SIGINT else proc.returncode == 143
    assert os.listdir(out.parent) == []


def test_cli_build_kneser_ney_streams(tmp_path, capsys, monkeypatch):
    import infogen.ngram.cli as ngram_cli

    def no_counts(*args):
        raise AssertionError("the streaming build must not count into NGramCounts")

    monkeypatch.setattr(ngram_cli, "_read_counts", no_counts)
    corpus = write_corpus(tmp_path / "c.txt", zipf_sentences(9, n_sentences=600))
    out = tmp_path / "kn.arpa"
    assert cli.main(["ngram", "build", str(corpus), "-o", "4", "-s", "kn", "--output", str(out), "-q"]) == 0
    err = capsys.readouterr().err
    assert "phases: read" in err and "count trie" in err and "n-grams per order: 1:" in err
    assert out.read_bytes() == reference_arpa(tmp_path, corpus, 4)
    # under a budget, and from a counts file of `ngram count`
    assert cli.main(["ngram", "build", str(corpus), "-o", "4", "-s", "kn", "-S", "1M", "-T", str(tmp_path),
                     "--output", str(tmp_path / "ooc.arpa"), "-q"]) == 0
    assert (tmp_path / "ooc.arpa").read_bytes() == out.read_bytes()
    NGramCounts.from_file(corpus, 4).save(tmp_path / "c.npz")
    assert cli.main(["ngram", "build", str(tmp_path / "c.npz"), "-o", "4", "-s", "kn",
                     "--output", str(tmp_path / "npz.arpa"), "-q"]) == 0
    assert (tmp_path / "npz.arpa").read_bytes() == out.read_bytes()


def test_kjv_build_arpa_is_the_in_memory_file(tmp_path):
    """On real text (many line chunks and slabs): the file the lmplz-checked path writes."""
    train = KJV / "kjv.train.txt"
    if not train.exists():
        pytest.skip(f"{train} is absent (set INFOGEN_KJV_DIR to the folder with the KJV split)")
    rep = build_arpa(train, tmp_path / "s.arpa", 5)
    assert rep.sizes == (12032, 129367, 359847, 549524, 641067)  # lmplz's counts (kjv5.kenlm.arpa.xz)
    assert (tmp_path / "s.arpa").read_bytes() == reference_arpa(tmp_path, train, 5)
