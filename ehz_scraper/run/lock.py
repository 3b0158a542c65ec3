"""The archive lock: one crawl at a time per archive file, with stale-lock recovery."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import math
import os
import socket
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

from ehz_scraper.errors import ArchiveError, ArchiveLocked
from ehz_scraper.settings import EHZ_LOCK_STALE_AFTER
from ehz_scraper.storage.timeutil import format_ts

logger = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"
# A lock from another host cannot be checked by PID; after this long it is presumed dead.


def lock_path_for(db_path: str | os.PathLike[str]) -> Path:
    """The lock file of an archive: beside the file itself, named `<archive>.lock`.

    Keyed on the resolved file (symlinks followed, relative paths made absolute): two
    spellings of one archive must meet at one lock.
    """
    return Path(f"{os.path.realpath(os.fspath(db_path))}{LOCK_SUFFIX}")


def _process_start(pid: int) -> str | None:
    """The kernel's start time of process `pid` (Linux), to tell a reused PID from the holder."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime) counted after the ")" that ends the command name, which may hold spaces.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


class BadLock(ValueError):
    """A lock file that names no holder: unreadable, garbled, mistyped or a dangling symlink."""


# Linux's largest pid_max is 2**22; anything beyond 2**31 is no PID on any system (and a
# 20-digit one is an OverflowError in os.kill).
MAX_PID = 2**31 - 1
_LOCK_FIELDS: dict[str, type | tuple[type, ...]] = {
    "pid": int,
    "host": str,
    "started": str,
    "started_ts": (int, float),
    "proc_start": (str, type(None)),
    "command": str,
}


@dataclass(frozen=True)
class LockInfo:
    """Who holds the lock: process id, host, when it started and what it runs."""

    pid: int
    host: str
    started: str  # ISO 8601 UTC
    started_ts: float
    proc_start: str | None  # kernel start time of the holder, None off Linux
    command: str

    @classmethod
    def from_json(cls, data: object) -> LockInfo:
        """The holder a lock file's JSON names; BadLock when a field is missing or mistyped."""
        if not isinstance(data, dict) or not set(_LOCK_FIELDS) <= set(data):
            raise BadLock("not a lock: fields missing")
        for name, types in _LOCK_FIELDS.items():
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, types):
                raise BadLock(f"not a lock: {name} is {type(value).__name__}")
        if not 0 <= data["pid"] <= MAX_PID:
            raise BadLock(f"not a lock: PID {str(data['pid'])[:30]} out of range")
        if not math.isfinite(data["started_ts"]):
            raise BadLock("not a lock: started_ts is not a time")
        return cls(**{name: data[name] for name in _LOCK_FIELDS})

    def describe(self) -> str:
        """`PID 1234 on host since 2026-11-26T07:00:00Z (scrapy crawl latest)`."""
        return f"PID {self.pid} on {self.host} since {self.started} ({self.command})"

    @classmethod
    def current(cls, command: str) -> LockInfo:
        """The lock info of this process."""
        now = time.time()
        return cls(
            pid=os.getpid(),
            host=socket.gethostname(),
            started=format_ts(datetime.fromtimestamp(now, UTC)),
            started_ts=now,
            proc_start=_process_start(os.getpid()),
            command=command,
        )


