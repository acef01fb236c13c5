"""The .ngram model file (memory-mapped), KenLM's decoder API, pickling and the pipes of issue 17."""
import bz2
import copy
import gzip
import lzma
import math
import os
import pickle
import struct
import subprocess
import sys

import numpy as np
import pytest
from infogen import NGramClassifier, NGramLM, cli
from infogen.ngram import NGramCounts

CORPUS = ["waste of time and money", "a waste of money", "what a waste of time", "best movie ever",
          "a waste of a good movie", "the best of times", "what a movie"]
TEST = ["a waste of good time", "the movie of the year", "what a waste", "unknown words here", ""]


def zipf_sentences(seed, n=400, vocab=300):
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1)
    p /= p.sum()
    return [" ".join(f"w{i}" for i in rng.choice(vocab, size=rng.integers(1, 15), p=p)) for _ in range(n)]


@pytest.fixture(scope="module", params=["mle", "add_k", "stupid_backoff", "kn"])
def fitted(request):
    text = CORPUS + zipf_sentences(1)
    extra = {"discount_fallback": True} if request.param == "kn" else {}
    return NGramLM(3, smoothing=request.param, **extra).fit(text)


def assert_same_queries(a, b, texts):
    np.testing.assert_array_equal(a.scores(texts), b.scores(texts))
    np.testing.assert_array_equal(a.token_logprobs(texts), b.token_logprobs(texts))
    for ctx in ([], ["a"], ["<s>", "what"], ["w1", "w2"]):
        np.testing.assert_array_equal(a.distribution(ctx), b.distribution(ctx))
    assert a.sample(5, random_state=3) == b.sample(5, random_state=3)
    assert a.generate(strategy="greedy") == b.generate(strategy="greedy")
    assert a.complete(["a"], k=3) == b.complete(["a"], k=3)
    assert a.fill_candidates("what a _ of time", k=3) == b.fill_candidates("what a _ of time", k=3)


def test_save_load_gives_identical_queries(tmp_path, fitted):
    path = tmp_path / "m.ngram"
    fitted.save(path)
    lm = NGramLM.load(path)
    assert lm.memory_mapped_ and not fitted.memory_mapped_
    assert lm.order == 3 and lm.smoothing == fitted._kind() and lm.vocab_ == fitted.vocab_
    assert_same_queries(fitted, lm, TEST + CORPUS)
    for a, b in zip(lm.ngrams_, fitted.ngrams_):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(lm.logp_ + lm.logbo_[:-1], fitted.logp_ + fitted.logbo_[:-1]):
        np.testing.assert_array_equal(a, b)
    if fitted._kind() == "kneser_ney":
        assert lm.discounts_ == fitted.discounts_
    # the load maps the file: it does not grow with the model (checked: no parse, one call)
    assert lm._cpp.mapped and lm._cpp.nbytes == os.path.getsize(path)


def test_arpa_to_model_file_to_arpa_is_byte_identical(tmp_path, fitted):
    arpa = tmp_path / "a.arpa"
    fitted.to_arpa(arpa)
    NGramLM.from_arpa(arpa).save(tmp_path / "a.ngram")
    NGramLM.load(tmp_path / "a.ngram").to_arpa(tmp_path / "b.arpa")
    assert (tmp_path / "b.arpa").read_bytes() == arpa.read_bytes()
    assert cli.main(["ngram", "convert", str(arpa), str(tmp_path / "c.ngram")]) == 0
    assert cli.main(["ngram", "convert", str(tmp_path / "c.ngram"), str(tmp_path / "c.arpa")]) == 0
    assert (tmp_path / "c.arpa").read_bytes() == arpa.read_bytes()


def test_float_precision_is_within_its_stated_tolerance(tmp_path, fitted):
    fitted.save(tmp_path / "f.ngram", precision="float")
    lm = NGramLM.load(tmp_path / "f.ngram")
    a, b = fitted.token_logprobs(TEST + CORPUS), lm.token_logprobs(TEST + CORPUS)
    finite = np.isfinite(a)
    np.testing.assert_array_equal(finite, np.isfinite(b))
    np.testing.assert_allclose(b[finite], a[finite], rtol=1e-6, atol=1e-7)
    assert os.path.getsize(tmp_path / "f.ngram") < os.path.getsize(fitted.save(tmp_path / "d.ngram") or
                                                                  tmp_path / "d.ngram")


