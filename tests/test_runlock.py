"""The archive lock: one holder at a time, stale locks recovered, no one else's lock freed."""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from ehz_scraper.errors import ArchiveLocked
from ehz_scraper.run.lock import LockInfo, RunLock, lock_path_for


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _write_lock(path: Path, info: LockInfo) -> None:
    path.write_text(json.dumps(asdict(info)), encoding="utf-8")


@pytest.fixture
def lock_file(tmp_path: Path) -> Path:
    return lock_path_for(tmp_path / "archive.db")


def test_lock_path_is_beside_the_archive(tmp_path: Path) -> None:
    assert lock_path_for(tmp_path / "a.db") == tmp_path / "a.db.lock"


def test_acquire_writes_holder_and_release_removes_it(lock_file: Path) -> None:
    lock = RunLock(lock_file, command="scrapy crawl latest")
    info = lock.acquire()
    data = json.loads(lock_file.read_text())
    assert data["pid"] == os.getpid() == info.pid
    assert data["host"] == socket.gethostname()
    assert data["command"] == "scrapy crawl latest"
    assert sorted(p.name for p in lock_file.parent.iterdir()) == ["archive.db.lock"]
    lock.release()
    assert not lock_file.exists()
    lock.release()  # a second release is harmless


def test_second_holder_is_refused_with_the_holders_identity(lock_file: Path) -> None:
    with RunLock(lock_file, command="scrapy crawl latest"):
        with pytest.raises(ArchiveLocked) as caught:
            RunLock(lock_file).acquire()
        message = str(caught.value)
        assert message.startswith(f"archive {lock_file.parent / 'archive.db'} is locked by another")
        assert f"PID {os.getpid()} on {socket.gethostname()} since " in message
        assert message.endswith("(scrapy crawl latest)")
        assert "\n" not in message
    assert not lock_file.exists()


def test_dead_pid_on_this_host_is_recovered(lock_file: Path) -> None:
    stale = replace(LockInfo.current("scrapy crawl site"), pid=_dead_pid(), proc_start=None)
    _write_lock(lock_file, stale)
    lock = RunLock(lock_file)
    assert lock.stale_reason(stale) == f"PID {stale.pid} is not running"
    lock.acquire()
    assert lock.recovered == stale
    assert json.loads(lock_file.read_text())["pid"] == os.getpid()
    lock.release()


def test_reused_pid_is_recovered(lock_file: Path) -> None:
    # Our own (live) PID, but a different kernel start time: the holder is gone, the PID reused.
    stale = replace(LockInfo.current("scrapy crawl site"), proc_start="1")
    _write_lock(lock_file, stale)
    lock = RunLock(lock_file)
    assert lock.stale_reason(stale) == f"PID {os.getpid()} now belongs to another process"
    lock.acquire()
    assert lock.recovered == stale
    lock.release()


def test_live_holder_on_this_host_is_never_overridden_by_age(lock_file: Path) -> None:
    old = replace(LockInfo.current("scrapy crawl site"), started_ts=time.time() - 10 * 86400)
    _write_lock(lock_file, old)
    with pytest.raises(ArchiveLocked):
        RunLock(lock_file, stale_after=60).acquire()
    assert json.loads(lock_file.read_text())["started_ts"] == old.started_ts


@pytest.mark.parametrize(("age", "stale"), [(30.0, False), (7200.0, True)])
def test_other_host_lock_is_stale_only_after_the_age_limit(
    lock_file: Path, age: float, stale: bool
) -> None:
    other = replace(
        LockInfo.current("scrapy crawl latest"),
        host="elsewhere.example",
        pid=1,
        started_ts=time.time() - age,
    )
    _write_lock(lock_file, other)
    lock = RunLock(lock_file, stale_after=3600)
    if stale:
        lock.acquire()
        assert lock.recovered == other
        lock.release()
    else:
        with pytest.raises(ArchiveLocked, match="PID 1 on elsewhere.example"):
            lock.acquire()


def test_garbled_lock_file_is_replaced(lock_file: Path) -> None:
    lock_file.write_text("not json")
    lock = RunLock(lock_file)
    lock.acquire()
    assert json.loads(lock_file.read_text())["pid"] == os.getpid()
    lock.release()


def test_release_never_removes_another_holders_lock(lock_file: Path) -> None:
    lock = RunLock(lock_file)
    lock.acquire()
    # Someone judged our lock stale and took it over: our release must leave theirs alone.
    theirs = replace(LockInfo.current("other"), pid=os.getpid() + 1, started_ts=1.0)
    _write_lock(lock_file, theirs)
    lock.release()
    assert json.loads(lock_file.read_text())["started_ts"] == 1.0


