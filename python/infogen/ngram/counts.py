"""N-gram counts of a corpus: counted in C++, held as sorted NumPy arrays, mergeable."""
from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from infogen import _core
from infogen._config import resolve_threads
from infogen._io import atomic_write
from infogen.ngram._formats import COUNTS_FORMAT as _FORMAT
from infogen.ngram._formats import COUNTS_RAW_MAGIC as _RAW_MAGIC
from infogen.ngram._formats import COUNTS_RAW_VERSION as _RAW_VERSION
from infogen.ngram._formats import COUNTS_VERSION as _VERSION
from infogen.ngram._text import (
    BOS_ID,
    EOS_ID,
    RESERVED,
    UNK_ID,
    check_order,
    check_paths,
    check_vocab_args,
    decode,
    encode,
    kept_word_ids,
    split_tokens,
    to_buffer,
)

__all__ = ["NGramCounts"]


def _aligned(n: int) -> int:
    return (n + 7) & ~7


def _pad(n: int) -> bytes:
    return b"\0" * (_aligned(n) - n)


def _keys(rows: np.ndarray) -> np.ndarray:
    """Rows of word ids -> 1-D byte strings whose byte order is the rows' lexicographic order."""
    rows = np.ascontiguousarray(rows, dtype=">u4")
    return rows.view(f"V{4 * rows.shape[1]}").ravel() if rows.shape[0] else np.empty(0, f"V{4 * rows.shape[1]}")


