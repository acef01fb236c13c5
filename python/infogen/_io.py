"""Atomic file writes: a temporary file in the target's directory, fsync, then rename.

Every model, count and ARPA file infogen writes goes through :func:`atomic_write`, so a
reader never sees a half-written file and a failed or interrupted write leaves the old
file as it was. The result has the permissions a plain ``open(path, "w")`` would give it
(the process umask, or the mode of the file it replaces), and a symlinked output is
written through: the link's target is replaced, the link stays.
"""
from __future__ import annotations

import contextlib
import os
import socket
import tempfile
from collections.abc import Iterator
from typing import IO

__all__ = ["atomic_write", "check_output_path"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output_path(path: str | os.PathLike) -> str:
    """The real path `path` will be written at, checked before any work is done.

    Raises
    ------
    IsADirectoryError
        `path` is a directory (or empty).
    FileNotFoundError
        Its directory does not exist.
    PermissionError
        Its directory is not writable.
    """
    path = os.fspath(path)
    if not path:
        raise IsADirectoryError("the output path is empty")
    real = os.path.realpath(path)  # a symlink is written through to its target
    if os.path.isdir(real):
        raise IsADirectoryError(f"cannot write {path}: it is a directory")
    directory = os.path.dirname(real)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write {path}: directory {directory} is not writable")
    return real


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _sweep_stale(directory: str, base: str, host: str) -> None:
    """Remove temporary files of ours for `base` left by killed processes of this host."""
    prefix = f".{base}.{host}-"
    with contextlib.suppress(OSError):
        for name in os.listdir(directory):
            if not (name.startswith(prefix) and name.endswith(_SUFFIX)):
                continue
            pid = name[len(prefix):].split(".", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(directory, name))


_SUFFIX = ".infogen-tmp"


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """Open a temporary file next to `path`; on success fsync it and rename it over `path`.

    On any exception (including KeyboardInterrupt, and SIGTERM where the caller turns it
    into one) the temporary file is removed and `path` is left untouched. A process killed
    outright (SIGKILL) leaves ``.<name>.<host>-<pid>.*.infogen-tmp``; the next write of the
    same name removes it once that process is gone. Errors name `path`, not the temporary
    file.
    """
    shown = os.fspath(path)
    real = check_output_path(shown)
    directory = os.path.dirname(real)
    try:
        mode_bits = os.stat(real).st_mode & 0o7777
    except FileNotFoundError:
        mode_bits = 0o666 & ~_umask()
    base, host = os.path.basename(real), socket.gethostname().replace(".", "_")
    _sweep_stale(directory, base, host)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.{host}-{os.getpid()}.", suffix=_SUFFIX, dir=directory)
    try:
        os.fchmod(fd, mode_bits)
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, real)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if exc.filename in (tmp, None):
            raise type(exc)(exc.errno, f"cannot write {shown}: {exc.strerror or exc}") from exc
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
