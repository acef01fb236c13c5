"""Out-of-core counting: memory budget, spilled runs, k-way merge, streaming count files, cleanup."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from infogen import NGramCounts, _core
from infogen.ngram import count_to_file
from infogen.ngram.outofcore import parse_memory, remove_stale_run_dirs


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A seeded Zipf corpus (~2 MB, 3*10^5 tokens, 2*10^4 types), split in two files."""
    rng = np.random.default_rng(7)
    n = 300_000
    ranks = np.minimum(rng.zipf(1.2, size=n), 20_000)
    words = np.char.add("w", ranks.astype(str))
    ends = np.cumsum(rng.integers(1, 30, size=n // 10))
    ends = ends[ends < n]
    sents = [" ".join(s.tolist()) for s in np.split(words, ends) if s.size]
    d = tmp_path_factory.mktemp("ooc")
    half = len(sents) // 2
    paths = []
    for i, part in enumerate([sents[:half], sents[half:]]):
        p = d / f"part{i}.txt"
        p.write_text("\n".join(part) + "\n\n  \n")
        paths.append(str(p))
    return paths


@pytest.fixture(scope="module")
def reference(corpus):
    return {order: NGramCounts.from_file(corpus, order) for order in (1, 3, 5)}


def test_parse_memory():
    assert parse_memory("4G") == 4 << 30
    assert parse_memory("512M") == 512 << 20
    assert parse_memory("1.5GiB") == 3 << 29
    assert parse_memory(2 << 20) == 2 << 20
    assert parse_memory(" 8 MB ") == 8 << 20
    for bad in ["4X", "", "G", "-1G"]:
        with pytest.raises(ValueError, match="memory budget"):
            parse_memory(bad)
    with pytest.raises(ValueError, match="at least 1M"):
        parse_memory("100K")
    with pytest.raises(TypeError):
        parse_memory(1.5)


@pytest.mark.parametrize("order", [1, 3, 5])
def test_budget_identical_to_in_memory(corpus, reference, order, tmp_path):
    c = NGramCounts.from_file(corpus, order, memory="8M", temp_dir=tmp_path)
    assert c.stats["runs"] >= 2 or order == 1  # the budget forced spills
    assert c == reference[order]
    assert os.listdir(tmp_path) == []  # run directory removed


def test_budget_large_no_spill(corpus, reference, tmp_path):
    c = NGramCounts.from_file(corpus, 3, memory="1G", temp_dir=tmp_path)
    assert c.stats["runs"] == 0 and c.stats["blocks"] == 1
    assert c == reference[3]


@pytest.mark.parametrize("threads", [1, 2])
def test_budget_threads_identical(corpus, reference, threads, tmp_path):
    c = NGramCounts.from_file(corpus, 3, memory="4M", temp_dir=tmp_path, n_threads=threads)
    assert c.stats["runs"] >= 4
    assert c == reference[3]


def test_budget_with_pruning(corpus, tmp_path):
    a = NGramCounts.from_file(corpus, 3, min_count=3, max_vocab=5000)
    b = NGramCounts.from_file(corpus, 3, min_count=3, max_vocab=5000, memory="8M", temp_dir=tmp_path)
    assert a == b


def test_count_to_file_streams_same_counts(corpus, reference, tmp_path):
    out = tmp_path / "c.npz"
    runs = tmp_path / "runs"
    runs.mkdir()
    st = count_to_file(corpus, 5, out, memory="8M", temp_dir=runs)
    assert st["runs"] >= 2 and st["sizes"] == reference[5].sizes
    assert NGramCounts.load(out) == reference[5]
    assert os.listdir(runs) == []
    assert sorted(os.listdir(tmp_path)) == ["c.npz", "runs"]  # no temp output left
    # np.load sees a normal .npz (same format as save)
    ref = tmp_path / "ref.npz"
    reference[5].save(ref)
    with np.load(out) as z1, np.load(ref) as z2:
        assert sorted(z1.files) == sorted(z2.files)


def test_dumps_loads_roundtrip(reference):
    c = reference[3]
    assert NGramCounts.loads(c.dumps()) == c


def test_merge_uses_cpp_and_matches_concatenation(corpus, reference):
    a = NGramCounts.from_file(corpus[0], 3)
    b = NGramCounts.from_file(corpus[1], 3)
    assert a.merge(b) == reference[3]


def test_unwritable_and_missing_temp_dirs(corpus, tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ValueError, match="not a directory: .*file"):
        NGramCounts.from_file(corpus, 3, memory="8M", temp_dir=a_file)
    with pytest.raises(FileNotFoundError, match="does not exist: .*nowhere"):
        NGramCounts.from_file(corpus, 3, memory="8M", temp_dir=tmp_path / "nowhere")
    # /proc refuses new directories even for root
    with pytest.raises(OSError, match="/proc"):
        NGramCounts.from_file(corpus, 3, memory="8M", temp_dir="/proc")
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(PermissionError, match=str(ro)):
            NGramCounts.from_file(corpus, 3, memory="8M", temp_dir=ro)


def test_disk_full_is_a_clear_oserror(corpus, tmp_path):
    out = tmp_path / "c.npz"
    runs = tmp_path / "runs"
    runs.mkdir()
    _core._ngram_set_write_failure_after(100_000)
    try:
        with pytest.raises(OSError, match=r"No space left on device") as info:
            count_to_file(corpus, 3, out, memory="8M", temp_dir=runs)
    finally:
        _core._ngram_set_write_failure_after(-1)
    assert info.value.errno == 28 and str(runs) in info.value.filename
    assert not out.exists() and os.listdir(runs) == [] and os.listdir(tmp_path) == ["runs"]


def test_stale_run_dirs_of_dead_processes_removed(tmp_path):
    import socket

    host = socket.gethostname()
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    stale = tmp_path / f"infogen-count-{host}-{proc.pid}-abc123"
    stale.mkdir()
    (stale / "run-0-order1.bin").write_bytes(b"x")
    live = tmp_path / f"infogen-count-{host}-{os.getpid()}-def456"
    live.mkdir()
    other = tmp_path / "infogen-count-otherhost-1-xyz"
    other.mkdir()
    assert remove_stale_run_dirs(str(tmp_path)) == [str(stale)]
    assert live.exists() and other.exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_killed_mid_count_leaves_nothing(corpus, tmp_path, sig):
    runs = tmp_path / "runs"
    runs.mkdir()
    out = tmp_path / "out.npz"
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        data = b"".join(Path(p).read_bytes() for p in corpus)
        for _ in range(40):  # long enough that the signal always lands mid-count
            f.write(data)
    # A child of a background job inherits SIGINT as ignored (Python then leaves it so):
    # restore Python's handler, as in an interactive shell where Ctrl-C reaches the count.
    script = textwrap.dedent(f"""
        import signal
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from infogen.ngram import count_to_file
        count_to_file([{str(big)!r}], 5, {str(out)!r}, memory="4M", temp_dir={str(runs)!r}, n_threads=1)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    # wait until it has spilled runs, then interrupt
    deadline = time.time() + 60
    while time.time() < deadline:
        dirs = os.listdir(runs)
        if dirs and len(os.listdir(runs / dirs[0])) >= 5:
            break
        time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail("the count never spilled")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert b"KeyboardInterrupt" in err or sig == signal.SIGTERM
    assert os.listdir(runs) == []
    assert os.listdir(tmp_path) == ["big.txt", "runs"] or sorted(os.listdir(tmp_path)) == ["big.txt", "runs"]
    # a rerun starts clean and succeeds
    count_to_file([str(big)], 2, out, memory="64M", temp_dir=runs)
    assert NGramCounts.load(out).order == 2


def test_cli_memory_and_temp_dir(corpus, reference, tmp_path):
    from infogen.cli import main

    runs = tmp_path / "runs"
    runs.mkdir()
    out = tmp_path / "c.npz"
    assert main(["ngram", "count", *corpus, "-o", "3", "-S", "8M", "-T", str(runs), "--output", str(out), "-q"]) == 0
    assert NGramCounts.load(out) == reference[3]
    arpa = tmp_path / "m.arpa"
    assert main(["ngram", "build", *corpus, "-o", "3", "-S", "8M", "-T", str(runs), "--output", str(arpa), "-q"]) == 0
    assert arpa.exists() and os.listdir(runs) == []
    assert main(["ngram", "count", *corpus, "-S", "8M", "-T", str(tmp_path / "nope"), "--output", str(out)]) == 2


def test_raw_bytes_format_and_load_detects_it(reference, tmp_path):
    c = reference[5]
    data = c.dumps()
    assert data[:8] == b"IGNGRAM2"
    back = NGramCounts.loads(data)
    assert back == c
    p = tmp_path / "c.counts"
    p.write_bytes(data)
    assert NGramCounts.load(p) == c
    # merge works on the read-only views
    assert back.merge(back).counts[2].sum() == 2 * c.counts[2].sum()
    with pytest.raises(ValueError, match="not valid"):
        NGramCounts.loads(data[:100])


def test_raw_bytes_narrow_and_wide_types():
    words = [f"w{i}" for i in range(70_000)]
    c = NGramCounts.from_sentences([" ".join(words[i:i + 50]) for i in range(0, 70_000, 50)], 2)
    assert len(c.vocab) > 1 << 16  # word ids need 4 bytes
    assert NGramCounts.loads(c.dumps()) == c
    big = NGramCounts(2, c.vocab, c.ngrams, [c.counts[0] * (1 << 40), c.counts[1] * 300], c.n_sentences,
                      c.n_tokens)
    back = NGramCounts.loads(big.dumps())
    assert back == big and back.counts[0].dtype == np.int64 and back.ngrams[1].dtype == np.uint32


def test_many_runs_merged_in_passes(corpus, reference, tmp_path):
    # 4 runs at most per merge: the spilled runs are merged in groups first (several passes)
    counter = _core._ExternalCounter(3, 2 << 20, str(tmp_path), 2, None, max_fan_in=4)
    for p in corpus:
        counter.add_file(p)
    tables = counter.merge_to_memory()
    assert counter.stats["runs"] > 16
    for k in range(3):
        np.testing.assert_array_equal(tables[k][0], reference[3].ngrams[k])
        np.testing.assert_array_equal(tables[k][1], reference[3].counts[k])
    del counter
    assert os.listdir(tmp_path) == []


def test_raw_bytes_word_width_follows_the_ids_not_the_vocab():
    # tables without their vocabulary (as Dask sends them) must keep ids >= 65536
    g = np.array([[3, 70_000], [70_000, 5]], dtype=np.uint32)
    c = NGramCounts(2, ["<unk>", "<s>", "</s>"], [np.array([[3]], np.uint32), g],
                    [np.array([1], np.int64), np.array([2, 1], np.int64)], 1, 1)
    back = NGramCounts.loads(c.dumps())
    np.testing.assert_array_equal(back.ngrams[1], g)


def test_budget_wide_keys_order_9(corpus, tmp_path):
    # 9 words of 15 bits do not pack into 128 bits: hash counting and word-wise merging
    ref = NGramCounts.from_file(corpus[0], 9)
    assert NGramCounts.from_file(corpus[0], 9, memory="4M", temp_dir=tmp_path) == ref
