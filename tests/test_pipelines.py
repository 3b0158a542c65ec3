"""The item pipelines driven as Scrapy drives them: run rows, listings, 304s, validation, drift."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import fields, replace

from ehz_scraper import settings
from ehz_scraper.items import ArticleCapture, FailedFetch
from tests.support.captures import T0, PipelineRun, build_archive, capture, listing

T1 = "2026-11-27T07:00:00Z"
TOWNS = "01_three_page_towns"


def rows(db, sql):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_item_pipelines_are_ordered_extract_validate_store():
    assert settings.ITEM_PIPELINES == {
        "ehz_scraper.pipelines.ExtractPipeline": 100,
        "ehz_scraper.pipelines.ValidatePipeline": 200,
        "ehz_scraper.pipelines.StorePipeline": 300,
    }
    assert settings.EHZ_DB == "archive/ehangzhou.db"


def without_duration(summary: str) -> str:
    """The run's summary with its one timing-dependent line checked and masked."""
    lines = summary.split("\n")
    timed = [i for i, line in enumerate(lines) if line.startswith("duration: ")]
    assert len(timed) == 1 and re.fullmatch(r"duration: \d+\.\d s", lines[timed[0]]), summary
    lines[timed[0]] = "duration: ..."
    return "\n".join(lines)


def test_run_row_listing_pages_and_summary(tmp_path):
    db = tmp_path / "a.db"
    run = PipelineRun(db)
    assert run.spider.ehz_run_id == 1
    assert rows(db, "SELECT id, spider, arguments, status, finished FROM runs") == [
        (1, "fixture", '{"mode": "full"}', "running", None)
    ]
    page = listing(["https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"], last=True)
    out = run.feed(page, capture(TOWNS), capture("22_page_not_found"))
    assert out[0] is page  # listing pages pass extract and validate untouched
    run.close()
    assert rows(
        db,
        "SELECT run_id, url, section, page, listed_count, new_count, last,"
        " stop_reason FROM listings",
    ) == [(1, "https://www.ehangzhou.gov.cn/node_7040.htm", "Latest", 1, 1, 1, 1, "end of listing")]
    [(status, close_reason, summary)] = rows(db, "SELECT status, close_reason, summary FROM runs")
    assert (status, close_reason) == ("finished", "finished")
    # The summary is the RunReport's (the verdict's owner), which the store pipeline added.
    assert without_duration(summary) == (
        "ehz crawl fixture: finished (exit 0)\n"
        "why: all went well\n"
        f"archive: {db}, run 1\n"
        "articles: 1 new, 0 changed, 0 unchanged, 0 incomplete, 1 failed\n"
        "extraction: 0 fallback, 0 missing a required field, 1 not an article\n"
        "listing pages: 1 (1 links)\n"
        "requests: 0 (0 retries), 0 B received\n"
        "duration: ...\n"
        "failures this run: 1 (`ehz failures` lists them all)\n"
        "  extract  https://www.ehangzhou.gov.cn/2021-05/20/c_266400.htm"
        "  not an article: page not found"
    )


def test_a_304_page_is_resolved_from_its_stored_snapshot(tmp_path):
    db = tmp_path / "a.db"
    build_archive(db, capture(TOWNS))
    again = capture(TOWNS, fetched_at=T1)
    again.pages[0] = replace(again.pages[0], status=304, body=b"")
    build_archive(db, again)
    assert rows(db, "SELECT status, count(*) FROM fetches GROUP BY status") == [(200, 5), (304, 1)]
    assert rows(db, "SELECT count(*) FROM snapshots") == [(3,)]
    assert rows(db, "SELECT articles_unchanged FROM runs WHERE id = 2") == [(1,)]
    first, second = rows(db, "SELECT snapshot_hash FROM fetches WHERE page = 1 ORDER BY id")
    assert first == second


def test_no_good_page_1_is_a_fetch_failure(tmp_path):
    db = tmp_path / "a.db"
    url = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"
    lost = ArticleCapture(
        article_id=266285,
        url=url,
        failed=[FailedFetch(url=url, page=1, reason="HTTP 500", failed_at=T0, status=500)],
    )
    build_archive(db, lost)
    assert rows(db, "SELECT url, stage, reason FROM failures") == [(url, "fetch", "HTTP 500")]
    assert rows(db, "SELECT count(*) FROM articles") == [(0,)]


def test_validation_failure_is_recorded_never_an_empty_row(tmp_path):
    db = tmp_path / "a.db"
    wrong = capture(TOWNS)
    wrong.article_id = 1
    build_archive(db, wrong)
    assert rows(db, "SELECT stage, reason FROM failures") == [
        ("validate", "record is for article 266285, not 1")
    ]
    assert rows(db, "SELECT count(*) FROM articles") == [(0,)]


