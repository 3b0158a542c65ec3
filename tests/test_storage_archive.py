"""The archive file built from fixture captures: every table, versions, failures, atomicity."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from ehz_scraper.errors import ArchiveError
from ehz_scraper.extraction.decode import decode_html
from ehz_scraper.storage.archive import ArchiveWriter
from ehz_scraper.storage.schema import SCHEMA_VERSION, connect_readonly, open_archive
from ehz_scraper.storage.snapshots import SnapshotCodec
from tests.support.captures import PAGES, T0, build_archive, capture, case_files

TOWNS = "01_three_page_towns"
TOWNS_URL = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"
T1 = "2026-11-27T07:00:00Z"


def rows(db, sql, *params):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture
def towns_db(tmp_path):
    db = tmp_path / "a.db"
    build_archive(db, capture(TOWNS))
    return db


def test_every_table_for_a_known_article(towns_db):
    expected = json.loads((PAGES / TOWNS / "expected.json").read_text())
    art = rows(
        towns_db,
        "SELECT article_id, url, title, date, date_text, source, byline, section, breadcrumb,"
        " page_count, image_count, complete, version, extraction_method, extraction_warnings,"
        " first_seen, last_seen, last_changed FROM articles",
    )
    assert art == [
        (
            266285,
            TOWNS_URL,
            "Hangzhou honors nine characteristic towns",
            "2021-05-12",
            "Updated: May 12, 2021",
            "www.ehangzhou.gov.cn",
            None,
            "Latest",
            '["Home", "Latest"]',
            3,
            4,
            1,
            1,
            "template",
            "[]",
            T0,
            T0,
            T0,
        )
    ]
    assert rows(towns_db, "SELECT body_text FROM articles")[0][0] == expected["body_text"]
    assert rows(towns_db, "SELECT position, heading FROM sections ORDER BY position") == [
        (i + 1, s["heading"]) for i, s in enumerate(expected["sections"])
    ]
    assert rows(
        towns_db, "SELECT position, page, src, alt, caption, credit FROM images ORDER BY position"
    ) == [
        (i + 1, im["page"], im["src"], im["alt"], im["caption"], im["credit"])
        for i, im in enumerate(expected["images"])
    ]
    ((version, record, complete, run_id),) = rows(
        towns_db, "SELECT version, record, complete, run_id FROM versions"
    )
    assert (version, json.loads(record), complete, run_id) == (1, expected, 1, 1)
    bodies = [p.read_bytes() for p in case_files(TOWNS)]
    hashes = [hashlib.sha256(b).hexdigest() for b in bodies]
    assert rows(
        towns_db, "SELECT page, url, status, snapshot_hash, run_id FROM fetches ORDER BY page"
    ) == [
        (1, TOWNS_URL, 200, hashes[0], 1),
        (2, TOWNS_URL.replace(".htm", "_2.htm"), 200, hashes[1], 1),
        (3, TOWNS_URL.replace(".htm", "_3.htm"), 200, hashes[2], 1),
    ]
    assert rows(towns_db, "SELECT hash, size, encoding FROM snapshots ORDER BY size DESC") == [
        (h, len(b), "utf-8")
        for h, b in sorted(zip(hashes, bodies, strict=True), key=lambda x: -len(x[1]))
    ]
    assert rows(
        towns_db,
        "SELECT id, spider, status, close_reason, listing_pages, articles_new, articles_changed,"
        " articles_unchanged, articles_incomplete, articles_failed, fallback_extractions FROM runs",
    ) == [(1, "fixture", "finished", "finished", 0, 1, 0, 0, 0, 0, 0)]
    assert rows(towns_db, "SELECT count(*) FROM failures") == [(0,)]


def test_unchanged_recapture_adds_fetches_but_no_blob_and_no_version(towns_db):
    build_archive(towns_db, capture(TOWNS, fetched_at=T1))
    assert rows(towns_db, "SELECT count(*) FROM fetches") == [(6,)]
    assert rows(towns_db, "SELECT count(*) FROM snapshots") == [(3,)]
    assert rows(towns_db, "SELECT count(*) FROM versions") == [(1,)]
    assert rows(towns_db, "SELECT version, first_seen, last_seen, last_changed FROM articles") == [
        (1, T0, T1, T0)
    ]
    assert rows(towns_db, "SELECT articles_new, articles_unchanged FROM runs WHERE id = 2") == [
        (0, 1)
    ]


def test_changed_capture_adds_a_version_and_keeps_the_old(towns_db):
    page1 = case_files(TOWNS)[0].read_bytes().replace(b"nine characteristic", b"ten notable")
    build_archive(towns_db, capture(TOWNS, fetched_at=T1, bodies={1: page1}))
    assert rows(towns_db, "SELECT version, title, last_changed FROM articles") == [
        (2, "Hangzhou honors ten notable towns", T1)
    ]
    versions = rows(towns_db, "SELECT version, record, run_id FROM versions ORDER BY version")
    assert [(v, json.loads(r)["title"], run) for v, r, run in versions] == [
        (1, "Hangzhou honors nine characteristic towns", 1),
        (2, "Hangzhou honors ten notable towns", 2),
    ]
    assert rows(towns_db, "SELECT count(*) FROM snapshots") == [(4,)]
    assert rows(towns_db, "SELECT count(*) FROM sections") == [(4,)]
    assert rows(towns_db, "SELECT articles_changed FROM runs WHERE id = 2") == [(1,)]


def test_page_2_fetch_failure_stores_incomplete_with_a_failure_row(tmp_path):
    db = tmp_path / "a.db"
    build_archive(db, capture(TOWNS, pages=[1], failed={2: "timeout after 3 retries"}))
    assert rows(db, "SELECT complete, page_count FROM articles") == [(0, 1)]
    assert rows(
        db, "SELECT run_id, url, article_id, page, stage, reason, attempts, next_due FROM failures"
    ) == [
        (
            1,
            TOWNS_URL.replace(".htm", "_2.htm"),
            266285,
            2,
            "fetch",
            "timeout after 3 retries",
            1,
            "2026-11-26T08:00:00Z",
        )
    ]
    assert rows(db, "SELECT articles_new, articles_incomplete FROM runs") == [(1, 1)]
    # A later complete capture is a new version and resolves the failure.
    build_archive(db, capture(TOWNS, fetched_at=T1))
    assert rows(db, "SELECT complete, page_count, version FROM articles") == [(1, 3, 2)]
    assert rows(db, "SELECT resolved, resolved_at FROM failures") == [(1, T1)]


def test_soft_404_page_2_stores_incomplete_with_an_extract_failure(tmp_path):
    db = tmp_path / "a.db"
    build_archive(db, capture("31_page_2_soft_404"))
    assert rows(db, "SELECT article_id, complete FROM articles") == [(279700, 0)]
    assert rows(db, "SELECT url, page, stage, reason FROM failures") == [
        (
            "https://www.ehangzhou.gov.cn/2022-02/26/c_279700_2.htm",
            2,
            "extract",
            "page 2 not an article: page not found",
        )
    ]


def test_not_an_article_is_a_failure_not_a_row(tmp_path):
    db = tmp_path / "a.db"
    build_archive(db, capture("22_page_not_found"))
    assert rows(db, "SELECT count(*) FROM articles") == [(0,)]
    assert rows(db, "SELECT url, stage, reason, attempts FROM failures") == [
        (
            "https://www.ehangzhou.gov.cn/2021-05/20/c_266400.htm",
            "extract",
            "not an article: page not found",
            1,
        )
    ]
    # Every fetch is kept, even of a page that was not an article.
    assert rows(db, "SELECT count(*) FROM fetches") == [(1,)]
    assert rows(db, "SELECT articles_failed FROM runs") == [(1,)]
    # Failing again bumps the attempts and pushes the next try back (6 h after the 2nd).
    build_archive(db, capture("22_page_not_found", fetched_at=T1))
    assert rows(db, "SELECT attempts, failed_at, next_due FROM failures") == [
        (2, T1, "2026-11-27T13:00:00Z")
    ]


def test_a_failure_midway_leaves_no_trace_of_the_article(tmp_path):
    db = tmp_path / "a.db"
    writer = ArchiveWriter(db, batch_size=10)
    writer.start_run("test")
    good = capture("02_caption_forms_inline")
    expected = json.loads((PAGES / "02_caption_forms_inline" / "expected.json").read_text())
    writer.store_article(good, expected)
    towns = json.loads((PAGES / TOWNS / "expected.json").read_text())
    towns["images"][3]["src"] = None  # NOT NULL: fails after the row, sections and 3 images
    with pytest.raises(sqlite3.IntegrityError):
        writer.store_article(capture(TOWNS), towns)
    writer.close()
    for table in ("articles", "versions", "sections", "images", "fetches"):
        ids = {r[0] for r in rows(db, f"SELECT DISTINCT article_id FROM {table}")}
        assert ids == {good.article_id}, table
    hashes = {r[0] for r in rows(db, "SELECT hash FROM snapshots")}
    assert hashes == {hashlib.sha256(p.body).hexdigest() for p in good.pages}


def test_fts_finds_an_article_by_a_body_word(towns_db):
    conn = sqlite3.connect(towns_db)
    hits = conn.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", ["biopharmaceutical"]
    ).fetchall()
    assert hits == [(266285,)]


def test_schema_version_wal_and_newer_schema_refused(towns_db):
    assert rows(towns_db, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]
    assert rows(towns_db, "PRAGMA journal_mode") == [("wal",)]
    conn = sqlite3.connect(towns_db)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(ArchiveError, match="archive schema version 99 is newer"):
        open_archive(towns_db)


def test_a_migration_cut_short_leaves_no_half_schema(tmp_path, monkeypatch):
    # A crawl killed while creating the archive must not leave tables without their
    # triggers: the next open would fail on CREATE TRIGGER. The migration is all or nothing.
    from ehz_scraper.storage import schema

    def interrupted(db):
        schema._migrate_to_1(db)
        raise KeyboardInterrupt  # as a signal landing before the COMMIT

    path = tmp_path / "archive.db"
    monkeypatch.setitem(schema.MIGRATIONS, 1, interrupted)
    with pytest.raises(KeyboardInterrupt):
        open_archive(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []
    monkeypatch.undo()
    assert schema.schema_version(open_archive(path)) == SCHEMA_VERSION
    assert rows(path, "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name") == [
        ("articles_ad",),
        ("articles_ai",),
        ("articles_au",),
    ]


def test_dictionary_is_trained_stored_and_every_blob_stays_readable(tmp_path):
    db = tmp_path / "a.db"
    writer = ArchiveWriter(db, batch_size=5)
    writer.start_run("test")
    base = case_files(TOWNS)[0].read_bytes()
    bodies = [base.replace(b"nine", f"n{i}".encode() * 40) for i in range(60)]
    for i, body in enumerate(bodies):
        cap = capture(TOWNS, pages=[1], bodies={1: body})
        with writer._item():
            writer._store_fetch(cap.pages[0], 266285 + i)
    writer.close()
    assert rows(db, "SELECT id, sample_count FROM zstd_dicts") == [(1, 50)]
    dicts = rows(db, "SELECT dict_id, count(*) FROM snapshots GROUP BY dict_id ORDER BY dict_id")
    assert dicts == [(None, 50), (1, 10)]
    conn = sqlite3.connect(db)
    codec = SnapshotCodec(conn)
    for body in bodies:
        assert codec.read(hashlib.sha256(body).hexdigest()) == body


@pytest.mark.parametrize(
    ("case", "encoding"),
    [
        ("17_gbk_charset_in_header_only", "gb18030"),
        ("18_gb2312_meta_charset_only", "gb18030"),
        ("19_utf8_no_charset_declared", "utf-8"),
    ],
)
def test_snapshot_encoding_never_disagrees_with_the_extractor(tmp_path, case, encoding):
    """The archive records the encoding the extractor read the page in (one charset rule)."""
    db = tmp_path / "a.db"
    item = capture(case)
    build_archive(db, item)
    page = item.pages[0]
    content_type = dict((k.lower(), v) for k, v in page.headers).get("content-type")
    assert decode_html(page.body, content_type).encoding == encoding
    assert rows(db, "SELECT encoding FROM snapshots") == [(encoding,)]


_KILLED_WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("CREATE TABLE t (x)")
conn.execute("INSERT INTO t VALUES (1)")
conn.execute("PRAGMA cache_size = 10")  # spill to the file: the journal becomes hot
conn.execute("BEGIN")
conn.executemany("INSERT INTO t VALUES (?)", ((i,) for i in range(100_000)))
print("ready", flush=True)
time.sleep(60)
"""


def test_readonly_readers_recover_a_writer_killed_mid_transaction(tmp_path):
    """A process killed mid-write leaves a hot journal; read-only commands must still read."""
    db = tmp_path / "a.db"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(db)], stdout=subprocess.PIPE)
    assert proc.stdout.readline() == b"ready\n"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    plain = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        plain.execute("SELECT count(*) FROM t").fetchone()
    plain.close()
    conn = connect_readonly(db)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)  # the committed row only
    conn.close()
