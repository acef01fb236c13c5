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
import gzip
import io
import lzma
import math
import os
import re
from typing import IO, TYPE_CHECKING

import numpy as np

from infogen import _core
from infogen._io import atomic_write
from infogen.ngram._text import BOS, ENCODING, ERRORS, RESERVED, check_order, encode

if TYPE_CHECKING:
    from infogen.ngram.model import NGramLM

__all__ = ["read_arpa", "write_arpa"]

LN10 = math.log(10.0)
_NEG = -99.0
_HEADER = re.compile(r"ngram\s+(\d+)\s*=\s*(\d+)$")
_SECTION = re.compile(r"\\(\d+)-grams:$")


def _open_text(path: str, mode: str) -> IO:
    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(os.path.splitext(path)[1])
    if opener is None:
        return open(path, mode + "t", encoding=ENCODING, errors=ERRORS, newline="\n")
    return io.TextIOWrapper(opener(path, mode + "b"), encoding=ENCODING, errors=ERRORS, newline="\n")


def write_arpa(lm: NGramLM, path: str | os.PathLike) -> None:
    """Write a fitted :class:`~infogen.NGramLM` as an ARPA file, atomically.

    The lines are formatted by the C++ core: base-10 logs in the shortest form that reads
    back to the same double, ``-99`` for probability zero, no backoff field where the
    backoff is 1 (log 0) or for the highest order.
    """
    path = os.fspath(path)
    vocab = encode(lm.vocab_)
    order = lm.order
    sizes = [len(vocab)] + [int(g.shape[0]) for g in lm.ngrams_]
    ext = os.path.splitext(path)[1]
    with atomic_write(path, "wb") as raw:
        if ext == ".gz":
            stream = gzip.GzipFile(fileobj=raw, mode="wb")
        elif ext in (".bz2", ".xz"):
            stream = {".bz2": bz2.BZ2File, ".xz": lzma.LZMAFile}[ext](raw, mode="wb")
        else:
            stream = raw
        stream.write(b"\\data\\\n" + b"".join(f"ngram {k}={n}\n".encode() for k, n in enumerate(sizes, 1)))
        for k in range(1, order + 1):
            stream.write(f"\n\\{k}-grams:\n".encode())
            ngrams = None if k == 1 else lm.ngrams_[k - 2]
            logbo = lm.logbo_[k - 1] if k < order else None
            stream.write(_core.ngram_arpa_lines(k, ngrams, lm.logp_[k - 1], logbo, vocab))
        stream.write(b"\n\\end\\\n")
        if stream is not raw:
            stream.close()


