r"""ARPA files: the text format of backoff n-gram models shared by SRILM, KenLM and others.

Layout::

    \data\
    ngram 1=<count>
    ngram 2=<count>

    \1-grams:
    <log10 prob>\t<word>[\t<log10 backoff>]
    ...
    \end\

Probabilities and backoffs are base-10 logs. A probability of zero is written ``-99``
(KenLM's convention for ``<s>``) and read back as zero: values <= -99 are read as -inf.
Files ending in ``.gz``, ``.bz2`` or ``.xz`` are (de)compressed transparently.
"""
from __future__ import annotations

import bz2
import contextlib
import dataclasses
import gzip
import lzma
import math
import os
import re
import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

import numpy as np

from infogen import _core
from infogen._io import atomic_write
from infogen.ngram._text import BOS, ENCODING, ERRORS, RESERVED, check_order, encode

if TYPE_CHECKING:
    from infogen.ngram.model import NGramLM

__all__ = ["ArpaTables", "arpa_output", "parse_arpa", "write_arpa"]

LN10 = math.log(10.0)
_NEG = -99.0
_HEADER = re.compile(r"ngram\s+(\d+)\s*=\s*(\d+)$")


@contextlib.contextmanager
def arpa_output(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """A binary stream into `path`, written atomically and compressed by extension
    (``.gz``, ``.bz2``, ``.xz``): on any error the file is left as it was. ``"-"`` is
    standard output (not atomic, not compressed).
    """
    path = os.fspath(path)
    if path == "-":  # standard output, as lmplz writes by default
        out = sys.stdout.buffer
        yield out
        out.flush()
        return
    ext = os.path.splitext(path)[1]
    with atomic_write(path, "wb") as raw:
        if ext == ".gz":
            stream = gzip.GzipFile(fileobj=raw, mode="wb")
        elif ext in (".bz2", ".xz"):
            stream = {".bz2": bz2.BZ2File, ".xz": lzma.LZMAFile}[ext](raw, mode="wb")
        else:
            yield raw
            return
        with stream:
            yield stream


def float32_precision(precision: str) -> bool:
    """True for ``"float"``, False for ``"double"`` (the precision of ARPA numbers)."""
    if precision not in ("double", "float"):
        raise ValueError(f"precision must be 'double' or 'float', got {precision!r}")
    return precision == "float"


def write_arpa(lm: NGramLM, path: str | os.PathLike, *, precision: str = "double") -> None:
    """Write a fitted :class:`~infogen.NGramLM` as an ARPA file, atomically.

    The lines are formatted by the C++ core: base-10 logs in the shortest form that reads
    back to the same double (``precision="float"``: the same float, as KenLM writes),
    ``-99`` for probability zero, no backoff field where the backoff is 1 (log 0) or for the
    highest order. The unigram ``<s>`` is written with
    probability ``-99``, or ``0`` for Kneser-Ney models, as lmplz writes it. Lines are
    formatted in parallel (``lm.n_threads``).
    """
    from infogen._config import resolve_threads

    threads = resolve_threads(lm.n_threads)
    float32 = float32_precision(precision)
    bos = lm._arpa_bos()
    path = os.fspath(path)
    vocab = encode(lm.vocab_)
    order = lm.order
    sizes = [len(vocab)] + [int(g.shape[0]) for g in lm.ngrams_]
    with arpa_output(path) as stream:
        stream.write(b"\\data\\\n" + b"".join(f"ngram {k}={n}\n".encode() for k, n in enumerate(sizes, 1)))
        for k in range(1, order + 1):
            stream.write(f"\n\\{k}-grams:\n".encode())
            ngrams = None if k == 1 else lm.ngrams_[k - 2]
            logbo = lm.logbo_[k - 1] if k < order else None
            # streamed in slabs of lines: the text of a large order never sits in memory whole
            _core.ngram_arpa_lines(k, ngrams, lm.logp_[k - 1], logbo, vocab, bos, threads, stream.write,
                                   float32=float32)
        stream.write(b"\n\\end\\\n")


def _read_bytes(path: str) -> bytes:
    from infogen.ngram.compressed import read_bytes

    return read_bytes(path)  # gzip, xz or bzip2 recognised by their magic bytes


_DATA_RE = re.compile(rb"^[ \t]*\\data\\[ \t\r]*$", re.M)
_SECTION_RE = re.compile(rb"^[ \t]*\\(\d+)-grams:[ \t\r]*$", re.M)
_END_RE = re.compile(rb"^[ \t]*\\end\\[ \t\r]*$", re.M)


@dataclasses.dataclass
class ArpaTables:
    """What an ARPA file holds, in the form :class:`~infogen.NGramLM` keeps (natural logs,
    n-grams sorted by word id, reserved words first in the vocabulary).
    """

    order: int
    vocab: list[str]
    ngrams: list[np.ndarray]
    logp: list[np.ndarray]
    logbo: list[np.ndarray]
    #: how the file writes <s>'s probability ("0" as lmplz, or "-99"), None if it lists no <s>
    bos_text: str | None


def parse_arpa(path: str | os.PathLike) -> ArpaTables:
    """Read an ARPA file's tables (see :func:`infogen.ngram.read_arpa` for the model).

    The header is checked in Python; the n-gram lines are parsed by the C++ core.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not well-formed ARPA; the message gives the line number.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"ARPA file not found: {path}")

    def bad(lineno: int, msg: str) -> ValueError:
        return ValueError(f"{path}:{lineno}: {msg}")

    data = _read_bytes(path)

    def line_of(pos: int) -> int:
        return data.count(b"\n", 0, pos) + 1

    m_data = _DATA_RE.search(data)
    if m_data is None:
        raise bad(max(1, data.count(b"\n")), "no \\data\\ header: not an ARPA file")
    titles = list(_SECTION_RE.finditer(data, m_data.end()))
    header_end = titles[0].start() if titles else len(data)
    sizes: dict[int, int] = {}
    lineno = line_of(m_data.start())
    for raw in data[m_data.end():header_end].split(b"\n")[1:]:
        lineno += 1
        text = raw.decode(ENCODING, ERRORS).strip()
        if not text:
            continue
        m = _HEADER.match(text)
        if not m:
            raise bad(lineno, f"expected 'ngram k=count' or '\\1-grams:', got {text!r}")
        k, n = int(m.group(1)), int(m.group(2))
        if k != len(sizes) + 1:
            raise bad(lineno, f"expected 'ngram {len(sizes) + 1}=...', got {text!r}")
        sizes[k] = n
    if not sizes:
        raise bad(lineno, "the \\data\\ section lists no n-gram counts")
    if sizes[1] == 0:
        raise bad(lineno, "the \\data\\ section declares 0 unigrams: a model needs a vocabulary")
    order = check_order(len(sizes))
    last = max(1, data.count(b"\n"))
    if len(titles) != order:
        where = line_of(titles[order].start()) if len(titles) > order else last
        raise bad(where, f"the header announces order {order}, the file has {len(titles)} section(s)")
    m_end = _END_RE.search(data, titles[-1].end())
    if m_end is None:
        raise bad(last, "missing \\end\\")
    unigrams: list[bytes] | None = None
    ids_by_order: list[np.ndarray] = []
    logp10: list[np.ndarray] = []
    logbo10: list[np.ndarray] = []
    for i, title in enumerate(titles):
        k = int(title.group(1))
        if k != i + 1:
            raise bad(line_of(title.start()), f"unexpected section \\{k}-grams: (expected \\{i + 1}-grams:)")
        stop = titles[i + 1].start() if i + 1 < len(titles) else m_end.start()
        body_start = title.end() + 1
        body = data[body_start:stop]
        try:
            words, ids, lp, bo = _core.ngram_parse_arpa_section(body, k, k == order, line_of(body_start), unigrams)
        except ValueError as exc:
            raise ValueError(f"{path}:{exc}") from None
        if lp.size != sizes[k]:
            raise bad(line_of(stop), f"the header announces {sizes[k]} {k}-grams, the section holds {lp.size}")
        if k == 1:
            unigrams = words
        else:
            ids_by_order.append(ids)
        logp10.append(lp)
        logbo10.append(bo)

    def to_ln(a: np.ndarray) -> np.ndarray:
        return np.where(a <= _NEG, -np.inf, a * LN10)

    # Vocabulary: reserved words first, then the unigrams in file order.
    uni = [w.decode(ENCODING, ERRORS) for w in unigrams]
    vocab = list(RESERVED) + [w for w in uni if w not in RESERVED]
    index = {w: i for i, w in enumerate(vocab)}
    if len(set(uni)) != len(uni):
        raise ValueError(f"{path}: duplicate unigram")
    V = len(vocab)
    remap = np.array([index[w] for w in uni], dtype=np.uint32)
    lp1 = np.full(V, -np.inf)
    bo1 = np.zeros(V)
    lp1[remap] = to_ln(logp10[0])
    bo1[remap] = to_ln(logbo10[0])
    lp1[RESERVED.index(BOS)] = -np.inf
    ngrams, lps, bos = [], [lp1], [bo1]
    for k in range(2, order + 1):
        rows = remap[ids_by_order[k - 2]].reshape(-1, k)
        perm = np.lexsort(rows.T[::-1]) if rows.shape[0] else np.zeros(0, dtype=np.int64)
        rows = np.ascontiguousarray(rows[perm])
        if rows.shape[0] > 1 and np.any(np.all(rows[1:] == rows[:-1], axis=1)):
            raise ValueError(f"{path}: duplicate {k}-gram")
        ngrams.append(rows)
        lps.append(to_ln(logp10[k - 1])[perm])
        bos.append(to_ln(logbo10[k - 1])[perm])
    # how the file writes <s>'s probability (0 from lmplz and our Kneser-Ney, -99 else), so
    # that writing the model again gives the same bytes
    bos_text = ("0" if logp10[0][uni.index(BOS)] == 0 else "-99") if BOS in uni else None
    return ArpaTables(order, vocab, ngrams, lps, bos, bos_text)
