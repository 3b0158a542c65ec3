"""Running from cron: exit statuses, the quiet summary, overlapping runs, the drift alarm."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from ehz_scraper.run.crawl import crawl_argv
from tests.support import archive_check as ac
from tests.support.crawling import FAST, ROOT
from tests.support.fault_server import Fault, FaultServer
from tests.support.site_server import SITE_DIR

HANG = "/2025-04/03/c_293090.htm"


def scrapy_crawl(spider: str, base_url: str, db: Path, *extra: str, **settings: str) -> list[str]:
    settings = {**FAST, "EHZ_DB": str(db), **settings}
    return crawl_argv(spider, settings, f"base_url={base_url}") + list(extra)


def run(cmd: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def start(cmd: list[str]) -> subprocess.Popen[str]:
    """`cmd` running in the background, its output captured as text."""
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_quiet_prints_only_the_summary(fault_server: FaultServer, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    done = run(scrapy_crawl("latest", fault_server.base_url, db, "-q"))
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"requests: 50 \(0 retries\), \d+\.\d kB received", lines[6])
    assert re.fullmatch(r"duration: \d+\.\d s", lines[7])
    del lines[6:8]
    assert lines == [
        "ehz crawl latest: finished (exit 0)",
        "why: all went well",
        f"archive: {db}, run 1",
        "articles: 26 new, 0 changed, 0 unchanged, 1 incomplete, 1 failed",
        "extraction: 1 fallback, 0 missing a required field, 1 not an article",
        "listing pages: 3 (27 links)",
        "failures this run: 2 (`ehz failures` lists them all)",
        "  extract  https://www.ehangzhou.gov.cn/2025-02/11/c_292854.htm  not an article: "
        "page not found",
        "  fetch    https://www.ehangzhou.gov.cn/2025-02/14/c_292874_3.htm  HTTP 404",
    ]
    run_row = ac.last_run(db)
    assert run_row["status"] == "finished"
    assert run_row["summary"].splitlines()[0] == "ehz crawl latest: finished (exit 0)"
    assert not Path(f"{db}.lock").exists()


def test_quiet_by_setting_and_a_logfile_keeps_the_log(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    db, log = tmp_path / "a.db", tmp_path / "crawl.log"
    done = run(
        scrapy_crawl("latest", fault_server.base_url, db, "--logfile", str(log), EHZ_QUIET="1")
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("ehz crawl latest: finished (exit 0)\n")
    assert "Spider closed (finished)" in log.read_text()


def test_second_crawl_on_the_same_archive_exits_at_once(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    db = tmp_path / "a.db"
    fault_server.set_fault(HANG, Fault("hang", seconds=8))
    first = start(scrapy_crawl("latest", fault_server.base_url, db, "-q", DOWNLOAD_TIMEOUT="20"))
    try:
        wait_for(Path(f"{db}.lock"))
        started = time.monotonic()
        second = run(scrapy_crawl("latest", fault_server.base_url, db, "-q"))
        took = time.monotonic() - started
        first_still_running = first.poll() is None
        holder = json.loads(Path(f"{db}.lock").read_text())
    finally:
        out, err = first.communicate(timeout=60)
    assert second.returncode == 75
    assert second.stdout == ""
    assert second.stderr.splitlines() == [
        f"ehz: archive {db} is locked by another crawl: PID {first.pid} on "
        f"{socket.gethostname()} since {holder['started']} (scrapy crawl latest)"
    ]
    assert first_still_running and took < 8  # it did not wait for the first run
    assert (first.returncode, err) == (0, "")
    assert [r["status"] for r in ac.runs(db)] == ["finished"]  # no row from the second
    assert not Path(f"{db}.lock").exists()


def test_lock_of_a_killed_crawl_is_recovered(fault_server: FaultServer, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    fault_server.set_fault(HANG, Fault("hang", seconds=30))
    victim = subprocess.Popen(
        scrapy_crawl("latest", fault_server.base_url, db, "-q", DOWNLOAD_TIMEOUT="60"), cwd=ROOT
    )
    wait_for(Path(f"{db}.lock"))
    while fault_server.hits(HANG) == 0:  # the run row exists and the crawl is under way
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert json.loads(Path(f"{db}.lock").read_text())["pid"] == victim.pid
    fault_server.set_fault(HANG, None)
    done = run(scrapy_crawl("latest", fault_server.base_url, db, "--logfile", str(tmp_path / "l")))
    assert done.returncode == 0, done.stdout
    log = (tmp_path / "l").read_text()
    assert f"Recovering stale lock {db}.lock: PID {victim.pid} on " in log
    assert f"(PID {victim.pid} is not running)" in log
    # The killed run is marked interrupted; the new one finished; the lock is gone.
    assert [r["status"] for r in ac.runs(db)] == ["interrupted", "finished"]
    assert not Path(f"{db}.lock").exists()
    assert ac.problems(db) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-a", "mode=sometimes"], "mode"),
        (["-a", "max_pages=-3"], "max_pages"),
        (["-a", "max_pages=many"], "max_pages"),
        (["-a", "nonsense=1"], "nonsense"),
        (["-a", "base_url=ftp://127.0.0.1/"], "base_url"),
        (["-a", "base_url=http://[::1"], "base_url"),
    ],
)
def test_bad_spider_argument_fails_before_any_request(
    fault_server: FaultServer, tmp_path: Path, args: list[str], message: str
) -> None:
    db = tmp_path / "a.db"
    done = run(scrapy_crawl("latest", fault_server.base_url, db, "-q", *args))
    assert fault_server.paths() == []
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not db.exists()


def test_unreachable_site_fails_the_run(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: connections are refused
    db = tmp_path / "a.db"
    done = run(scrapy_crawl("latest", f"http://127.0.0.1:{port}/", db, "-q", ROBOTSTXT_OBEY="0"))
    assert done.returncode == 1
    assert done.stdout.splitlines()[:2] == [
        "ehz crawl latest: failed (exit 1)",
        "why: the crawl closed early: home page failed: connection refused after 3 retries",
    ]
    assert ac.last_run(db)["status"] == "failed"


def _redesigned_site(tmp_path: Path) -> Path:
    """The fixture site after a redesign: every article page's classes and ids renamed."""
    site = tmp_path / "site"
    shutil.copytree(SITE_DIR, site)
    renames = [
        (b'class="con_title"', b'class="article-headline"'),
        (b'id="Content"', b'id="story-body"'),
        (b'class="info"', b'class="story-meta"'),
        (b'class="bread"', b'class="crumbs"'),
        (b'id="div_currpage"', b'id="story-pages"'),
    ]
    for page in site.rglob("c_*.htm"):
        body = page.read_bytes()
        for old, new in renames:
            body = body.replace(old, new)
        page.write_bytes(body)
    return site


