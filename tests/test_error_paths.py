"""Error paths no clean crawl takes: an item lost to a pipeline bug, an extractor crash."""

from __future__ import annotations

import json

from ehz_scraper import pipelines, settings
from tests.support import archive_check as ac
from tests.support.captures import PipelineRun, capture
from tests.support.crawling import crawl
from tests.support.site_server import SiteServer

URL = "https://www.ehangzhou.gov.cn/2025-04/09/c_293116.htm"


def test_an_item_lost_in_the_pipelines_degrades_the_run(tmp_path) -> None:
    db = tmp_path / "archive.db"
    stages = {**settings.ITEM_PIPELINES, "tests.support.failing_pipeline.FailingPipeline": 250}
    with SiteServer() as server:
        result = crawl(
            "article", server.base_url, db, f"url={URL}",
            settings={"ITEM_PIPELINES": json.dumps(stages), "EHZ_TEST_FAIL_IDS": "293116"},
        )  # fmt: skip
    lines = result.stdout.splitlines()
    assert result.returncode == 3, result.stdout + result.stderr[-2000:]
    assert lines[:2] == [
        "ehz crawl article: degraded (exit 3)",
        "why: 1 items lost to errors in the pipelines (see the log)",
    ]
    # In no table: the run's own row says what is missing.
    assert ac.records(db) == {} and ac.failures(db) == {}
    assert ac.runs(db)[-1]["status"] == "degraded"


def test_an_extractor_crash_is_an_extract_failure_with_its_pages_kept(tmp_path, monkeypatch):
    def crash(pages, url=None):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(pipelines, "extract_article_result", crash)
    db = tmp_path / "a.db"
    run = PipelineRun(db)
    item = capture("01_three_page_towns")
    run.feed(item)
    run.close()
    assert item.failure == {
        "stage": "extract",
        "reason": "extractor error: ZeroDivisionError: division by zero",
    }
    assert ac.failures(db) == {
        item.url: ("extract", "extractor error: ZeroDivisionError: division by zero")
    }
    # The pages are kept for a later `ehz reextract`-style retry.
    with ac.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM fetches").fetchone()[0] == 3
