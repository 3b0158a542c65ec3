"""The one error path of the `ehz` command line: an expected failure becomes one line on stderr
and a documented exit status (docs/cli.md); a traceback only with `ehz --debug`.

`EhzGroup` (the `ehz` group) runs every command inside `failure_for`'s mapping, so a command
added later gets the same behaviour without doing anything.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import click

from ehz_scraper.cli.output import EX_IOERR, OutputError
from ehz_scraper.errors import ArchiveLocked, BadArgument, EhzError


class CliStatus:
    """The exit statuses of every `ehz` command (docs/cli.md has the table)."""

    OK = 0
    FAILED = 1  # the command could not do its job: no archive, a damaged one, no such article
    USAGE = 2  # bad arguments (click's own usage errors too)
    PARTIAL = 3  # done, but some items failed (reextract: articles the extractor failed on)
    SOFTWARE = 70  # EX_SOFTWARE: a bug in ehz (the one-line message says which exception)
    CANTCREAT = 73  # EX_CANTCREAT: the output file cannot be created
    IOERR = EX_IOERR  # EX_IOERR: writing the output failed (disk full)
    TEMPFAIL = 75  # EX_TEMPFAIL: the archive is locked or busy; try again later
    INTERRUPTED = 130  # 128 + SIGINT: Ctrl-C
    BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout went away (`| head -1`)
    TERMINATED = 143  # 128 + SIGTERM


class Failure(click.ClickException):
    """A one-line error with its exit status (click prints `Error: <message>` on stderr)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C, so temporary files are removed on the way out."""


DB_KEY = "ehz.db"  # ctx.meta key under which the --db option leaves the archive path


def failure_for(exc: BaseException, db: str | None) -> Failure | None:
    """The one-line failure an exception stands for; None for a click exit to pass through."""
    archive = f"the archive {db}" if db else "the archive"
    if isinstance(exc, click.exceptions.Exit | click.ClickException | click.Abort | SystemExit):
        return None
    if isinstance(exc, KeyboardInterrupt):
        return Failure("interrupted", CliStatus.INTERRUPTED)
    if isinstance(exc, Terminated):
        return Failure("terminated", CliStatus.TERMINATED)
    if isinstance(exc, BrokenPipeError) or getattr(exc, "errno", None) == errno.EPIPE:
        return Failure("output closed before the end (broken pipe)", CliStatus.BROKEN_PIPE)
    if isinstance(exc, OutputError):
        return Failure(str(exc), exc.exit_code)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
        return Failure(f"cannot write to stdout: {exc.strerror}", CliStatus.IOERR)
    if isinstance(exc, ArchiveLocked):
        return Failure(str(exc), CliStatus.TEMPFAIL)
    if isinstance(exc, BadArgument):
        return Failure(str(exc), CliStatus.USAGE)
    if isinstance(exc, EhzError):
        return Failure(str(exc), CliStatus.FAILED)
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return Failure(f"{archive} is busy: {exc}; try again later", CliStatus.TEMPFAIL)
    if isinstance(exc, sqlite3.DatabaseError):
        return Failure(
            f"{archive} is damaged or unreadable: {exc} (`ehz verify` lists what it can)",
            CliStatus.FAILED,
        )
    if isinstance(exc, json.JSONDecodeError):
        # Every JSON the commands parse comes from the archive (records, headers, arguments).
        return Failure(
            f"{archive} holds a damaged JSON value: {exc} (`ehz verify` lists what it can)",
            CliStatus.FAILED,
        )
    if isinstance(exc, UnicodeEncodeError) and "surrogate" in str(exc):
        return Failure(
            "an argument is not valid UTF-8 (bytes the locale cannot decode)", CliStatus.USAGE
        )
    if isinstance(exc, OSError):
        # The machine said no (a permission, a port in use, a missing file): not a bug.
        where = f": {exc.filename}" if exc.filename else ""
        return Failure(f"{exc.strerror or exc}{where}", CliStatus.FAILED)
    if isinstance(exc, MemoryError):
        return Failure("out of memory", CliStatus.FAILED)
    one_line = " ".join(str(exc).split())[:300]
    return Failure(
        f"internal error: {type(exc).__name__}: {one_line} (run `ehz --debug ...` for the"
        " traceback, and please report it)",
        CliStatus.SOFTWARE,
    )


class EhzGroup(click.Group):
    """click's Group, with every command run inside the one error path."""

    def invoke(self, ctx: click.Context):
        debug = bool(ctx.params.get("debug"))
        try:
            with _sigterm_unwinds():
                try:
                    result = super().invoke(ctx)
                except (click.exceptions.Exit, SystemExit):
                    sys.stdout.flush()
                    raise
                sys.stdout.flush()  # buffered output meets a full disk or closed pipe here
                return result
        except BaseException as exc:  # noqa: BLE001 - this is the one place that maps them all
            failure = failure_for(exc, ctx.meta.get(DB_KEY))
            if failure is None:
                raise
            if debug:
                traceback.print_exception(exc)
            if failure.exit_code in (CliStatus.BROKEN_PIPE, CliStatus.IOERR):
                _silence_stdout()
            raise failure from None


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """While a command runs, SIGTERM raises Terminated (temporary files are cleaned up)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(_signum, _frame) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again at exit
    ("Exception ignored ... BrokenPipeError" and exit status 120)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (click's test runner)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
