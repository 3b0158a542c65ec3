"""kill -9 mid-write: the archive stays whole, and a rerun completes it as if never killed.

Ten seeded trials (one test each, so pytest-xdist spreads them). Each starts a real
`scrapy crawl site` on the fixture site with one transaction per article
(`EHZ_BATCH_SIZE=1`) and SIGKILLs it on a condition: half the trials a seeded 0-50 ms after
a seeded number of articles (1 to 40 of 48) is committed, half the moment the first rows of
a long write (an article of seven 1.5 MB pages) show. Each asserts the kill landed
mid-write (articles stored, the run row still `running`, and for the first half more
articles to come): no trial may pass by killing before the archive existed or after the
crawl was done. Then it checks the
archive left behind: PRAGMA integrity_check is ok, no article lacks its version, sections,
images or page fetches, no fetch lacks its blob or belongs to no article and no failure,
`ehz verify` passes. A rerun on the same archive must finish with the same article ids,
records, completeness and failures as an uninterrupted crawl (the differential check), one
version per article.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import string
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ehz_scraper.run.crawl import crawl_argv
from tests.support import archive_check as ac
from tests.support.crawling import FAST, MANIFEST, ROOT
from tests.support.fault_server import Fault, FaultServer
from tests.support.site_server import SITE_DIR

SEED = 20261126
TRIALS = 10
# Slow enough for a kill to land mid-crawl (about 2 s of crawling), fast enough for CI.
DELAY = 0.02
SETTINGS = {**FAST, "CONCURRENT_REQUESTS_PER_DOMAIN": "2"}


# The seven pages of this article are served padded with 1.5 MB of text in a comment
# (the extractor drops comments, the snapshot keeps them): storing the article then takes
# long enough that a kill timed on its first stored fetch lands inside its write.
LONG_WRITE = 293018
PADDING = 1_500_000


def server() -> FaultServer:
    """The fixture site, slowed a little, with LONG_WRITE's pages padded."""
    site = FaultServer(delay=DELAY)
    rng = random.Random(SEED)
    for url in MANIFEST["articles"][str(LONG_WRITE)]["page_urls"]:
        path = "/" + url.split("/", 3)[3]
        page = (SITE_DIR / path.lstrip("/")).read_bytes()
        filler = "".join(rng.choices(string.ascii_lowercase + " ", k=PADDING)).encode()
        padded = page.replace(b"</body>", b"<!-- " + filler + b" --></body>")
        site.set_fault(path, Fault("body", body=padded))
    return site


def crawl_cmd(base_url: str, db: Path, batch: int) -> list[str]:
    settings = {**SETTINGS, "EHZ_DB": str(db), "EHZ_BATCH_SIZE": str(batch)}
    return crawl_argv("site", settings, f"base_url={base_url}", "mode=full", options=["-q"])


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    db = tmp_path_factory.mktemp("reference") / "archive.db"
    with server() as site:
        started = time.monotonic()
        done = subprocess.run(crawl_cmd(site.base_url, db, 50), cwd=ROOT, capture_output=True)
        took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    found = ac.finished_state(db)
    assert len(found["records"]) == 48
    return {"state": found, "took": took}


def _count(db: Path, table: str) -> int:
    """Rows of `table` committed so far (0 while the file or its schema does not exist)."""
    if not db.exists():
        return 0
    try:
        with ac.connect(db) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.Error:
        return 0  # the schema is not committed yet


def committed_articles(db: Path) -> int:
    return _count(db, "articles")


def kill_when(proc: subprocess.Popen, db: Path, ready: Callable[[], bool], extra: float) -> None:
    """SIGKILL `proc` `extra` seconds after `ready()` came true (polled every millisecond)."""
    deadline = time.monotonic() + 120
    while not ready():
        assert proc.poll() is None, "the crawl ended before the moment to kill it"
        assert time.monotonic() < deadline
        time.sleep(0.001)
    time.sleep(extra)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def long_write_shows(db: Path) -> bool:
    # One transaction per article: its fetches show with the whole article. Were the
    # transaction gone, they would show one page at a time, 6 pages before the article.
    if not db.exists():
        return False
    try:
        with ac.connect(db) as conn:
            sql = "SELECT count(*) FROM fetches WHERE article_id = ?"
            return conn.execute(sql, [LONG_WRITE]).fetchone()[0] > 0
    except sqlite3.Error:
        return False


@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_mid_write_then_rerun(trial: int, reference: dict, tmp_path: Path) -> None:
    rng = random.Random(SEED + trial)
    batch = 1  # one transaction per article: every commit is a moment a kill can follow
    db = tmp_path / "archive.db"
    if trial % 2:
        # After a seeded number of articles (1 to 40 of the site's 48), 0-50 ms later.
        wait_for, extra = rng.randint(1, 40), rng.uniform(0.0, 0.05)
        ready, note = (lambda: committed_articles(db) >= wait_for), f"{wait_for}+ articles"
    else:
        # The moment the long write's first rows show.
        extra, ready, note = 0.0, (lambda: long_write_shows(db)), f"article {LONG_WRITE}"
    with server() as site:
        proc = subprocess.Popen(
            crawl_cmd(site.base_url, db, batch),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        kill_when(proc, db, ready, extra)
        note = f"trial {trial}: killed {extra:.3f} s after {note} were committed"
        held = committed_articles(db)
        run = ac.runs(db)[-1]
        # Killed mid-write: articles stored, the run row never closed, and (when the kill was
        # timed on a count) more articles to come. The long write may be the crawl's last.
        last = 48 if trial % 2 else 49
        assert (run["status"], 0 < held < last) == ("running", True), (note, held)
        assert ac.problems(db) == [], note
        print(f"{note}: the archive held {held} whole articles")  # for the closing note
        verify = subprocess.run(
            [sys.executable, "-c", "from ehz_scraper.cli import main; main()",
             "verify", "--db", str(db)],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        assert verify.returncode == 0, f"{note}: {verify.stdout}{verify.stderr}"
        rerun = subprocess.run(
            crawl_cmd(site.base_url, db, batch), cwd=ROOT, capture_output=True, text=True
        )
    assert rerun.returncode == 0, f"{note}: {rerun.stdout}{rerun.stderr[-2000:]}"
    assert ac.problems(db) == [], note
    # The differential check: the killed-then-rerun archive is the uninterrupted one.
    assert ac.finished_state(db) == reference["state"], note
    statuses = [r["status"] for r in ac.runs(db)]
    assert statuses == ["interrupted", "finished"], note
