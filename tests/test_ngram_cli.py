"""`infogen ngram ...` and the demo's n-gram section."""
import io
import re

import numpy as np
import pytest
from infogen import NGramCounts, NGramLM, cli, demo

CORPUS = "waste of time and money\na waste of money\nwhat a waste of time\nbest movie ever\n"


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_text(CORPUS)
    return path


def test_count_build_score_generate_complete(tmp_path, corpus, capsys):
    counts = tmp_path / "c.npz"
    assert cli.main(["ngram", "count", str(corpus), "--order", "3", "--output", str(counts), "-q"]) == 0
    err = capsys.readouterr().err
    assert "tokens 17" in err and "n-grams per order" in err and "peak memory" in err
    assert NGramCounts.load(counts) == NGramCounts.from_file(corpus, 3)

    arpa = tmp_path / "m.arpa"
    assert cli.main(["ngram", "build", str(counts), "-s", "add_k", "--output", str(arpa)]) == 0
    lm = NGramLM.from_arpa(arpa)
    expected = NGramLM(3, smoothing="add_k").fit(corpus)
    np.testing.assert_allclose(lm.scores(CORPUS.splitlines()), expected.scores(CORPUS.splitlines()), atol=1e-12)

    capsys.readouterr()
    assert cli.main(["ngram", "score", str(arpa), str(corpus), "--sentences", "--base", "10"]) == 0
    out = capsys.readouterr().out.splitlines()
    first = float(out[0].split("\t")[0])
    assert first == pytest.approx(expected.score("waste of time and money", base=10), abs=1e-6)
    assert any(line.startswith("perplexity") for line in out)

    assert cli.main(["ngram", "generate", str(arpa), "-n", "3", "--seed", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert cli.main(["ngram", "generate", str(arpa), "-n", "2", "--strategy", "greedy"]) == 0
    a, b = capsys.readouterr().out.splitlines()
    assert a == b
    assert cli.main(["ngram", "complete", str(arpa), "waste", "of", "-k", "2"]) == 0
    words = [line.split("\t")[1] for line in capsys.readouterr().out.splitlines()]
    assert words == ["time", "money"]

    npz = tmp_path / "m.npz"
    assert cli.main(["ngram", "build", str(corpus), "-s", "mle", "--output", str(npz), "-q"]) == 0
    assert NGramLM.load(npz).prob("time", "waste of") == pytest.approx(2 / 3)


def test_cli_errors(tmp_path, capsys):
    assert cli.main(["ngram", "count", str(tmp_path / "missing.txt"), "--output", str(tmp_path / "c.npz")]) == 2
    assert "missing.txt" in capsys.readouterr().err
    assert cli.main(["ngram", "score", str(tmp_path / "missing.arpa")]) == 2
    bad = tmp_path / "bad.arpa"
    bad.write_text("\\data\\\nngram 1=x\n")
    assert cli.main(["ngram", "score", str(bad)]) == 2
    assert "bad.arpa:2" in capsys.readouterr().err
    assert not (tmp_path / "c.npz").exists()


def test_demo_ngram_section():
    out = io.StringIO()
    demo.run(["ngram"], quick=True, out=out)
    text = out.getvalue()
    assert "held-out perplexity" in text and "greedy" in text and "sampled" in text
    assert "complete 'the return value ...'" in text
    # Kneser-Ney beats add-k on the held-out text, and the streamed build runs
    ppl = {name: float(re.search(rf"held-out perplexity, {name}[^:]*\): ([0-9.]+)", text).group(1))
           for name in ("add_k", "kneser_ney")}
    assert ppl["kneser_ney"] < ppl["add_k"]
    assert re.search(r"build_arpa .*: [0-9,]+ n-grams in", text)
