"""kill -9 at random moments: the archive stays whole, and a rerun completes it as if never killed.

Ten seeded trials (one test each, so pytest-xdist spreads them). Each starts a real
`scrapy crawl site` on the fixture site (slowed a little so a kill can land anywhere: before
the archive exists, mid-walk, mid-batch, while the run is being closed), SIGKILLs it after a
random delay, and checks the archive left behind: PRAGMA integrity_check is ok, no article
lacks its version, sections, images or page fetches, no fetch lacks its blob, `ehz verify`
passes. Then a rerun on the same archive must finish with the same article ids, records,
completeness and failures as an uninterrupted crawl, one version per article.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ehz_scraper.run.crawl import crawl_argv
from tests.support import archive_check as ac
from tests.support.crawling import FAST, ROOT
from tests.support.fault_server import FaultServer

SEED = 20261126
TRIALS = 10
# Slow enough for a kill to land mid-crawl (about 2 s of crawling), fast enough for CI.
DELAY = 0.02
SETTINGS = {**FAST, "CONCURRENT_REQUESTS_PER_DOMAIN": "2"}


def crawl_cmd(base_url: str, db: Path, batch: int) -> list[str]:
    settings = {**SETTINGS, "EHZ_DB": str(db), "EHZ_BATCH_SIZE": str(batch)}
    return crawl_argv("site", settings, f"base_url={base_url}", "mode=full", options=["-q"])


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    db = tmp_path_factory.mktemp("reference") / "archive.db"
    with FaultServer(delay=DELAY) as server:
        started = time.monotonic()
        done = subprocess.run(crawl_cmd(server.base_url, db, 50), cwd=ROOT, capture_output=True)
        took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    found = ac.finished_state(db)
    assert len(found["records"]) == 48
    return {"state": found, "took": took}


@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_then_rerun(trial: int, reference: dict, tmp_path: Path) -> None:
    rng = random.Random(SEED + trial)
    batch = rng.choice([1, 1, 5, 50])  # one transaction per article, or batches of several
    # Anywhere from start-up to the last moments of an uninterrupted crawl (timed on this box).
    kill_after = rng.uniform(0.2, 0.95) * reference["took"]
    db = tmp_path / "archive.db"
    with FaultServer(delay=DELAY) as server:
        proc = subprocess.Popen(
            crawl_cmd(server.base_url, db, batch),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        note = f"trial {trial}: batch {batch}, killed after {kill_after:.2f} s"
        # Killed before its schema was committed, the file holds nothing (the schema is
        # created in one transaction); the rerun below must still complete it.
        if db.exists() and ac.has_schema(db):
            assert ac.problems(db) == [], note
            with ac.connect(db) as conn:
                held = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            print(f"{note}: the archive held {held} whole articles")  # for the closing note
            verify = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "from ehz_scraper.cli import main; main()",
                    "verify",
                    "--db",
                    str(db),
                ],  # fmt: skip
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            assert verify.returncode == 0, f"{note}: {verify.stdout}{verify.stderr}"
        rerun = subprocess.run(
            crawl_cmd(server.base_url, db, batch), cwd=ROOT, capture_output=True, text=True
        )
    assert rerun.returncode == 0, f"{note}: {rerun.stdout}{rerun.stderr[-2000:]}"
    assert ac.problems(db) == [], note
    assert ac.finished_state(db) == reference["state"], note
    # The killed run (if it got as far as a run row) is recorded as interrupted, unless the
    # kill came after it had finished its work.
    statuses = [r["status"] for r in ac.runs(db)]
    assert statuses[-1] == "finished" and set(statuses[:-1]) <= {"interrupted", "finished"}, note
