"""A failed archive write: the batch rolls back whole, the writer forgets it, the run says so.

The writer runs on a real SQLite file; a commit is made to fail on purpose (a connection
that refuses one COMMIT with SQLite's own "database or disk is full") and, in
test_crawl_on_a_full_disk_exits_failed, a real `scrapy crawl` writes its archive onto a
tmpfs too small for it.
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from ehz_scraper.errors import ArchiveWriteFailed
from ehz_scraper.items import ArticleCapture, PageFetch
from ehz_scraper.run import report as report_module
from ehz_scraper.run.crawl import crawl_argv
from ehz_scraper.storage.archive import ArchiveWriter
from ehz_scraper.storage.runs import write_verdict
from ehz_scraper.storage.verify import verify_archive
from tests.support.captures import build_archive, capture
from tests.support.crawling import FAST, ROOT
from tests.support.site_server import SiteServer

FULL = "database or disk is full"
T0 = "2026-11-26T07:00:00Z"


class RefusingConnection:
    """A real connection that fails the `times` next executions of `sql` (after `after`)."""

    def __init__(self, conn: sqlite3.Connection, sql: str, *, after: str | None = None) -> None:
        self.conn, self.sql, self.after = conn, sql, after
        self.armed = after is None
        self.refused = 0

    def execute(self, sql: str, *args):
        if self.after is not None and sql.startswith(self.after):
            self.armed = True
        if self.armed and self.refused == 0 and sql == self.sql:
            self.refused += 1
            raise sqlite3.OperationalError(FULL)
        return self.conn.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self.conn, name)


def page_body(article_id: int) -> bytes:
    # Different enough from page to page for a dictionary to train on (8 kB each).
    rng = random.Random(article_id)
    words = " ".join(rng.choice(["Hangzhou", "West", "Lake", "city", "tea", "park", "river"])
                     for _ in range(1200))  # fmt: skip
    return f"<html><body><h1>Article {article_id}</h1><p>{words}</p></body></html>".encode()


def store(writer: ArchiveWriter, article_id: int) -> None:
    url = f"https://www.ehangzhou.gov.cn/2025-04/01/c_{article_id}.htm"
    fetch = PageFetch(url, 1, 200, [("Content-Type", "text/html")], page_body(article_id), T0)
    capture = ArticleCapture(article_id=article_id, url=url, pages=[fetch])
    record = {"article_id": article_id, "url": url, "title": f"Article {article_id}"}
    writer.store_article(capture, record)


def table_counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("articles", "versions", "fetches", "snapshots", "zstd_dicts")
        }
    finally:
        conn.close()


def run_row(db: Path, run_id: int) -> dict:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM runs WHERE id = ?", [run_id]).fetchone())
    finally:
        conn.close()


def test_failed_commit_rolls_back_the_batch_and_its_counts(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    writer = ArchiveWriter(db, batch_size=3)
    run_id = writer.start_run("latest")
    store(writer, 1)
    store(writer, 2)
    store(writer, 3)  # batch full: committed
    writer.conn = RefusingConnection(writer.conn, "COMMIT")
    store(writer, 4)
    store(writer, 5)
    with pytest.raises(ArchiveWriteFailed, match=f"^archive write failed: {FULL}$") as caught:
        store(writer, 6)  # the batch's commit fails: 4, 5 and 6 are gone
    assert caught.value.lost == 3
    # The next article stores normally, in a fresh transaction.
    store(writer, 7)
    writer.finish_run("finished")
    writer.close()
    assert table_counts(db) == {
        "articles": 4, "versions": 4, "fetches": 4, "snapshots": 4, "zstd_dicts": 0
    }  # fmt: skip
    row = run_row(db, run_id)
    # The run counts what exists: 1, 2, 3 and 7, not the 7 articles handed to the writer.
    assert (row["articles_new"], row["status"]) == (4, "finished")


def test_failed_dictionary_commit_forgets_the_dictionary(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    writer = ArchiveWriter(db, batch_size=1)
    writer.start_run("latest")
    # Refuse the COMMIT of the transaction that inserts a dictionary (the codec inserts it).
    proxy = RefusingConnection(writer.conn, "COMMIT", after="INSERT INTO zstd_dicts")
    writer.conn = writer.codec.conn = proxy
    for article_id in range(1, 48):  # FIRST_TRAINING - 1 snapshots: no training yet
        store(writer, article_id)
    assert writer.codec.dict_id is None
    # The 48th article's commit makes a dictionary due; the training's COMMIT is refused.
    with pytest.raises(ArchiveWriteFailed, match=f"^archive write failed: {FULL}$"):
        store(writer, 48)
    assert proxy.refused == 1
    assert writer.codec.dict_id is None  # not the id of the rolled-back dictionary
    assert table_counts(db)["zstd_dicts"] == 0
    # The article itself was committed before the training; the next ones store normally
    # (they would fail on the foreign key of a dictionary that does not exist).
    store(writer, 49)
    store(writer, 50)
    writer.finish_run("finished")
    writer.close()
    counts = table_counts(db)
    assert (counts["articles"], counts["snapshots"]) == (50, 50)
    # The retried training (at 49's commit) worked: blobs name a dictionary that exists.
    assert counts["zstd_dicts"] == 1
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert verify_archive(conn).problems == []
    finally:
        conn.close()


def test_failed_item_write_leaves_the_rest_of_the_batch(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    writer = ArchiveWriter(db, batch_size=10)
    writer.start_run("latest")
    store(writer, 1)
    writer.conn = RefusingConnection(writer.conn, "RELEASE item")
    with pytest.raises(ArchiveWriteFailed, match=FULL) as caught:
        store(writer, 2)
    # Releasing the savepoint failed: the whole open batch went with it.
    assert caught.value.lost == 1
    store(writer, 3)
    writer.finish_run("finished")
    writer.close()
    assert table_counts(db)["articles"] == 1
    assert run_row(db, 1)["articles_new"] == 1


def _can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


TMPFS = _can_mount_tmpfs()
SMALL = 320 * 1024  # the archive's schema fits; the Latest section's 27 articles do not


def _crawl_latest_into(db: Path, out: Path, how: str) -> subprocess.CompletedProcess:
    """`scrapy crawl latest -q` into `db` on a file system too small for it; copies of the
    archive's files left in `out`."""
    settings = {**FAST, "EHZ_DB": str(db), "EHZ_BATCH_SIZE": "50", "LOG_LEVEL": "ERROR"}
    with SiteServer() as server:
        argv = crawl_argv("latest", settings, f"base_url={server.base_url}", "mode=full",
                          options=["-q"])  # fmt: skip
        if how == "tmpfs":
            script = (
                f'mount -t tmpfs -o size={SMALL} tmpfs "{db.parent}" || exit 99; '
                f'"$@"; rc=$?; cp "{db.parent}"/archive.db* "{out}"/; exit $rc'
            )
            argv = ["unshare", "-m", "sh", "-c", script, "sh", *argv]
            return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)

        def limit() -> None:  # in the child: writes past SMALL fail with EFBIG
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (SMALL, SMALL))

        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120,
                              preexec_fn=limit)  # fmt: skip
        for path in db.parent.glob("archive.db*"):
            shutil.copy(path, out)
        return done


