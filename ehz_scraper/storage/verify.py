"""`ehz verify`'s checks: SQLite integrity, foreign keys, dictionaries, snapshot hashes, fetch
blobs, article consistency.

Each check survives a damaged file (sqlite3.DatabaseError): what it could not read becomes a
finding, and the next check runs, so a corrupted archive gets every finding there is to get.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

from ehz_scraper.errors import ArchiveError
from ehz_scraper.storage.schema import BUSY_TIMEOUT_MS, connect_readonly
from ehz_scraper.storage.snapshots import SnapshotCodec, sha256_hex

Progress = Callable[[Iterable, int], Iterable]


@dataclass
class VerifyReport:
    """What `verify_archive` found, and how much it checked."""

    problems: list[str] = field(default_factory=list)
    articles: int = 0
    fetches: int = 0
    snapshots: int = 0


def open_damaged(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A read-only connection to a file that may be damaged (no schema check at all)."""
    if not Path(path).is_file():
        raise ArchiveError(f"no archive at {path}")
    conn = connect_readonly(path)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def verify_archive(
    conn: sqlite3.Connection, progress: Progress = lambda rows, _total: rows
) -> VerifyReport:
    """Every check over the archive; `progress(rows, total)` wraps the snapshot loop."""
    report = VerifyReport()
    for name, check in _CHECKS:
        try:
            check(conn, report, progress)
        except sqlite3.DatabaseError as exc:
            report.problems.append(f"{name}: stopped: {exc}")
    # Two queries of one check may stop at the same damage: say it once.
    report.problems = list(dict.fromkeys(report.problems))
    return report


def _rows(
    conn: sqlite3.Connection, sql: str, report: VerifyReport, name: str, params=()
) -> Iterator[tuple]:
    """The rows of `sql`; when the file gives out half-way, a finding and no more rows."""
    try:
        yield from conn.execute(sql, params)
    except sqlite3.DatabaseError as exc:
        report.problems.append(f"{name}: could not read every row: {exc}")


