"""The archive's schema: tables, indexes, full-text search, and versioned migrations."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from ehz_scraper.errors import ArchiveError

if TYPE_CHECKING:  # sqlite-utils costs 30 ms to import: `ehz search` and `--help` skip it
    import sqlite_utils

SCHEMA_VERSION = 3
BUSY_TIMEOUT_MS = 30_000


def readonly_uri(path: str | os.PathLike[str]) -> str:
    """The `file:` URI that opens `path` read-only, whatever its name holds: `?` and `#` (which
    a URI would read as its query), or bytes that are not UTF-8 (surrogate-escaped in `str`)."""
    return f"file:{quote(os.fsencode(os.path.abspath(path)))}?mode=ro"


def connect_readonly(path: str | os.PathLike[str], timeout: float = 30.0) -> sqlite3.Connection:
    """A read-only connection to `path`, after SQLite's own recovery of a crawl killed mid-write.

    A writer killed with SIGKILL leaves a WAL whose index needs rebuilding, which a read-only
    connection may not do (SQLITE_READONLY_RECOVERY: "attempt to write a readonly database");
    one read-write open lets SQLite recover it, as the next crawl would. The data is unchanged.
    """
    conn = sqlite3.connect(readonly_uri(path), uri=True, timeout=timeout)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        if not getattr(exc, "sqlite_errorname", "").startswith("SQLITE_READONLY"):
            return conn  # not this case: the caller meets the error and reports it
        conn.close()
        writable = sqlite3.connect(os.fsencode(os.path.abspath(path)), timeout=timeout)
        try:
            writable.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            writable.close()
        conn = sqlite3.connect(readonly_uri(path), uri=True, timeout=timeout)
    except sqlite3.DatabaseError:
        pass  # damaged or not a database: the caller's first query reports it
    return conn


# The CREATE statements are plain SQL so docs/archive.md and this file say the same thing.
_V1 = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE IF NOT EXISTS zstd_dicts (
    id INTEGER PRIMARY KEY,
    created TEXT NOT NULL,
    sample_count INTEGER NOT NULL,
    size INTEGER NOT NULL,
    dict BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    hash TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    stored_size INTEGER NOT NULL,
    encoding TEXT,
    content_type TEXT,
    compression TEXT NOT NULL,
    dict_id INTEGER REFERENCES zstd_dicts(id),
    first_seen TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    spider TEXT NOT NULL,
    arguments TEXT NOT NULL DEFAULT '{}',
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    close_reason TEXT,
    listing_pages INTEGER NOT NULL DEFAULT 0,
    articles_new INTEGER NOT NULL DEFAULT 0,
    articles_changed INTEGER NOT NULL DEFAULT 0,
    articles_unchanged INTEGER NOT NULL DEFAULT 0,
    articles_incomplete INTEGER NOT NULL DEFAULT 0,
    articles_failed INTEGER NOT NULL DEFAULT 0,
    fallback_extractions INTEGER NOT NULL DEFAULT 0,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS articles (
    article_id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    date TEXT,
    date_text TEXT,
    source TEXT,
    byline TEXT,
    section TEXT,
    breadcrumb TEXT NOT NULL DEFAULT '[]',
    page_count INTEGER NOT NULL,
    page_urls TEXT NOT NULL DEFAULT '[]',
    body_text TEXT NOT NULL DEFAULT '',
    image_count INTEGER NOT NULL DEFAULT 0,
    complete INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL,
    extraction_method TEXT NOT NULL,
    extraction_warnings TEXT NOT NULL DEFAULT '[]',
    record_hash TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_date ON articles(date);
CREATE INDEX IF NOT EXISTS articles_section_date ON articles(section, date);
-- Covering index for search filters: checking a match's date/section reads no article row.
CREATE INDEX IF NOT EXISTS articles_filter ON articles(article_id, date, section);
CREATE TABLE IF NOT EXISTS sections (
    article_id INTEGER NOT NULL REFERENCES articles(article_id),
    position INTEGER NOT NULL,
    heading TEXT,
    paragraphs TEXT NOT NULL DEFAULT '[]',
    text TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (article_id, position)
);
CREATE TABLE IF NOT EXISTS images (
    article_id INTEGER NOT NULL REFERENCES articles(article_id),
    position INTEGER NOT NULL,
    page INTEGER,
    src TEXT NOT NULL,
    alt TEXT,
    caption TEXT,
    credit TEXT,
    PRIMARY KEY (article_id, position)
);
CREATE TABLE IF NOT EXISTS versions (
    article_id INTEGER NOT NULL REFERENCES articles(article_id),
    version INTEGER NOT NULL,
    record TEXT NOT NULL,
    record_hash TEXT NOT NULL,
    complete INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    PRIMARY KEY (article_id, version)
);
CREATE TABLE IF NOT EXISTS fetches (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    article_id INTEGER,
    url TEXT NOT NULL,
    fetch_url TEXT,
    page INTEGER,
    fetched_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL DEFAULT '[]',
    etag TEXT,
    last_modified TEXT,
    snapshot_hash TEXT NOT NULL REFERENCES snapshots(hash)
);
CREATE INDEX IF NOT EXISTS fetches_url ON fetches(url, fetched_at);
CREATE INDEX IF NOT EXISTS fetches_article ON fetches(article_id, page);
CREATE INDEX IF NOT EXISTS fetches_snapshot ON fetches(snapshot_hash);
CREATE TABLE IF NOT EXISTS failures (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    url TEXT NOT NULL,
    article_id INTEGER,
    page INTEGER,
    stage TEXT NOT NULL CHECK (stage IN ('fetch', 'extract', 'validate', 'store')),
    reason TEXT NOT NULL,
    first_failed TEXT NOT NULL,
    failed_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    next_due TEXT NOT NULL,
    resolved INTEGER NOT NULL DEFAULT 0,
    resolved_at TEXT
);
-- One open failure per URL; a later failure of the same URL bumps its attempts.
CREATE UNIQUE INDEX IF NOT EXISTS failures_open_url ON failures(url) WHERE resolved = 0;
CREATE INDEX IF NOT EXISTS failures_due ON failures(resolved, next_due);
CREATE TABLE IF NOT EXISTS listings (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    url TEXT NOT NULL,
    section TEXT NOT NULL,
    page INTEGER NOT NULL,
    listed_count INTEGER NOT NULL,
    new_count INTEGER NOT NULL,
    article_urls TEXT NOT NULL DEFAULT '[]',
    fetched_at TEXT NOT NULL,
    last INTEGER NOT NULL DEFAULT 0,
    stop_reason TEXT
);
CREATE INDEX IF NOT EXISTS listings_run ON listings(run_id, section, page);
CREATE INDEX IF NOT EXISTS listings_section ON listings(section, run_id);
"""

