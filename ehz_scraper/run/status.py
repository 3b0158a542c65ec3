"""How a run went: its counts and its verdict (finished, degraded, failed, interrupted)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ehz_scraper.run.exitcodes import STATUS_EXIT, ExitStatus
from ehz_scraper.settings import EHZ_DRIFT_MIN_ARTICLES, EHZ_DRIFT_THRESHOLD
from ehz_scraper.storage.runs import run_figures

LISTING_SPIDERS = frozenset({"latest", "section", "site"})


@dataclass
class RunCounts:
    """The figures of one run: its `runs` row, its listings and failures, and Scrapy's stats."""

    spider: str
    run_id: int | None = None
    started: str | None = None
    listing_pages: int = 0
    links_listed: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    incomplete: int = 0
    failed: int = 0  # articles the pipelines could not archive (failure rows of this run)
    fallback: int = 0
    fetch_failures: int = 0
    not_articles: int = 0  # extract-stage failures: pages that are no article
    extractor_errors: int = 0  # extract-stage failures: the extractor raised (drift, or a bug)
    missing_field: int = 0  # validate-stage failures: a record without title or body
    store_failures: int = 0
    requests: int = 0
    retries: int = 0
    responses_bytes: int = 0
    spider_errors: int = 0
    item_errors: int = 0  # items an exception in the pipelines lost (in no table)
    write_failures: list[str] = field(default_factory=list)  # archive writes that failed
    items_not_stored: int = 0  # items the failed writes rolled back
    duration: float | None = None
    walks_cut: list[str] = field(default_factory=list)  # listing walks a trap or failure cut
    failed_listings: list[str] = field(default_factory=list)  # pages empty where links were
    empty_sections: list[str] = field(default_factory=list)  # page 1 empty, never any links
    cut_pages: int = 0  # pages (articles, listings) cut by markup nested too deep
    empty_templates: int = 0  # validate failures: template title, no body, image or player
    first_failures: list[tuple[str, str, str]] = field(default_factory=list)  # stage, url, reason

    @property
    def extracted(self) -> int:
        return self.new + self.changed + self.unchanged

    @property
    def attempted(self) -> int:
        """Articles the pipelines tried to extract (fetched, whether or not it worked)."""
        return self.extracted + self.not_articles + self.missing_field + self.extractor_errors


@dataclass(frozen=True)
class Verdict:
    """A run's status for `runs.status` and the exit code, with the reasons a person reads."""

    status: str  # finished | degraded | failed | interrupted
    reasons: tuple[str, ...] = ()

    @property
    def exit_status(self) -> ExitStatus:
        return STATUS_EXIT[self.status]

    @property
    def why(self) -> str:
        return "; ".join(self.reasons) if self.reasons else "all went well"