def _integrity(conn, report, _progress) -> None:
    try:
        lines = [line for (line,) in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        # The whole-file check gave up: check table by table, to say which are damaged.
        report.problems.append(f"integrity_check: stopped: {exc}")
        tables = _rows(
            conn, "SELECT name FROM sqlite_master WHERE type = 'table'", report, "sqlite_master"
        )
        for (table,) in list(tables):
            try:
                quoted = table.replace("'", "''")
                found = [line for (line,) in conn.execute(f"PRAGMA integrity_check('{quoted}')")]
            except sqlite3.DatabaseError as table_exc:
                report.problems.append(f"integrity_check {table}: stopped: {table_exc}")
                continue
            lines = [line for line in _lines(found) if line != "ok"]
            report.problems += [f"integrity_check {table}: {line}" for line in lines]
        return
    report.problems += [f"integrity_check: {line}" for line in _lines(lines) if line != "ok"]


def _lines(results: list[str]) -> list[str]:
    # One result of integrity_check may hold several lines ("*** in database main ***\n...").
    return [part for text in results for part in str(text).splitlines() if part.strip()]


def _foreign_keys(conn, report, _progress) -> None:
    for table, rowid, parent, _ in _rows(conn, "PRAGMA foreign_key_check", report, "foreign keys"):
        report.problems.append(f"{table} row {rowid}: no matching {parent} row")


def _dictionaries(conn, report, _progress) -> None:
    for dict_id, data in _rows(conn, "SELECT id, dict FROM zstd_dicts", report, "zstd_dicts"):
        try:
            zstandard.ZstdCompressionDict(data).dict_id()
        except (zstandard.ZstdError, TypeError) as exc:
            report.problems.append(f"zstd dictionary {dict_id}: unusable: {exc}")
    missing = _rows(
        conn,
        "SELECT dict_id, count(*) FROM snapshots WHERE dict_id IS NOT NULL"
        " AND dict_id NOT IN (SELECT id FROM zstd_dicts) GROUP BY dict_id",
        report,
        "zstd_dicts",
    )
    for dict_id, count in missing:
        report.problems.append(
            f"zstd dictionary {dict_id} is missing: {count} snapshots cannot be read"
        )


def _snapshots(conn, report, progress) -> None:
    codec = SnapshotCodec(conn)
    total = next(_rows(conn, "SELECT count(*) FROM snapshots", report, "snapshots"), (0,))[0]
    rows = progress(_snapshot_rows(conn, report), total)
    for digest, size, data, dict_id, compression, _rowid in rows:
        report.snapshots += 1
        try:
            body = codec.decompress(data, dict_id, compression)
        except ArchiveError as exc:
            report.problems.append(f"snapshot {digest}: {exc}")
            continue
        if sha256_hex(body) != digest or len(body) != size:
            report.problems.append(f"snapshot {digest}: content does not match its hash")


def _snapshot_rows(conn: sqlite3.Connection, report: VerifyReport) -> Iterator[tuple]:
    """Every readable snapshot row: one scan, and where the file gives out, row by row from
    there (by rowid), so one unreadable page of the file costs its own rows, not the rest."""
    sql = "SELECT hash, size, data, dict_id, compression, rowid FROM snapshots"
    last = 0
    try:
        for row in conn.execute(sql + " ORDER BY rowid"):
            last = row[5]
            yield row
        return
    except sqlite3.DatabaseError as exc:
        report.problems.append(f"snapshots: the scan stopped after row {last}: {exc}")
    # The rowids from the hash index (a b-tree of its own, the smallest that holds them), not
    # from the table's b-tree that just gave out.
    rest = _rows(conn, "SELECT rowid FROM snapshots", report, "snapshots")
    for rowid in sorted(r for (r,) in rest if r > last):
        try:
            yield conn.execute(sql + " WHERE rowid = ?", [rowid]).fetchone()
        except sqlite3.DatabaseError as exc:
            report.problems.append(f"snapshot row {rowid}: unreadable: {exc}")


def _fetch_blobs(conn, report, _progress) -> None:
    orphans = _rows(
        conn,
        "SELECT f.id, f.url FROM fetches f LEFT JOIN snapshots s ON s.hash = f.snapshot_hash"
        " WHERE s.hash IS NULL",
        report,
        "fetches",
    )
    for fetch_id, url in orphans:
        report.problems.append(f"fetch {fetch_id} ({url}): its snapshot is missing")


def _articles(conn, report, _progress) -> None:
    rows = _rows(
        conn,
        "SELECT a.article_id, a.version, a.record_hash, a.page_count, a.complete,"
        " v.record, v.record_hash,"
        " (SELECT count(*) FROM sections s WHERE s.article_id = a.article_id),"
        " (SELECT count(*) FROM images i WHERE i.article_id = a.article_id),"
        " (SELECT count(DISTINCT page) FROM fetches f WHERE f.article_id = a.article_id"
        "   AND f.status IN (200, 304)),"
        " (SELECT count(*) FROM versions w WHERE w.article_id = a.article_id)"
        " FROM articles a LEFT JOIN versions v"
        " ON v.article_id = a.article_id AND v.version = a.version",
        report,
        "articles",
    )
    for row in rows:
        report.problems += _article_problems(*row)


def _article_problems(
    aid, version, digest, page_count, complete, record, vdigest, n_sec, n_img, n_pages, n_ver
) -> list[str]:
    if record is None:
        return [f"article {aid}: version {version} is missing"]
    problems = []
    if vdigest != digest:
        problems.append(f"article {aid}: record hash differs from version {version}")
    if n_ver != version:
        problems.append(f"article {aid}: {n_ver} versions stored, expected {version}")
    try:
        rec = json.loads(record)
        sections, images = rec.get("sections") or [], rec.get("images") or []
    except (ValueError, TypeError, AttributeError):
        return [*problems, f"article {aid}: version {version} is not a JSON record"]
    if n_sec != len(sections):
        problems.append(f"article {aid}: {n_sec} sections stored, record has {len(sections)}")
    if n_img != len(images):
        problems.append(f"article {aid}: {n_img} images stored, record has {len(images)}")
    if n_pages < (page_count if complete else 1):
        problems.append(f"article {aid}: {n_pages} pages fetched, expected {page_count}")
    return problems


def _counts(conn, report, _progress) -> None:
    (report.articles,) = conn.execute("SELECT count(*) FROM articles").fetchone()
    (report.fetches,) = conn.execute("SELECT count(*) FROM fetches").fetchone()


_CHECKS = (
    ("integrity_check", _integrity),
    ("foreign keys", _foreign_keys),
    ("zstd_dicts", _dictionaries),
    ("snapshots", _snapshots),
    ("fetches", _fetch_blobs),
    ("articles", _articles),
    ("counts", _counts),
)
