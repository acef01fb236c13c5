"""Serving n-gram models: load + score, infogen's .ngram file against KenLM, in one run.

Model: modified Kneser-Ney of order INFOGEN_BENCH_SERVE_ORDER (default 4) built by infogen
from copies of the KJV training text (bench/big_corpus.py; INFOGEN_BENCH_SERVE_COPIES,
default 2 - the issue's 22 M tokens are 26), scored on as many suffixed copies of the test
text. Peers, each skipped when absent: the ``kenlm`` module (``pip install kenlm``) and
KenLM's ``build_binary``/``query`` programs (on PATH or in $KENLM_BIN; they build from
KenLM's source with CMake and Boost). Every benchmark checks its perplexity against
infogen's in-memory model to 1e-6 relative. Whole-process time and memory of
``infogen ngram score`` vs ``query`` come from ``bench/serve_vs_kenlm.py``.
"""
import os
import shutil
import subprocess

import numpy as np
import pytest
from big_corpus import copy_lines, write_big_corpus
from infogen import NGramLM

HERE = os.path.dirname(os.path.abspath(__file__))
KJV = os.path.join(HERE, "..", "..", "shared", "data", "kjv")
COPIES = int(os.environ.get("INFOGEN_BENCH_SERVE_COPIES", 2))
ORDER = int(os.environ.get("INFOGEN_BENCH_SERVE_ORDER", 4))


def kenlm_tool(name):
    """Path of a KenLM program, or None."""
    where = os.environ.get("KENLM_BIN")
    if where and os.path.exists(os.path.join(where, name)):
        return os.path.join(where, name)
    return shutil.which(name)


def probing_binary(d):
    """KenLM's probing binary of d/model.arpa (built once), or skip without build_binary."""
    probing = d / "model.probing"
    if not probing.exists():
        build_binary = kenlm_tool("build_binary")
        if build_binary is None:
            pytest.skip("KenLM's build_binary is not on PATH or in $KENLM_BIN")
        subprocess.run([build_binary, "probing", str(d / "model.arpa"), str(probing)], check=True,
                       capture_output=True)
    return probing


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(dir, in-memory model, test sentences, test path, reference perplexity)."""
    train_src = os.path.join(KJV, "kjv.train.txt")
    if not os.path.exists(train_src):
        pytest.skip("needs ../shared/data/kjv (the KJV split)")
    d = tmp_path_factory.mktemp("serve")
    write_big_corpus(train_src, str(d / "train.txt"), copies=COPIES)
    with open(os.path.join(KJV, "kjv.test.txt"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    test = "".join(copy_lines(lines, i) for i in range(COPIES))
    (d / "test.txt").write_text(test, encoding="utf-8")
    lm = NGramLM(ORDER, smoothing="kn").fit(d / "train.txt")
    lm.to_arpa(d / "model.arpa")
    lm.save(d / "model.ngram")
    lm.save(d / "model.npz")
    lm.save(d / "model.f.ngram", precision="float")
    sentences = test.splitlines()
    return d, lm, sentences, d / "test.txt", lm.perplexity(sentences)


def _check(ppl, expected):
    assert ppl == pytest.approx(expected, rel=1e-6)


@pytest.mark.benchmark(group="ngram-serve-load-and-score")
@pytest.mark.parametrize("fmt", ["model.ngram", "model.f.ngram", "model.npz"])
def test_infogen_load_and_score(benchmark, served, fmt):
    d, _, _, test, expected = served

    def run():
        lm = NGramLM.load(d / fmt)
        return lm.evaluate(test)["perplexity"]

    _check(benchmark(run), expected)


@pytest.mark.benchmark(group="ngram-serve-load-and-score")
def test_kenlm_module_load_probing_and_score(benchmark, served):
    kenlm = pytest.importorskip("kenlm", reason="the kenlm module is not installed (pip install kenlm)")
    d, _, sentences, _, expected = served
    probing = probing_binary(d)

    def run():
        m = kenlm.Model(str(probing))
        total = sum(m.score(s, bos=True, eos=True) for s in sentences)
        n = sum(len(s.split()) + 1 for s in sentences)
        return 10 ** (-total / n)

    _check(benchmark(run), expected)


@pytest.mark.benchmark(group="ngram-serve-batch-scoring")
@pytest.mark.parametrize("fmt", ["model.ngram", "model.f.ngram"])
def test_infogen_batch_scores(benchmark, served, fmt):
    d, lm, sentences, _, _ = served
    mapped = NGramLM.load(d / fmt)
    mapped.scores(sentences)  # pages in
    got = benchmark(mapped.scores, sentences)
    np.testing.assert_allclose(got, lm.scores(sentences), rtol=1e-6)


@pytest.mark.benchmark(group="ngram-serve-batch-scoring")
def test_kenlm_module_batch_scores(benchmark, served):
    kenlm = pytest.importorskip("kenlm", reason="the kenlm module is not installed (pip install kenlm)")
    d, lm, sentences, _, _ = served
    m = kenlm.Model(str(d / "model.arpa"))
    got = benchmark(lambda: np.array([m.score(s, bos=True, eos=True) for s in sentences]))
    np.testing.assert_allclose(got * np.log(10), lm.scores(sentences), rtol=1e-5, atol=1e-4)


@pytest.mark.benchmark(group="ngram-serve-decoder-api")
def test_infogen_advance_per_word(benchmark, served):
    d, lm, sentences, _, _ = served
    mapped = NGramLM.load(d / "model.ngram")
    words = [s.split() + ["</s>"] for s in sentences[:300]]

    def run():
        total = 0.0
        for ws in words:
            state = mapped.begin_state()
            for w in ws:
                lp, state = mapped.advance(state, w)
                total += lp
        return total

    assert benchmark(run) == pytest.approx(float(lm.scores(sentences[:300]).sum()), rel=1e-9)


@pytest.mark.benchmark(group="ngram-serve-decoder-api")
def test_kenlm_module_basescore_per_word(benchmark, served):
    kenlm = pytest.importorskip("kenlm", reason="the kenlm module is not installed (pip install kenlm)")
    d, lm, sentences, _, _ = served
    m = kenlm.Model(str(d / "model.arpa"))
    words = [s.split() + ["</s>"] for s in sentences[:300]]

    def run():
        total = 0.0
        for ws in words:
            state, out = kenlm.State(), kenlm.State()
            m.BeginSentenceWrite(state)
            for w in ws:
                total += m.BaseScore(state, w, out)
                state, out = out, state
        return total

    assert benchmark(run) * np.log(10) == pytest.approx(float(lm.scores(sentences[:300]).sum()), rel=1e-6)


@pytest.mark.benchmark(group="ngram-serve-open")
@pytest.mark.parametrize("fmt", ["model.ngram", "model.npz", "model.arpa"])
def test_infogen_open_and_score_one_sentence(benchmark, served, fmt):
    d, lm, sentences, _, _ = served

    def run():
        return NGramLM.load(d / fmt).score(sentences[0])

    assert benchmark(run) == pytest.approx(lm.score(sentences[0]), rel=1e-12)


@pytest.mark.benchmark(group="ngram-serve-open")
def test_kenlm_module_open_probing_and_score_one_sentence(benchmark, served):
    kenlm = pytest.importorskip("kenlm", reason="the kenlm module is not installed (pip install kenlm)")
    d, lm, sentences, _, _ = served
    probing = probing_binary(d)
    got = benchmark(lambda: kenlm.Model(str(probing)).score(sentences[0], bos=True, eos=True))
    assert got * np.log(10) == pytest.approx(lm.score(sentences[0]), abs=1e-4)