def test_every_path_gives_the_same_scores(tmp_path):
    lm = NGramLM(3, smoothing="kn", discount_fallback=True).fit(CORPUS + zipf_sentences(2))
    lm.to_arpa(tmp_path / "m.arpa")
    lm.save(tmp_path / "m.npz")
    lm.save(tmp_path / "m.ngram")
    with open(tmp_path / "m.arpa", "rb") as f:
        (tmp_path / "m.arpa.gz").write_bytes(gzip.compress(f.read()))
    ref = lm.token_logprobs(TEST)
    for name in ("m.npz", "m.ngram"):  # binary: the same doubles
        np.testing.assert_array_equal(NGramLM.load(tmp_path / name).token_logprobs(TEST), ref)
    from_arpa = NGramLM.load(tmp_path / "m.arpa").token_logprobs(TEST)  # log10 text: within an ulp or two
    np.testing.assert_allclose(from_arpa, ref, rtol=1e-14)
    np.testing.assert_array_equal(NGramLM.load(tmp_path / "m.arpa.gz").token_logprobs(TEST), from_arpa)


# --- bad files ---------------------------------------------------------------------------------

@pytest.fixture
def small_file(tmp_path):
    path = tmp_path / "s.ngram"
    NGramLM(2, smoothing="add_k").fit(CORPUS).save(path)
    return path


def test_truncated_and_corrupt_files_name_the_file(tmp_path, small_file):
    data = small_file.read_bytes()
    cut = tmp_path / "cut.ngram"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.ngram.*truncated"):
        NGramLM.load(cut)
    short = tmp_path / "short.ngram"
    short.write_bytes(data[:100])
    with pytest.raises(ValueError, match=r"short\.ngram.*too short"):
        NGramLM.load(short)
    flipped = bytearray(data)
    flipped[40] ^= 0xFF  # a header field
    (tmp_path / "hdr.ngram").write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match=r"hdr\.ngram.*header is corrupt"):
        NGramLM.load(tmp_path / "hdr.ngram")
    newer = bytearray(data)
    newer[16:20] = struct.pack("<I", 99)  # the format version
    (tmp_path / "v99.ngram").write_bytes(bytes(newer))
    with pytest.raises(ValueError, match=r"v99\.ngram.*format version 99"):
        NGramLM.load(tmp_path / "v99.ngram")
    body = bytearray(data)
    body[-8] ^= 0x01  # content: loads (the header is intact) but verify finds it
    (tmp_path / "body.ngram").write_bytes(bytes(body))
    NGramLM.load(tmp_path / "body.ngram")
    with pytest.raises(ValueError, match=r"body\.ngram.*checksum"):
        NGramLM.load(tmp_path / "body.ngram", verify=True)
    assert NGramLM.load(small_file, verify=True).vocab_size > 3


def test_foreign_and_missing_files(tmp_path):
    kenlm = tmp_path / "model.binary"
    kenlm.write_bytes(b"mmap lm http://kheafield.com/code format version 5\n\0" + bytes(200))
    with pytest.raises(ValueError, match=r"model\.binary is a KenLM binary model"):
        NGramLM.load(kenlm)
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        NGramLM.load(tmp_path / "empty")
    (tmp_path / "text.txt").write_text("just some words\n")
    with pytest.raises(ValueError, match=r"text\.txt is not a model file"):
        NGramLM.load(tmp_path / "text.txt")
    (tmp_path / "model.zst").write_bytes(b"\x28\xb5\x2f\xfd" + bytes(20))  # zstd: not read
    with pytest.raises(ValueError, match=r"model\.zst is not a model file"):
        NGramLM.load(tmp_path / "model.zst")
    with pytest.raises(FileNotFoundError):
        NGramLM.load(tmp_path / "missing.ngram")
    with pytest.raises(IsADirectoryError):
        NGramLM.load(tmp_path)
    npz = tmp_path / "cut.npz"
    NGramLM(2).fit(CORPUS).save(npz)
    npz.write_bytes(npz.read_bytes()[:60])
    with pytest.raises(ValueError, match=r"cut\.npz"):
        NGramLM.load(npz)


