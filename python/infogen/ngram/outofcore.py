"""Counting under a memory budget: sorted runs spilled to a temporary directory, merged in C++.

Used by :meth:`NGramCounts.from_file` (``memory=``) and :func:`count_to_file`. The C++
counter (``infogen/ngram/external.hpp``) reads the corpus in blocks, counts a block in
memory when the held tokens would exceed the budget, writes it as one sorted run per order
and finally k-way merges the runs. This module owns what Python should: parsing the budget,
creating and cleaning the run directory (also the stale ones of dead processes), turning
SIGTERM into an exception so that cleanup runs, and writing the merged counts into the
``.npz`` count-file format of :meth:`NGramCounts.save` without holding them in memory.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from infogen import _core
from infogen._config import resolve_threads
from infogen._io import atomic_write
from infogen.ngram._text import RESERVED, check_order, check_paths, check_vocab_args, decode, encode, kept_word_ids

__all__ = ["count_to_file", "parse_memory"]

_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_RUN_PREFIX = "infogen-count-"
MIN_MEMORY = 1 << 20


def parse_memory(memory: int | str) -> int:
    """Bytes of a memory budget: an int, or a string like ``"512M"``, ``"4G"``, ``"1.5GiB"``.

    Units are binary (K = 1024). The budget must be at least 1 MiB.
    """
    if isinstance(memory, bool):
        raise TypeError("memory must be a number of bytes or a string like '4G'")
    if isinstance(memory, (int, np.integer)):
        value = int(memory)
    elif isinstance(memory, str):
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGTkmgt]?)(?:i?[Bb])?\s*", memory)
        if m is None:
            raise ValueError(f"cannot read the memory budget {memory!r}: use bytes or e.g. '512M', '4G'")
        value = int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    else:
        raise TypeError(f"memory must be a number of bytes or a string like '4G', got {type(memory).__name__}")
    if value < MIN_MEMORY:
        raise ValueError(f"the memory budget must be at least 1M (1048576 bytes), got {memory!r}")
    return value


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_run_dirs(base: str) -> list[str]:
    """Remove the run directories in `base` left by dead processes of this host."""
    host = socket.gethostname()
    removed = []
    with contextlib.suppress(OSError):
        for name in os.listdir(base):
            m = re.fullmatch(re.escape(_RUN_PREFIX) + r"(.+)-(\d+)-[^-]+", name)
            if m is None or m.group(1) != host or _pid_alive(int(m.group(2))):
                continue
            path = os.path.join(base, name)
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


@contextlib.contextmanager
def run_directory(temp_dir: str | os.PathLike | None) -> Iterator[str]:
    """A fresh private directory for run files inside `temp_dir`, removed on exit (always)."""
    base = os.fspath(temp_dir) if temp_dir is not None else tempfile.gettempdir()
    if not os.path.exists(base):
        raise FileNotFoundError(f"temporary directory does not exist: {base}")
    if not os.path.isdir(base):
        raise ValueError(f"temporary directory is not a directory: {base}")
    remove_stale_run_dirs(base)
    prefix = f"{_RUN_PREFIX}{socket.gethostname()}-{os.getpid()}-"
    try:
        path = tempfile.mkdtemp(prefix=prefix, dir=base)
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot create a run directory in {base}: {exc.strerror}", base) from exc
    try:
        probe = os.path.join(path, "probe")
        with open(probe, "wb") as f:
            f.write(b"x")
        os.unlink(probe)
    except OSError as exc:
        shutil.rmtree(path, ignore_errors=True)
        raise type(exc)(exc.errno, f"temporary directory is not writable: {base} ({exc.strerror})", base) from exc
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises SystemExit(143) (so `finally` cleanup runs).

    Only in the main thread (elsewhere signal handlers cannot be set; nothing changes).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # pragma: no cover - not the main interpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def pruned_vocabulary(words: list[str], freq: np.ndarray, min_count: int, max_vocab: int | None) -> list[str]:
    """The words kept by `min_count`/`max_vocab` in first-occurrence order (same rule as from_file)."""
    return list(RESERVED) + [words[i] for i in kept_word_ids(freq, min_count, max_vocab)]


def external_counter(files: Sequence[str], order: int, memory: int, run_dir: str, threads: int,
                     min_count: int, max_vocab: int | None, progress: Callable[[str, int], None] | None = None):
    """An _ExternalCounter fed with `files` (a first pass fixes the vocabulary if pruning)."""
    vocabulary = None
    if min_count > 1 or max_vocab is not None:
        words, freq = _core.ngram_scan_vocabulary(list(files), threads, 4 << 20)
        vocab = list(RESERVED) + decode(words)
        vocabulary = encode(pruned_vocabulary(vocab, np.asarray(freq), min_count, max_vocab))
    counter = _core._ExternalCounter(order, memory, run_dir, threads, vocabulary)
    for f in files:
        counter.add_file(f)
        if progress is not None:
            progress(f, os.path.getsize(f))
    return counter


def _write_npy_member(zf: zipfile.ZipFile, name: str, dtype: np.dtype, shape: tuple[int, ...],
                      raw: str | None = None, array: np.ndarray | None = None) -> None:
    """One ``name.npy`` member of an .npz, its data streamed from a raw file (or an array)."""
    with zf.open(name + ".npy", "w", force_zip64=True) as dst:
        np.lib.format.write_array_header_2_0(
            dst, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape})
        if array is not None:
            dst.write(np.ascontiguousarray(array).tobytes())
        else:
            with open(raw, "rb") as src:
                shutil.copyfileobj(src, dst, 8 << 20)


def merged_count_files(files: Sequence[str], order: int, memory: int, run_dir: str, threads: int,
                       min_count: int, max_vocab: int | None,
                       progress: Callable[[str, int], None] | None = None
                       ) -> tuple[list[str], list[str], list[int], dict, list[str]]:
    """Count `files` under the budget and merge the runs into one raw file per order in
    `run_dir`: ``ngrams_k.raw`` (rows of k little-endian uint32) and ``counts_k.raw``
    (int64), sorted. Returns (n-gram paths, count paths, rows per order, statistics,
    vocabulary); ValueError for an empty corpus."""
    counter = external_counter(files, order, memory, run_dir, threads, min_count, max_vocab, progress)
    ng_paths = [os.path.join(run_dir, f"ngrams_{k}.raw") for k in range(1, order + 1)]
    ct_paths = [os.path.join(run_dir, f"counts_{k}.raw") for k in range(1, order + 1)]
    rows = [int(r) for r in counter.merge_to_files(ng_paths, ct_paths)]
    stats = dict(counter.stats)
    vocab = list(RESERVED) + decode(counter.words_from(len(RESERVED)))
    del counter
    if stats["tokens"] == 0:
        raise ValueError(f"empty corpus: no tokens in {files[0] if len(files) == 1 else f'{len(files)} files'}")
    return ng_paths, ct_paths, rows, stats, vocab


def count_to_file(paths: str | os.PathLike | Sequence[str | os.PathLike], order: int, out: str | os.PathLike, *,
                  memory: int | str = "1G", temp_dir: str | os.PathLike | None = None, min_count: int = 1,
                  max_vocab: int | None = None, n_threads: int | None = None) -> dict:
    """Count the n-grams of text files straight into a counts file, under a memory budget.

    The merged counts are streamed into `out` (the ``.npz`` format of
    :meth:`NGramCounts.save`, readable by :meth:`NGramCounts.load`) and never held in memory
    all at once, so the result may be larger than RAM. The file appears atomically (a
    temporary file next to it, renamed at the end); on an error, Ctrl-C or SIGTERM neither
    it nor any run file is left behind.

    Parameters
    ----------
    paths : path or list of paths
        Corpus files (one sentence per line), counted as one corpus.
    order : int
        Highest order N.
    out : path
        Counts file to write (``.npz``).
    memory : int or str, default="1G"
        Budget for the counting working set (bytes or ``"512M"``, ``"4G"``); see
        :meth:`NGramCounts.from_file` for what it covers.
    temp_dir : path, optional
        Where run files go (default: the system temporary directory). Needs about as much
        free space as the counts file plus the runs (at most 4k + 8 bytes per distinct
        n-gram of order k per block).
    min_count, max_vocab, n_threads
        As in :meth:`NGramCounts.from_file`.

    Returns
    -------
    dict
        Statistics: tokens, sentences, blocks, runs, spilled_bytes, sizes (n-grams per order).
    """
    from infogen.ngram._formats import COUNTS_FORMAT as _FORMAT
    from infogen.ngram._formats import COUNTS_VERSION as _VERSION

    order = check_order(order)
    files = check_paths(paths)
    budget = parse_memory(memory)
    threads = resolve_threads(n_threads)
    check_vocab_args(min_count, max_vocab)
    out = os.fspath(out)
    from infogen.ngram.compressed import plain_files

    with sigterm_raises(), run_directory(temp_dir) as run_dir, plain_files(files, run_dir) as plain:
        ng_paths, ct_paths, rows, stats, vocab = merged_count_files(plain, order, budget, run_dir, threads,
                                                                    min_count, max_vocab)
        meta = {"format": _FORMAT, "version": _VERSION, "order": order, "n_sentences": int(stats["sentences"]),
                "n_tokens": int(stats["tokens"])}
        try:
            with atomic_write(out) as f, zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED,
                                                         allowZip64=True) as zf:
                meta_arr = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
                vocab_arr = np.frombuffer(b"\n".join(encode(vocab)), dtype=np.uint8)
                _write_npy_member(zf, "meta", np.uint8, meta_arr.shape, array=meta_arr)
                _write_npy_member(zf, "vocab", np.uint8, vocab_arr.shape, array=vocab_arr)
                for k in range(1, order + 1):
                    m = int(rows[k - 1])
                    _write_npy_member(zf, f"ngrams_{k}", np.uint32, (m, k), raw=ng_paths[k - 1])
                    os.unlink(ng_paths[k - 1])
                    _write_npy_member(zf, f"counts_{k}", np.int64, (m,), raw=ct_paths[k - 1])
                    os.unlink(ct_paths[k - 1])
        except OSError as exc:
            if exc.filename is None:
                raise OSError(exc.errno, f"cannot write {out}: {exc.strerror or exc}", out) from exc
            raise
    stats["sizes"] = [int(r) for r in rows]
    return stats
