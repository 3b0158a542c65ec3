"""`scrapy crawl` whose exit status says how the run went, with `-q` for a one-screen summary."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from ehz_scraper.errors import ArchiveLocked, BadArgument, EhzError
from ehz_scraper.extraction.text import normalize_space
from ehz_scraper.run.exitcodes import ExitStatus
from ehz_scraper.run.report import RunReport

# The lock and the run report are part of what `crawl` promises (exit statuses, no overlap):
# a `-s EXTENSIONS=...` on the command line replaces the project's dict, so they are put back.
# Turn them off explicitly with `-s EHZ_LOCK=0`, or by naming them with the value None; the
# store pipeline still adds a RunReport of its own (the run row gets its verdict), but this
# command then prints no summary and exits 0.
from ehz_scraper.settings import EXTENSIONS as REQUIRED_EXTENSIONS


def crawl_argv(
    spider: str, settings: Mapping[str, str], *spider_args: str, options: Sequence[str] = ()
) -> list[str]:
    """The argv of `python -m scrapy crawl SPIDER OPTIONS -a ARG... -s KEY=VALUE...`."""
    argv = [sys.executable, "-m", "scrapy", "crawl", spider, *options]
    for arg in spider_args:
        argv += ["-a", arg]
    for key, value in settings.items():
        argv += ["-s", f"{key}={value}"]
    return argv


def _print_summary(summary: str) -> None:
    """The summary on stdout; a reader that went away (`| head -1`) changes nothing: the
    exit status stays the run's, and no BrokenPipeError traceback follows at exit. A summary
    may name a path that is not valid UTF-8: it is still printed whole."""
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(summary.encode("utf-8", "surrogateescape") + b"\n")
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush goes nowhere
        os.close(devnull)


def _one_line(exc: BaseException) -> str:
    return normalize_space(str(exc)) or type(exc).__name__


class Command(ScrapyCrawl):
    """Scrapy's crawl, plus: exit statuses per outcome (docs/operations.md) and a quiet mode.

    Exit statuses: 0 finished, 1 failed, 2 bad argument, 3 degraded (drift alarm),
    4 interrupted, 75 the archive is locked by another crawl.
    """

    def short_desc(self) -> str:
        return "Run a spider; its exit status tells how the run went (docs/operations.md)"

    def long_desc(self) -> str:
        return (
            "Run a spider of the ehz project. Exit status: 0 finished, 1 failed, "
            "2 bad argument, 3 degraded (drift alarm), 4 interrupted, 75 archive locked by "
            "another crawl. A summary of the run is printed at the end; with -q (or "
            "-s EHZ_QUIET=1) only the summary is printed (logs go to --logfile if given)."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            help="print only a one-screen summary of the run (for cron); same as -s EHZ_QUIET=1",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if opts.logfile:
            # `--logfile logs/crawl-DATE.log` on a fresh host: Scrapy would die with a raw
            # FileNotFoundError traceback and no summary; the folder is made instead.
            Path(opts.logfile).parent.mkdir(parents=True, exist_ok=True)
        extensions = self.settings.getdict("EXTENSIONS")
        missing = {k: v for k, v in REQUIRED_EXTENSIONS.items() if k not in extensions}
        if missing:
            priority = self.settings.getpriority("EXTENSIONS") or 0
            self.settings.set("EXTENSIONS", {**extensions, **missing}, priority=priority)
        if opts.quiet:
            self.settings.set("EHZ_QUIET", True, priority="cmdline")
        if self.settings.getbool("EHZ_QUIET") and not opts.logfile:
            # Quiet: no log on the terminal, only the summary (a --logfile still gets the log).
            self.settings.set("LOG_ENABLED", False, priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) < 1:
            raise UsageError
        if len(args) > 1:
            raise UsageError("running 'scrapy crawl' with more than one spider is not supported")
        assert self.crawler_process is not None
        try:
            crawler = self._create_crawler(args[0])
        except KeyError:
            self._fail(ExitStatus.USAGE, f"no spider named {args[0]!r} (see `scrapy list`)")
            return
        outcome: dict[str, BaseException] = {}

        def bootstrap_done(task: asyncio.Task) -> None:
            # Retrieving the exception keeps asyncio from printing a traceback for it.
            if not task.cancelled() and task.exception() is not None:
                outcome["error"] = task.exception()

        task = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(task, asyncio.Task):
            task.add_done_callback(bootstrap_done)
        else:  # a Deferred (CrawlerProcess without the asyncio reactor)
            task.addErrback(lambda failure: outcome.setdefault("error", failure.value))
        self.crawler_process.start()
        error = outcome.get("error")
        if error is not None:
            self._bootstrap_error(error)
            return
        report = crawler.get_extension(RunReport) if hasattr(crawler, "extensions") else None
        if report is None:  # the report was turned off on purpose (see REQUIRED_EXTENSIONS)
            self.exitcode = ExitStatus.FAILED if self.crawler_process.bootstrap_failed else 0
            return
        if report.verdict is None or report.summary is None:
            # The crawl ended without its verdict (spider_closed never ran): not a success.
            self._fail(ExitStatus.FAILED, "failed: the run ended without a verdict (see the log)")
            return
        self.exitcode = int(report.verdict.exit_status)
        _print_summary(report.summary)

    def _bootstrap_error(self, error: BaseException) -> None:
        if isinstance(error, ArchiveLocked):
            self._fail(ExitStatus.LOCKED, _one_line(error))
        elif isinstance(error, BadArgument | UsageError | ValueError | TypeError):
            # Spider arguments are checked in the spider's constructor, before any request.
            self._fail(ExitStatus.USAGE, f"bad argument: {_one_line(error)}")
        elif isinstance(error, EhzError):
            self._fail(ExitStatus.FAILED, _one_line(error))
        elif isinstance(error, sqlite3.Error | OSError):
            # The archive (EHZ_DB) is not a database, unreadable, or its folder unwritable.
            db = self.settings.get("EHZ_DB") if self.settings is not None else "?"
            self._fail(ExitStatus.FAILED, f"cannot use the archive {db}: {_one_line(error)}")
        else:
            traceback.print_exception(error)  # a bug, not an input problem: keep the trace
            self._fail(ExitStatus.FAILED, f"the crawl could not start: {_one_line(error)}")

    def _fail(self, status: ExitStatus, message: str) -> None:
        print(f"ehz: {message}", file=sys.stderr, flush=True)
        self.exitcode = int(status)
