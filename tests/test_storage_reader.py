"""The read-only API spiders call: known ids, last fetch, failures not due, completed coverage."""

from __future__ import annotations

from capture_fixtures import PipelineRun, build_archive, capture, listing

from ehz_scraper.storage.reader import ArchiveReader

TOWNS_URL = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"
MISSING_URL = "https://www.ehangzhou.gov.cn/2021-05/20/c_266400.htm"


def test_a_missing_archive_reads_as_empty(tmp_path):
    reader = ArchiveReader(tmp_path / "none.db")
    assert reader.known_article_ids() == set()
    assert reader.is_known(1) is False
    assert reader.last_fetch(TOWNS_URL) is None
    assert reader.failures_not_due() == set()
    assert reader.completed_coverage("Latest") == set()
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


def test_completed_coverage_counts_finished_runs_only(tmp_path):
    db = tmp_path / "a.db"
    a, b, c = (f"https://www.ehangzhou.gov.cn/2026-11/2{i}/c_30000{i}.htm" for i in range(3))
    build_archive(db, listing([a, b]), listing([c], page=2, last=True))
    build_archive(db, listing(["https://www.ehangzhou.gov.cn/x/c_1.htm"]), reason="shutdown")
    build_archive(db, listing([a], section="Business"))
    with ArchiveReader(db) as reader:
        assert reader.completed_coverage("Latest") == {a, b, c}
        assert reader.completed_coverage("latest") == {a, b, c}
        assert reader.completed_coverage("Business") == {a}
        assert [r["status"] for r in reader.runs()] == ["finished", "interrupted", "finished"]


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
    from capture_fixtures import case_files

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