def test_cli_reports_bad_model_files_with_exit_code_2(tmp_path, capsys):
    (tmp_path / "bad.ngram").write_bytes(b"infogen-ngram\0\0\0" + bytes(10))
    (tmp_path / "t.txt").write_text("a b\n")
    assert cli.main(["ngram", "score", str(tmp_path / "bad.ngram"), str(tmp_path / "t.txt")]) == 2
    assert "bad.ngram" in capsys.readouterr().err
    (tmp_path / "m.arpa.gz").write_bytes(gzip.compress(b"\\data\\\nngram 1=3\n")[:20])
    assert cli.main(["ngram", "score", str(tmp_path / "m.arpa.gz"), str(tmp_path / "t.txt")]) == 2
    assert "m.arpa.gz" in capsys.readouterr().err


def test_fuzzed_model_files_never_crash(tmp_path, small_file):
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    data = small_file.read_bytes()

    @hypothesis.settings(max_examples=150, deadline=None, database=None)
    @hypothesis.given(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)), min_size=1,
                               max_size=8),
                      st.one_of(st.none(), st.integers(0, len(data))))
    def run(flips, cut):
        buf = bytearray(data)
        for pos, x in flips:
            buf[pos] ^= x
        if cut is not None:
            buf = buf[:cut]
        path = tmp_path / "fuzz.ngram"
        path.write_bytes(bytes(buf))
        try:
            lm = NGramLM.load(path)
        except ValueError:
            return
        # a corrupt body (the header checks cannot see it) must still never crash a query
        lm.token_logprobs(TEST)
        lm.distribution(["a"])
        lm.sample(2, random_state=0, max_words=5)
        if bytes(buf) != data:
            with pytest.raises(ValueError):
                NGramLM.load(path, verify=True)

    run()


# --- pickle, copies, processes ----------------------------------------------------------------

def test_pickle_deepcopy_and_joblib(tmp_path, small_file):
    mem = NGramLM(3, smoothing="kn", discount_fallback=True).fit(CORPUS)
    for lm in (mem, NGramLM.load(small_file)):
        for twin in (pickle.loads(pickle.dumps(lm)), copy.deepcopy(lm), copy.copy(lm)):
            assert_same_queries(lm, twin, TEST)
            assert twin.memory_mapped_ == lm.memory_mapped_
    blob = pickle.dumps(NGramLM.load(small_file))
    assert len(blob) < 2000  # the path and checksums, not the tables
    joblib = pytest.importorskip("joblib")
    joblib.dump(mem, tmp_path / "m.joblib")
    assert_same_queries(mem, joblib.load(tmp_path / "m.joblib"), TEST)


def test_pickled_mapped_model_notices_a_changed_or_missing_file(tmp_path, small_file):
    blob = pickle.dumps(NGramLM.load(small_file))
    NGramLM(2, smoothing="mle").fit(CORPUS[:3]).save(small_file)
    with pytest.raises(ValueError, match="changed since it was pickled"):
        pickle.loads(blob)
    blob = pickle.dumps(NGramLM.load(small_file))
    small_file.unlink()
    with pytest.raises(FileNotFoundError, match="no longer exists"):
        pickle.loads(blob)


def _score_in_child(lm):
    return lm.scores(TEST).tolist()


def test_models_go_through_multiprocessing(small_file):
    import multiprocessing as mp

    models = [NGramLM(2, smoothing="add_k").fit(CORPUS), NGramLM.load(small_file)]
    with mp.get_context("spawn").Pool(2) as pool:
        got = pool.map(_score_in_child, models)
    for lm, scores in zip(models, got):
        np.testing.assert_array_equal(scores, lm.scores(TEST))


def test_classifier_pickles_and_keeps_predicting():
    clf = NGramClassifier(order=2).fit(["waste of time", "a waste", "a masterpiece", "truly great"],
                                       ["bad", "bad", "good", "good"])
    twin = pickle.loads(pickle.dumps(clf))
    assert twin.predict(["what a waste", "a masterpiece"]).tolist() == ["bad", "good"]
    np.testing.assert_array_equal(twin.predict_proba(TEST[:3]), clf.predict_proba(TEST[:3]))


