"""Read-only queries the `ehz` commands make: records, stored pages, stats, runs and failures.

The CLI formats what these return; every SQL statement it needs lives here.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from ehz_scraper.errors import ArchiveError
from ehz_scraper.storage.schema import BUSY_TIMEOUT_MS, SCHEMA_VERSION, connect_readonly
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
        conn = connect_readonly(db.resolve())
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        if "malformed" in str(exc):  # an archive whose file is damaged, not a foreign file
            raise DamagedArchive(f"the archive {path} is damaged: {exc}") from None
        raise ArchiveError(f"{path} is not an ehz archive: {exc}") from None
    if row is None or int(row[0]) > SCHEMA_VERSION:
        found = row[0] if row else "none"
        raise ArchiveError(f"{path}: unsupported archive schema version {found}")
    if int(row[0]) < SCHEMA_VERSION:
        # An archive of an older ehz: upgrade it once (what the next crawl would do) so the
        # read commands see today's columns.
        conn.close()
        _upgrade(db)
        return open_readonly(path)
    return conn


def _upgrade(db: Path) -> None:
    from ehz_scraper.storage.schema import open_archive  # sqlite-utils: only when needed

    try:
        open_archive(db).conn.close()
    except ArchiveError as exc:
        raise ArchiveError(
            f"{db}: cannot upgrade the archive to schema {SCHEMA_VERSION}: {exc}"
        ) from None


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
                "SELECT substr(published_date, 1, 4) AS year, count(*) AS articles FROM articles"
                " GROUP BY year ORDER BY year"
            )
        ),
        "by_month": dict_rows(
            conn.execute(
                "SELECT substr(published_date, 1, 7) AS month, count(*) AS articles"
                " FROM articles GROUP BY month ORDER BY month"
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


class NoSuchArticle(ArchiveError):
    """No article (or no such version of it) matches what was asked for."""


_ARTICLE_ID_RE = re.compile(r"^(?:c_)?(\d{1,19})$")


def resolve_article(conn: sqlite3.Connection, ref: str) -> int:
    """The article id named by `ref`: an id ("266285"), "c_266285", or the URL of any page.

    Raises NoSuchArticle when it names no archived article (or is none of these forms).
    """
    from ehz_scraper.errors import BadURL
    from ehz_scraper.site.urls import canonicalize_url, parse_article_url

    ref = ref.strip()
    match = _ARTICLE_ID_RE.match(ref)
    if match:
        article_id = int(match[1])
    else:
        try:
            parsed = parse_article_url(canonicalize_url(ref))
        except BadURL:
            parsed = None
        if parsed is None:
            raise NoSuchArticle(f"{ref!r} is not an article id, c_<id> or article URL")
        article_id = parsed.article_id
    if (
        not (0 <= article_id < 2**63)
        or not conn.execute("SELECT 1 FROM articles WHERE article_id = ?", [article_id]).fetchone()
    ):
        raise NoSuchArticle(f"no article {ref} in the archive")
    return article_id


def article_versions(conn: sqlite3.Connection, article_id: int) -> list[dict[str, Any]]:
    """Every version of an article, oldest first: version, first_seen, run_id, complete, record."""
    rows = dict_rows(
        conn.execute(
            "SELECT version, first_seen, run_id, complete, record FROM versions"
            " WHERE article_id = ? ORDER BY version",
            [article_id],
        )
    )
    for row in rows:
        row["record"] = json.loads(row["record"])
        row["complete"] = bool(row["complete"])
    return rows


def version_state(
    conn: sqlite3.Connection, article_id: int, version: int | None = None
) -> dict[str, Any] | None:
    """What the archive knows of one version of an article beyond its record, or None.

    `version` (default the current), `versions` (how many), `complete`, `first_seen` (the
    article's first fetch), `last_seen` (its last fetch showing this version),
    `version_first_seen` (when this version was first fetched), `run_id` (the run that
    stored it), `published_date` and `published_at`.
    """
    row = conn.execute(
        "SELECT version, complete, first_seen, last_seen, published_date, published_at,"
        " (SELECT count(*) FROM versions v WHERE v.article_id = a.article_id)"
        " FROM articles a WHERE article_id = ?",
        [article_id],
    ).fetchone()
    if row is None:
        return None
    current, complete, first_seen, last_seen, published_date, published_at, count = row
    version = current if version is None else version
    vrow = conn.execute(
        "SELECT complete, first_seen, run_id FROM versions WHERE article_id = ? AND version = ?",
        [article_id, version],
    ).fetchone()
    if vrow is None:
        return None
    if version != current:
        complete = vrow[0]
        last_seen = last_seen_before_next(conn, article_id, version) or vrow[1]
    return {
        "version": version,
        "versions": count,
        "complete": bool(complete),
        "first_seen": first_seen,
        "last_seen": last_seen,
        "version_first_seen": vrow[1],
        "run_id": vrow[2],
        "published_date": published_date,
        "published_at": published_at,
    }


def last_seen_before_next(conn: sqlite3.Connection, article_id: int, version: int) -> str | None:
    """The last fetch of an article before `version + 1` replaced `version` (None: no next)."""
    # The next version's first fetch (its run's earliest fetch of the article) ends this one.
    nxt = conn.execute(
        "SELECT first_seen, run_id FROM versions WHERE article_id = ? AND version = ?",
        [article_id, version + 1],
    ).fetchone()
    if nxt is None:
        return None
    end = nxt[0]
    if nxt[1] is not None:
        started = conn.execute(
            "SELECT min(fetched_at) FROM fetches WHERE article_id = ? AND run_id = ?",
            [article_id, nxt[1]],
        ).fetchone()[0]
        end = started or end
    return conn.execute(
        "SELECT max(fetched_at) FROM fetches WHERE article_id = ? AND fetched_at < ?"
        " AND status IN (200, 304)",
        [article_id, end],
    ).fetchone()[0]


def version_page_fetch(
    conn: sqlite3.Connection, article_id: int, page: int, version: int
) -> tuple[str, str, str] | None:
    """(url, headers JSON, snapshot hash) of the fetch of `page` that made `version`, or None.

    That is the page's fetch in the run that stored the version; for a version without a
    run (re-extracted from stored pages) the newest fetch of the page before it was stored.
    """
    row = conn.execute(
        "SELECT first_seen, run_id FROM versions WHERE article_id = ? AND version = ?",
        [article_id, version],
    ).fetchone()
    if row is None:
        return None
    first_seen, run_id = row
    if run_id is not None:
        found = conn.execute(
            "SELECT url, headers, snapshot_hash FROM fetches WHERE article_id = ? AND page = ?"
            " AND run_id = ? AND status IN (200, 304) ORDER BY fetched_at DESC, id DESC LIMIT 1",
            [article_id, page, run_id],
        ).fetchone()
        if found:
            return found
    return conn.execute(
        "SELECT url, headers, snapshot_hash FROM fetches WHERE article_id = ? AND page = ?"
        " AND fetched_at <= ? AND status IN (200, 304) ORDER BY fetched_at DESC, id DESC LIMIT 1",
        [article_id, page, first_seen],
    ).fetchone()


def longest_article(conn: sqlite3.Connection) -> int | None:
    """The complete article with the most pages (the newest of those), or None in an empty one."""
    row = conn.execute(
        "SELECT article_id FROM articles WHERE complete = 1"
        " ORDER BY page_count DESC, article_id DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None
