"""Read-only queries spiders make before fetching: known ids, conditional GET, backoff, coverage.

The spiders' whole view of the archive is `ArchiveReader`; it never writes. Every method
answers from committed data only, so articles the store pipeline has not yet committed
(it batches, `EHZ_BATCH_SIZE`) are not in the answers: a spider remembers what it yielded
in this run itself. A missing archive file reads as an empty archive (a first crawl).

- `known_article_ids() -> set[int]`: every article id in `articles` (one covering-index scan;
  about 0.1 s for 100,000 articles: call it once per run, not per listing page).
- `is_known(article_id) -> bool`: one primary-key lookup.
- `last_fetch(url) -> dict | None`: the newest fetch of canonical `url` that has content
  (status 200 or 304), as `{"etag", "last_modified", "snapshot_hash", "fetched_at",
  "status"}` (etag/last_modified None when the server sent none); use it for
  `If-None-Match` / `If-Modified-Since`. None when the URL was never fetched.
- `failures_not_due(now=None) -> set[str]`: canonical URLs with an open (unresolved)
  failure whose `next_due` is later than `now` (default: the current time). They failed
  to fetch, were not articles, or failed validation; retry them only once due (backoff
  1 h, 6 h, 1 day, then weekly). A later successful store of the URL resolves it.
- `failures_due(now=None) -> set[str]`: the other open failures: canonical URLs whose
  retry is due (`next_due` at or before `now`). Spiders treat them as new articles (an
  incomplete article is fetched again whole). Both methods read the `next_due` the writer
  computed; the backoff itself lives in `storage.timeutil.next_due` only.
- `completed_coverage(section) -> set[str]`: the canonical page-1 article URLs listed on the
  listing pages of `section` (the name as in the navigation, e.g. "Latest", compared
  case-insensitively) by walks that bridged their ground: everything listed under a
  covered URL was handled by that walk or an earlier bridged one. A run's walk of the
  section counts when the run is `finished` or `degraded` AND the walk's last listing page
  stopped it with `end of listing` (nothing under it) or `incremental: nothing new` (it
  reached ground an earlier bridged walk covered); when a run walked the section more than
  once, every walk must end so. Nothing else counts, though the articles it listed were
  fetched: a walk cut by a failed listing page (`fetch failed: ...`), by `max_pages` or by
  the listing page cap never reached the ground under its last page; a `pager cycle` or a
  page listing no article is a broken listing whose rest may reappear; a walk with no last
  page, or in a `running`, `interrupted` or `failed` run, ended early. An incremental walk
  stops on a listing page whose articles are all known and whose oldest is in this set; it
  walks on past pages only uncounted walks listed, so none of those leave a hole.
- `listed_urls(section) -> set[str]`: the canonical page-1 article URLs any walk of
  `section` listed, in any run, bridged or not: where a walk retries the section's due
  failures, however deep they now sit (coverage is only where a walk may stop).
- `served_urls(kind) -> set[str]`: canonical URLs of one kind of fetch (`image`) that the
  archive holds a served copy of (status 200 or 304): an image is fetched once, then only
  with a conditional GET on refresh.
- `last_body(url) -> bytes | None`: the raw bytes of the newest stored fetch of `url` (what a
  304 response stands for), or None.
- `runs(limit=10) -> list[dict]`: the newest runs (id, spider, status, started, finished).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from ehz_scraper.items import BRIDGING_STOPS
from ehz_scraper.storage.schema import BUSY_TIMEOUT_MS, connect_readonly
from ehz_scraper.storage.snapshots import SnapshotCodec
from ehz_scraper.storage.timeutil import normalize_ts

COMPLETED_STATUSES = ("finished", "degraded")


class ArchiveReader:
    """A read-only view of the archive for spiders; opens its own connection lazily."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._codec: SnapshotCodec | None = None

    def _db(self) -> sqlite3.Connection | None:
        if self._conn is None:
            if not self.path.exists():
                return None  # no archive yet: everything reads as empty
            conn = connect_readonly(self.path.resolve())
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            has_schema = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'articles'"
            ).fetchone()
            if not has_schema:
                conn.close()
                return None
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def known_article_ids(self) -> set[int]:
        db = self._db()
        if db is None:
            return set()
        return {row[0] for row in db.execute("SELECT article_id FROM articles")}

    def is_known(self, article_id: int) -> bool:
        db = self._db()
        if db is None:
            return False
        row = db.execute("SELECT 1 FROM articles WHERE article_id = ?", [int(article_id)])
        return row.fetchone() is not None

    def last_fetch(self, url: str) -> dict[str, Any] | None:
        db = self._db()
        if db is None:
            return None
        row = db.execute(
            "SELECT etag, last_modified, snapshot_hash, fetched_at, status FROM fetches"
            " WHERE url = ? AND status IN (200, 304) ORDER BY fetched_at DESC, id DESC LIMIT 1",
            [url],
        ).fetchone()
        if row is None:
            return None
        keys = ("etag", "last_modified", "snapshot_hash", "fetched_at", "status")
        return dict(zip(keys, row, strict=True))

    def served_urls(self, kind: str) -> set[str]:
        """Canonical URLs of the given kind (`image`, ...) with a served fetch (200 or 304)."""
        db = self._db()
        if db is None:
            return set()
        try:
            rows = db.execute(
                "SELECT DISTINCT url FROM fetches WHERE kind = ? AND status IN (200, 304)", [kind]
            ).fetchall()
        except sqlite3.OperationalError:
            return set()  # an archive from before fetch kinds (migrated when the crawl opens it)
        return {row[0] for row in rows}

    def last_body(self, url: str) -> bytes | None:
        last = self.last_fetch(url)
        db = self._db()
        if last is None or db is None:
            return None
        if self._codec is None:
            self._codec = SnapshotCodec(db)
        return self._codec.read(last["snapshot_hash"])

    def failures_not_due(self, now: str | datetime | None = None) -> set[str]:
        return self._open_failures(due=False, now=now)

    def failures_due(self, now: str | datetime | None = None) -> set[str]:
        return self._open_failures(due=True, now=now)

    def _open_failures(self, *, due: bool, now: str | datetime | None) -> set[str]:
        """Open failures on one side of `now`: together the two sides are every open one."""
        db = self._db()
        if db is None:
            return set()
        side = "next_due <= ?" if due else "next_due > ?"
        rows = db.execute(
            f"SELECT url FROM failures WHERE resolved = 0 AND {side}", [normalize_ts(now)]
        )
        return {row[0] for row in rows}

    def completed_coverage(self, section: str) -> set[str]:
        db = self._db()
        if db is None:
            return set()
        # A run bridged the section when each of its walks (one page 1 each) has a last page
        # with a bridging stop; a walk cut anywhere else has a page 1 but no such last page.
        rows = db.execute(
            "WITH bridged AS ("
            " SELECT l.run_id FROM listings l JOIN runs r ON r.id = l.run_id"
            f" WHERE lower(l.section) = lower(?) AND r.status IN {COMPLETED_STATUSES}"
            " GROUP BY l.run_id"
            " HAVING sum(l.page = 1)"
            f" = sum(l.last = 1 AND l.stop_reason IN {BRIDGING_STOPS}))"
            " SELECT DISTINCT j.value FROM listings l JOIN bridged b ON b.run_id = l.run_id,"
            " json_each(l.article_urls) j WHERE lower(l.section) = lower(?)",
            [section, section],
        )
        return {row[0] for row in rows}

    def listed_urls(self, section: str) -> set[str]:
        db = self._db()
        if db is None:
            return set()
        rows = db.execute(
            "SELECT DISTINCT j.value FROM listings l, json_each(l.article_urls) j"
            " WHERE lower(l.section) = lower(?)",
            [section],
        )
        return {row[0] for row in rows}

    def listed_count(self, section: str) -> int:
        """How many distinct article URLs earlier walks of `section` listed."""
        db = self._db()
        if db is None:
            return 0
        row = db.execute(
            "SELECT count(DISTINCT j.value) FROM listings l, json_each(l.article_urls) j"
            " WHERE lower(l.section) = lower(?)",
            [section],
        ).fetchone()
        return int(row[0] or 0)

    def links_listed_at(self, listing_url: str) -> int:
        """The most article links an earlier walk found on the listing page `listing_url`."""
        db = self._db()
        if db is None:
            return 0
        row = db.execute(
            "SELECT max(listed_count) FROM listings WHERE url = ?", [listing_url]
        ).fetchone()
        return int(row[0] or 0)

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        db = self._db()
        if db is None:
            return []
        cur = db.execute(
            "SELECT id, spider, status, started, finished FROM runs ORDER BY id DESC LIMIT ?",
            [limit],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]
