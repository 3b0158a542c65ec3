"""The read-only API spiders call: known ids, last fetch, failures not due, completed coverage."""

from __future__ import annotations

import pytest

from ehz_scraper.storage.reader import ArchiveReader
from tests.support.captures import PipelineRun, build_archive, capture, listing

TOWNS_URL = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"
MISSING_URL = "https://www.ehangzhou.gov.cn/2021-05/20/c_266400.htm"


def test_a_missing_archive_reads_as_empty(tmp_path):
    reader = ArchiveReader(tmp_path / "none.db")
    assert reader.known_article_ids() == set()
    assert reader.is_known(1) is False
    assert reader.last_fetch(TOWNS_URL) is None
    assert reader.failures_not_due() == set()
    assert reader.failures_due() == set()
    assert reader.completed_coverage("Latest") == set()
    assert reader.listed_urls("Latest") == set()
    assert not (tmp_path / "none.db").exists()


def test_known_ids_last_fetch_and_failures(tmp_path):
    db = tmp_path / "a.db"
    build_archive(db, capture("01_three_page_towns", etag="abc"), capture("22_page_not_found"))
    with ArchiveReader(db) as reader:
        assert reader.known_article_ids() == {266285}
        assert reader.is_known(266285) is True
        assert reader.is_known(266400) is False
        last = reader.last_fetch(TOWNS_URL)
        assert last["etag"] == '"abc-1"'
        assert last["last_modified"] == "Wed, 12 May 2021 02:31:00 GMT"
        assert last["fetched_at"] == "2026-11-26T07:00:00Z"
        assert last["status"] == 200
        assert len(last["snapshot_hash"]) == 64
        # Failed at 07:00, next due at 08:00 (1 hour backoff after the first failure).
        assert reader.failures_not_due("2026-11-26T07:59:59Z") == {MISSING_URL}
        assert reader.failures_not_due("2026-11-26T08:00:00Z") == set()
        assert reader.failures_due("2026-11-26T07:59:59Z") == set()
        assert reader.failures_due("2026-11-26T08:00:00Z") == {MISSING_URL}


def test_a_resolved_failure_is_never_due(tmp_path):
    db = tmp_path / "a.db"
    build_archive(db, capture("01_three_page_towns", pages=[1, 2], failed={3: "HTTP 500"}))
    towns_3 = TOWNS_URL.replace(".htm", "_3.htm")
    with ArchiveReader(db) as reader:
        assert reader.failures_due("2026-11-26T08:00:00Z") == {towns_3}
    build_archive(db, capture("01_three_page_towns", fetched_at="2026-11-26T09:00:00Z"))
    with ArchiveReader(db) as reader:
        assert reader.failures_due("2026-11-26T09:00:00Z") == set()
        assert reader.failures_not_due("2026-11-26T09:00:00Z") == set()


def test_spiders_read_due_failures_through_the_reader(tmp_path):
    db = tmp_path / "a.db"
    build_archive(db, capture("22_page_not_found"))
    view = ArchiveReader(str(db))
    assert type(view) is ArchiveReader
    assert view.failures_due("2026-11-26T08:00:00Z") == {MISSING_URL}
    view.close()


def test_completed_coverage_counts_finished_runs_only(tmp_path):
    db = tmp_path / "a.db"
    a, b, c = (f"https://www.ehangzhou.gov.cn/2026-11/2{i}/c_30000{i}.htm" for i in range(3))
    build_archive(db, listing([a, b]), listing([c], page=2, last=True))
    build_archive(db, listing(["https://www.ehangzhou.gov.cn/x/c_1.htm"]), reason="shutdown")
    build_archive(db, listing([a], section="Business", last=True))
    with ArchiveReader(db) as reader:
        assert reader.completed_coverage("Latest") == {a, b, c}
        assert reader.completed_coverage("latest") == {a, b, c}
        assert reader.completed_coverage("Business") == {a}
        assert [r["status"] for r in reader.runs()] == ["finished", "interrupted", "finished"]


@pytest.mark.parametrize(
    ("stop_reason", "covered"),
    [
        ("end of listing", True),
        ("incremental: nothing new", True),
        ("fetch failed: HTTP 503 after 3 retries", False),
        ("max_pages", False),
        ("listing page cap", False),
        ("pager cycle", False),
        ("no article links", False),
    ],
)
def test_completed_coverage_counts_only_walks_that_bridged_their_ground(
    tmp_path, stop_reason, covered
):
    db = tmp_path / "a.db"
    a, b = (f"https://www.ehangzhou.gov.cn/2026-11/2{i}/c_30000{i}.htm" for i in range(2))
    build_archive(db, listing([a]), listing([b], page=2, last=True, stop_reason=stop_reason))
    with ArchiveReader(db) as reader:
        assert reader.completed_coverage("Latest") == ({a, b} if covered else set())


def test_completed_coverage_needs_every_walk_of_the_run_to_end_bridged(tmp_path):
    db = tmp_path / "a.db"
    a, b, c = (f"https://www.ehangzhou.gov.cn/2026-11/2{i}/c_30000{i}.htm" for i in range(3))
    build_archive(db, listing([a]))  # a finished run whose walk has no last page
    build_archive(db, listing([b], last=True), listing([c]))  # two walks: one ended, one not
    build_archive(db, listing([c], section="Business", last=True))
    with ArchiveReader(db) as reader:
        assert reader.completed_coverage("Latest") == set()
        assert reader.completed_coverage("Business") == {c}
        assert reader.listed_urls("latest") == {a, b, c}
        assert reader.listed_urls("Business") == {c}
        assert reader.listed_urls("Sports") == set()


def test_uncommitted_batch_is_not_visible_to_the_reader(tmp_path):
    db = tmp_path / "a.db"
    run = PipelineRun(db, EHZ_BATCH_SIZE=10)
    run.feed(capture("01_three_page_towns"))
    with ArchiveReader(db) as reader:
        assert reader.known_article_ids() == set()
    run.close()
    with ArchiveReader(db) as reader:
        assert reader.known_article_ids() == {266285}


def test_last_body_is_the_newest_stored_bytes(tmp_path):
    from tests.support.captures import case_files

    db = tmp_path / "a.db"
    build_archive(db, capture("01_three_page_towns"))
    files = case_files("01_three_page_towns")
    with ArchiveReader(db) as reader:
        assert reader.last_body(TOWNS_URL) == files[0].read_bytes()
        assert reader.last_body(TOWNS_URL.replace(".htm", "_3.htm")) == files[2].read_bytes()
        assert reader.last_body(MISSING_URL) is None


def test_a_batch_open_longer_than_ehz_batch_seconds_is_committed(tmp_path):
    db = tmp_path / "a.db"
    run = PipelineRun(db, EHZ_BATCH_SIZE=100, EHZ_BATCH_SECONDS=0)
    run.feed(capture("01_three_page_towns"))
    with ArchiveReader(db) as reader:
        assert reader.known_article_ids() == {266285}
    run.close()
