"""Counting n-grams on a Dask cluster: one task per shard, merged in a tree.

How it works, and what travels:

1. One task per shard reads and tokenises it on a worker (C++), which keeps the tokens.
2. Only the vocabularies and word frequencies come back. The client builds the global
   vocabulary (words in order of first occurrence, shard after shard -- exactly what one
   process reading the shards in order assigns; pruned by `min_count`/`max_vocab` on the
   total counts) and one id map per shard.
3. Each worker maps its tokens to the global ids and counts them with the C++ counter, so
   its tables come out sorted in the global ids; it sends them as bytes
   (``NGramCounts.dumps``: the raw count format -- a JSON header and the sorted arrays, no
   pickle, no zip, mapped without copying on arrival) or, with ``shared_dir``, writes them
   to a file on shared storage and sends only its path.
4. The sorted tables are merged in a tree (``fan_in`` per task) by linear merges of sorted
   arrays in C++ (orders in parallel), the last merge in the calling process.

The result equals a single-process count of the concatenated shards.
:func:`build_distributed` continues from there to the Kneser-Ney ARPA file: the merged
tables go into a count trie here and the model is estimated and streamed into the file,
as :func:`~infogen.ngram.build_arpa` does in one process.

Pointing it at a cluster
------------------------
``count_distributed(shards, 3, address="tcp://scheduler:8786")`` connects a
``distributed.Client`` to a running scheduler (``dask scheduler`` on one machine,
``dask worker tcp://scheduler:8786`` on the others) and closes it afterwards; or pass an
existing ``client=``. Without either, the current default client is used.

What must be shared
-------------------
* The same infogen version (and Python/NumPy) on the client and every worker: the tasks
  are infogen functions, pickled by reference.
* The shard paths must be readable by the workers under the same names (a shared file
  system such as NFS, or copies at the same path on every machine). If they are not, pass
  ``send_text=True``: the client reads each shard and ships its bytes with the task.
* Nothing else: results travel through Dask as bytes.
"""
from __future__ import annotations

import contextlib
import glob
import os
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from infogen import _core
from infogen._config import resolve_threads
from infogen.ngram._text import RESERVED, UNK_ID, check_order, check_paths, check_vocab_args, decode, encode
from infogen.ngram.build import BuildReport
from infogen.ngram.counts import NGramCounts
from infogen.ngram.outofcore import pruned_vocabulary

__all__ = ["build_distributed", "count_distributed"]


def _worker_threads(n_threads: int | None) -> int:
    if n_threads is not None:
        return n_threads
    try:
        from distributed import get_worker

        return max(1, int(get_worker().state.nthreads))
    except Exception:  # noqa: BLE001 - older distributed, or not on a worker
        return 1


class _Shard:
    """A shard read on a worker: its tokens (unless counted under a budget) and vocabulary."""

    def __init__(self, path: str | None, text: bytes | None, threads: int, memory: int | str | None) -> None:
        self.path, self.text, self.memory = path, text, memory
        if memory is not None and path is not None:
            # Under a budget: only the vocabulary now; the file is read again when counting.
            words, self.freq = _core.ngram_scan_vocabulary([path], threads, 4 << 20)
            self.ids = self.offsets = None
        else:
            tok = _core._Tokenizer(True)
            if text is not None:
                tok.feed_buffer(text, threads)
            else:
                tok.feed_file(path, threads)
            self.ids, self.offsets, _, _ = tok.take()
            words = tok.words_from(len(RESERVED))
            self.freq = np.bincount(self.ids, minlength=len(words) + len(RESERVED))
            self.text = None
        self.words: list[bytes] = list(words)

    def __sizeof__(self) -> int:
        # Dask's scheduler weighs moving a result by its size: report the real one so that the
        # tasks using a shard run where it was read instead of shipping the tokens.
        n = sum(len(w) + 33 for w in self.words) + self.freq.nbytes
        return n + (0 if self.ids is None else self.ids.nbytes + self.offsets.nbytes)