class RunLock:
    """An exclusive lock on one archive, held in a file beside it for the length of a crawl.

    The file holds the holder's PID, host and start time. It is created atomically (written
    in full under a temporary name, then hard-linked into place, which fails if it exists),
    so a reader never sees half a lock. A lock whose holder is gone is taken over: on the same
    host when the PID is dead or now belongs to another process; from another host when it is
    older than `stale_after` seconds. Checking and taking over are serialised with flock on the
    archive's folder, so two runs that both find a stale lock cannot both take it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        stale_after: float = EHZ_LOCK_STALE_AFTER,
        command: str = "crawl",
    ) -> None:
        self.path = Path(path)
        self.stale_after = stale_after
        self.command = command
        self.held: LockInfo | None = None
        self.recovered: LockInfo | None = None  # the stale lock taken over, if any

    def read(self) -> LockInfo | None:
        """The lock's current holder, None when unlocked; raises BadLock for a file that holds
        no holder (unreadable, not JSON, wrong types, a PID out of range, a dangling symlink)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            if self.path.is_symlink():
                raise BadLock("a symlink to nowhere") from None
            return None
        except OSError as exc:
            raise BadLock(f"unreadable: {exc.strerror or exc}") from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadLock(f"not a lock: {exc}") from None
        return LockInfo.from_json(data)

    def stale_reason(self, info: LockInfo, now: float | None = None) -> str | None:
        """Why the lock `info` is stale, or None while its holder may still be running."""
        now = time.time() if now is None else now
        if info.host == socket.gethostname():
            if info.pid == 0:
                return "PID 0 is no process"  # os.kill(0, 0) would test our own group
            if info.pid == 1 and not (info.proc_start and info.proc_start == _process_start(1)):
                # PID 1 is always alive (init): only a crawl that ran as a container's init,
                # with the start time to prove it, holds a lock as PID 1.
                return "PID 1 is init, not a crawl"
            if not _pid_alive(info.pid):
                return f"PID {info.pid} is not running"
            current = _process_start(info.pid)
            if info.proc_start and current and current != info.proc_start:
                return f"PID {info.pid} now belongs to another process"
            # A live holder on this host is never overridden by age: that would be an overlap.
            return None
        age = now - info.started_ts
        if age > self.stale_after:
            hours, limit = age / 3600, self.stale_after / 3600
            return f"lock from {info.host} is {hours:.1f} h old (limit {limit:.1f} h)"
        return None

    def acquire(self) -> LockInfo:
        """Take the lock or raise ArchiveLocked naming its holder."""
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"cannot create the archive folder {folder}: {exc.strerror}"
            raise ArchiveError(msg) from None
        mine = LockInfo.current(self.command)
        with self._serialised(folder):
            try:
                holder = self.read()
            except BadLock as exc:
                # Only a hand-edited or foreign file can be garbled: creation is atomic.
                logger.warning("Recovering stale lock %s: %s (%s)", self.path, "no holder", exc)
                self._remove_stale()
                holder = None
            if holder is not None:
                reason = self.stale_reason(holder)
                if reason is None:
                    raise ArchiveLocked(
                        f"archive {self._db_name()} is locked by another crawl: {holder.describe()}"
                    )
                logger.warning(
                    "Recovering stale lock %s: %s (%s)", self.path, holder.describe(), reason
                )
                self._remove_stale()
                self.recovered = holder
            self._create(mine)
        self.held = mine
        atexit.register(self.release)  # a crash that skips engine_stopped still frees the lock
        return mine

    def release(self) -> None:
        """Remove the lock if this object still holds it (never someone else's)."""
        if self.held is None:
            return
        with self._serialised(self.path.parent):
            try:
                current = self.read()
            except BadLock:
                current = None
            if current is not None and (current.pid, current.started_ts) == (
                self.held.pid,
                self.held.started_ts,
            ):
                self.path.unlink(missing_ok=True)
        self.held = None
        atexit.unregister(self.release)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _db_name(self) -> str:
        name = str(self.path)
        return name.removesuffix(LOCK_SUFFIX)

    def _remove_stale(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:  # e.g. a directory where the lock file should be
            raise ArchiveError(
                f"cannot remove the stale lock {self.path}: {exc.strerror or exc}"
            ) from None

    def _create(self, info: LockInfo) -> None:
        tmp = self.path.with_name(f"{self.path.name}.{info.pid}.tmp")
        tmp.write_text(json.dumps(asdict(info)), encoding="utf-8")
        try:
            os.link(tmp, self.path)  # atomic, and fails if a lock appeared meanwhile
        except FileExistsError:
            try:
                holder = self.read()
            except BadLock:
                holder = None
            raise ArchiveLocked(
                f"archive {self._db_name()} is locked by another crawl: "
                f"{holder.describe() if holder else 'unknown holder'}"
            ) from None
        finally:
            tmp.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _serialised(self, folder: Path):
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor drops the flock


class RunLockExtension:
    """Scrapy extension: hold the archive's lock for the whole crawl.

    The lock is taken when the extension is built, which Scrapy does after the spider has
    checked its arguments and before any pipeline opens the archive, so a second run stops
    before it writes anything (not even a `runs` row). It is released at engine_stopped,
    after the pipelines have closed the archive. `-s EHZ_LOCK=0` turns it off.
    """

    def __init__(self, lock: RunLock) -> None:
        self.lock = lock

    @classmethod
    def from_crawler(cls, crawler) -> RunLockExtension:
        settings = crawler.settings
        if not settings.getbool("EHZ_LOCK"):
            raise NotConfigured("EHZ_LOCK is off")
        spider = getattr(crawler, "spider", None)
        name = getattr(spider, "name", None) or getattr(crawler.spidercls, "name", "?")
        lock = RunLock(
            lock_path_for(settings.get("EHZ_DB")),
            stale_after=settings.getfloat("EHZ_LOCK_STALE_AFTER"),
            command=f"scrapy crawl {name}",
        )
        lock.acquire()
        ext = cls(lock)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        if lock.recovered is not None:
            crawler.stats.set_value("ehz/lock_recovered", lock.recovered.describe())
        return ext

    def engine_stopped(self) -> None:
        self.lock.release()
