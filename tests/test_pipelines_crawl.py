"""The pipelines inside a real `scrapy runspider` process: run row, counts, Ctrl-C."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SPIDER = ROOT / "tests" / "fixtures" / "spiders" / "capture_spider.py"
# `python -m scrapy` puts the repository root first on sys.path, so `tests.support` is ours and
# not the top-level `tests` package pywb (a test extra) installs into site-packages.
SCRAPY = [sys.executable, "-m", "scrapy"]


def crawl(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    # The repository first on the path: pywb (a test extra) installs a `tests` package of its
    # own, which would shadow this one in the spider's `from tests.support import ...`.
    env = {**(env or os.environ), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [*SCRAPY, "runspider", str(SPIDER), "-s", f"EHZ_DB={db}", "-s", "LOG_LEVEL=INFO", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def runs(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT id, spider, arguments, status, close_reason, listing_pages, articles_new,"
            " articles_incomplete, articles_failed FROM runs"
        ).fetchall()
    finally:
        conn.close()


def summary_head(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        [(summary,)] = conn.execute("SELECT summary FROM runs").fetchall()
    finally:
        conn.close()
    return summary.split("\n")[:4]


# `EXTENSIONS={}` leaves out the RunReport: the store pipeline adds it, so the verdict is the same.
@pytest.mark.parametrize("extensions", [(), ("-s", "EXTENSIONS={}")], ids=["project", "none"])
def test_a_finished_crawl_records_its_run(tmp_path, extensions):
    db = tmp_path / "a.db"
    cases = "cases=01_three_page_towns,22_page_not_found,31_page_2_soft_404"
    proc = crawl(db, "-a", cases, *extensions)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert runs(db) == [
        (
            1,
            "captures",
            '{"cases": ["01_three_page_towns", "22_page_not_found", "31_page_2_soft_404"],'
            ' "hang": false}',
            "finished",
            "finished",
            1,
            2,
            1,
            1,
        )
    ]
    assert summary_head(db) == [
        "ehz crawl captures: finished (exit 0)",
        "why: all went well",
        f"archive: {db}, run 1",
        "articles: 2 new, 0 changed, 0 unchanged, 1 incomplete, 1 failed",
    ]


@pytest.mark.parametrize("extensions", [(), ("-s", "EXTENSIONS={}")], ids=["project", "none"])
def test_ctrl_c_marks_the_run_interrupted_and_keeps_what_was_stored(tmp_path, extensions):
    db = tmp_path / "a.db"
    ready = tmp_path / "ready"
    env = {**os.environ, "EHZ_TEST_READY": str(ready)}
    proc = crawl(db, "-a", "cases=01_three_page_towns", "-a", "hang=1", *extensions, env=env)
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert runs(db) == [
        (
            1,
            "captures",
            '{"cases": ["01_three_page_towns"], "hang": true}',
            "interrupted",
            "shutdown",
            1,
            1,
            0,
            0,
        )
    ], out
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT article_id FROM articles").fetchall() == [(266285,)]