def _read_shard(path: str | None, text: bytes | None, n_threads: int | None, memory: int | str | None) -> _Shard:
    return _Shard(path, text, _worker_threads(n_threads), memory)


def _vocab_of(shard: _Shard) -> tuple[bytes, np.ndarray]:
    # One bytes object (tokens never contain a newline): Dask would send a list of bytes as
    # one message frame per word.
    return b"\n".join(shard.words), shard.freq


def _count_global(shard: _Shard, remap: np.ndarray, vocabulary: bytes | None, vocab_size: int, order: int,
                  n_threads: int | None, out: str | None) -> bytes | str:
    """Count a shard in the global word ids (sorted tables, nothing to re-sort)."""
    threads = _worker_threads(n_threads)
    if shard.ids is not None:
        ids = remap[shard.ids]
        tables, _ = _core.ngram_count(ids, shard.offsets, order, vocab_size, threads)
        n_sentences, n_tokens = shard.offsets.size - 1, ids.size
    else:
        from infogen.ngram import outofcore

        with outofcore.run_directory(None) as run_dir:
            counter = _core._ExternalCounter(order, outofcore.parse_memory(shard.memory), run_dir, threads,
                                             vocabulary.split(b"\n"))
            counter.add_file(shard.path)
            tables = counter.merge_to_memory()
            n_sentences, n_tokens = counter.stats["sentences"], counter.stats["tokens"]
    return _emit(_placeholder(order, tables, n_sentences, n_tokens), out)


def _emit(counts: NGramCounts, out: str | None) -> bytes | str:
    """The counts as bytes, or written to `out` (a file on shared storage) and its path."""
    data = counts.dumps()
    if out is None:
        return data
    # An intermediate file: renamed into place when complete, no fsync (it lives for seconds).
    with open(out + ".part", "wb") as f:
        f.write(data)
    os.replace(out + ".part", out)
    return out


def _load(item: bytes | str) -> NGramCounts:
    if isinstance(item, bytes):
        return NGramCounts.loads(item)
    try:
        return NGramCounts.loads(np.fromfile(item, dtype=np.uint8))
    finally:
        os.unlink(item)


def _map_orders(fn: Any, order: int, threads: int) -> list[Any]:
    """fn(k) for k = 0..order-1 on up to `threads` threads (the C++ calls release the GIL)."""
    threads = max(1, min(order, threads))
    if threads == 1:
        return [fn(k) for k in range(order)]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fn, range(order - 1, -1, -1)))[::-1]


def _placeholder(order: int, tables: Sequence[tuple[np.ndarray, np.ndarray]], n_sentences: int,
                 n_tokens: int) -> NGramCounts:
    # Tables in the global word ids; the vocabulary itself stays with the client.
    return NGramCounts(order, list(RESERVED), [g for g, _ in tables], [c for _, c in tables], n_sentences, n_tokens)


def _merge_aligned(items: Sequence[NGramCounts | bytes | str], vocab_size: int, threads: int) -> NGramCounts:
    parts = [x if isinstance(x, NGramCounts) else _load(x) for x in items]
    identity = np.arange(vocab_size, dtype=np.uint32)
    order = parts[0].order

    def one(k: int) -> tuple[np.ndarray, np.ndarray]:
        g, c = parts[0].ngrams[k], parts[0].counts[k]
        for p in parts[1:]:
            g, c = _core.ngram_merge_tables(g, c, p.ngrams[k], p.counts[k], identity, vocab_size)
        return g, c

    return _placeholder(order, _map_orders(one, order, threads), sum(p.n_sentences for p in parts),
                        sum(p.n_tokens for p in parts))


def _merge_task(out: str | None, vocab_size: int, n_threads: int | None, *items: bytes | str) -> bytes | str:
    return _emit(_merge_aligned(items, vocab_size, _worker_threads(n_threads)), out)


