"""Long backfills resume: `scrapy crawl site -s JOBDIR=...` stopped with SIGINT, then resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from ehz_scraper.run.crawl import crawl_argv
from tests.support import archive_check as ac
from tests.support.crawling import FAST, ROOT
from tests.support.fault_server import FaultServer

SETTINGS = {**FAST, "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "EHZ_BATCH_SIZE": "5"}


def site_cmd(base_url: str, db: Path, jobdir: Path | None) -> list[str]:
    settings = {**SETTINGS, "EHZ_DB": str(db)}
    if jobdir is not None:
        settings["JOBDIR"] = str(jobdir)
    return crawl_argv("site", settings, f"base_url={base_url}", options=["-q"])


def test_site_backfill_stopped_with_sigint_resumes_to_the_same_archive(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    reference_db = tmp_path / "reference.db"
    done = subprocess.run(site_cmd(fault_server.base_url, reference_db, None), cwd=ROOT)
    assert done.returncode == 0
    total = len(fault_server.paths())

    db, jobdir = tmp_path / "archive.db", tmp_path / "job"
    with FaultServer(delay=0.03) as server:
        first = subprocess.Popen(
            site_cmd(server.base_url, db, jobdir),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        while len(server.paths()) < total // 3:  # a third of the way through the backfill
            assert first.poll() is None, first.communicate()
            time.sleep(0.02)
        os.kill(first.pid, signal.SIGINT)
        out, err = first.communicate(timeout=60)
        assert first.returncode == 4, out + err
        assert out.startswith("ehz crawl site: interrupted (exit 4)\n")
        before = Counter(server.paths())
        assert (jobdir / "requests.queue").is_dir()

        second = subprocess.run(
            site_cmd(server.base_url, db, jobdir), cwd=ROOT, capture_output=True, text=True
        )
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
        after = Counter(server.paths()) - before

    # The resumed run picked up where the first stopped: no page was fetched by both runs
    # (bar robots.txt, which every run reads), and together they fetched what one run does.
    refetched = {p for p in after if p in before and p != "/robots.txt"}
    assert refetched == set()
    assert sum(before.values()) + sum(after.values()) - 1 == total
    assert ac.finished_state(db) == ac.finished_state(reference_db)
    assert [r["status"] for r in ac.runs(db)] == ["interrupted", "finished"]
    assert ac.problems(db) == []