# --- KenLM's decoder API ----------------------------------------------------------------------

def test_advance_sums_to_score_and_full_scores(fitted):
    for sentence in TEST[:4] + CORPUS:
        state, total = fitted.begin_state(), 0.0
        for w in sentence.split() + ["</s>"]:
            lp, state = fitted.advance(state, w)
            total += lp
        assert total == pytest.approx(fitted.score(sentence), abs=1e-9)
        full = list(fitted.full_scores(sentence))
        np.testing.assert_allclose([lp for lp, _, _ in full], fitted.token_logprobs([sentence]), atol=0)
        assert [oov for _, _, oov in full] == [w not in fitted for w in sentence.split()] + [False]
        assert all(1 <= n <= 3 for _, n, _ in full)
    lp10 = [lp for lp, _, _ in fitted.full_scores("what a waste", base=10)]
    np.testing.assert_allclose(lp10, fitted.token_logprobs(["what a waste"]) / math.log(10))


def test_states_are_small_hashable_and_merge_equal_contexts():
    lm = NGramLM(3, smoothing="add_k").fit(CORPUS)
    s0 = lm.begin_state()
    assert s0 == (1,) and lm.null_state() == ()
    _, s1 = lm.advance(s0, "zzz")  # an unknown word: the model keeps only what it found
    _, s2 = lm.advance(lm.null_state(), "qqq")
    assert s1 == s2 and hash(s1) == hash(s2) and len(s1) <= 2
    _, s3 = lm.advance(lm.advance(s0, "a")[1], "waste")
    assert len(s3) == 2
    with pytest.raises(ValueError):
        lm.advance(s0, "two words")
    with pytest.raises(ValueError):
        lm.advance(s0, "<s>")
    with pytest.raises(TypeError):
        lm.advance("not a state", "a")
    assert "waste" in lm and "</s>" in lm and "zebra" not in lm and 3 not in lm
    assert lm.perplexity("what a waste of time") == pytest.approx(lm.perplexity(["what a waste of time"]))


def test_logprob_takes_one_word():
    lm = NGramLM(2).fit(CORPUS)
    for bad in ("the cat", "", " a"):
        with pytest.raises(ValueError, match="one token"):
            lm.logprob(bad)


def test_full_scores_match_the_kenlm_module(tmp_path):
    kenlm = pytest.importorskip("kenlm", reason="the kenlm module is not installed (pip install kenlm)")
    lm = NGramLM(3, smoothing="kn", discount_fallback=True).fit(CORPUS + zipf_sentences(5))
    lm.to_arpa(tmp_path / "m.arpa")
    ref = kenlm.Model(str(tmp_path / "m.arpa"))
    lm.save(tmp_path / "m.ngram")
    mine = NGramLM.load(tmp_path / "m.ngram")
    for sentence in TEST[:4] + zipf_sentences(6, n=20):
        ours = list(mine.full_scores(sentence, base=10))
        theirs = list(ref.full_scores(sentence))
        np.testing.assert_allclose([x[0] for x in ours], [x[0] for x in theirs], atol=2e-6)
        assert [x[1:] for x in ours] == [tuple(x[1:]) for x in theirs]
        assert mine.perplexity(sentence) == pytest.approx(ref.perplexity(sentence), rel=1e-6)
        state, kstate = mine.begin_state(), kenlm.State()
        ref.BeginSentenceWrite(kstate)
        for w in sentence.split():
            out = kenlm.State()
            theirs_lp = ref.BaseScore(kstate, w, out)
            ours_lp, state = mine.advance(state, w, base=10)
            assert ours_lp == pytest.approx(theirs_lp, abs=2e-6)
            kstate = out


# --- compressed input, outputs, permissions ---------------------------------------------------

