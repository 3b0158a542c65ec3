"""One archive is one lock whatever its path is spelled as; a run's verdict goes to its own row."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from ehz_scraper.errors import ArchiveLocked
from ehz_scraper.run.crawl import crawl_argv
from ehz_scraper.run.lock import RunLock, lock_path_for
from tests.support.captures import PipelineRun, capture
from tests.support.crawling import FAST, ROOT


def test_symlink_and_relative_spellings_share_one_lock(tmp_path: Path, monkeypatch) -> None:
    real = tmp_path / "data" / "archive.db"
    real.parent.mkdir()
    real.touch()
    link = tmp_path / "link.db"
    link.symlink_to(real)
    folder_link = tmp_path / "alias"
    folder_link.symlink_to(real.parent)
    monkeypatch.chdir(tmp_path)
    spellings = [link, folder_link / "archive.db", Path("data/archive.db"), Path("link.db")]
    assert {lock_path_for(p) for p in spellings} == {Path(f"{real}.lock")}
    with RunLock(lock_path_for(real)):
        for spelling in spellings:
            with pytest.raises(ArchiveLocked):
                RunLock(lock_path_for(spelling)).acquire()


def test_crawl_through_a_symlink_is_refused_while_the_archive_is_locked(tmp_path: Path) -> None:
    real = tmp_path / "archive.db"
    link = tmp_path / "other-name.db"
    link.symlink_to(real)
    with RunLock(lock_path_for(real), command="scrapy crawl latest"):
        # Refused before any request: no server is needed.
        argv = crawl_argv(
            "latest", {**FAST, "EHZ_DB": str(link)}, "base_url=http://127.0.0.1:9/", options=["-q"]
        )
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 75, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(
        f"ehz: archive {real} is locked by another crawl: PID {os.getpid()} "
    )
    assert not real.exists()  # nothing written, not even a run row


def test_verdict_goes_to_the_runs_own_row_not_the_newest(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    first = PipelineRun(db, EHZ_BATCH_SIZE=1)
    first.feed(capture("01_three_page_towns"))
    second = PipelineRun(db)  # another run row opened meanwhile (no lock in this harness)
    first.close()
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT id, status, articles_new FROM runs ORDER BY id").fetchall()
    finally:
        conn.close()
    assert rows == [(1, "finished", 1), (2, "running", 0)]
    assert first.store.report.counts.run_id == 1
    for pipe in second.pipes:
        if hasattr(pipe, "close_spider"):
            pipe.close_spider()
