"""Compressed text read transparently: gzip, xz and bzip2, recognised by their magic bytes.

Corpora and ARPA files may be compressed (as lmplz users keep them). Python reads them
through :func:`open_text` / :func:`read_bytes`; the C++ readers, which map plain files,
get a decompressed temporary copy from :func:`plain_files`.
"""
from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from typing import IO

__all__ = ["compression_of", "open_text", "plain_files", "read_bytes"]

_MAGIC = {b"\x1f\x8b": "gzip", b"\xfd7zXZ\x00": "xz", b"BZh": "bzip2"}
_SUFFIXES = {".gz": "gzip", ".xz": "xz", ".bz2": "bzip2"}


def compression_of(head: bytes) -> str | None:
    """"gzip", "xz" or "bzip2" if `head` (a file's first bytes) starts with its magic, else None."""
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    return None


def _kind(path: str) -> str | None:
    with open(path, "rb") as f:
        kind = compression_of(f.read(8))
    suffix = _SUFFIXES.get(os.path.splitext(path)[1].lower())
    if suffix and kind != suffix:
        raise ValueError(f"{path}: the name says {suffix} but the file is {'not compressed' if kind is None else kind}")
    return kind


def open_text(path: str | os.PathLike) -> IO[bytes]:
    """A binary stream of the file's text, decompressed when it is gzip, xz or bzip2.

    The compression is recognised by the file's first bytes (a suffix that promises one
    compression and bytes of another is an error naming the file).
    """
    path = os.fspath(path)
    kind = _kind(path)
    opener = {None: open, "gzip": gzip.open, "xz": lzma.open, "bzip2": bz2.open}[kind]
    return opener(path, "rb")  # type: ignore[operator, no-any-return]


def _corrupt(exc: BaseException) -> bool:
    """True for the errors of a truncated or corrupt archive (not of the file system)."""
    return isinstance(exc, (EOFError, lzma.LZMAError, zlib.error, gzip.BadGzipFile)) or (
        isinstance(exc, OSError) and exc.errno is None)


def read_bytes(path: str | os.PathLike) -> bytes:
    """The whole (decompressed) text of a file; a truncated or corrupt archive is a ValueError."""
    try:
        with open_text(path) as f:
            return f.read()
    except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
        if not _corrupt(exc):
            raise
        raise ValueError(f"{os.fspath(path)}: cannot decompress, the file is truncated or corrupt ({exc})") from None


@contextlib.contextmanager
def plain_files(paths: Sequence[str], temp_dir: str | os.PathLike | None = None) -> Iterator[list[str]]:
    """`paths` with every compressed file replaced by a decompressed temporary copy (in
    `temp_dir`, default the system's), removed when the block ends, also on errors.
    """
    out, made = [], []
    try:
        for p in paths:
            if _kind(p) is None:
                out.append(p)
                continue
            fd, tmp = tempfile.mkstemp(prefix="infogen-text-", suffix=".txt", dir=temp_dir)
            made.append(tmp)
            try:
                with os.fdopen(fd, "wb") as dst, open_text(p) as src:
                    shutil.copyfileobj(src, dst, 1 << 22)
            except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
                if not _corrupt(exc):
                    raise
                raise ValueError(f"{p}: cannot decompress, the file is truncated or corrupt ({exc})") from None
            out.append(tmp)
        yield out
    finally:
        for tmp in made:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