def test_a_redesign_raises_the_drift_alarm(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with FaultServer(_redesigned_site(tmp_path)) as server:
        done = run(scrapy_crawl("latest", server.base_url, db, "-q"))
    assert done.returncode == 3, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "ehz crawl latest: degraded (exit 3)"
    assert re.fullmatch(
        r"why: (\d+) of (\d+) articles \(\d+%\) needed fallback extraction or lacked a "
        r"required field \(threshold 20%\): has the site been redesigned\?",
        lines[1],
    ), lines[1]
    run_row = ac.last_run(db)
    assert run_row["status"] == "degraded"
    assert run_row["summary"].splitlines()[1] == lines[1]
    assert ac.problems(db) == []
    # The threshold is a setting: at 100% the same run is not an alarm.
    with FaultServer(_redesigned_site(tmp_path / "again")) as server:
        again = run(
            scrapy_crawl(
                "latest", server.base_url, tmp_path / "b.db", "-q", EHZ_DRIFT_THRESHOLD="1.0"
            )  # fmt: skip
        )
    assert again.returncode == 0, again.stdout


def test_a_javascript_redesign_raises_the_no_article_alarm(tmp_path: Path) -> None:
    """Article pages turned into an empty shell filled by JavaScript: nothing extractable."""
    site = tmp_path / "site"
    shutil.copytree(SITE_DIR, site)
    for page in site.rglob("c_*.htm"):
        html = page.read_bytes()
        head = html[: html.index(b"<body>")]
        page.write_bytes(head + b'<body><div id="app"></div><script src="/app.js"></script></body>')
    db = tmp_path / "a.db"
    with FaultServer(site) as server:
        done = run(scrapy_crawl("latest", server.base_url, db, "-q"))
    assert done.returncode == 3, done.stdout + done.stderr
    assert done.stdout.splitlines()[:2] == [
        "ehz crawl latest: degraded (exit 3)",
        "why: listing pages yielded 27 links but none of the 27 articles fetched could be "
        "extracted (1 not an article, 26 missing a required field): has the site been "
        "redesigned?",
    ]
    assert ac.records(db) == {}
    assert ac.last_run(db)["status"] == "degraded"


def test_interrupted_crawl_exits_4(fault_server: FaultServer, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    fault_server.set_fault(HANG, Fault("hang", seconds=3))
    proc = start(scrapy_crawl("latest", fault_server.base_url, db, "-q", DOWNLOAD_TIMEOUT="60"))
    wait_for(Path(f"{db}.lock"))
    while fault_server.hits(HANG) == 0:
        time.sleep(0.05)
    # Scrapy lets requests in flight finish (here: the 3 s hang), then closes the spider.
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 4, out + err
    assert out.splitlines()[:2] == [
        "ehz crawl latest: interrupted (exit 4)",
        "why: stopped by a signal before the end",
    ]
    assert ac.last_run(db)["status"] == "interrupted"


@pytest.mark.parametrize("kind", ["folder", "not-a-database", "uncreatable"])
def test_unusable_archive_path_is_one_line(tmp_path: Path, kind: str) -> None:
    if kind == "folder":
        db, expected = tmp_path, f"ehz: cannot use the archive {tmp_path}: "
    elif kind == "not-a-database":
        db = tmp_path / "junk.db"
        db.write_text("not a database")
        expected = f"ehz: cannot use the archive {db}: file is not a database"
    else:
        db = Path("/proc/no-such-folder/a.db")
        expected = "ehz: cannot create the archive folder /proc/no-such-folder: "
    done = run(scrapy_crawl("latest", "http://127.0.0.1:9/", db, "-q"))
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(expected), done.stderr


@pytest.mark.parametrize(
    ("lock", "reason"),
    [("dangling-symlink", "a symlink to nowhere"), ("pid-as-text", "not a lock: pid is str")],
)
def test_summary_to_a_closed_pipe_and_a_broken_lock(tmp_path: Path, lock: str, reason: str):
    """`scrapy crawl ... -q | head -1` when head has gone: the run's own exit status, no
    BrokenPipeError; and a lock file naming no holder is recovered as a stale one."""
    db = tmp_path / "a.db"
    lock_file = Path(f"{db}.lock")
    if lock == "dangling-symlink":
        lock_file.symlink_to(tmp_path / "gone")
    else:
        lock_file.write_text('{"pid": "12", "host": "h", "started": "", "started_ts": 0,'
                             ' "proc_start": null, "command": "x"}')  # fmt: skip
    read, write = os.pipe()
    os.close(read)
    with FaultServer() as server:
        url = f"url={server.base_url}2025-04/09/c_293116.htm"
        cmd = scrapy_crawl("article", server.base_url, db, "-a", url, "-q", "--logfile",
                           str(tmp_path / "log"))  # fmt: skip
        try:
            done = subprocess.run(
                cmd, cwd=ROOT, stdout=write, stderr=subprocess.PIPE, text=True, timeout=60
            )
        finally:
            os.close(write)
    assert (done.returncode, done.stderr) == (0, "")
    log = (tmp_path / "log").read_text()
    assert f"Recovering stale lock {lock_file}: no holder ({reason})" in log
    assert [r["status"] for r in ac.runs(db)] == ["finished"]
    assert not lock_file.exists() and not lock_file.is_symlink()