# sqlite-utils' update trigger re-indexes on ANY update; re-indexing only when the indexed
# columns change keeps an unchanged re-fetch (which bumps last_seen) cheap.
_FTS_UPDATE_TRIGGER = """
DROP TRIGGER IF EXISTS articles_au;
CREATE TRIGGER articles_au AFTER UPDATE OF title, body_text ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, body_text)
    VALUES('delete', old.rowid, old.title, old.body_text);
  INSERT INTO articles_fts (rowid, title, body_text) VALUES (new.rowid, new.title, new.body_text);
END;
"""


def _migrate_to_1(db: sqlite_utils.Database) -> None:
    db.executescript(_V1)
    db["articles"].enable_fts(["title", "body_text"], create_triggers=True, tokenize="porter")
    db.executescript(_FTS_UPDATE_TRIGGER)
    # bm25 with a title hit worth ten body hits, the ranking `ehz search` orders by.
    db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0)')")


_FIDELITY = """
ALTER TABLE fetches ADD COLUMN kind TEXT;
ALTER TABLE fetches ADD COLUMN method TEXT NOT NULL DEFAULT 'GET';
ALTER TABLE fetches ADD COLUMN protocol TEXT;
ALTER TABLE fetches ADD COLUMN reason TEXT;
ALTER TABLE fetches ADD COLUMN request_headers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE fetches ADD COLUMN ip_address TEXT;
ALTER TABLE fetches ADD COLUMN content_encoding TEXT;
ALTER TABLE fetches ADD COLUMN warc_file TEXT;
ALTER TABLE fetches ADD COLUMN warc_record_id TEXT;
ALTER TABLE images ADD COLUMN snapshot_hash TEXT REFERENCES snapshots(hash);
UPDATE fetches SET kind = 'article' WHERE article_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS fetches_kind ON fetches(kind, fetched_at);
CREATE INDEX IF NOT EXISTS images_src ON images(src);
"""