def read_arpa(path: str | os.PathLike, *, n_threads: int | None = None) -> NGramLM:
    """Read an ARPA file into a queryable :class:`~infogen.NGramLM` (``smoothing="arpa"``).

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not well-formed ARPA; the message gives the line number.
    """
    from infogen.ngram.model import NGramLM

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"ARPA file not found: {path}")

    def bad(lineno: int, msg: str) -> ValueError:
        return ValueError(f"{path}:{lineno}: {msg}")

    with _open_text(path, "r") as f:
        try:
            lines = iter(enumerate(f, start=1))
            lineno = 0
            # header
            for lineno, line in lines:
                s = line.strip()
                if s == "\\data\\":
                    break
                # text before \data\ is allowed (SRILM comments)
            else:
                raise bad(lineno, "no \\data\\ header: not an ARPA file")
            sizes: dict[int, int] = {}
            section = None
            for lineno, line in lines:
                s = line.strip()
                if not s:
                    continue
                m = _HEADER.match(s)
                if m:
                    k, n = int(m.group(1)), int(m.group(2))
                    if k != len(sizes) + 1:
                        raise bad(lineno, f"expected 'ngram {len(sizes) + 1}=...', got {s!r}")
                    sizes[k] = n
                    continue
                section = _SECTION.match(s)
                if not section:
                    raise bad(lineno, f"expected 'ngram k=count' or '\\1-grams:', got {s!r}")
                break
            if not sizes:
                raise bad(lineno, "the \\data\\ section lists no n-gram counts")
            order = check_order(len(sizes))
            words: list[list[str]] = []
            logp: list[list[float]] = []
            logbo: list[list[float]] = []
            k = 0
            while section is not None:
                k = int(section.group(1))
                if k != len(words) + 1 or k > order:
                    raise bad(lineno, f"unexpected section \\{k}-grams: (expected \\{len(words) + 1}-grams:)")
                ws: list[str] = []
                ps: list[float] = []
                bs: list[float] = []
                section = None
                end = False
                for lineno, line in lines:
                    s = line.strip()
                    if not s:
                        continue
                    if s.startswith("\\"):
                        if s == "\\end\\":
                            end = True
                            break
                        section = _SECTION.match(s)
                        if not section:
                            raise bad(lineno, f"unexpected line {s!r}")
                        break
                    parts = s.split()
                    if len(parts) not in (k + 1, k + 2):
                        raise bad(lineno, f"a {k}-gram line needs a probability, {k} word(s) and an optional "
                                          f"backoff, got {len(parts)} field(s)")
                    try:
                        p = float(parts[0])
                        b = float(parts[k + 1]) if len(parts) == k + 2 else 0.0
                    except ValueError:
                        raise bad(lineno, f"not a number in {s!r}") from None
                    if math.isnan(p) or math.isnan(b) or p > 0:
                        raise bad(lineno, f"invalid log10 probability {parts[0]!r}")
                    if k == order and len(parts) == k + 2:
                        raise bad(lineno, f"highest-order ({k}-gram) entries have no backoff")
                    ws.append(" ".join(parts[1:k + 1]))
                    ps.append(p)
                    bs.append(b)
                if len(ws) != sizes[k]:
                    raise bad(lineno, f"the header announces {sizes[k]} {k}-grams, the section holds {len(ws)}")
                words.append(ws)
                logp.append(ps)
                logbo.append(bs)
                if end:
                    break
            else:
                raise bad(lineno, "missing \\end\\")
            if len(words) != order:
                raise bad(lineno, f"the header announces order {order}, the file has {len(words)} section(s)")
        except UnicodeDecodeError as exc:  # pragma: no cover - surrogateescape never raises
            raise ValueError(f"{path}: {exc}") from exc

    def to_ln(v: list[float]) -> np.ndarray:
        a = np.asarray(v, dtype=np.float64)
        return np.where(a <= _NEG, -np.inf, a * LN10)

    # Vocabulary: reserved words first, then the unigrams in file order.
    uni = words[0]
    vocab = list(RESERVED) + [w for w in uni if w not in RESERVED]
    index = {w: i for i, w in enumerate(vocab)}
    if len(index) != len(vocab) or len(set(uni)) != len(uni):
        raise ValueError(f"{path}: duplicate unigram")
    V = len(vocab)
    lp1 = np.full(V, -np.inf)
    bo1 = np.zeros(V)
    ids1 = np.array([index[w] for w in uni], dtype=np.int64)
    lp1[ids1] = to_ln(logp[0])
    bo1[ids1] = to_ln(logbo[0])
    lp1[RESERVED.index(BOS)] = -np.inf
    ngrams, lps, bos = [], [lp1], [bo1]
    for k in range(2, order + 1):
        try:
            rows = np.array([[index[w] for w in g.split(" ")] for g in words[k - 1]], dtype=np.uint32)
        except KeyError as exc:
            raise ValueError(f"{path}: a {k}-gram uses the word {exc.args[0]!r}, which is not among the unigrams") \
                from None
        rows = rows.reshape(-1, k)
        perm = np.lexsort(rows.T[::-1]) if rows.shape[0] else np.zeros(0, dtype=np.int64)
        rows = np.ascontiguousarray(rows[perm])
        if rows.shape[0] > 1 and np.any(np.all(rows[1:] == rows[:-1], axis=1)):
            raise ValueError(f"{path}: duplicate {k}-gram")
        ngrams.append(rows)
        lps.append(to_ln(logp[k - 1])[perm])
        bos.append(to_ln(logbo[k - 1])[perm])
    lm = NGramLM(order, smoothing="arpa", n_threads=n_threads)
    lm._set_tables(vocab, ngrams, lps, bos)
    lm.counts_ = None
    return lm
