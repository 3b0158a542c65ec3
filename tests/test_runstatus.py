"""The verdict on a run: finished, degraded (drift alarm), failed or interrupted, and why."""

from __future__ import annotations

import pytest

from ehz_scraper.run.exitcodes import ExitStatus
from ehz_scraper.run.status import RunCounts, judge_run


def counts(**kw) -> RunCounts:
    base = {"spider": "latest", "run_id": 1, "listing_pages": 3, "links_listed": 60}
    base.update(kw)
    return RunCounts(**base)


@pytest.mark.parametrize(
    ("c", "reason", "status", "why"),
    [
        (counts(new=40), "finished", "finished", "all went well"),
        (
            counts(new=40),
            "shutdown",
            "interrupted",
            "stopped by a signal before the end",
        ),
        (
            counts(new=4),
            "closespider_timeout",
            "interrupted",
            "stopped by a limit: closespider_timeout",
        ),
        (
            counts(new=0),
            "home page failed: timeout after 3 retries",
            "failed",
            "the crawl closed early: home page failed: timeout after 3 retries",
        ),
        (
            counts(
                listing_pages=0,
                links_listed=0,
                fetch_failures=1,
                first_failures=[
                    ("fetch", "https://www.ehangzhou.gov.cn/", "timeout after 3 retries")
                ],
            ),
            "finished",
            "failed",
            "no listing page could be walked (e.g. timeout after 3 retries)",
        ),
        (
            counts(spider="article", listing_pages=0, links_listed=0, fetch_failures=2),
            "finished",
            "failed",
            "no article could be fetched: 2 failed",
        ),
        (
            counts(not_articles=40),
            "finished",
            "degraded",
            "listing pages yielded 60 links but none of the 40 articles fetched could be "
            "extracted (40 not an article, 0 missing a required field): has the site been "
            "redesigned?",
        ),
        (
            counts(new=30, fallback=9, missing_field=1),
            "finished",
            "degraded",
            "10 of 31 articles (32%) needed fallback extraction or lacked a required field "
            "(threshold 20%): has the site been redesigned?",
        ),
        (
            counts(new=10, walks_cut=["listing walk of Latest cut at page 5: listing page cap"]),
            "finished",
            "degraded",
            "listing walk of Latest cut at page 5: listing page cap",
        ),
        (
            counts(new=10, item_errors=1),
            "finished",
            "degraded",
            "1 items lost to errors in the pipelines (see the log)",
        ),
        # At the threshold exactly is not drift; 1 soft 404 in an incremental run is no alarm.
        (counts(new=10, fallback=2), "finished", "finished", "all went well"),
        (counts(not_articles=1), "finished", "finished", "all went well"),
        (
            counts(new=10, spider_errors=2),
            "finished",
            "degraded",
            "2 errors in spider callbacks (see the log)",
        ),
    ],
)
def test_verdict(c: RunCounts, reason: str, status: str, why: str) -> None:
    verdict = judge_run(c, reason)
    assert (verdict.status, verdict.why) == (status, why)


def test_exit_statuses_are_distinct() -> None:
    statuses = {judge_run(counts(new=1), r).exit_status for r in ("finished", "shutdown", "x")}
    assert statuses == {ExitStatus.FINISHED, ExitStatus.INTERRUPTED, ExitStatus.FAILED}
    assert len({int(s) for s in ExitStatus}) == len(ExitStatus)
    assert ExitStatus.LOCKED == 75


def test_threshold_is_a_setting() -> None:
    assert (
        judge_run(counts(new=10, fallback=2), "finished", drift_threshold=0.1).status == "degraded"
    )


def test_without_a_run_row_only_the_walk_is_judged() -> None:
    no_row = counts(run_id=None, new=0, not_articles=0)
    assert judge_run(no_row, "finished").why == "no run recorded in the archive"
    assert judge_run(counts(run_id=None, listing_pages=0), "finished").status == "failed"
