"""Shared helpers of the n-gram package: reserved words, text <-> bytes, input checks."""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

UNK, BOS, EOS = "<unk>", "<s>", "</s>"
RESERVED = (UNK, BOS, EOS)
UNK_ID, BOS_ID, EOS_ID = 0, 1, 2
MAX_ORDER = 16

# Words are bytes in the C++ core. They become str with UTF-8 and "surrogateescape", so
# invalid UTF-8 bytes survive the round trip (they show up as lone surrogates in Python).
ENCODING = "utf-8"
ERRORS = "surrogateescape"


def decode(words: Iterable[bytes]) -> list[str]:
    """Bytes from the core -> str."""
    return [w.decode(ENCODING, ERRORS) for w in words]


def encode(words: Iterable[str]) -> list[bytes]:
    """Str -> bytes for the core."""
    return [w.encode(ENCODING, ERRORS) for w in words]


def check_order(order: Any) -> int:
    """Validate an n-gram order."""
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)):
        raise TypeError(f"order must be an int, got {type(order).__name__}")
    if not 1 <= int(order) <= MAX_ORDER:
        raise ValueError(f"order must be between 1 and {MAX_ORDER}, got {order}")
    return int(order)


def check_paths(paths: Any) -> list[str]:
    """One path or a list of paths -> list of existing file paths (FileNotFoundError names it)."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    out = []
    for p in paths:
        p = os.fsdecode(os.fspath(p))
        if not os.path.exists(p):
            raise FileNotFoundError(f"corpus file not found: {p}")
        if os.path.isdir(p):
            raise IsADirectoryError(f"corpus path is a directory, not a file: {p}")
        if not os.access(p, os.R_OK):
            raise PermissionError(f"corpus file is not readable: {p}")
        out.append(p)
    if not out:
        raise ValueError("no corpus files given")
    return out


#: The whitespace that separates tokens, in Python exactly as in the C++ tokeniser: ASCII
#: space, tab, newline, carriage return, vertical tab and form feed. Other Unicode spaces
#: (no-break space U+00A0, U+2000..U+200A, U+3000, ...) are part of a token, as they are
#: when a corpus is counted (str.split() would cut there).
WHITESPACE = " \t\n\r\v\f"
_SPLIT = re.compile(f"[{re.escape(WHITESPACE)}]+")


def split_tokens(text: str) -> list[str]:
    """`text` cut at ASCII whitespace (see :data:`WHITESPACE`), empty pieces dropped."""
    return [t for t in _SPLIT.split(text) if t]


def is_token(t: str) -> bool:
    """True when `t` is one non-empty token (no ASCII whitespace)."""
    return bool(t) and _SPLIT.search(t) is None


def sentence_tokens(sentence: Any, where: str = "sentence") -> list[str]:
    """A sentence as a list of tokens: a str is split on ASCII whitespace, a sequence is checked."""
    if isinstance(sentence, str):
        return split_tokens(sentence)
    if isinstance(sentence, bytes):
        return split_tokens(sentence.decode(ENCODING, ERRORS))
    if isinstance(sentence, Sequence) or hasattr(sentence, "__iter__"):
        tokens = list(sentence)
        for t in tokens:
            if not isinstance(t, str):
                raise TypeError(f"{where}: tokens must be str, got {type(t).__name__}")
            if not is_token(t):
                raise ValueError(f"{where}: token {t!r} is empty or contains whitespace")
        return tokens
    raise TypeError(f"{where} must be a str or a sequence of str tokens, got {type(sentence).__name__}")


def to_buffer(sentences: Iterable[Any]) -> tuple[bytes, int]:
    """Sentences (str or token lists) -> newline-separated bytes for the core, and the count.

    A str sentence's own newlines count as whitespace (it stays one sentence).
    """
    if isinstance(sentences, (str, bytes)):
        raise TypeError("expected an iterable of sentences, got a single str; wrap it in a list")
    lines = []
    for i, s in enumerate(sentences):
        if isinstance(s, str):
            lines.append(s.replace("\n", " ") if "\n" in s else s)
        elif isinstance(s, bytes):
            lines.append(s.decode(ENCODING, ERRORS).replace("\n", " "))
        else:
            lines.append(" ".join(sentence_tokens(s, where=f"sentence {i}")))
    if not lines:
        return b"", 0
    return ("\n".join(lines) + "\n").encode(ENCODING, ERRORS), len(lines)


def kept_word_ids(freq: np.ndarray, min_count: int, max_vocab: int | None) -> np.ndarray:
    """Ids of the words that ``min_count`` / ``max_vocab`` keep, increasing (first occurrence).

    The reserved ids 0..2 are never among them; with ``max_vocab`` the most frequent words
    win, ties going to the earlier word (a stable sort on -freq).
    """
    keep = freq >= min_count
    keep[:3] = False
    if max_vocab is not None and keep.sum() > max_vocab:
        cand = np.flatnonzero(keep)
        best = cand[np.argsort(-freq[cand], kind="stable")[:max_vocab]]
        keep[:] = False
        keep[best] = True
    return np.flatnonzero(keep)


def check_vocab_args(min_count: object, max_vocab: object) -> None:
    """ValueError unless min_count is an int >= 1 and max_vocab None or an int >= 0."""
    if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise ValueError(f"min_count must be an int >= 1, got {min_count!r}")
    if max_vocab is not None and (isinstance(max_vocab, bool) or not isinstance(max_vocab, (int, np.integer))
                                  or max_vocab < 0):
        raise ValueError(f"max_vocab must be a non-negative int or None, got {max_vocab!r}")
