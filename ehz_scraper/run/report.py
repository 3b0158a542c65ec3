"""Scrapy extension: judge each run as it closes (drift alarm), record the verdict, sum it up."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from scrapy import signals

from ehz_scraper.errors import ArchiveWriteFailed
from ehz_scraper.items import STOP_FAILED_LISTING, STOP_NOTHING_LISTED, ListingPage
from ehz_scraper.run.status import (
    RunCounts,
    Verdict,
    judge_run,
    read_run_counts,
)
from ehz_scraper.storage.runs import write_verdict

logger = logging.getLogger(__name__)
FAILURE_LINES = 5
# ListingPage stop reasons that leave the rest of a listing unwalked (not a natural end).
CUT_WALK_REASONS = frozenset({"listing page cap"})


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"  # unreachable


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _printable(path: str | Path) -> str:
    # A path that is not valid UTF-8 (surrogate escapes) shows its odd bytes as \xff: the
    # summary must be printable and storable as text.
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def format_summary(counts: RunCounts, verdict: Verdict, db_path: str | Path) -> str:
    """The one-screen summary of a run (what `-q` prints): counts, status and why."""
    run = f"run {counts.run_id}" if counts.run_id is not None else "no run recorded"
    lines = [
        f"ehz crawl {counts.spider}: {verdict.status} (exit {int(verdict.exit_status)})",
        f"why: {verdict.why}",
        f"archive: {_printable(db_path)}, {run}",
        f"articles: {counts.new} new, {counts.changed} changed, {counts.unchanged} unchanged, "
        f"{counts.incomplete} incomplete, {counts.failed} failed",
        f"extraction: {counts.fallback} fallback, {counts.missing_field} missing a required "
        f"field, {counts.not_articles} not an article"
        + (f", {counts.extractor_errors} extractor errors" if counts.extractor_errors else ""),
        f"listing pages: {counts.listing_pages} ({counts.links_listed} links)",
        f"requests: {counts.requests} ({counts.retries} retries), "
        f"{_size(counts.responses_bytes)} received",
        f"duration: {_duration(counts.duration)}",
    ]
    total = counts.fetch_failures + counts.not_articles + counts.missing_field
    total += counts.extractor_errors
    total += counts.store_failures
    if total:
        lines.append(f"failures this run: {total} (`ehz failures` lists them all)")
        for stage, url, reason in counts.first_failures[:FAILURE_LINES]:
            lines.append(f"  {stage:<8} {url}  {reason}")
        if total > FAILURE_LINES:
            lines.append(f"  ... and {total - FAILURE_LINES} more")
    return "\n".join(lines)


class RunReport:
    """Judges the run at spider_closed (after the pipelines have closed the archive).

    Reads the run's counts from the archive and Scrapy's stats, applies the drift alarm
    (`EHZ_DRIFT_THRESHOLD`, `EHZ_DRIFT_MIN_ARTICLES`), writes the verdict into the run's row
    (`status`, `summary`) and keeps `verdict` and `summary` for the crawl command, which
    prints the summary and exits with the verdict's status.
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.db_path = Path(settings["EHZ_DB"])
        self.threshold = settings.getfloat("EHZ_DRIFT_THRESHOLD")
        self.min_articles = settings.getint("EHZ_DRIFT_MIN_ARTICLES")
        self.started = time.monotonic()
        # Counted from the items themselves, so the walk is known even without a run row.
        self.listing_pages = 0
        self.links_listed = 0
        self.walks_cut: list[str] = []
        self.failed_listings: list[str] = []
        self.empty_sections: list[str] = []
        self.item_errors = 0
        self.write_failures: list[str] = []
        self.items_not_stored = 0
        self.counts: RunCounts | None = None
        self.verdict: Verdict | None = None
        self.summary: str | None = None

    @classmethod
    def ensure(cls, crawler) -> RunReport:
        """The crawler's RunReport, made here when the extension is not enabled.

        The store pipeline calls this: a run row it opens always gets its verdict, also when
        `-s EXTENSIONS=...` (or a `scrapy runspider` without the project) left this out.
        """
        report = crawler.get_extension(cls)
        return report if report is not None else cls.from_crawler(crawler)

    @classmethod
    def from_crawler(cls, crawler) -> RunReport:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        return ext

    def spider_opened(self, spider) -> None:
        # Connected now, after the pipelines and other extensions connected theirs: handlers
        # run in connection order, so this verdict is the last word on the run row.
        self.crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def item_error(self, item, **kwargs) -> None:
        # An exception escaped the pipelines: that item is in neither `articles` nor `failures`.
        self.item_errors += 1

    def write_failed(self, reason: str, lost: int) -> None:
        """The store pipeline could not write to the archive; `lost` items were rolled back."""
        self.write_failures.append(reason)
        self.items_not_stored += lost

    def item_scraped(self, item, **kwargs) -> None:
        if isinstance(item, ListingPage):
            self.listing_pages += 1
            self.links_listed += len(item.article_urls)
            reason = item.stop_reason or ""
            if reason.startswith(STOP_FAILED_LISTING):
                self.failed_listings.append(
                    f"failed listing: page {item.page} of {item.section} ({item.url}) yielded no"
                    f" article links where earlier walks found {reason.rsplit(' ', 1)[-1]}"
                )
            elif reason == STOP_NOTHING_LISTED:
                self.empty_sections.append(
                    f"the first listing page of {item.section} ({item.url}) yielded no article"
                    " links and no earlier walk found any (a listing rendered by script?)"
                )
            if reason in CUT_WALK_REASONS or reason.startswith("fetch failed"):
                # The walk stopped before the listing's end: articles beyond it were not seen.
                self.walks_cut.append(
                    f"listing walk of {item.section} cut at page {item.page}: {reason}"
                )

    def spider_closed(self, spider, reason: str) -> None:
        # The exit status is earned: whatever goes wrong while judging and recording the run
        # makes it `failed` with a one-line reason, never a default of 0.
        try:
            self._close(spider, reason)
        except Exception as exc:
            logger.exception("closing the run failed")
            why = " ".join(str(exc).split()) or type(exc).__name__
            if not why.startswith("archive write failed"):
                why = f"closing the run failed: {type(exc).__name__}: {why}"
            counts = self.counts or RunCounts(spider=spider.name)
            self.verdict = Verdict("failed", (why,))
            self.summary = format_summary(counts, self.verdict, self.db_path)
            run_id = getattr(spider, "ehz_run_id", None)
            if run_id is not None:
                try:  # the row must not keep a provisional status: one more, minimal write
                    write_verdict(self.db_path, run_id, "failed", self.summary, close_reason=reason)
                except Exception:
                    logger.exception("could not record the failed verdict in run %s", run_id)
            self.crawler.stats.set_value("ehz/status", "failed")
            self.crawler.stats.set_value("ehz/why", why)

    def _close(self, spider, reason: str) -> None:
        stats = self.crawler.stats
        run_id = getattr(spider, "ehz_run_id", None)  # set by the store pipeline
        counts = read_run_counts(self.db_path, spider.name, run_id)
        self.counts = counts
        counts.listing_pages = max(counts.listing_pages, self.listing_pages)
        counts.links_listed = max(counts.links_listed, self.links_listed)
        counts.walks_cut = list(self.walks_cut)
        counts.failed_listings = list(self.failed_listings)
        counts.empty_sections = list(self.empty_sections)
        counts.requests = stats.get_value("downloader/request_count", 0)
        counts.retries = stats.get_value("retry/count", 0)
        counts.responses_bytes = stats.get_value("downloader/response_bytes", 0)
        counts.spider_errors = stats.get_value("spider_exceptions/count", 0)
        counts.item_errors = self.item_errors
        counts.cut_pages = stats.get_value("ehz/cut_pages", 0)
        counts.write_failures = list(self.write_failures)
        counts.items_not_stored = self.items_not_stored
        counts.duration = time.monotonic() - self.started
        verdict = judge_run(
            counts, reason, drift_threshold=self.threshold, drift_min_articles=self.min_articles
        )
        summary = format_summary(counts, verdict, self.db_path)
        self.verdict, self.summary = verdict, summary
        if counts.run_id is not None:
            locked = self.crawler.settings.getbool("EHZ_LOCK")
            try:
                write_verdict(
                    self.db_path,
                    counts.run_id,
                    verdict.status,
                    summary,
                    close_reason=reason,
                    locked=locked,
                )
            except sqlite3.Error as exc:
                raise ArchiveWriteFailed(
                    "archive write failed: " + " ".join(str(exc).split())
                ) from exc
        stats.set_value("ehz/status", verdict.status)
        stats.set_value("ehz/why", verdict.why)