def test_missing_folder_is_created(tmp_path: Path) -> None:
    lock = RunLock(lock_path_for(tmp_path / "new" / "deeper" / "a.db"))
    lock.acquire()
    assert (tmp_path / "new" / "deeper" / "a.db.lock").exists()
    lock.release()


def _race(path: str, start: float, out: multiprocessing.Queue) -> None:
    while time.time() < start:
        time.sleep(0.001)
    lock = RunLock(path)
    try:
        lock.acquire()
    except ArchiveLocked:
        out.put("locked")
        return
    out.put("won")
    time.sleep(0.5)  # hold it while the others try
    lock.release()


def test_racing_runs_on_a_stale_lock_elect_exactly_one(lock_file: Path) -> None:
    stale = replace(LockInfo.current("killed run"), pid=_dead_pid(), proc_start=None)
    _write_lock(lock_file, stale)
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    start = time.time() + 0.3
    procs = [ctx.Process(target=_race, args=(str(lock_file), start, out)) for _ in range(6)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(10)
    results = sorted(out.get(timeout=1) for _ in procs)
    assert results == ["locked"] * 5 + ["won"]
    assert not lock_file.exists()


def _lock_json(**changes: object) -> str:
    return json.dumps({**asdict(LockInfo.current("scrapy crawl latest")), **changes})


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (_lock_json(pid="12"), "not a lock: pid is str"),
        (_lock_json(pid=True), "not a lock: pid is bool"),
        (_lock_json(pid=10**20), "not a lock: PID 100000000000000000000 out of range"),
        (_lock_json(pid=-1), "not a lock: PID -1 out of range"),
        (_lock_json(started_ts="yesterday"), "not a lock: started_ts is str"),
        (_lock_json(host=None), "not a lock: host is NoneType"),
        ('{"pid": 12}', "not a lock: fields missing"),
        ("[1, 2]", "not a lock: fields missing"),
        (b"\xff\xfe{}", "not a lock: 'utf-8' codec can't decode byte 0xff in position 0"),
    ],
    ids=["pid-str", "pid-bool", "pid-20-digits", "pid-negative", "ts-str", "host-null",
         "fields-missing", "list", "not-utf8"],
)  # fmt: skip
def test_garbled_locks_are_stale_and_recovered(
    lock_file: Path, content: str | bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    if isinstance(content, bytes):
        lock_file.write_bytes(content)
    else:
        lock_file.write_text(content, encoding="utf-8")
    lock = RunLock(lock_file)
    with caplog.at_level("WARNING", logger="ehz_scraper.run.lock"):
        lock.acquire()
    assert json.loads(lock_file.read_text())["pid"] == os.getpid()
    lock.release()
    [message] = [r.getMessage() for r in caplog.records]
    assert message.startswith(f"Recovering stale lock {lock_file}: no holder ({reason}")


def test_dangling_symlink_lock_is_stale(lock_file: Path, caplog) -> None:
    lock_file.symlink_to(lock_file.parent / "gone.lock")
    lock = RunLock(lock_file)
    with caplog.at_level("WARNING", logger="ehz_scraper.run.lock"):
        lock.acquire()
    assert not lock_file.is_symlink()
    assert json.loads(lock_file.read_text())["pid"] == os.getpid()
    lock.release()
    assert [r.getMessage() for r in caplog.records] == [
        f"Recovering stale lock {lock_file}: no holder (a symlink to nowhere)"
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 file")
def test_unreadable_lock_is_stale(lock_file: Path) -> None:
    lock_file.write_text(_lock_json(), encoding="utf-8")
    lock_file.chmod(0)
    lock = RunLock(lock_file)
    lock.acquire()
    assert json.loads(lock_file.read_text())["pid"] == os.getpid()
    lock.release()


@pytest.mark.parametrize(
    ("pid", "proc_start", "reason"),
    [(0, None, "PID 0 is no process"), (1, None, "PID 1 is init, not a crawl"),
     (1, "no-such-start", "PID 1 is init, not a crawl")],
)  # fmt: skip
def test_pid_0_and_1_are_never_a_live_crawl(
    lock_file: Path, pid: int, proc_start: str | None, reason: str
) -> None:
    stale = replace(LockInfo.current("scrapy crawl latest"), pid=pid, proc_start=proc_start)
    _write_lock(lock_file, stale)
    lock = RunLock(lock_file)
    assert lock.stale_reason(stale) == reason
    lock.acquire()
    assert lock.recovered == stale
    lock.release()


def test_a_folder_where_the_lock_should_be_is_one_clear_error(lock_file: Path) -> None:
    from ehz_scraper.errors import ArchiveError

    lock_file.mkdir()
    with pytest.raises(ArchiveError) as caught:
        RunLock(lock_file).acquire()
    assert str(caught.value) == f"cannot remove the stale lock {lock_file}: Is a directory"