class NGramCounts:
    """Counts of every n-gram of orders 1..N in a corpus.

    Sentences are padded as in KenLM and the lecture: a sentence ``w1 .. wn`` is read as
    ``<s> w1 .. wn </s>`` and makes n + 1 predictions (``w1 .. wn`` and ``</s>``). At every
    predicted position the n-grams of orders 1..N ending there are counted (those that
    would start before ``<s>`` do not exist), so ``<s>`` only ever starts an n-gram and its
    unigram count is 0. Counts are additive: :meth:`merge` of the counts of two corpora is
    the counts of their concatenation.

    Build with :meth:`from_file` (counted by the C++ engine straight from the files, in
    parallel) or :meth:`from_sentences`; do not call the constructor directly.

    Attributes
    ----------
    order : int
        Highest order N.
    vocab : list of str
        Word of each id; ids 0, 1, 2 are ``<unk>``, ``<s>``, ``</s>``, then words in order of
        first occurrence in the corpus.
    ngrams : list of ndarray
        ``ngrams[k-1]`` is a uint32 array of shape (m_k, k) holding the distinct n-grams of
        order k as word ids, sorted lexicographically.
    counts : list of ndarray
        ``counts[k-1]`` is the int64 count of each row of ``ngrams[k-1]``.
    n_sentences, n_tokens : int
        Sentences and tokens (words, without ``<s>``/``</s>``) counted.

    Examples
    --------
    >>> from infogen import NGramCounts
    >>> c = NGramCounts.from_sentences(["waste of time and money", "waste of money"], order=3)
    >>> c["waste", "of"], c["waste", "of", "time"], c["<s>", "waste", "of"]
    (2, 1, 2)
    >>> c.total(1)  # 8 words + 2 end-of-sentence predictions
    10
    """

    def __init__(self, order: int, vocab: list[str], ngrams: list[np.ndarray], counts: list[np.ndarray],
                 n_sentences: int, n_tokens: int, stats: dict[str, Any] | None = None) -> None:
        self.order = order
        self.vocab = vocab
        self.ngrams = ngrams
        self.counts = counts
        self.n_sentences = int(n_sentences)
        self.n_tokens = int(n_tokens)
        self.stats = dict(stats or {})
        self._index: dict[str, int] | None = None
        self._keys: dict[int, np.ndarray] = {}

    # --- construction ---------------------------------------------------------------------
    @classmethod
    def from_file(cls, paths: str | os.PathLike | Sequence[str | os.PathLike], order: int = 3, *,
                  min_count: int = 1, max_vocab: int | None = None, n_threads: int | None = None,
                  progress: Callable[[str, int], None] | None = None, memory: int | str | None = None,
                  temp_dir: str | os.PathLike | None = None) -> NGramCounts:
        """Count the n-grams of text files (one sentence per line, whitespace-separated tokens).

        The files are read and tokenised by the C++ engine in large blocks, split across
        threads at line boundaries; nothing is done per token in Python. Bytes are passed
        through, so any encoding works (invalid UTF-8 shows up as surrogate escapes in
        :attr:`vocab`). Lines without tokens are skipped. ``<unk>`` in the text is the unknown
        word; ``<s>`` and ``</s>`` are reserved (ValueError with file and line).

        Parameters
        ----------
        paths : path or list of paths
            Corpus files, counted as one corpus in the given order.
        order : int, default=3
            Highest order N (1..16).
        min_count : int, default=1
            Words seen fewer times become ``<unk>``.
        max_vocab : int, optional
            Keep only the ``max_vocab`` most frequent words (ties: first seen first); the
            rest become ``<unk>``.
        n_threads : int, optional
            Threads for reading and counting (default: all). Results do not depend on it.
        progress : callable, optional
            Called as ``progress(path, n_bytes)`` after each file is read.
        memory : int or str, optional
            Memory budget for counting (bytes, or ``"512M"``, ``"4G"``; binary units). The
            corpus is then read in blocks; when the held tokens and their tables would exceed
            the budget, the block is counted and spilled to `temp_dir` as sorted runs, which
            are k-way merged at the end (like KenLM's ``lmplz -S``). The result is identical
            to the in-memory count. The budget covers the counting working set (tokens,
            sort keys, block tables, vocabulary, merge buffers); the returned tables are
            extra -- to count corpora whose counts do not fit in RAM, use
            :func:`infogen.ngram.count_to_file`. With `min_count`/`max_vocab` the files are
            read twice (the first pass fixes the vocabulary). Default: all in memory.
        temp_dir : path, optional
            Directory for the run files (default: the system temporary directory). A
            private subdirectory is created and always removed, also on Ctrl-C/SIGTERM;
            those left by killed processes of this host are removed on the next run.

        Returns
        -------
        NGramCounts
        """
        from infogen.ngram.compressed import plain_files

        order = check_order(order)
        files = check_paths(paths)
        threads = resolve_threads(n_threads)
        t0 = time.perf_counter()
        with plain_files(files, temp_dir) as plain:  # gzip/xz/bzip2 corpora: decompressed copies
            if memory is not None:
                return cls._from_files_budgeted(plain, order, memory, temp_dir, min_count, max_vocab, threads,
                                                progress)
            ids, offsets, vocab, n_lines, n_bytes = tokenize(files=plain, n_threads=threads, progress=progress)
        where = files[0] if len(files) == 1 else f"{len(files)} files ({files[0]}, ...)"
        return cls._from_ids(ids, offsets, vocab, order, min_count, max_vocab, threads, where,
                             {"bytes": int(n_bytes), "lines": int(n_lines), "read_seconds": time.perf_counter() - t0})

    @classmethod
    def _from_files_budgeted(cls, files: list[str], order: int, memory: int | str, temp_dir: Any, min_count: int,
                             max_vocab: int | None, threads: int,
                             progress: Callable[[str, int], None] | None) -> NGramCounts:
        from infogen.ngram import outofcore

        budget = outofcore.parse_memory(memory)
        check_vocab_args(min_count, max_vocab)
        t0 = time.perf_counter()
        with outofcore.sigterm_raises(), outofcore.run_directory(temp_dir) as run_dir:
            counter = outofcore.external_counter(files, order, budget, run_dir, threads, min_count, max_vocab,
                                                 progress)
            tables = counter.merge_to_memory()
            stats = dict(counter.stats)
            vocab = list(RESERVED) + decode(counter.words_from(len(RESERVED)))
        if stats["tokens"] == 0:
            where = files[0] if len(files) == 1 else f"{len(files)} files ({files[0]}, ...)"
            raise ValueError(f"empty corpus: no tokens in {where}")
        stats.update(memory=budget, seconds=time.perf_counter() - t0)
        return cls(order, vocab, [t[0] for t in tables], [t[1] for t in tables],
                   n_sentences=stats["sentences"], n_tokens=stats["tokens"], stats=stats)

    @classmethod
    def from_sentences(cls, sentences: Iterable[str | Sequence[str]], order: int = 3, *, min_count: int = 1,
                       max_vocab: int | None = None, n_threads: int | None = None) -> NGramCounts:
        """Count the n-grams of sentences given as strings (split on whitespace) or token lists.

        Same counting as :meth:`from_file`; the sentences are joined into one buffer that the
        C++ engine tokenises (tokens may not contain whitespace). Empty sentences are skipped.
        """
        order = check_order(order)
        threads = resolve_threads(n_threads)
        t0 = time.perf_counter()
        buf, _ = to_buffer(sentences)
        ids, offsets, vocab, n_lines, n_bytes = tokenize(data=buf, n_threads=threads)
        return cls._from_ids(ids, offsets, vocab, order, min_count, max_vocab, threads, "the sentences",
                             {"bytes": int(n_bytes), "lines": int(n_lines), "read_seconds": time.perf_counter() - t0})

    @classmethod
    def from_bytes(cls, data: bytes, order: int = 3, *, min_count: int = 1, max_vocab: int | None = None,
                   n_threads: int | None = None) -> NGramCounts:
        """Count the n-grams of text held in memory (same format as a corpus file)."""
        order = check_order(order)
        if not isinstance(data, bytes):
            raise TypeError(f"data must be bytes, got {type(data).__name__}")
        threads = resolve_threads(n_threads)
        t0 = time.perf_counter()
        ids, offsets, vocab, n_lines, n_bytes = tokenize(data=data, n_threads=threads)
        return cls._from_ids(ids, offsets, vocab, order, min_count, max_vocab, threads, "the text",
                             {"bytes": int(n_bytes), "lines": int(n_lines), "read_seconds": time.perf_counter() - t0})

    @classmethod
    def from_ids(cls, ids: np.ndarray, offsets: np.ndarray, vocab: Sequence[str], order: int = 3, *,
                 n_threads: int | None = None) -> NGramCounts:
        """Count already-encoded sentences: ``ids[offsets[s]:offsets[s+1]]`` is sentence s.

        ``vocab[i]`` is the word of id i and must start with ``<unk>``, ``<s>``, ``</s>``.
        """
        vocab = list(vocab)
        if tuple(vocab[:3]) != RESERVED:
            raise ValueError(f"vocab must start with {list(RESERVED)}, got {vocab[:3]}")
        ids = _int_array(ids, "ids", np.uint32)
        offsets = _int_array(offsets, "offsets", np.int64)
        return cls._from_ids(ids, offsets, vocab, check_order(order), 1, None, resolve_threads(n_threads),
                             "the ids", {})

    @classmethod
    def _from_ids(cls, ids: np.ndarray, offsets: np.ndarray, vocab: list[str], order: int, min_count: int,
                  max_vocab: int | None, threads: int, where: str, stats: dict[str, Any]) -> NGramCounts:
        ids, vocab = limit_vocabulary(ids, vocab, min_count, max_vocab, where)
        t0 = time.perf_counter()
        if ids.size >= TRIE_MIN_TOKENS and _core.ngram_count_trie_supported(order, len(vocab)):
            # from TRIE_MIN_TOKENS: all windows sorted in buckets (count_trie.hpp), then the tables
            trie = _core.ngram_count_trie(ids, offsets, order, len(vocab), threads)
            t1 = time.perf_counter()
            tables = [trie.table(k, threads) for k in range(1, order + 1)]
            del trie
            info = {"table_bytes": [0] * order, "scan_seconds": t1 - t0, "export_seconds": time.perf_counter() - t1}
        else:
            tables, info = _core.ngram_count(ids, offsets, order, len(vocab), threads)
        stats = dict(stats)
        stats.update(count_seconds=time.perf_counter() - t0, table_bytes=list(info["table_bytes"]),
                     scan_seconds=info["scan_seconds"], export_seconds=info["export_seconds"])
        return cls(order, vocab, [t[0] for t in tables], [t[1] for t in tables],
                   n_sentences=offsets.size - 1, n_tokens=ids.size, stats=stats)

    # --- queries ----------------------------------------------------------------------------
    @property
    def word_index(self) -> dict[str, int]:
        """Word -> id."""
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.vocab)}
        return self._index

    def ids_of(self, words: Sequence[str]) -> np.ndarray | None:
        """Ids of words, or None if one is not in the vocabulary."""
        index = self.word_index
        try:
            return np.array([index[w] for w in words], dtype=np.uint32)
        except KeyError:
            return None

    def lookup(self, ngrams: np.ndarray) -> np.ndarray:
        """Counts of a batch of n-grams given as an (m, k) array of word ids (0 if absent)."""
        ngrams = _int_array(ngrams, "ngrams", np.uint32)
        if ngrams.ndim != 2 or not 1 <= ngrams.shape[1] <= self.order:
            raise ValueError(f"ngrams must have shape (m, k) with 1 <= k <= {self.order}, got {ngrams.shape}")
        k = ngrams.shape[1]
        if k not in self._keys:
            self._keys[k] = _keys(self.ngrams[k - 1])
        table = self._keys[k]
        q = _keys(ngrams.astype(np.uint32))
        pos = np.searchsorted(table, q)
        found = pos < table.size
        found[found] = table[pos[found]] == q[found]
        out = np.zeros(q.size, dtype=np.int64)
        out[found] = self.counts[k - 1][pos[found]]
        return out

    def __getitem__(self, key: str | Sequence[str]) -> int:
        """Count of one n-gram: ``counts["waste", "of", "time"]`` or ``counts["waste of time"]``."""
        words = split_tokens(key) if isinstance(key, str) else list(key)
        if not 1 <= len(words) <= self.order:
            raise KeyError(f"an n-gram of 1..{self.order} words, got {len(words)}: {key!r}")
        ids = self.ids_of(words)
        if ids is None:
            return 0
        return int(self.lookup(ids.reshape(1, -1))[0])

    def total(self, order: int = 1) -> int:
        """Sum of the counts of order `order` (for order 1: tokens plus sentence ends)."""
        return int(self.counts[self._check(order) - 1].sum())

    def size(self, order: int) -> int:
        """Number of distinct n-grams of order `order`."""
        return int(self.counts[self._check(order) - 1].size)

    @property
    def sizes(self) -> list[int]:
        """Distinct n-grams per order."""
        return [int(c.size) for c in self.counts]

    def count_of_counts(self, order: int, max_count: int | None = None) -> np.ndarray:
        """``out[c]`` = number of distinct n-grams of order `order` seen exactly c times.

        With `max_count`, the array has length max_count + 1 and its last entry counts the
        n-grams seen max_count times or more.
        """
        c = self.counts[self._check(order) - 1]
        if max_count is None:
            return np.bincount(c, minlength=1)
        return np.bincount(np.minimum(c, max_count), minlength=max_count + 1)

    def items(self, order: int) -> Iterator[tuple[tuple[str, ...], int]]:
        """(words, count) pairs of one order, in sorted id order."""
        vocab = self.vocab
        for row, c in zip(self.ngrams[self._check(order) - 1].tolist(), self.counts[order - 1].tolist()):
            yield tuple(vocab[i] for i in row), c

    def to_dict(self, order: int) -> dict[tuple[str, ...], int]:
        """All n-grams of one order as a dict {(w1, ..., wk): count}."""
        return dict(self.items(order))

    def _check(self, order: int) -> int:
        order = check_order(order)
        if order > self.order:
            raise ValueError(f"these counts go up to order {self.order}, asked for {order}")
        return order

    def __repr__(self) -> str:
        return (f"NGramCounts(order={self.order}, words={len(self.vocab)}, tokens={self.n_tokens}, "
                f"sentences={self.n_sentences}, ngrams={self.sizes})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NGramCounts):
            return NotImplemented
        return (self.order == other.order and self.vocab == other.vocab
                and self.n_sentences == other.n_sentences and self.n_tokens == other.n_tokens
                and all(np.array_equal(a, b) for a, b in zip(self.ngrams, other.ngrams))
                and all(np.array_equal(a, b) for a, b in zip(self.counts, other.counts)))

    __hash__ = None  # type: ignore[assignment]

    # --- combination and persistence ---------------------------------------------------------
    def merge(self, other: NGramCounts, *, n_threads: int | None = None) -> NGramCounts:
        """Counts of both corpora: the vocabularies are united (other's new words appended).

        Merging the counts of two files gives exactly the counts of their concatenation.
        Each order is merged in C++ (other's ids mapped, re-sorted, merged as sorted
        arrays); orders run on up to `n_threads` threads (default: all).
        """
        if not isinstance(other, NGramCounts):
            raise TypeError(f"can only merge NGramCounts, got {type(other).__name__}")
        if other.order != self.order:
            raise ValueError(f"cannot merge counts of order {self.order} and {other.order}")
        index = dict(self.word_index)
        vocab = list(self.vocab)
        remap = np.empty(len(other.vocab), dtype=np.uint32)
        for i, w in enumerate(other.vocab):
            j = index.get(w)
            if j is None:
                j = index[w] = len(vocab)
                vocab.append(w)
            remap[i] = j
        def merge_order(k: int) -> tuple[np.ndarray, np.ndarray]:  # C++, GIL released
            return _core.ngram_merge_tables(self.ngrams[k], self.counts[k], other.ngrams[k], other.counts[k],
                                            remap, len(vocab))

        threads = min(self.order, resolve_threads(n_threads))
        if threads > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(threads) as pool:
                tables = list(pool.map(merge_order, range(self.order - 1, -1, -1)))[::-1]
        else:
            tables = [merge_order(k) for k in range(self.order)]
        ngrams = [g for g, _ in tables]
        counts = [c for _, c in tables]
        return NGramCounts(self.order, vocab, ngrams, counts, self.n_sentences + other.n_sentences,
                           self.n_tokens + other.n_tokens)

    def dumps(self) -> bytes:
        """The counts as one compact bytes object (no pickle), for sending between processes.

        Layout ("raw" count format, version 2): the 8-byte magic ``IGNGRAM2``, a little-endian
        uint64 header length, a JSON header (format, order, n_sentences, n_tokens, sizes,
        vocab_bytes, word_dtype, count_dtypes), then the vocabulary (words joined by
        newlines) and for each order the n-gram rows and the counts, every part padded to 8
        bytes. Word ids are stored in 2 bytes when all ids are below 65536,
        counts in the narrowest of 1, 2, 4, 8 bytes that holds them. Unlike the ``.npz`` of
        :meth:`save` there is no zip container or checksum; :meth:`loads` maps full-width
        arrays without copying and widens narrow ones. :meth:`load` reads both formats.
        """
        vocab = b"\n".join(encode(self.vocab))
        # Narrowest types that hold the values: word ids in 2 bytes when all are < 65536 (the
        # tables decide, not len(vocab): Dask sends tables without their vocabulary), counts
        # in 1, 2 or 4 bytes when they fit (most counts are small).
        top_id = max((int(g.max()) for g in self.ngrams if g.size), default=0)
        word_dtype = "<u2" if top_id < 1 << 16 else "<u4"
        count_dtypes = []
        for c in self.counts:
            top = int(c.max()) if c.size else 0
            low = int(c.min()) if c.size else 0
            count_dtypes.append("<i8" if low < 0 else next(t for t, m in (("<u1", 1 << 8), ("<u2", 1 << 16),
                                                                         ("<u4", 1 << 32), ("<i8", 1 << 63))
                                                           if top < m))
        header = json.dumps({"format": _FORMAT, "version": _RAW_VERSION, "order": self.order,
                             "n_sentences": self.n_sentences, "n_tokens": self.n_tokens, "sizes": self.sizes,
                             "vocab_bytes": len(vocab), "word_dtype": word_dtype,
                             "count_dtypes": count_dtypes}).encode()
        parts: list[Any] = [_RAW_MAGIC, len(header).to_bytes(8, "little"), header, _pad(len(header)),
                            vocab, _pad(len(vocab))]
        for g, c, cd in zip(self.ngrams, self.counts, count_dtypes):
            g = np.ascontiguousarray(g, dtype=word_dtype)
            c = np.ascontiguousarray(c, dtype=cd)
            parts += [memoryview(g).cast("B"), _pad(g.nbytes), memoryview(c).cast("B"), _pad(c.nbytes)]
        return b"".join(parts)

    @classmethod
    def loads(cls, data: bytes | bytearray | memoryview) -> NGramCounts:
        """Counts from the bytes of :meth:`dumps` (arrays are read-only views of `data`) or of a .npz."""
        buf = memoryview(data)
        if bytes(buf[:8]) != _RAW_MAGIC:
            return cls.load(io.BytesIO(bytes(buf)))
        try:
            n = int.from_bytes(buf[8:16], "little")
            meta = json.loads(bytes(buf[16:16 + n]))
            pos = _aligned(16 + n)
            vocab = decode(bytes(buf[pos:pos + meta["vocab_bytes"]]).split(b"\n"))
            pos = _aligned(pos + meta["vocab_bytes"])
            ngrams, counts = [], []
            wd = np.dtype(meta.get("word_dtype", "<u4"))
            for k, m in enumerate(meta["sizes"], start=1):
                g = np.frombuffer(buf, dtype=wd, count=m * k, offset=pos).reshape(m, k)
                ngrams.append(g if wd == np.dtype("<u4") else g.astype(np.uint32))
                pos = _aligned(pos + wd.itemsize * m * k)
                cd = np.dtype(meta.get("count_dtypes", ["<i8"] * meta["order"])[k - 1])
                c = np.frombuffer(buf, dtype=cd, count=m, offset=pos)
                counts.append(c if cd == np.dtype("<i8") else c.astype(np.int64))
                pos = _aligned(pos + cd.itemsize * m)
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"not valid infogen n-gram count bytes ({exc})") from exc
        if meta.get("format") != _FORMAT or len(ngrams) != meta["order"]:
            raise ValueError("not valid infogen n-gram count bytes")
        return cls(meta["order"], vocab, ngrams, counts, meta["n_sentences"], meta["n_tokens"])

    def _write_npz(self, f: Any) -> None:
        meta = {"format": _FORMAT, "version": _VERSION, "order": self.order, "n_sentences": self.n_sentences,
                "n_tokens": self.n_tokens}
        arrays = {"meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                  "vocab": np.frombuffer(b"\n".join(encode(self.vocab)), dtype=np.uint8)}
        for k in range(self.order):
            arrays[f"ngrams_{k + 1}"] = self.ngrams[k]
            arrays[f"counts_{k + 1}"] = self.counts[k]
        np.savez(f, **arrays)

    def save(self, path: str | os.PathLike) -> None:
        """Write the counts as a ``.npz`` file (no pickle), atomically."""
        with atomic_write(path) as f:
            self._write_npz(f)

    @classmethod
    def load(cls, path: str | os.PathLike | io.BytesIO) -> NGramCounts:
        """Read counts written by :meth:`save` (or :func:`~infogen.ngram.count_to_file`)."""
        if isinstance(path, io.BytesIO):
            source: Any = path
            path = "<bytes>"
        else:
            source = path = os.fspath(path)
        if isinstance(source, str) and not os.path.exists(source):
            raise FileNotFoundError(f"counts file not found: {path}")
        if isinstance(source, str):
            with open(source, "rb") as f:
                raw = f.read(8) == _RAW_MAGIC
            if raw:
                try:
                    return cls.loads(np.fromfile(source, dtype=np.uint8))
                except ValueError as exc:
                    raise ValueError(f"{path}: {exc}") from exc
        import zipfile

        try:
            with contextlib.ExitStack() as stack:
                fh = stack.enter_context(open(source, "rb")) if isinstance(source, str) else source
                z = stack.enter_context(np.load(fh, allow_pickle=False))
                meta = json.loads(z["meta"].tobytes().decode())
                if meta.get("format") != _FORMAT:
                    raise ValueError(f"{path} is not an infogen n-gram counts file")
                order = int(meta["order"])
                vocab = decode(z["vocab"].tobytes().split(b"\n"))
                ngrams = [np.ascontiguousarray(z[f"ngrams_{k}"], dtype=np.uint32) for k in range(1, order + 1)]
                counts = [np.ascontiguousarray(z[f"counts_{k}"], dtype=np.int64) for k in range(1, order + 1)]
        except (KeyError, OSError, EOFError, ValueError, TypeError, zipfile.BadZipFile) as exc:
            if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
                raise
            raise ValueError(f"{path} is not a valid infogen n-gram counts file ({exc})") from exc
        for name in ("n_sentences", "n_tokens"):
            if isinstance(meta.get(name), bool) or not isinstance(meta.get(name), int) or meta[name] < 0:
                raise ValueError(f"{path}: the metadata's {name} is missing or not a non-negative int")
        for k, (g, c) in enumerate(zip(ngrams, counts), start=1):
            if g.ndim != 2 or g.shape[1] != k or c.shape != (g.shape[0],):
                raise ValueError(f"{path}: order-{k} arrays have inconsistent shapes")
            if g.size and int(g.max()) >= len(vocab):
                raise ValueError(f"{path}: order-{k} n-grams hold word ids outside the vocabulary")
            if c.size and int(c.min()) < 1:
                raise ValueError(f"{path}: order-{k} counts hold a count below 1 ({int(c.min())}): the file is corrupt")
        return cls(order, vocab, ngrams, counts, meta["n_sentences"], meta["n_tokens"])


#: From this many tokens on, in-memory counts are made through the count trie (all windows
#: sorted once in buckets of first words, the buckets in parallel, then the tables): faster
#: than one sort per order from KJV's size up (~5% on KJV and a 10^6-token Zipf corpus,
#: ~40% on 10^8 tokens), slower on small corpora. Same result.
TRIE_MIN_TOKENS = 1 << 19


def _int_array(a: Any, name: str, dtype: Any) -> np.ndarray:
    """`a` as a contiguous array of `dtype`: integers in its range only (a float id, a negative
    id or one past the type's range is a ValueError, never truncated or wrapped).
    """
    arr = np.asarray(a)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    info = np.iinfo(dtype)
    if arr.size and (int(arr.min()) < info.min or int(arr.max()) > info.max):
        bad = int(arr.min()) if int(arr.min()) < info.min else int(arr.max())
        raise ValueError(f"{name} holds {bad}, outside [{info.min}, {info.max}]")
    return np.ascontiguousarray(arr, dtype=dtype)


def tokenize(*, files: Sequence[str] | None = None, data: bytes | None = None, n_threads: int = 1,
             progress: Callable[[str, int], None] | None = None) -> tuple[np.ndarray, np.ndarray, list[str], int, int]:
    """Word ids of text files or a buffer, by the C++ tokenizer.

    Returns ``(ids, offsets, vocab, n_lines, n_bytes)``: sentence s is
    ``ids[offsets[s]:offsets[s+1]]``; new words get ids in order of first occurrence.
    """
    tok = _core._Tokenizer(True)
    if data is not None:
        tok.feed_buffer(data, n_threads)
    for f in files or ():
        tok.feed_file(f, n_threads)
        if progress is not None:
            progress(f, os.path.getsize(f))
    ids, offsets, n_lines, n_bytes = tok.take()
    vocab = list(RESERVED) + _words_after_reserved(tok)
    return ids, offsets, vocab, int(n_lines), int(n_bytes)


def _words_after_reserved(tok: Any) -> list[str]:
    """The tokenizer's words after the reserved ones, decoded in one call as ``decode`` does
    (UTF-8, surrogateescape); words never hold whitespace, so a newline separates them.
    """
    text = tok.words_text_from(len(RESERVED))
    return text.split("\n") if text else []


def limit_vocabulary(ids: np.ndarray, vocab: list[str], min_count: int, max_vocab: int | None,
                     where: str) -> tuple[np.ndarray, list[str]]:
    """Check a corpus is not empty and apply `min_count` / `max_vocab` (rare words -> <unk>)."""
    check_vocab_args(min_count, max_vocab)
    if ids.size == 0:
        raise ValueError(f"empty corpus: no tokens in {where}")
    if min_count > 1 or max_vocab is not None:
        ids, vocab = _prune(ids, vocab, min_count, max_vocab)
    return ids, vocab


def _prune(ids: np.ndarray, vocab: list[str], min_count: int, max_vocab: int | None) -> tuple[np.ndarray, list[str]]:
    """Map rare words to <unk>; keep the surviving words in first-occurrence order."""
    freq = np.bincount(ids, minlength=len(vocab))
    kept = kept_word_ids(freq, min_count, max_vocab)
    remap = np.zeros(len(vocab), dtype=np.uint32)
    remap[:3] = [UNK_ID, BOS_ID, EOS_ID]
    remap[kept] = np.arange(3, 3 + kept.size, dtype=np.uint32)
    return remap[ids], list(RESERVED) + [vocab[i] for i in kept]