@pytest.mark.parametrize(
    ("how", "error"),
    [
        pytest.param("tmpfs", FULL, marks=pytest.mark.skipif(not TMPFS, reason="no tmpfs")),
        ("rlimit", "disk I/O error"),  # RLIMIT_FSIZE: SQLite sees EFBIG
    ],
)
def test_crawl_on_a_full_disk_exits_failed(tmp_path: Path, how: str, error: str) -> None:
    small = tmp_path / "small"
    small.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    proc = _crawl_latest_into(small / "archive.db", out, how)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 1, proc.stdout + proc.stderr[-2000:]
    assert lines[0] == "ehz crawl latest: failed (exit 1)"
    assert re.fullmatch(rf"why: archive write failed: {error} \(\d+ items not stored\)", lines[1])
    conn = sqlite3.connect(out / "archive.db")
    try:
        runs = conn.execute("SELECT id, status, articles_new FROM runs").fetchall()
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        conn.close()
    # Never `running`, and the counts are the rows that exist.
    assert runs == [(1, "failed", stored)], (runs, stored)
    print(json.dumps({"how": how, "stored": stored, "why": lines[1]}))  # for the closing note


def test_non_utf8_archive_path_is_judged_and_recorded(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path) + b"/arch\xff"
    os.mkdir(folder)
    db = folder + b"/a.db"
    with SiteServer() as server:
        argv = [os.fsencode(a) for a in crawl_argv(
            "article", {**FAST, "LOG_LEVEL": "ERROR"}, f"base_url={server.base_url}",
            "url=https://www.ehangzhou.gov.cn/2025-04/09/c_293116.htm", options=["-q"],
        )] + [b"-s", b"EHZ_DB=" + db]  # fmt: skip
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=120)
    lines = proc.stdout.decode().splitlines()
    assert (proc.returncode, lines[:3]) == (0, [
        "ehz crawl article: finished (exit 0)",
        "why: all went well",
        f"archive: {tmp_path}/arch\\xff/a.db, run 1",
    ]), proc.stderr[-2000:]  # fmt: skip
    conn = sqlite3.connect(os.fsdecode(db))
    try:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("finished",)]
    finally:
        conn.close()


def test_a_verdict_that_cannot_be_written_fails_the_run(tmp_path: Path, monkeypatch) -> None:
    calls = []

    def refuse_once(*args, **kwargs):
        calls.append(args[2])  # the status it was asked to write
        if len(calls) == 1:
            raise sqlite3.OperationalError("disk I/O error")
        return write_verdict(*args, **kwargs)

    monkeypatch.setattr(report_module, "write_verdict", refuse_once)
    db = tmp_path / "a.db"
    run = build_archive(db, capture("01_three_page_towns"))
    verdict = run.store.report.verdict
    assert (verdict.status, verdict.why) == ("failed", "archive write failed: disk I/O error")
    assert calls == ["finished", "failed"]  # the verdict, then the failure, minimal
    assert run_row(db, 1)["status"] == "failed"


def test_a_bug_in_the_run_report_fails_the_run(tmp_path: Path, monkeypatch) -> None:
    def bug(*args, **kwargs):
        raise ValueError("a bug in the drift alarm")

    monkeypatch.setattr(report_module, "judge_run", bug)
    db = tmp_path / "a.db"
    run = build_archive(db, capture("01_three_page_towns"))
    verdict = run.store.report.verdict
    assert (verdict.status, verdict.why) == (
        "failed",
        "closing the run failed: ValueError: a bug in the drift alarm",
    )
    assert run.store.report.summary.splitlines()[:2] == [
        "ehz crawl fixture: failed (exit 1)",
        "why: closing the run failed: ValueError: a bug in the drift alarm",
    ]
    assert run_row(db, 1)["status"] == "failed"