def count_distributed(shards: str | os.PathLike | Sequence[str | os.PathLike], order: int = 3, *,
                      client: Any = None, address: str | None = None, n_threads: int | None = None,
                      memory: int | str | None = None, send_text: bool = False, fan_in: int = 2,
                      shared_dir: str | os.PathLike | None = None, min_count: int = 1,
                      max_vocab: int | None = None) -> NGramCounts:
    """Count the n-grams of corpus shards on a Dask cluster; same result as one process.

    Parameters
    ----------
    shards : path or list of paths
        Text files (one sentence per line), counted as one corpus in this order. Each is
        one task: use at least as many shards as worker threads.
    order : int, default=3
        Highest order N.
    client : distributed.Client, optional
        The cluster to use. Default: a client connected to `address`, else the current one.
    address : str, optional
        Scheduler address (e.g. ``"tcp://10.0.0.1:8786"``) to connect to when `client` is
        not given; that client is closed at the end.
    n_threads : int, optional
        Threads of each counting task (default: the worker's thread count).
    memory : int or str, optional
        Memory budget of each counting task (see :meth:`NGramCounts.from_file`).
    send_text : bool, default=False
        Read the shards here and send their text with the tasks (when the workers cannot
        see the paths).
    fan_in : int, default=2
        Tables merged per merge task.
    shared_dir : path, optional
        A directory every worker and this process can read and write (same path): tasks
        then save their counts there as count files (``NGramCounts.save``) and pass only
        the paths through Dask, which is cheaper than sending the tables over the network
        when the storage is local or fast; the files are removed once merged.

    min_count, max_vocab : optional
        Vocabulary pruning by total count over all shards, as in :meth:`NGramCounts.from_file`.

    Returns
    -------
    NGramCounts
        Equal to ``NGramCounts.from_file(shards, order, min_count=..., max_vocab=...)``.

    Raises
    ------
    ImportError
        If ``dask.distributed`` is not installed (``pip install infogen[dask]``).
    """
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("count_distributed needs dask.distributed: pip install 'infogen[dask]'") from exc
    order = check_order(order)
    files = check_paths(shards)
    check_vocab_args(min_count, max_vocab)
    if isinstance(fan_in, bool) or not isinstance(fan_in, int) or fan_in < 2:
        raise ValueError(f"fan_in must be an int >= 2, got {fan_in!r}")
    own = None
    if client is None:
        if address is not None:
            client = own = distributed.Client(address)
        else:
            try:
                client = distributed.get_client()
            except ValueError as exc:
                raise ValueError("no Dask client: pass client= or address= (or create a distributed.Client)") from exc
    prefix = None
    if shared_dir is not None:
        shared_dir = os.fspath(shared_dir)
        if not os.path.isdir(shared_dir):
            raise FileNotFoundError(f"shared directory does not exist: {shared_dir}")
        prefix = os.path.join(shared_dir, f"infogen-shard-{uuid.uuid4().hex}")
    names = iter(range(1 << 62))

    def out() -> str | None:
        return None if prefix is None else f"{prefix}-{next(names)}.counts"

    try:
        # 1. Each worker reads (tokenises) its shard and keeps the tokens.
        read = []
        for f in files:
            text = None
            if send_text:
                with open(f, "rb") as fh:
                    text = fh.read()
            read.append(client.submit(_read_shard, None if send_text else f, text, n_threads, memory, pure=False))
        # 2. Only the vocabularies (and word frequencies) come back. The global vocabulary
        #    lists words by first occurrence, shard after shard -- what one process reading
        #    the shards in order assigns -- then min_count/max_vocab prune it by total count.
        index: dict[bytes, int] = {}
        words: list[bytes] = []
        local: list[np.ndarray] = []
        freq = np.zeros(0, dtype=np.int64)
        for joined, shard_freq in client.gather([client.submit(_vocab_of, r, pure=False) for r in read]):
            shard_words = joined.split(b"\n") if joined else []
            ids = np.empty(len(shard_words) + len(RESERVED), dtype=np.int64)
            ids[: len(RESERVED)] = np.arange(len(RESERVED))
            for j, w in enumerate(shard_words, start=len(RESERVED)):
                g = index.setdefault(w, len(words) + len(RESERVED))
                if g == len(words) + len(RESERVED):
                    words.append(w)
                ids[j] = g
            if len(words) + len(RESERVED) > freq.size:
                freq = np.concatenate([freq, np.zeros(len(words) + len(RESERVED) - freq.size, np.int64)])
            np.add.at(freq, ids, np.asarray(shard_freq, dtype=np.int64)[: ids.size])
            local.append(ids)
        vocab = list(RESERVED) + decode(words)
        to_global = np.arange(len(vocab), dtype=np.uint32)
        if min_count > 1 or max_vocab is not None:
            kept = pruned_vocabulary(vocab, freq, min_count, max_vocab)
            position = {w: i for i, w in enumerate(kept)}
            to_global = np.array([position.get(w, UNK_ID) for w in vocab], dtype=np.uint32)
            vocab = kept
        vocabulary = b"\n".join(encode(vocab)) if memory is not None else None
        # 3. Each worker counts its shard in the global ids: sorted tables, nothing to
        #    re-sort; 4. they are merged in a tree of linear merges, the last one here.
        where = client.who_has(read)
        level = [client.submit(_count_global, r, to_global[ids], vocabulary, len(vocab), order, n_threads, out(),
                               pure=False, workers=list(where.get(r.key, ())) or None, allow_other_workers=True)
                 for r, ids in zip(read, local)]
        del read
        while len(level) > fan_in:
            level = [client.submit(_merge_task, out(), len(vocab), n_threads, *level[i:i + fan_in], pure=False)
                     if len(level[i:i + fan_in]) > 1 else level[i] for i in range(0, len(level), fan_in)]
        merged = _merge_aligned(client.gather(level), len(vocab), resolve_threads(None))
        return NGramCounts(order, vocab, merged.ngrams, merged.counts, merged.n_sentences, merged.n_tokens)
    finally:
        if prefix is not None:  # files of failed or cancelled tasks
            for name in glob.glob(glob.escape(prefix) + "-*"):
                with contextlib.suppress(OSError):
                    os.unlink(name)
        if own is not None:
            own.close()