def judge_run(
    counts: RunCounts,
    close_reason: str | None,
    *,
    drift_threshold: float = EHZ_DRIFT_THRESHOLD,
    drift_min_articles: int = EHZ_DRIFT_MIN_ARTICLES,
) -> Verdict:
    """The verdict on a run: one that did not finish, fetched nothing or drifted is not `finished`.

    Drift (status `degraded`): listing pages yielded links but no article could be extracted,
    or more than `drift_threshold` of the articles needed fallback extraction or lacked a
    required field; both only once at least `drift_min_articles` articles were tried.
    """
    if counts.write_failures:
        # Whatever else happened, the archive does not hold what the run fetched.
        lost = f" ({counts.items_not_stored} items not stored)" if counts.items_not_stored else ""
        more = len(counts.write_failures) - 1
        also = f"; {more} more failed writes" if more > 0 else ""
        return Verdict("failed", (f"{counts.write_failures[0]}{lost}{also}",))
    if close_reason == "shutdown":
        return Verdict("interrupted", ("stopped by a signal before the end",))
    if close_reason and close_reason.startswith("closespider_"):
        # A limit set for this run (CLOSESPIDER_PAGECOUNT, ..._TIMEOUT) cut the walk short.
        return Verdict("interrupted", (f"stopped by a limit: {close_reason}",))
    if close_reason not in (None, "finished"):
        return Verdict("failed", (f"the crawl closed early: {close_reason}",))
    example = f" (e.g. {counts.first_failures[0][2]})" if counts.first_failures else ""
    if counts.spider in LISTING_SPIDERS and counts.listing_pages == 0:
        return Verdict("failed", (f"no listing page could be walked{example}",))
    if counts.empty_sections:
        return Verdict("failed", tuple(counts.empty_sections))
    if counts.run_id is None:
        # No run row: the archive was not written (no store pipeline); only the walk is known.
        return Verdict("finished", ("no run recorded in the archive",))
    if counts.attempted == 0 and counts.fetch_failures > 0:
        return Verdict(
            "failed", (f"no article could be fetched: {counts.fetch_failures} failed{example}",)
        )
    reasons: list[str] = list(counts.walks_cut) + list(counts.failed_listings)
    if counts.spider_errors:
        reasons.append(f"{counts.spider_errors} errors in spider callbacks (see the log)")
    if counts.cut_pages:
        reasons.append(
            f"{counts.cut_pages} page{'s' if counts.cut_pages != 1 else ''} cut by markup"
            " nested deeper than the parser's limit"
            " (2048 levels): text and links past that point are missing"
        )
    if counts.item_errors:
        reasons.append(f"{counts.item_errors} items lost to errors in the pipelines (see the log)")
    if counts.attempted >= drift_min_articles:
        empty = (
            f", {counts.empty_templates} with a template title but no body text, image or"
            " video player"
            if counts.empty_templates
            else ""
        )
        if counts.links_listed > 0 and counts.extracted == 0:
            reasons.append(
                f"listing pages yielded {counts.links_listed} links but none of the "
                f"{counts.attempted} articles fetched could be extracted "
                f"({counts.not_articles} not an article, {counts.missing_field} missing a "
                f"required field{empty}{_and_errors(counts)}): has the site been redesigned?"
            )
        else:
            # An extractor error is drift too: markup the extractor was not written for.
            drifted = counts.fallback + counts.missing_field + counts.extractor_errors
            share = drifted / counts.attempted
            if share > drift_threshold:
                reasons.append(
                    f"{drifted} of {counts.attempted} articles ({share:.0%}) needed fallback "
                    f"extraction or lacked a required field{empty}{_and_errors(counts)} (threshold "
                    f"{drift_threshold:.0%}): has the site been redesigned?"
                )
    if reasons:
        return Verdict("degraded", tuple(reasons))
    return Verdict("finished")


def _and_errors(counts: RunCounts) -> str:
    n = counts.extractor_errors
    return f", {n} extractor error{'s' if n != 1 else ''}" if n else ""


def read_run_counts(db_path: str | Path, spider: str, run_id: int | None) -> RunCounts:
    """The counts of run `run_id` of `spider` as its committed row and tables hold them.

    Returns empty counts when there is no run id, archive or row (the crawl failed early).
    """
    counts = RunCounts(spider=spider)
    figures = run_figures(db_path, run_id) if run_id is not None else {}
    if not figures:
        return counts
    row = figures["row"]
    counts.run_id = row["id"]
    counts.started = row["started"]
    for attr, column in (
        ("listing_pages", "listing_pages"),
        ("new", "articles_new"),
        ("changed", "articles_changed"),
        ("unchanged", "articles_unchanged"),
        ("incomplete", "articles_incomplete"),
        ("failed", "articles_failed"),
        ("fallback", "fallback_extractions"),
    ):
        setattr(counts, attr, row.get(column) or 0)
    counts.links_listed = figures["links_listed"]
    by_stage = figures["failures_by_stage"]
    counts.fetch_failures = by_stage.get("fetch", 0)
    counts.extractor_errors = figures.get("extractor_errors", 0)
    counts.not_articles = by_stage.get("extract", 0) - counts.extractor_errors
    counts.missing_field = by_stage.get("validate", 0)
    counts.store_failures = by_stage.get("store", 0)
    counts.empty_templates = figures.get("empty_templates", 0)
    counts.first_failures = [tuple(f) for f in figures["first_failures"]]
    return counts
