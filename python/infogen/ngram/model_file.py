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
names).
"""
from __future__ import annotations

from typing import Any

from infogen import _core
from infogen.ngram.compressed import compression_of

__all__ = ["MODEL_FILE_SUFFIX", "PRECISIONS", "check_precision", "open_model_file", "sniff_model_file"]

MODEL_FILE_SUFFIX = ".ngram"
#: value precision name -> the core's code
PRECISIONS = {"double": 0, "float": 1}
_MAGIC = b"infogen-ngram\0\0\0"
_KENLM_MAGIC = b"mmap lm "


def check_precision(precision: Any) -> int:
    """The core's code of a value precision ("double" or "float")."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be 'double' or 'float', got {precision!r}")
    return PRECISIONS[precision]


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
    if compression_of(head) or head.lstrip().startswith(b"\\data\\"):
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
