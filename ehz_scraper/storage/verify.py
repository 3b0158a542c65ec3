"""`ehz verify`'s checks: SQLite integrity, snapshot hashes, fetch blobs, article consistency."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ehz_scraper.errors import ArchiveError
from ehz_scraper.storage.snapshots import SnapshotCodec, sha256_hex


@dataclass
class VerifyReport:
    """What `verify_archive` found, and how much it checked."""

    problems: list[str] = field(default_factory=list)
    articles: int = 0
    fetches: int = 0
    snapshots: int = 0


def verify_archive(
    conn: sqlite3.Connection,
    progress: Callable[[Iterable, int], Iterable] = lambda rows, _total: rows,
) -> VerifyReport:
    """Every check over the archive; `progress(rows, total)` wraps the snapshot loop."""
    report = VerifyReport()
    problems = report.problems
    for (line,) in conn.execute("PRAGMA integrity_check"):
        if line != "ok":
            problems.append(f"integrity_check: {line}")
    for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
        problems.append(f"{table} row {rowid}: no matching {parent} row")
    codec = SnapshotCodec(conn)
    (report.snapshots,) = conn.execute("SELECT count(*) FROM snapshots").fetchone()
    cur = conn.execute("SELECT hash, size, data, dict_id, compression FROM snapshots")
    for digest, size, data, dict_id, compression in progress(cur, report.snapshots):
        try:
            body = codec.decompress(data, dict_id, compression)
        except ArchiveError as exc:
            problems.append(f"snapshot {digest}: {exc}")
            continue
        if sha256_hex(body) != digest or len(body) != size:
            problems.append(f"snapshot {digest}: content does not match its hash")
    for fetch_id, url in conn.execute(
        "SELECT f.id, f.url FROM fetches f LEFT JOIN snapshots s ON s.hash = f.snapshot_hash"
        " WHERE s.hash IS NULL"
    ):
        problems.append(f"fetch {fetch_id} ({url}): its snapshot is missing")
    problems += _article_problems(conn)
    (report.articles,) = conn.execute("SELECT count(*) FROM articles").fetchone()
    (report.fetches,) = conn.execute("SELECT count(*) FROM fetches").fetchone()
    return report


def _article_problems(conn: sqlite3.Connection) -> list[str]:
    problems = []
    rows = conn.execute(
        "SELECT a.article_id, a.version, a.record_hash, a.page_count, a.complete,"
        " v.record, v.record_hash,"
        " (SELECT count(*) FROM sections s WHERE s.article_id = a.article_id),"
        " (SELECT count(*) FROM images i WHERE i.article_id = a.article_id),"
        " (SELECT count(DISTINCT page) FROM fetches f WHERE f.article_id = a.article_id"
        "   AND f.status IN (200, 304)),"
        " (SELECT count(*) FROM versions w WHERE w.article_id = a.article_id)"
        " FROM articles a LEFT JOIN versions v"
        " ON v.article_id = a.article_id AND v.version = a.version"
    )
    for (
        aid,
        version,
        digest,
        page_count,
        complete,
        record,
        vdigest,
        n_sec,
        n_img,
        n_pages,
        n_ver,
    ) in rows:  # noqa: E501
        if record is None:
            problems.append(f"article {aid}: version {version} is missing")
            continue
        if vdigest != digest:
            problems.append(f"article {aid}: record hash differs from version {version}")
        if n_ver != version:
            problems.append(f"article {aid}: {n_ver} versions stored, expected {version}")
        rec = json.loads(record)
        if n_sec != len(rec.get("sections") or []):
            problems.append(
                f"article {aid}: {n_sec} sections stored, record has {len(rec['sections'])}"
            )
        if n_img != len(rec.get("images") or []):
            problems.append(
                f"article {aid}: {n_img} images stored, record has {len(rec['images'])}"
            )
        if n_pages < (page_count if complete else 1):
            problems.append(f"article {aid}: {n_pages} pages fetched, expected {page_count}")
    return problems
