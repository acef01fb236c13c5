"""Dask counting on a real LocalCluster with two worker processes: same counts as one process."""
import numpy as np
import pytest
from infogen import NGramCounts

distributed = pytest.importorskip("distributed")

from infogen.ngram.distributed import count_distributed  # noqa: E402


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    rng = np.random.default_rng(11)
    d = tmp_path_factory.mktemp("shards")
    paths = []
    for i in range(5):
        n = 20_000
        ranks = np.minimum(rng.zipf(1.3, size=n), 3000 + 500 * i)
        words = np.char.add(f"v{i % 2}_", ranks.astype(str))
        ends = np.cumsum(rng.integers(1, 25, size=n // 8))
        ends = ends[ends < n]
        p = d / f"shard{i}.txt"
        p.write_text("\n".join(" ".join(s.tolist()) for s in np.split(words, ends) if s.size) + "\n")
        paths.append(str(p))
    return paths


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as c:
        yield c


@pytest.mark.parametrize("order", [1, 3, 5])
def test_distributed_equals_single_process(shards, cluster, order):
    with distributed.Client(cluster) as client:
        got = count_distributed(shards, order, client=client)
    assert got == NGramCounts.from_file(shards, order)


@pytest.mark.parametrize("order", [3, 5])
def test_build_distributed_writes_the_single_process_file(shards, cluster, order, tmp_path):
    """The whole Kneser-Ney build with Dask counting: byte for byte build_arpa's file."""
    from pathlib import Path

    from infogen.ngram import build_arpa
    from infogen.ngram.distributed import build_distributed

    with distributed.Client(cluster) as client:
        rep = build_distributed(shards, tmp_path / "dask.arpa", order, client=client, prune=(0, 1))
    single = build_arpa([Path(p) for p in shards], tmp_path / "single.arpa", order, prune=(0, 1))
    assert (tmp_path / "dask.arpa").read_bytes() == (tmp_path / "single.arpa").read_bytes()
    assert rep.sizes == single.sizes and rep.n_tokens == single.n_tokens
    assert set(rep.seconds) == {"count", "trie", "estimate"}


def test_distributed_by_address_send_text_and_fan_in(shards, cluster):
    got = count_distributed(shards, 3, address=cluster.scheduler_address, send_text=True, fan_in=3)
    assert got == NGramCounts.from_file(shards, 3)


def test_distributed_memory_budget_per_task(shards, cluster):
    with distributed.Client(cluster) as client:
        got = count_distributed(shards[:2], 3, client=client, memory="2M")
    assert got == NGramCounts.from_file(shards[:2], 3)


def test_distributed_errors(shards, cluster):
    with pytest.raises(ValueError, match="fan_in"):
        count_distributed(shards, 3, address=cluster.scheduler_address, fan_in=1)
    with pytest.raises(FileNotFoundError):
        count_distributed([shards[0], shards[0] + ".missing"], 3, address=cluster.scheduler_address)


def test_distributed_shared_dir(shards, cluster, tmp_path):
    with distributed.Client(cluster) as client:
        got = count_distributed(shards, 3, client=client, shared_dir=tmp_path)
    assert got == NGramCounts.from_file(shards, 3)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("memory", [None, "2M"])
def test_distributed_pruning(shards, cluster, memory):
    with distributed.Client(cluster) as client:
        got = count_distributed(shards, 3, client=client, min_count=3, max_vocab=500, memory=memory)
    assert got == NGramCounts.from_file(shards, 3, min_count=3, max_vocab=500)


def test_distributed_more_than_65536_words(cluster, tmp_path):
    paths = []
    for s in range(2):
        p = tmp_path / f"wide{s}.txt"
        p.write_text("\n".join(" ".join(f"s{s}w{i + j}" for j in range(5)) for i in range(0, 40_000, 3)) + "\n")
        paths.append(str(p))
    with distributed.Client(cluster) as client:
        got = count_distributed(paths, 3, client=client)
    ref = NGramCounts.from_file(paths, 3)
    assert len(ref.vocab) > 1 << 16 and got == ref
