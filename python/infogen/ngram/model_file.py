"""The ``.ngram`` model file: the query model's own bytes, memory-mapped on load.

A model file holds the vocabulary (with its lookup table), the unigrams, each order's
sorted n-grams and a probing hash table of its log-probabilities and backoffs, aligned,
behind a 1024-byte header (magic, format version, byte order, order, precision, counts,
section offsets and two checksums). Opening one maps it read-only: nothing is parsed or
rebuilt, so it takes milliseconds whatever the model's size, and processes that open the
same file share its pages. See ``cpp/include/infogen/ngram/model_file.hpp`` for the
layout.

This module also recognises the other files a user may hand to ``NGramLM.load`` (ARPA,
compressed or not, infogen's older ``.npz`` form, and KenLM's binary models, which it
names) and opens compressed text transparently.
"""
from __future__ import annotations

import bz2
import gzip
import lzma
import os
from typing import IO, Any

from infogen import _core

__all__ = ["MODEL_FILE_SUFFIX", "PRECISIONS", "check_precision", "open_model_file", "open_text", "read_bytes",
           "is_compressed", "sniff_model_file"]

MODEL_FILE_SUFFIX = ".ngram"
#: value precision name -> the core's code
PRECISIONS = {"double": 0, "float": 1}
_MAGIC = b"infogen-ngram\0\0\0"
_KENLM_MAGIC = b"mmap lm "
_COMPRESSED = {b"\x1f\x8b": "gzip", b"\xfd7zXZ\x00": "xz", b"BZh": "bzip2"}
_SUFFIXES = {".gz": "gzip", ".xz": "xz", ".bz2": "bzip2"}


def check_precision(precision: Any) -> int:
    """The core's code of a value precision ("double" or "float")."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be 'double' or 'float', got {precision!r}")
    return PRECISIONS[precision]


def _compression_of(head: bytes) -> str | None:
    for magic, name in _COMPRESSED.items():
        if head.startswith(magic):
            return name
    return None


def sniff_model_file(path: str) -> str:
    """What kind of model file `path` holds: "ngram", "npz", "arpa" or "kenlm".

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        From the operating system, naming the path.
    ValueError
        When the file is none of these (empty, text that is not ARPA, ...).
    """
    with open(path, "rb") as f:
        head = f.read(64)
    if head.startswith(_MAGIC):
        return "ngram"
    if head.startswith(b"PK\x03\x04"):
        return "npz"
    if head.startswith(_KENLM_MAGIC) and b"kheafield" in head:
        raise ValueError(f"{path} is a KenLM binary model (from build_binary); infogen cannot read KenLM's binary "
                         "formats: load the ARPA file it was built from, or convert that with "
                         "`infogen ngram convert model.arpa model.ngram`")
    if _compression_of(head) or head.lstrip().startswith(b"\\data\\"):
        return "arpa"
    if not head:
        raise ValueError(f"{path} is empty: not a model file")
    raise ValueError(f"{path} is not a model file infogen reads (.ngram, ARPA - possibly gzip/xz/bzip2 "
                     "compressed - or infogen's .npz)")


def open_model_file(path: str, populate: bool = False) -> Any:
    """Memory-map a ``.ngram`` file as the core's query model; errors name the file."""
    try:
        return _core._NGramModel.open(path, bool(populate))
    except RuntimeError as exc:  # mmap/open failures other than the ones checked before
        raise OSError(f"cannot map {path}: {exc}") from None


def open_text(path: str | os.PathLike) -> IO[bytes]:
    """A binary stream of the file's text, decompressed when it is gzip, xz or bzip2.

    The compression is recognised by the file's first bytes (a suffix that promises one
    compression and bytes of another is an error naming the file).
    """
    path = os.fspath(path)
    f = open(path, "rb")  # noqa: SIM115 - returned to the caller
    head = f.peek(8)[:8] if hasattr(f, "peek") else b""
    kind = _compression_of(head)
    suffix = _SUFFIXES.get(os.path.splitext(path)[1].lower())
    if suffix and kind != suffix:
        f.close()
        raise ValueError(f"{path}: the name says {suffix} but the file is "
                         f"{'not compressed' if kind is None else kind}")
    if kind is None:
        return f
    opener = {"gzip": gzip.GzipFile, "xz": lzma.LZMAFile, "bzip2": bz2.BZ2File}[kind]
    return opener(fileobj=f, mode="rb") if kind == "gzip" else opener(f, mode="rb")


def read_bytes(path: str | os.PathLike) -> bytes:
    """The whole (decompressed) text of a file; a truncated or corrupt archive is a ValueError."""
    try:
        with open_text(path) as f:
            return f.read()
    except (EOFError, OSError, lzma.LZMAError) as exc:
        if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
            raise
        raise ValueError(f"{os.fspath(path)}: cannot decompress ({exc})") from None


def is_compressed(path: str | os.PathLike) -> bool:
    """True when the file starts with gzip, xz or bzip2 magic bytes."""
    with open(path, "rb") as f:
        return _compression_of(f.read(8)) is not None


