"""`ehz reextract` never goes backwards: it waits for (or refuses) a running crawl's lock, and
writes nothing over a version stored after it read the article."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from ehz_scraper.extraction import Page, extract_article_result
from ehz_scraper.run.crawl import crawl_argv
from ehz_scraper.run.lock import lock_path_for
from ehz_scraper.storage.archive import ArchiveWriter
from tests.support import archive_check as ac
from tests.support.captures import build_archive, capture
from tests.support.crawling import FAST, ROOT
from tests.support.fault_server import FaultServer

TOWNS = "01_three_page_towns"


def ehz(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from ehz_scraper.cli import main; main()", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_reextract_refuses_or_waits_while_a_crawl_holds_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    settings = {**FAST, "EHZ_DB": str(db), "EHZ_BATCH_SIZE": "1"}
    with FaultServer(delay=0.05) as server:
        argv = crawl_argv("latest", settings, f"base_url={server.base_url}", "mode=full",
                          options=["-q"])  # fmt: skip
        crawl = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not (db.exists() and ac.has_schema(db) and lock_path_for(db).exists()):
                assert time.monotonic() < deadline and crawl.poll() is None
                time.sleep(0.05)
            refused = ehz("reextract", "--all", "--db", str(db))
            assert crawl.poll() is None  # the crawl was still running when refused
            waited = ehz("reextract", "--all", "--wait", "--db", str(db))
            # --wait got the lock only once the crawl had judged its run and released it.
            status_when_waited = ac.runs(db)[-1]["status"]
            out, _ = crawl.communicate(timeout=60)
        finally:
            if crawl.poll() is None:
                crawl.kill()
    assert crawl.returncode == 0, out
    assert refused.returncode == 75
    assert refused.stderr.startswith(
        f"Error: archive {db} is locked by another crawl: PID {crawl.pid} "
    )
    assert refused.stderr.endswith("(scrapy crawl latest) (try again later, or use --wait)\n")
    assert status_when_waited == "finished"
    stored = len(ac.records(db))
    assert (waited.returncode, waited.stdout) == (
        0,
        f"re-extracted {stored} articles: 0 changed, {stored} unchanged, 0 failed\n",
    )
    assert ac.problems(db) == []


def test_reextract_never_writes_over_a_version_stored_after_it_read(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    old = capture(TOWNS, bodies={1: capture(TOWNS).pages[0].body.replace(b"nine", b"eight")})
    build_archive(db, old)
    # reextract reads version 1 and its pages ...
    writer = ArchiveWriter(db, batch_size=1)
    (read_version,) = writer.conn.execute(
        "SELECT version FROM articles WHERE article_id = 266285"
    ).fetchone()
    pages = [Page(url=p.url, body=p.body, headers=p.headers) for p in old.pages]
    stale_record = extract_article_result(pages).record
    stale_record["title"] = "Re-extracted from the older pages"
    # ... a crawl stores version 2 meanwhile ...
    build_archive(db, capture(TOWNS, fetched_at="2026-11-27T07:00:00Z"))
    # ... and the re-extraction must not replace it.
    outcome = writer.store_reextracted(stale_record, True, read_version)
    writer.close()
    assert (outcome.status, outcome.version) == ("stale", 2)
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT version, json_extract(record, '$.title') FROM versions ORDER BY version"
        ).fetchall()
        current = conn.execute("SELECT version, title FROM articles").fetchall()
    finally:
        conn.close()
    assert rows == [
        (1, "Hangzhou honors eight characteristic towns"),
        (2, "Hangzhou honors nine characteristic towns"),
    ]
    assert current == [(2, "Hangzhou honors nine characteristic towns")]