def test_video_only_article_is_archived_with_its_warning(tmp_path):
    db = tmp_path / "a.db"
    build_archive(db, capture("20_video_only"))
    assert rows(db, "SELECT article_id, body_text, extraction_warnings FROM articles") == [
        (292750, "", '["no body text"]')
    ]


def test_mostly_fallback_extractions_mark_the_run_degraded(tmp_path):
    db = tmp_path / "a.db"
    # Three articles: the drift alarm (EHZ_DRIFT_THRESHOLD) needs EHZ_DRIFT_MIN_ARTICLES tried.
    build_archive(
        db,
        capture(TOWNS),
        capture("02_caption_forms_inline"),
        capture("26_unknown_template_og_title_meta_date"),
    )
    [(status, fallback, summary)] = rows(
        db, "SELECT status, fallback_extractions, summary FROM runs"
    )
    assert (status, fallback) == ("degraded", 1)
    assert summary.split("\n")[:2] == [
        "ehz crawl fixture: degraded (exit 3)",
        "why: 1 of 3 articles (33%) needed fallback extraction or lacked a required field"
        " (threshold 20%): has the site been redesigned?",
    ]


def test_close_reasons_set_the_run_status(tmp_path):
    db = tmp_path / "a.db"
    build_archive(db, capture(TOWNS), reason="shutdown")
    build_archive(db, capture(TOWNS), reason="closespider_pagecount")
    build_archive(db, capture(TOWNS), reason="cancelled")
    assert rows(db, "SELECT status, close_reason FROM runs") == [
        ("interrupted", "shutdown"),
        ("interrupted", "closespider_pagecount"),
        ("failed", "cancelled"),
    ]


def test_a_store_error_is_a_store_failure_and_the_crawl_goes_on(tmp_path):
    db = tmp_path / "a.db"
    run = PipelineRun(db)
    broken = capture(TOWNS)
    run.pipes[0].process_item(broken)
    broken.record["images"][0]["src"] = None  # violates NOT NULL midway through the article
    run.pipes[2].process_item(broken)
    run.feed(capture("02_caption_forms_inline"))
    run.close()
    assert rows(db, "SELECT stage, reason FROM failures") == [
        ("store", "IntegrityError: NOT NULL constraint failed: images.src")
    ]
    assert rows(db, "SELECT article_id FROM articles") == [(279666,)]


def test_bad_pages_is_a_declared_capture_field_the_extract_pipeline_fills(tmp_path):
    fresh = capture("31_page_2_soft_404")
    assert fresh.bad_pages == []
    assert "bad_pages" in {f.name for f in fields(ArticleCapture)}
    run = PipelineRun(tmp_path / "a.db")
    [out] = run.feed(fresh)
    run.close()
    assert out.failure is None
    assert out.bad_pages == [2]
    assert rows(tmp_path / "a.db", "SELECT article_id, complete FROM articles") == [(279700, 0)]
    assert rows(tmp_path / "a.db", "SELECT page, stage FROM failures") == [(2, "extract")]


def test_extractor_errors_are_failures_that_count_against_the_drift_alarm(tmp_path, monkeypatch):
    """An exception in the extractor (not NotAnArticle) loses nothing silently: the article is
    a failure row (stage extract), the crawl goes on, and the drift alarm counts it."""
    from ehz_scraper import pipelines

    real = pipelines.extract_article_result

    def flaky(pages, **kwargs):
        if "c_266285" not in pages[0].url:
            raise ValueError("invalid literal for int() with base 10: '²'")
        return real(pages, **kwargs)

    monkeypatch.setattr(pipelines, "extract_article_result", flaky)
    db = tmp_path / "a.db"
    build_archive(
        db,
        capture(TOWNS),
        capture("09_info_date_time"),
        capture("05_headings_bold_paragraphs"),
        capture("22_page_not_found"),
    )
    reason = "extractor error: ValueError: invalid literal for int() with base 10: '²'"
    assert rows(db, "SELECT url, stage, reason FROM failures ORDER BY url") == [
        ("https://www.ehangzhou.gov.cn/2021-05/20/c_266400.htm", "extract", reason),
        ("https://www.ehangzhou.gov.cn/2023-03/24/c_284100.htm", "extract", reason),
        ("https://www.ehangzhou.gov.cn/2025-02/21/c_292708.htm", "extract", reason),
    ]
    assert rows(db, "SELECT article_id FROM articles") == [(266285,)]
    [(status, summary)] = rows(db, "SELECT status, summary FROM runs")
    assert status == "degraded"
    lines = summary.split("\n")
    assert lines[1] == (
        "why: 3 of 4 articles (75%) needed fallback extraction or lacked a required field,"
        " 3 extractor errors (threshold 20%): has the site been redesigned?"
    )
    assert lines[4] == (
        "extraction: 0 fallback, 0 missing a required field, 0 not an article, 3 extractor errors"
    )