@pytest.mark.parametrize("ext,compress", [(".gz", gzip.compress), (".xz", lzma.compress), (".bz2", bz2.compress)])
def test_compressed_corpora_are_read_transparently(tmp_path, ext, compress):
    text = "\n".join(CORPUS) + "\n"
    plain = tmp_path / "c.txt"
    plain.write_text(text)
    packed = tmp_path / f"c.txt{ext}"
    packed.write_bytes(compress(text.encode()))
    assert NGramCounts.from_file(packed, 3) == NGramCounts.from_file(plain, 3)
    assert NGramCounts.from_file(packed, 3, memory="1M", temp_dir=tmp_path) == NGramCounts.from_file(plain, 3)
    a, b = NGramLM(3, smoothing="add_k").fit(packed), NGramLM(3, smoothing="add_k").fit(plain)
    np.testing.assert_array_equal(a.scores(TEST), b.scores(TEST))
    np.testing.assert_array_equal(a.encode_files(packed)[0], a.encode_files(plain)[0])
    assert cli.main(["ngram", "build", str(packed), "-o", "3", "-s", "kn", "--discount_fallback", "-q",
                     "--output", str(tmp_path / "k.arpa")]) == 0
    assert cli.main(["ngram", "build", str(plain), "-o", "3", "-s", "kn", "--discount-fallback", "-q",
                     "--output", str(tmp_path / "p.arpa")]) == 0
    assert (tmp_path / "k.arpa").read_bytes() == (tmp_path / "p.arpa").read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("infogen-text-")]  # copies removed


def test_corrupt_or_mislabelled_compressed_corpus(tmp_path):
    bad = tmp_path / "c.txt.gz"
    bad.write_bytes(gzip.compress(b"a b c\n" * 1000)[:40])
    with pytest.raises(ValueError, match=r"c\.txt\.gz.*truncated or corrupt"):
        NGramCounts.from_file(bad, 2)
    liar = tmp_path / "plain.txt.xz"
    liar.write_text("a b c\n")
    with pytest.raises(ValueError, match=r"plain\.txt\.xz: the name says xz but the file is not compressed"):
        NGramCounts.from_file(liar, 2)


def test_cli_build_to_model_file_and_to_stdout(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(CORPUS + zipf_sentences(3)) + "\n")
    model = tmp_path / "m.ngram"
    assert cli.main(["ngram", "build", str(corpus), "-o", "3", "-s", "kn", "--discount_fallback", "-q",
                     "--output", str(model)]) == 0
    lm = NGramLM.load(model)
    assert lm.memory_mapped_
    ref = NGramLM(3, smoothing="kn", discount_fallback=True).fit(corpus)
    np.testing.assert_array_equal(lm.token_logprobs(TEST), ref.token_logprobs(TEST))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    run = subprocess.run([sys.executable, "-m", "infogen", "ngram", "build", str(corpus), "-o", "3", "-s", "kn",
                          "--discount_fallback", "-T", str(tmp_path)], capture_output=True, env=env, check=True)
    ref.to_arpa(tmp_path / "ref.arpa")
    assert run.stdout == (tmp_path / "ref.arpa").read_bytes()  # lmplz's default: ARPA on stdout
    assert b"\x1b[" not in run.stderr and b"\r" not in run.stderr  # no bar escapes when not a terminal
    run = subprocess.run([sys.executable, "-m", "infogen", "ngram", "score", str(model), str(corpus)],
                         capture_output=True, env=env, check=True)
    assert b"perplexity" in run.stdout