def build_distributed(shards: str | os.PathLike | Sequence[str | os.PathLike], output: str | os.PathLike,
                      order: int = 3, *, prune: Sequence[int] | None = None,
                      discount_fallback: bool | Sequence[float] = False, n_threads: int | None = None,
                      precision: str = "double", **count_options: Any) -> BuildReport:
    """The whole modified Kneser-Ney build with the counting on a Dask cluster.

    The shards are counted by :func:`count_distributed` (`count_options`: ``client``,
    ``address``, ``memory``, ``send_text``, ``fan_in``, ``shared_dir``, ``min_count``,
    ``max_vocab``); the merged tables arrive here, go into a count trie table by table
    (each freed once in it), and the model is estimated and streamed into the ARPA file
    `output` as :func:`~infogen.ngram.build_arpa` does (``precision`` as there). The file
    is byte for byte the one ``build_arpa(shards, output, order, ...)`` writes in one process.

    Returns
    -------
    BuildReport
    """
    from infogen.ngram.build import check_build_args, estimate_to_arpa, trie_from_tables

    order, prune_t, fallback, float32, output = check_build_args(order, prune, discount_fallback, precision, output)
    t0 = time.perf_counter()
    counts = count_distributed(shards, order, n_threads=n_threads, **count_options)
    t1 = time.perf_counter()
    vocab, n_tokens, n_sentences = list(counts.vocab), counts.n_tokens, counts.n_sentences
    ngrams, tables = list(counts.ngrams), list(counts.counts)
    del counts
    trie = trie_from_tables(order, len(vocab), ngrams, tables, n_tokens, n_sentences, consume=True)
    seconds = {"count": t1 - t0, "trie": time.perf_counter() - t1}
    return estimate_to_arpa(trie, vocab, output, prune_t, fallback, resolve_threads(n_threads), seconds,
                            float32=float32)