def _migrate_fidelity(db: sqlite_utils.Database) -> None:
    """Archive fidelity (issue 12): every response is a fetch, kept as it came over the wire.

    fetches gain `kind` (home, listing, robots, article, image, other), the request's
    `method` and `request_headers`, the status line's `protocol` and `reason` (when known),
    the peer's `ip_address`, `content_encoding` (the Content-Encoding that was decoded before
    the body was stored) and, for fetches read from a WARC by `ehz import`, `warc_file` and
    `warc_record_id`; images gain `snapshot_hash` (the stored bytes of the image). Snapshots
    may now be stored with `compression = 'none'` (images that zstd cannot shrink).
    """
    db.executescript(_FIDELITY)


# Issue 14: dates pandas can parse, and captions in the full-text index.
_FTS_UPDATE_TRIGGER_CAPTIONS = """
DROP TRIGGER IF EXISTS articles_au;
CREATE TRIGGER articles_au AFTER UPDATE OF title, body_text, captions ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, body_text, captions)
    VALUES('delete', old.rowid, old.title, old.body_text, old.captions);
  INSERT INTO articles_fts (rowid, title, body_text, captions)
    VALUES (new.rowid, new.title, new.body_text, new.captions);
END;
"""


def _migrate_dates_and_captions(db: sqlite_utils.Database) -> None:
    """`published_date`/`published_at` and `captions` in `articles`; captions in the FTS index.

    `date` mixes "2021-05-12" and "2021-05-12T10:14:00+08:00", which pandas cannot parse as
    one column; the two new columns split it (the URL's date folder when there is no date).
    """
    from ehz_scraper.storage.published import captions_text, published

    for column in ("published_date", "published_at", "captions"):
        default = " NOT NULL DEFAULT ''" if column == "captions" else ""
        db.execute(f"ALTER TABLE articles ADD COLUMN {column} TEXT{default}")
    rows = db.execute("SELECT article_id, url, date FROM articles").fetchall()
    captions: dict[int, list[str | None]] = {}
    for article_id, caption in db.execute(
        "SELECT article_id, caption FROM images ORDER BY article_id, position"
    ):
        captions.setdefault(article_id, []).append(caption)
    db.conn.executemany(
        "UPDATE articles SET published_date = ?, published_at = ?, captions = ?"
        " WHERE article_id = ?",
        [
            (*published(date, url), captions_text(captions.get(aid, [])), aid)
            for aid, url, date in rows
        ],
    )
    db.execute("CREATE INDEX IF NOT EXISTS articles_published ON articles(published_date)")
    # The index gains a column: FTS5 cannot add one, so it is rebuilt from the table.
    for trigger in ("articles_ai", "articles_ad", "articles_au"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute("DROP TABLE IF EXISTS articles_fts")
    db["articles"].enable_fts(
        ["title", "body_text", "captions"], create_triggers=True, tokenize="porter"
    )
    db.executescript(_FTS_UPDATE_TRIGGER_CAPTIONS)
    db.execute(
        "INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0, 1.0)')"
    )


# Version N's function upgrades an archive at version N-1 to N. Append, never edit.
MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {
    1: _migrate_to_1,
    2: _migrate_fidelity,
    3: _migrate_dates_and_captions,
}


def configure(conn: sqlite3.Connection) -> None:
    """Per-connection settings every archive connection uses."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL is durable at each checkpoint
    conn.execute("PRAGMA cache_size = -32000")  # 32 MB: FTS segment merges and search reuse pages


def schema_version(db: sqlite_utils.Database) -> int:
    """The archive's schema version (0 for an empty file)."""
    if not db["meta"].exists():
        return 0
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def ensure_schema(db: sqlite_utils.Database) -> int:
    """Create or migrate the archive to SCHEMA_VERSION; returns the version it was at."""
    db.execute("PRAGMA journal_mode = WAL")
    found = schema_version(db)
    if found > SCHEMA_VERSION:
        raise ArchiveError(
            f"archive schema version {found} is newer than this ehz understands ({SCHEMA_VERSION})"
        )
    for version in range(found + 1, SCHEMA_VERSION + 1):
        # One transaction per migration (SQLite's DDL is transactional): a crawl killed while
        # creating the archive leaves either the whole schema or none of it, never a half
        # that the next run's CREATE TRIGGER would trip over.
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version](db)
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                [str(version)],
            )
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")
    return found


def open_archive(path: str | Path) -> sqlite_utils.Database:
    """A writable connection to the archive at `path`, created and migrated as needed."""
    path = Path(path)
    import sqlite_utils

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(os.fsencode(path), isolation_level=None, check_same_thread=False)
        configure(conn)
        db = sqlite_utils.Database(conn)
        ensure_schema(db)
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"cannot open archive {path}: {exc}") from None
    return db