def test_output_permissions_symlinks_and_stale_temp_files(tmp_path):
    lm = NGramLM(2).fit(CORPUS)
    old = os.umask(0o022)
    try:
        lm.save(tmp_path / "a.ngram")
        lm.to_arpa(tmp_path / "a.arpa")
        assert (tmp_path / "a.ngram").stat().st_mode & 0o777 == 0o644
        assert (tmp_path / "a.arpa").stat().st_mode & 0o777 == 0o644
        os.chmod(tmp_path / "a.arpa", 0o640)
        lm.to_arpa(tmp_path / "a.arpa")  # an existing file keeps its mode
        assert (tmp_path / "a.arpa").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)
    (tmp_path / "link.ngram").symlink_to(tmp_path / "a.ngram")
    NGramLM(3).fit(CORPUS).save(tmp_path / "link.ngram")
    assert (tmp_path / "link.ngram").is_symlink() and NGramLM.load(tmp_path / "a.ngram").order == 3
    import socket

    host = socket.gethostname().replace(".", "_")
    stale = tmp_path / f".b.arpa.{host}-999999999.x1y2.infogen-tmp"  # a pid that cannot be alive
    stale.write_bytes(b"half a file")
    lm.to_arpa(tmp_path / "b.arpa")
    assert not stale.exists()
    with pytest.raises(IsADirectoryError):
        lm.save(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        lm.save(tmp_path / "no" / "such.ngram")


def test_cli_checks_the_output_before_any_work(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n")
    for cmd in (["count", str(corpus), "-S", "64M"], ["build", str(corpus)]):
        assert cli.main(["ngram", *cmd, "--output", str(tmp_path / "nodir" / "x.npz")]) == 2
        err = capsys.readouterr().err
        assert err.count("does not exist") == 1 and "tokens" not in err


def test_ngram_models_follow_scikit_learn_conventions():
    from sklearn.base import clone, is_classifier
    from sklearn.exceptions import NotFittedError
    from sklearn.model_selection import GridSearchCV, cross_val_score

    lm = NGramLM(3, smoothing="kn", prune=(0, 1), discount_fallback=True)
    twin = clone(lm)
    assert twin.get_params() == lm.get_params() and twin.smoothing == "kn"
    with pytest.raises(NotFittedError):
        lm.score("a b")
    with pytest.raises(NotFittedError):
        NGramClassifier().predict(["a"])
    clf = NGramClassifier(order=2)
    assert is_classifier(clf)
    X = ["waste of time", "a waste of money", "a true masterpiece", "truly a masterpiece"] * 4
    y = ["bad", "bad", "good", "good"] * 4
    assert cross_val_score(clf, X, y, cv=2).mean() == 1.0
    assert GridSearchCV(clf, {"k": [0.1, 1.0]}, cv=2).fit(X, y).best_score_ == 1.0
    assert clf.fit(X, y).decision_function(["a waste"]).shape == (1,)
    with pytest.raises(TypeError, match="single str"):
        clf.predict("a masterpiece")
    with pytest.raises(TypeError, match="single str"):
        NGramClassifier().fit("abc", [1, 2, 3])
    mle = NGramClassifier(order=2, smoothing="mle").fit(X, y)
    for method in (mle.predict, mle.predict_proba, mle.predict_log_proba):
        with pytest.raises(ValueError, match="probability zero under every class"):
            method(["zebra unicorn"])


def test_one_tokenisation_rule_for_training_and_queries():
    # issue 22 item 2: only ASCII whitespace separates tokens, when counting and when querying
    lm = NGramLM(2, smoothing="add_k").fit(["caf\u00e9\u00a0latte is good", "the caf\u00e9\u00a0latte"])
    assert "caf\u00e9\u00a0latte" in lm
    assert lm.logprob("is", "caf\u00e9\u00a0latte") != lm.logprob("is", "<unk>")
    assert lm.score(["the", "caf\u00e9\u00a0latte"]) == lm.score("the caf\u00e9\u00a0latte")
    state = lm.advance(lm.begin_state(), "the")[1]
    assert lm.advance(state, "caf\u00e9\u00a0latte")[0] == lm.logprob("caf\u00e9\u00a0latte", ["<s>", "the"])
    assert NGramCounts.from_sentences(["a\u3000b c"], 1)["a\u3000b"] == 1


def test_lax_inputs_are_refused_with_the_argument_named(tmp_path):
    # issue 22 items 7 and 15, for the n-gram family
    c = NGramCounts.from_sentences(CORPUS, 2)
    with pytest.raises(ValueError, match="ids must hold integers"):
        NGramCounts.from_ids(np.array([3.7, 4.2]), np.array([0, 2]), c.vocab, 2)
    with pytest.raises(ValueError, match="ngrams holds -1"):
        c.lookup(np.array([[-1]]))
    with pytest.raises(ValueError, match="k must be a positive finite number"):
        NGramLM(2, smoothing="add_k", k=1e308).fit(CORPUS)
    with pytest.raises(TypeError, match="k must be a number"):
        NGramLM(2, smoothing="add_k", k=True).fit(CORPUS)
    assert NGramLM(2, smoothing="add_k", k=np.float32(0.5)).fit(CORPUS).score("a", base=np.int64(10)) < 0
    with pytest.raises(ValueError, match="prune must be"):
        NGramLM(3, smoothing="kn", prune=(0, 2**63)).fit(CORPUS)
    for base in (1, 0, -2, float("nan")):
        with pytest.raises(ValueError, match="base must be"):
            NGramLM(2).fit(CORPUS).score("a b", base=base)
    arpa = tmp_path / "zero.arpa"
    arpa.write_text("\\data\\\nngram 1=0\n\n\\1-grams:\n\n\\end\\\n")
    with pytest.raises(ValueError, match="0 unigrams"):
        NGramLM.load(arpa)


def test_cli_errors_are_one_line_with_exit_code_2(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n")
    arpa = tmp_path / "m.arpa"
    NGramLM(2).fit(CORPUS).to_arpa(arpa)
    for argv in (["--threads", "-1", "config"], ["ngram", "score", str(arpa), str(corpus), "--base", "1"],
                 ["ngram", "score", str(arpa), str(corpus), "--base", "nan"],
                 ["ngram", "score", str(tmp_path / "nope.arpa"), str(corpus)],
                 ["ngram", "build", str(corpus), "--output", str(tmp_path)]):
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("infogen: error:") and "Traceback" not in err, (argv, err)


def test_sigterm_during_a_write_leaves_no_temporary_file(tmp_path):
    code = (
        "import os, signal, sys, numpy as np\n"
        "from infogen import NGramLM\n"
        "import infogen._io as io\n"
        "lm = NGramLM(2).fit(['a b c', 'a c'])\n"
        "real = io.atomic_write\n"
        "from contextlib import contextmanager\n"
        "@contextmanager\n"
        "def slow(path, *a, **k):\n"
        "    with real(path, *a, **k) as f:\n"
        "        f.write(b'x' * 1000)\n"
        "        f.flush()\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        yield f\n"
        "import infogen.ngram.model as m\n"
        "m.atomic_write = slow\n"
        "from infogen import cli\n"
        f"sys.exit(cli.main(['ngram', 'convert', {str(tmp_path / 'in.arpa')!r}, {str(tmp_path / 'out.ngram')!r}]))\n"
    )
    NGramLM(2).fit(CORPUS).to_arpa(tmp_path / "in.arpa")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, timeout=120)
    assert run.returncode == 130, run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.arpa"]


def test_an_endless_line_is_refused_not_read_into_memory(tmp_path, capsys):
    # issue 22 item 12: /dev/zero has no line end; the reader stops at 1 GiB with a clear error
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    assert cli.main(["ngram", "count", "/dev/zero", "-o", "2", "--output", str(tmp_path / "z.npz")]) == 2
    err = capsys.readouterr().err
    assert "/dev/zero: a line of more than 1024 MiB without a line end" in err
    assert not (tmp_path / "z.npz").exists()


def test_fuzzed_arpa_files_give_a_clear_error_or_a_model(tmp_path):
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    NGramLM(3, smoothing="kn", discount_fallback=True).fit(CORPUS).to_arpa(tmp_path / "m.arpa")
    data = (tmp_path / "m.arpa").read_bytes()
    edits = st.one_of(
        st.tuples(st.just("flip"), st.integers(0, len(data) - 1), st.sampled_from(b"0123456789-.\t \n\\abc")),
        st.tuples(st.just("cut"), st.integers(0, len(data)), st.just(0)),
        st.tuples(st.just("dup"), st.integers(0, len(data) - 1), st.integers(1, 40)))

    @hypothesis.settings(max_examples=200, deadline=None, database=None)
    @hypothesis.given(st.lists(edits, min_size=1, max_size=4))
    def run(ops):
        buf = bytearray(data)
        for op, pos, arg in ops:
            pos = min(pos, len(buf))
            if op == "flip" and pos < len(buf):
                buf[pos] = arg
            elif op == "cut":
                buf = buf[:pos]
            elif op == "dup":
                buf[pos:pos] = buf[pos:pos + arg]
        path = tmp_path / "fuzz.arpa"
        path.write_bytes(bytes(buf))
        try:
            lm = NGramLM.load(path)
        except ValueError as exc:
            assert str(exc)  # a message, naming the file or the line
            return
        scores = lm.token_logprobs(TEST)  # a model that loads answers queries
        assert not np.isnan(scores).any()

    run()
