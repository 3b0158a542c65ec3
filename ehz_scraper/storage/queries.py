"""Read-only queries the `ehz` commands make: records, stored pages, stats, runs and failures.

The CLI formats what these return; every SQL statement it needs lives here.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from ehz_scraper.errors import ArchiveError
from ehz_scraper.storage.schema import BUSY_TIMEOUT_MS, SCHEMA_VERSION, readonly_uri
from ehz_scraper.storage.timeutil import utcnow


class NoArchive(ArchiveError):
    """There is no archive file at the path given."""

    @classmethod
    def at(cls, path: str | Path) -> NoArchive:
        return cls(f"no archive at {path} (run a crawl first, or pass --db)")


class DamagedArchive(ArchiveError):
    """The archive file is damaged (SQLite reads it as malformed)."""


def open_readonly(path: str | Path) -> sqlite3.Connection:
    """A read-only connection to an existing archive of a schema this ehz understands."""
    db = Path(path)
    if not db.is_file():
        raise NoArchive.at(path)
    try:
        conn = sqlite3.connect(readonly_uri(db.resolve()), uri=True)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        if "malformed" in str(exc):  # an archive whose file is damaged, not a foreign file
            raise DamagedArchive(f"the archive {path} is damaged: {exc}") from None
        raise ArchiveError(f"{path} is not an ehz archive: {exc}") from None
    if row is None or int(row[0]) > SCHEMA_VERSION:
        found = row[0] if row else "none"
        raise ArchiveError(f"{path}: unsupported archive schema version {found}")
    return conn


def dict_rows(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def newest_page_fetch(
    conn: sqlite3.Connection, article_id: int, page: int, *, served_only: bool = False
) -> tuple[str, str, str] | None:
    """(url, headers JSON, snapshot hash) of the newest fetch of an article's page, or None.

    `served_only` keeps to fetches that served the page (200, or 304 resolved from a stored copy).
    """
    served = " AND status IN (200, 304)" if served_only else ""
    return conn.execute(
        "SELECT url, headers, snapshot_hash FROM fetches WHERE article_id = ? AND page = ?"
        + served
        + " ORDER BY fetched_at DESC, id DESC LIMIT 1",
        [article_id, page],
    ).fetchone()


def article_image(
    conn: sqlite3.Connection, article_id: int, position: int
) -> tuple[str, str | None] | None:
    """(src, snapshot hash or None when never fetched) of image `position` (1-based) of an
    article's current version, or None when it has no such image."""
    return conn.execute(
        "SELECT src, snapshot_hash FROM images WHERE article_id = ? AND position = ?",
        [article_id, position],
    ).fetchone()


def article_record(
    conn: sqlite3.Connection, article_id: int, version: int | None = None
) -> dict[str, Any] | None:
    """The stored record of an article (its current version, or `version`), or None."""
    sql = "SELECT record FROM versions WHERE article_id = ? AND version = "
    if version is None:
        sql += "(SELECT version FROM articles WHERE article_id = ?)"
        row = conn.execute(sql, [article_id, article_id]).fetchone()
    else:
        row = conn.execute(sql + "?", [article_id, version]).fetchone()
    return json.loads(row[0]) if row else None


def article_state(conn: sqlite3.Connection, article_id: int) -> tuple[int, int, int] | None:
    """(version, page_count, complete) of an article now, or None when it is not archived."""
    return conn.execute(
        "SELECT version, page_count, complete FROM articles WHERE article_id = ?", [article_id]
    ).fetchone()


def article_targets(
    conn: sqlite3.Connection, ids: list[int] | None = None
) -> list[tuple[int, int, int]]:
    """(article_id, page_count, complete) of the given articles, or of every article.

    Raises ArchiveError naming the first id that is not in the archive.
    """
    if ids is None:
        return conn.execute(
            "SELECT article_id, page_count, complete FROM articles ORDER BY article_id"
        ).fetchall()
    targets = []
    for article_id in ids:
        row = conn.execute(
            "SELECT article_id, page_count, complete FROM articles WHERE article_id = ?",
            [article_id],
        ).fetchone()
        if row is None:
            raise ArchiveError(f"no article {article_id} in the archive")
        targets.append(row)
    return targets


def archive_stats(conn: sqlite3.Connection) -> dict[str, Any]:
    """Counts of the whole archive: articles, versions, images, fetches, snapshots, runs."""

    def one(sql: str) -> Any:
        return conn.execute(sql).fetchone()

    articles, incomplete = one(
        "SELECT count(*), count(*) - coalesce(sum(complete), 0) FROM articles"
    )
    return {
        "articles": articles,
        "incomplete": incomplete,
        "versions": one("SELECT count(*) FROM versions")[0],
        "images": one("SELECT count(*) FROM images")[0],
        "fetches": one("SELECT count(*) FROM fetches")[0],
        "snapshots": one("SELECT count(*) FROM snapshots")[0],
        "snapshot_bytes_raw": one("SELECT coalesce(sum(size), 0) FROM snapshots")[0],
        "snapshot_bytes_stored": one("SELECT coalesce(sum(stored_size), 0) FROM snapshots")[0],
        "open_failures": one("SELECT count(*) FROM failures WHERE resolved = 0")[0],
        "by_year": dict_rows(
            conn.execute(
                "SELECT substr(date, 1, 4) AS year, count(*) AS articles FROM articles"
                " GROUP BY year ORDER BY year"
            )
        ),
        "by_section": dict_rows(
            conn.execute(
                "SELECT section, count(*) AS articles FROM articles GROUP BY section"
                " ORDER BY articles DESC, section"
            )
        ),
        "last_runs": dict_rows(
            conn.execute(
                "SELECT id, spider, status, started, finished, articles_new AS new,"
                " articles_changed AS changed, articles_failed AS failed FROM runs"
                " ORDER BY id DESC LIMIT 5"
            )
        ),
    }


def list_runs(conn: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` runs with their counts, arguments decoded."""
    rows = dict_rows(
        conn.execute(
            "SELECT id, spider, arguments, status, close_reason, started, finished, listing_pages,"
            " articles_new AS new, articles_changed AS changed, articles_unchanged AS unchanged,"
            " articles_incomplete AS incomplete, articles_failed AS failed,"
            " fallback_extractions AS fallback, summary FROM runs ORDER BY id DESC LIMIT ?",
            [limit],
        )
    )
    for row in rows:
        row["arguments"] = json.loads(row["arguments"])
    return rows


def list_failures(conn: sqlite3.Connection, *, include_resolved: bool) -> list[dict[str, Any]]:
    """Failed URLs, newest first, each with `due` ("yes" when its retry is due now)."""
    where = "" if include_resolved else " WHERE resolved = 0"
    rows = dict_rows(
        conn.execute(
            "SELECT url, article_id, page, stage, reason, attempts, failed_at AS last_failed,"
            " next_due, resolved, run_id FROM failures" + where + " ORDER BY failed_at DESC, id"
        )
    )
    now = utcnow()
    for row in rows:
        row["due"] = "yes" if row["next_due"] <= now and not row["resolved"] else ""
    return rows
