"""Embedded data: real data that ships inside installed packages, so demos need no download."""
from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np

__all__ = ["load_digits", "load_kjv", "load_pydoc_text", "tokenize_text"]

_PUNCT = re.compile(r"([,.:;?!()])")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def load_digits(*, binary: bool = False, threshold: float = 8.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Load the 1,797 real 8x8 handwritten digits shipped with scikit-learn, split for training.

    Parameters
    ----------
    binary : bool, default=False
        Binarise pixels (``pixel > threshold``) for RBMs; otherwise scale the 0..16 grey
        levels to [0, 1] (for the VAE).
    threshold : float, default=8.0
        Grey level above which a pixel is 1 when ``binary``.

    Returns
    -------
    X_train : ndarray of shape (1500, 64)
        Rows 0-1499, float64.
    X_test : ndarray of shape (297, 64)
        Rows 1500-1796.
    y : ndarray of shape (1797,)
        The digit labels.
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as exc:  # pragma: no cover - scikit-learn is a dependency
        raise ImportError("load_digits needs scikit-learn (pip install scikit-learn)") from exc
    data = _sk_load_digits()
    X = data.data.astype(np.float64)
    X = (X > threshold).astype(np.float64) if binary else X / 16.0
    return X[:1500], X[1500:], data.target


def tokenize_text(text: str) -> str:
    """The corpora's tokenisation: lowercase, ``, . : ; ? ! ( )`` split off as tokens,
    apostrophes and hyphens kept inside words, single spaces."""
    return " ".join(_PUNCT.sub(r" \1 ", text.lower()).split())


def load_pydoc_text() -> list[str]:
    """CPython's own documentation (``pydoc_data.topics``) as tokenised sentences.

    Prose paragraphs of every topic (sorted by topic name), split into sentences at
    ``. ! ?`` followed by a capital, tokenised by :func:`tokenize_text`. Indented blocks
    (grammar rules and code examples) and the underlines of titles are left out. About 47k
    words of real English that ship with Python itself: the default demo corpus.

    Returns
    -------
    list of str
        One sentence per item, tokens separated by single spaces.
    """
    from pydoc_data.topics import topics

    sentences: list[str] = []
    for name in sorted(topics):
        paragraph: list[str] = []
        for line in topics[name].splitlines() + [""]:
            stripped = line.strip()
            prose = bool(stripped) and not line[:1].isspace() and not set(stripped) <= set("*=-^~")
            if prose:
                paragraph.append(stripped)
                continue
            if paragraph:
                for sent in _SENTENCE_END.split(" ".join(paragraph)):
                    tokens = tokenize_text(sent)
                    if tokens:
                        sentences.append(tokens)
                paragraph = []
    return sentences


def load_kjv(*, split: str | None = None) -> list[str]:
    """The King James Bible, one tokenised verse per item (31,102 verses, ~913k tokens).

    Read from Debian's ``bible-kjv`` package (``apt-get install bible-kjv``) by running
    its ``bible`` program (``bible -l0 -m 65536 gen1:1-rev22:21``), then tokenised by
    :func:`tokenize_text`: lowercase, ``, . : ; ? ! ( )`` split off as tokens.

    Parameters
    ----------
    split : {None, "train", "test"}, default=None
        All verses, the first 27,991 (Genesis 1:1 - Romans 2:28, 831,324 tokens), or the
        remaining 3,111.

    Raises
    ------
    FileNotFoundError
        If the ``bible`` program is not installed.
    """
    if split not in (None, "train", "test"):
        raise ValueError(f"split must be None, 'train' or 'test', got {split!r}")
    exe = shutil.which("bible")
    if exe is None:
        raise FileNotFoundError("the King James Bible needs Debian's bible-kjv package "
                                "(apt-get install bible-kjv), which provides the `bible` program")
    out = subprocess.run([exe, "-l0", "-m", "65536", "gen1:1-rev22:21"], capture_output=True, check=True,
                         text=True, encoding="utf-8").stdout
    verses = []
    for line in out.splitlines():
        m = re.match(r"^\s+\d+\s+(.*)$", line)
        if m:
            verses.append(tokenize_text(m.group(1)))
    if split == "train":
        return verses[:27991]
    if split == "test":
        return verses[27991:]
    return verses
