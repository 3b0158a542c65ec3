"""Where a command's output goes: stdout, or a file replaced only once it is complete.

Every command that writes a file takes it from `output_stream`, so an interrupted export
(Ctrl-C, SIGTERM, a full disk, a missing dictionary half-way) leaves the previous file or
none, never a truncated one that still reads cleanly.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ehz_scraper.errors import EhzError

# sysexits.h: the output file cannot be created; an I/O error while writing it.
EX_CANTCREAT = 73
EX_IOERR = 74
STDOUT = "-"


class OutputError(EhzError):
    """The output cannot be created or written (missing folder, no permission, disk full)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    @classmethod
    def cannot_create(cls, target: str, exc: OSError) -> OutputError:
        return cls(f"cannot create {target}: {exc.strerror or exc}", EX_CANTCREAT)

    @classmethod
    def cannot_write(cls, target: str, exc: OSError) -> OutputError:
        return cls(f"cannot write {target}: {exc.strerror or exc}", EX_IOERR)


def is_stdout(target: str | None) -> bool:
    return target is None or target == STDOUT


@contextlib.contextmanager
def output_stream(target: str | None, *, binary: bool) -> Iterator[IO]:
    """A stream for `target` (None or "-": stdout), text streams as UTF-8 with no newline
    translation. A regular file is written under a temporary name beside it and renamed
    into place only when the block ends without an exception; a device or FIFO
    (/dev/null, /dev/full) is written in place, since it cannot be replaced."""
    if is_stdout(target):
        stream = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()  # a full disk or a closed pipe is reported here, not at exit
        return
    assert target is not None
    real = Path(os.path.realpath(target))  # replace a symlink's target, not the symlink
    if real.exists() and not real.is_file() and not real.is_dir():
        with _in_place(target, real, binary) as stream:
            yield stream
        return
    mode = "wb" if binary else "w"
    kwargs = {} if binary else {"encoding": "utf-8", "newline": ""}
    with atomic_path(target) as tmp, open(tmp, mode, **kwargs) as stream:
        yield stream
        stream.flush()
        os.fsync(stream.fileno())


@contextlib.contextmanager
def atomic_path(target: str) -> Iterator[Path]:
    """A temporary path beside `target` for a writer that takes a path (WACZ), renamed to
    `target` when the block ends without an exception, removed otherwise."""
    real = Path(os.path.realpath(target))
    if real.is_dir():
        raise OutputError.cannot_create(target, IsADirectoryError(errno.EISDIR, "Is a directory"))
    try:
        fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".part")
    except OSError as exc:
        raise OutputError.cannot_create(target, exc) from None
    os.close(fd)
    try:
        with _write_errors(target):
            yield Path(tmp)
        os.chmod(tmp, _mode_for(real))
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _in_place(target: str, real: Path, binary: bool) -> Iterator[IO]:
    try:
        stream = open(real, "wb") if binary else open(real, "w", encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise OutputError.cannot_create(target, exc) from None
    with stream, _write_errors(target):
        yield stream
        stream.flush()


# Errors of the file being written (as opposed to the archive being read).
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EROFS})


@contextlib.contextmanager
def _write_errors(target: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.errno in _WRITE_ERRNOS:
            raise OutputError.cannot_write(target, exc) from None
        raise


def _mode_for(path: Path) -> int:
    """The permissions of the file being replaced, else what a plain open() would give."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
