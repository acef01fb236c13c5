"""Counting n-grams on a Dask cluster: one task per shard, merged in a tree.

Each task runs the C++ counter on one shard (a text file) and returns the counts as bytes
(``NGramCounts.dumps``: the raw count format, version 2 -- a JSON header, the vocabulary and
the sorted arrays, no pickle, no zip; ``NGramCounts.loads`` maps it without copying; or,
with ``shared_dir``, the same bytes in a file on shared storage whose path is returned). Tables are merged pairwise in a tree (in C++: map the
right table's word ids into the left vocabulary, re-sort, merge sorted arrays); the last
merge runs in the calling process, so the full table crosses the network once. Shard order
is kept at every merge, so word ids (first occurrence) and counts are exactly those of a
single-process count of the concatenated shards.

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
from typing import Any

import numpy as np

from infogen.ngram._text import check_order, check_paths
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
                 memory: int | str | None, out: str | None) -> bytes | str:
    threads = _worker_threads(n_threads)
    if text is not None:
        counts = NGramCounts.from_bytes(text, order, n_threads=threads)
    else:
        counts = NGramCounts.from_file(path, order, n_threads=threads, memory=memory)
    return _emit(counts, out)


def _emit(counts: NGramCounts, out: str | None) -> bytes | str:
    """The counts as bytes, or saved to `out` (a count file on shared storage) and its path."""
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


def _merge(out: str | None, n_threads: int | None, *items: bytes | str) -> bytes | str:
    return _emit(_merge_local(items, _worker_threads(n_threads)), out)


def _merge_local(items: Sequence[bytes | str], n_threads: int | None = None) -> NGramCounts:
    merged = _load(items[0])
    for b in items[1:]:
        merged = merged.merge(_load(b), n_threads=n_threads)
    return merged


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

    level: list[Any] = []
    try:
        futures = []
        for f in files:
            text = None
            if send_text:
                with open(f, "rb") as fh:
                    text = fh.read()
            futures.append(client.submit(_count_shard, None if send_text else f, text, order, n_threads, memory,
                                         out(), pure=False))
        # Merge in a tree on the workers until at most fan_in tables remain, then here.
        level = futures
        while len(level) > fan_in:
            level = [client.submit(_merge, out(), n_threads, *level[i:i + fan_in], pure=False)
                     if len(level[i:i + fan_in]) > 1 else level[i] for i in range(0, len(level), fan_in)]
        items = client.gather(level)
        return _merge_local(items)
    finally:
        if prefix is not None:  # files of failed or cancelled tasks
            for name in glob.glob(glob.escape(prefix) + "-*"):
                with contextlib.suppress(OSError):
                    os.unlink(name)
        if own is not None:
            own.close()
