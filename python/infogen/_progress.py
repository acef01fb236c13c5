"""Verbose output of long fits: lines on the ``infogen`` logger, a tqdm bar on a terminal.

With ``verbose`` set, a fit logs one line per epoch at INFO on the logger ``"infogen"``.
If logging is not configured (no handler on the way to the root logger), the lines go to
standard error for the duration of the fit through a handler that is removed afterwards;
a configured application decides itself (``logging.getLogger("infogen").setLevel(...)``).
When standard error is a terminal, a tqdm progress bar counts the epochs; when it is not
(a file, a pipe, a notebook's captured stream), there is no bar and so no escape codes.
"""
from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger("infogen")


def _stderr_is_terminal() -> bool:
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):  # closed or replaced by an object without isatty
        return False


class _BarSafeHandler(logging.StreamHandler):
    """Write log lines above a live tqdm bar instead of through it."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # pragma: no cover - logging's own convention
            self.handleError(record)


class _NoBar:
    """Stands in for a bar when there is none."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass


@contextlib.contextmanager
def progress(verbose: Any, total: int, desc: str) -> Iterator[Any]:
    """Context of a long fit: yields an object with ``update`` and ``set_postfix_str``.

    Parameters
    ----------
    verbose : bool or int
        Nothing is shown (and nothing is imported) when false.
    total : int
        Steps of the bar (epochs).
    desc : str
        The bar's label.
    """
    if not verbose:
        yield _NoBar()
        return
    terminal = _stderr_is_terminal()
    handler = None
    level = logger.level
    if not logger.hasHandlers():
        handler = _BarSafeHandler(sys.stderr) if terminal else logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[%(name)s] %(message)s"))
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
    bar: Any = _NoBar()
    if terminal and total > 1:
        from tqdm import tqdm

        bar = tqdm(total=total, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True)
    try:
        yield bar
    finally:
        if not isinstance(bar, _NoBar):
            bar.close()
        if handler is not None:
            logger.removeHandler(handler)
            logger.setLevel(level)
