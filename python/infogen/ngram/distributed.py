"""Counting n-grams on a Dask cluster: one task per shard, merged in a tree.

How it works, and what travels:

1. One task per shard runs the C++ counter on it; the tables stay in that worker's memory.
2. Only the vocabularies come back. The client builds the global vocabulary (words in
   order of first occurrence, shard after shard -- exactly what one process reading the
   shards in order assigns) and one id map per shard.
3. Each worker maps its tables to the global ids and re-sorts them (in C++, in parallel on
   the workers; the first shard needs nothing), then sends them as bytes
   (``NGramCounts.dumps``: the raw count format -- a JSON header and the sorted arrays, no
   pickle, no zip, mapped without copying on arrival) or, with ``shared_dir``, writes them
   to a file on shared storage and sends only its path.
4. The sorted tables are merged in a tree (``fan_in`` per task) by linear merges of sorted
   arrays in C++, the last merge in the calling process.

The result equals a single-process count of the concatenated shards.

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
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from infogen import _core
from infogen._config import resolve_threads
from infogen.ngram._text import RESERVED, check_order, check_paths
from infogen.ngram.counts import NGramCounts

__all__ = ["count_distributed"]


def _worker_threads(n_threads: int | None) -> int:
    if n_threads is not None:
        return n_threads
    try:
        from distributed import get_worker

        return max(1, int(get_worker().state.nthreads))
    except Exception:  # noqa: BLE001 - older distributed, or not on a worker
        return 1


def _count_shard(path: str | None, text: bytes | None, order: int, n_threads: int | None,
                 memory: int | str | None) -> NGramCounts:
    """Count one shard; the result stays in the worker's memory."""
    threads = _worker_threads(n_threads)
    if text is not None:
        return NGramCounts.from_bytes(text, order, n_threads=threads)
    return NGramCounts.from_file(path, order, n_threads=threads, memory=memory)


def _vocab_of(counts: NGramCounts) -> tuple[list[str], int, int]:
    return counts.vocab, counts.n_sentences, counts.n_tokens


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


def _placeholder(order: int, tables: list[tuple[np.ndarray, np.ndarray]]) -> NGramCounts:
    # Tables in the global word ids; the vocabulary itself stays with the client.
    return NGramCounts(order, list(RESERVED), [g for g, _ in tables], [c for _, c in tables], 0, 0)


def _align(counts: NGramCounts, remap: np.ndarray | None, vocab_size: int, n_threads: int | None,
           out: str | None) -> bytes | str:
    """The shard's tables in the global word ids (re-sorted), as bytes or a shared file."""
    if remap is None:  # the first shard: its ids are already the global ones
        tables = list(zip(counts.ngrams, counts.counts))
    else:
        def one(k: int) -> tuple[np.ndarray, np.ndarray]:
            empty = np.empty((0, k + 1), dtype=np.uint32)
            return _core.ngram_merge_tables(empty, np.empty(0, np.int64), counts.ngrams[k], counts.counts[k],
                                            remap, vocab_size)
        tables = _map_orders(one, counts.order, _worker_threads(n_threads))
    return _emit(_placeholder(counts.order, tables), out)


def _merge_aligned(items: Sequence[NGramCounts | bytes | str], vocab_size: int, threads: int) -> NGramCounts:
    parts = [x if isinstance(x, NGramCounts) else _load(x) for x in items]
    identity = np.arange(vocab_size, dtype=np.uint32)
    order = parts[0].order

    def one(k: int) -> tuple[np.ndarray, np.ndarray]:
        g, c = parts[0].ngrams[k], parts[0].counts[k]
        for p in parts[1:]:
            g, c = _core.ngram_merge_tables(g, c, p.ngrams[k], p.counts[k], identity, vocab_size)
        return g, c

    return _placeholder(order, _map_orders(one, order, threads))


def _merge_task(out: str | None, vocab_size: int, n_threads: int | None, *items: bytes | str) -> bytes | str:
    return _emit(_merge_aligned(items, vocab_size, _worker_threads(n_threads)), out)


def count_distributed(shards: str | os.PathLike | Sequence[str | os.PathLike], order: int = 3, *,
                      client: Any = None, address: str | None = None, n_threads: int | None = None,
                      memory: int | str | None = None, send_text: bool = False, fan_in: int = 2,
                      shared_dir: str | os.PathLike | None = None) -> NGramCounts:
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

    Returns
    -------
    NGramCounts
        Equal to ``NGramCounts.from_file(shards, order)``.

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
        # 1. Count each shard on a worker; the tables stay there.
        counted = []
        for f in files:
            text = None
            if send_text:
                with open(f, "rb") as fh:
                    text = fh.read()
            counted.append(client.submit(_count_shard, None if send_text else f, text, order, n_threads, memory,
                                         pure=False))
        # 2. Fetch only the vocabularies; the global one lists words by first occurrence in
        #    shard order, exactly as a single process reading the shards one after another.
        index: dict[str, int] = {}
        vocab: list[str] = []
        remaps: list[np.ndarray | None] = []
        n_sentences = n_tokens = 0
        for i, (words, ns, nt) in enumerate(client.gather([client.submit(_vocab_of, c, pure=False)
                                                           for c in counted])):
            remap = np.empty(len(words), dtype=np.uint32)
            for j, w in enumerate(words):
                g = index.setdefault(w, len(vocab))
                if g == len(vocab):
                    vocab.append(w)
                remap[j] = g
            remaps.append(None if i == 0 else remap)
            n_sentences += ns
            n_tokens += nt
        # 3. Each worker maps its tables to the global ids and re-sorts them (in parallel);
        #    4. sorted tables are merged in a tree, the last merge here.
        level = [client.submit(_align, c, r, len(vocab), n_threads, out(), pure=False)
                 for c, r in zip(counted, remaps)]
        del counted
        while len(level) > fan_in:
            level = [client.submit(_merge_task, out(), len(vocab), n_threads, *level[i:i + fan_in], pure=False)
                     if len(level[i:i + fan_in]) > 1 else level[i] for i in range(0, len(level), fan_in)]
        merged = _merge_aligned(client.gather(level), len(vocab), resolve_threads(None))
        return NGramCounts(order, vocab, merged.ngrams, merged.counts, n_sentences, n_tokens)
    finally:
        if prefix is not None:  # files of failed or cancelled tasks
            for name in glob.glob(glob.escape(prefix) + "-*"):
                with contextlib.suppress(OSError):
                    os.unlink(name)
        if own is not None:
            own.close()
