"""Incremental walks on a real archive: covered ground, interrupted runs, conditional refresh."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time

from ehz_scraper.run.crawl import crawl_argv
from tests.support.archive_db import article_rows, query
from tests.support.crawling import FAST, MANIFEST, ROOT, article, crawl, section_ids
from tests.support.site_server import SiteServer, respond

NOT_FOUND = 292854
MISSING_PAGE = 292874  # page 3 is a real 404: stored incomplete
PAGES = MANIFEST["sections"]["Latest"]["listing_pages"]


def test_known_articles_no_completed_run_covered_do_not_stop_the_walk(tmp_path):
    db = tmp_path / "a.db"
    with SiteServer() as server:
        # Listing pages 1 and 2 fetched by the article spider: known, but no walk covered them.
        urls = ",".join(article(i)["url"] for i in PAGES[0] + PAGES[1])
        assert crawl("article", server.base_url, db, f"url={urls}").returncode == 0
        result = crawl("latest", server.base_url, db)
        assert result.returncode == 0, result.stderr[-2000:]
        assert [(e["page"], e["new_count"], e["stop_reason"]) for e in result.listings] == [
            (1, 0, None),
            (2, 0, None),
            (3, 7, "end of listing"),
        ]
        assert set(result.articles) == set(PAGES[2])
        # Now a completed walk covers it all: the next run stops on page 1.
        server.clear_log()
        again = crawl("latest", server.base_url, db)
        assert server.paths() == ["/robots.txt", "/", "/node_7040.htm"]
        assert again.articles == {}
    assert set(article_rows(db)) == section_ids("Latest") - {NOT_FOUND}


KILL_AFTER = 5  # articles committed before the kill


def _committed(db) -> int:
    try:
        return query(db, "SELECT count(*) FROM articles")[0][0] if db.exists() else 0
    except sqlite3.Error:
        return 0


def test_a_killed_run_leaves_no_hole(tmp_path):
    db = tmp_path / "a.db"
    with SiteServer() as server:
        reached = threading.Event()

        def hang(handler):
            reached.set()
            time.sleep(30)  # the crawl is killed while it waits here
            return False

        server.behaviours["/node_7040_3.htm"] = hang
        settings = {"EHZ_DB": str(db), **FAST, "EHZ_BATCH_SIZE": "1"}
        cmd = crawl_argv("latest", settings, f"base_url={server.base_url}")
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            assert reached.wait(60)
            # The case this test is named for: articles of pages 1-2 committed, then the kill.
            deadline = time.monotonic() + 60
            while _committed(db) < KILL_AFTER:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.01)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        del server.behaviours["/node_7040_3.htm"]
        held = set(article_rows(db))
        assert KILL_AFTER <= len(held) < len(section_ids("Latest") - {NOT_FOUND})
        statuses = [r[0] for r in query(db, "SELECT status FROM runs")]
        assert statuses == ["running"]
        result = crawl("latest", server.base_url, db)
        assert result.returncode == 0, result.stderr[-2000:]
        # The rerun fetches what the killed run had not stored, and nothing it had.
        assert set(result.articles) == section_ids("Latest") - {NOT_FOUND} - held
        # No completed run covers anything yet: the walk goes to the end of the listing.
        assert [e["page"] for e in result.listings] == [1, 2, 3]
    assert set(article_rows(db)) == section_ids("Latest") - {NOT_FOUND}


def test_refresh_uses_conditional_get_and_keeps_unchanged_articles(tmp_path):
    db = tmp_path / "a.db"
    with SiteServer() as server:
        assert crawl("latest", server.base_url, db, "max_pages=1").returncode == 0
        versions = query(db, "SELECT count(*) FROM versions")[0][0]
        fetches = query(db, "SELECT count(*) FROM fetches")[0][0]
        server.clear_log()
        result = crawl("latest", server.base_url, db, "max_pages=1", "refresh=true")
        assert result.returncode == 0, result.stderr[-2000:]
        article_requests = [r for r in server.requests if "/c_" in r.path]
    assert set(result.articles) == set(PAGES[0])
    assert article_requests and {r.status for r in article_requests} == {304}
    assert all("If-None-Match" in r.headers for r in article_requests)
    for article_id, capture in result.articles.items():
        assert [p["status"] for p in capture["pages"]] == [304] * article(article_id)["pages"]
    assert query(db, "SELECT count(*) FROM versions")[0][0] == versions
    assert query(db, "SELECT count(*) FROM fetches")[0][0] > fetches


def test_a_walk_cut_by_a_failed_listing_page_is_resumed_by_the_next_run(tmp_path):
    db = tmp_path / "a.db"
    with SiteServer() as server:
        server.behaviours["/node_7040_2.htm"] = respond(503)
        first = crawl("latest", server.base_url, db)
        assert [e["stop_reason"] for e in first.listings] == [
            None,
            "fetch failed: HTTP 503 after 3 retries",
        ]
        del server.behaviours["/node_7040_2.htm"]
        again = crawl("latest", server.base_url, db)
        assert [e["page"] for e in again.listings] == [1, 2, 3]
    assert set(article_rows(db)) == section_ids("Latest") - {NOT_FOUND}


def test_a_max_pages_walk_covers_no_ground_for_the_next_run(tmp_path):
    db = tmp_path / "a.db"
    with SiteServer() as server:
        first = crawl("latest", server.base_url, db, "max_pages=1")
        assert [(e["page"], e["stop_reason"]) for e in first.listings] == [(1, "max_pages")]
        # Page 1's articles are archived, but the ground under page 1 was never reached.
        again = crawl("latest", server.base_url, db)
        assert [(e["page"], e["new_count"], e["stop_reason"]) for e in again.listings] == [
            (1, 0, None),
            (2, len(PAGES[1]), None),
            (3, 7, "end of listing"),
        ]
        assert set(again.articles) == set(PAGES[1] + PAGES[2])
    assert set(article_rows(db)) == section_ids("Latest") - {NOT_FOUND}


def test_an_incomplete_article_is_fetched_again_when_its_failure_is_due(tmp_path):
    db = tmp_path / "a.db"
    with SiteServer() as server:
        assert crawl("latest", server.base_url, db).returncode == 0
        conn = sqlite3.connect(db)  # an hour and more passes: every failure is due again
        with conn:
            conn.execute("UPDATE failures SET next_due = '2000-01-01T00:00:00Z'")
        conn.close()
        again = crawl("latest", server.base_url, db)
    assert set(again.articles) == {MISSING_PAGE, NOT_FOUND}


def test_due_failures_a_cut_walk_listed_are_retried_by_a_shorter_walk(tmp_path):
    db = tmp_path / "a.db"
    with SiteServer() as server:
        # Page 2 lists both failures; the walk is cut at page 3, so it covers nothing.
        server.behaviours["/node_7040_3.htm"] = respond(503)
        first = crawl("latest", server.base_url, db)
        assert [e["stop_reason"] for e in first.listings][-1].startswith("fetch failed")
        del server.behaviours["/node_7040_3.htm"]
        conn = sqlite3.connect(db)  # time passes: every failure is due again
        with conn:
            conn.execute("UPDATE failures SET next_due = '2000-01-01T00:00:00Z'")
        conn.close()
        again = crawl("latest", server.base_url, db, "max_pages=1")
    assert [e["page"] for e in again.listings] == [1]
    assert set(again.articles) == {MISSING_PAGE, NOT_FOUND}
