"""What an archive holds and whether it is whole: the checks run after every fault and kill."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import zstandard

from ehz_scraper.storage.schema import connect_readonly


def connect(db: Path) -> sqlite3.Connection:
    # As the CLI reads: a WAL left by a killed crawl is recovered first (no write otherwise).
    conn = connect_readonly(db)
    conn.row_factory = sqlite3.Row
    return conn


def records(db: Path) -> dict[int, dict[str, Any]]:
    """{article_id: the current record} as stored in `versions`."""
    with connect(db) as conn:
        rows = conn.execute(
            "SELECT v.article_id, v.record FROM versions v JOIN articles a"
            " ON a.article_id = v.article_id AND a.version = v.version"
        ).fetchall()
    return {r[0]: json.loads(r[1]) for r in rows}


def failures(db: Path, run_id: int | None = None) -> dict[str, tuple[str, str]]:
    """{url: (stage, reason)} of open failures (of one run, when given)."""
    sql = "SELECT url, stage, reason FROM failures WHERE resolved = 0"
    args: list[Any] = []
    if run_id is not None:
        sql += " AND run_id = ?"
        args.append(run_id)
    with connect(db) as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute(sql, args)}


def finished_state(db: Path) -> dict[str, Any]:
    """What a finished archive holds, minus times: ids, records, completeness, failures."""
    with connect(db) as conn:
        complete = dict(conn.execute("SELECT article_id, complete FROM articles"))
        versions = dict(conn.execute("SELECT article_id, count(*) FROM versions GROUP BY 1"))
    return {
        "records": records(db),
        "complete": complete,
        "versions": versions,
        "failures": failures(db),
    }


def last_run(db: Path) -> dict[str, Any]:
    with connect(db) as conn:
        row = conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    return dict(row) if row else {}


def runs(db: Path) -> list[dict[str, Any]]:
    with connect(db) as conn:
        return [dict(r) for r in conn.execute("SELECT * FROM runs ORDER BY id")]


def listings(db: Path, run_id: int) -> list[tuple[str, int, str | None]]:
    with connect(db) as conn:
        rows = conn.execute(
            "SELECT url, page, stop_reason FROM listings WHERE run_id = ? ORDER BY id", [run_id]
        )
        return [tuple(r) for r in rows]


def snapshot_encoding(db: Path, url: str) -> str | None:
    """The encoding recorded for the snapshot last stored for a page URL."""
    with connect(db) as conn:
        row = conn.execute(
            "SELECT s.encoding FROM fetches f JOIN snapshots s ON s.hash = f.snapshot_hash"
            " WHERE f.url = ? ORDER BY f.id DESC LIMIT 1",
            [url],
        ).fetchone()
    return row[0] if row else None


def snapshot_bytes(db: Path, url: str) -> bytes | None:
    """The raw bytes last stored for a page URL (decompressed with the archive's dictionary)."""
    with connect(db) as conn:
        row = conn.execute(
            "SELECT s.data, s.dict_id FROM fetches f JOIN snapshots s ON s.hash = f.snapshot_hash"
            " WHERE f.url = ? ORDER BY f.id DESC LIMIT 1",
            [url],
        ).fetchone()
        if row is None:
            return None
        data, dict_id = row
        if dict_id is None:
            return zstandard.ZstdDecompressor().decompress(data)
        (raw_dict,) = conn.execute("SELECT dict FROM zstd_dicts WHERE id = ?", [dict_id]).fetchone()
        zdict = zstandard.ZstdCompressionDict(raw_dict)
        return zstandard.ZstdDecompressor(dict_data=zdict).decompress(data)


def has_schema(db: Path) -> bool:
    """False for a file a crawl created but was killed before its schema was committed."""
    with connect(db) as conn:
        return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0


def problems(db: Path) -> list[str]:
    """Everything that makes an archive less than whole; [] for a sound one.

    SQLite's integrity check; every article with its version row, all its sections and
    images as its record lists them, and a stored fetch of every page it names; every fetch
    with its blob; every blob matching its hash.
    """
    found: list[str] = []
    with connect(db) as conn:
        check = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if check != ["ok"]:
            found.append(f"integrity_check: {check[:3]}")
        for article_id, version, page_urls in conn.execute(
            "SELECT article_id, version, page_urls FROM articles"
        ):
            row = conn.execute(
                "SELECT record FROM versions WHERE article_id = ? AND version = ?",
                [article_id, version],
            ).fetchone()
            if row is None:
                found.append(f"article {article_id}: no version {version}")
                continue
            record = json.loads(row[0])
            for table in ("sections", "images"):  # one row per entry of the record's list
                n_rows = conn.execute(
                    f"SELECT count(*) FROM {table} WHERE article_id = ?", [article_id]
                ).fetchone()[0]
                if n_rows != len(record[table]):
                    found.append(f"article {article_id}: {n_rows} {table}, record has "
                                 f"{len(record[table])}")  # fmt: skip
            for url in json.loads(page_urls):
                if conn.execute("SELECT 1 FROM fetches WHERE url = ?", [url]).fetchone() is None:
                    found.append(f"article {article_id}: no fetch of its page {url}")
        orphans = conn.execute(
            "SELECT count(*) FROM fetches f LEFT JOIN snapshots s ON s.hash = f.snapshot_hash"
            " WHERE s.hash IS NULL"
        ).fetchone()[0]
        if orphans:
            found.append(f"{orphans} fetches without their blob")
        # A fetch is stored with its article or with its failure, never alone: an orphan is
        # the start of an article whose write was cut (a transaction that did not hold).
        stray = conn.execute(
            "SELECT count(*) FROM fetches f WHERE f.article_id IS NOT NULL"
            " AND f.article_id NOT IN (SELECT article_id FROM articles)"
            " AND f.article_id NOT IN (SELECT article_id FROM failures"
            "   WHERE article_id IS NOT NULL)"
        ).fetchone()[0]
        if stray:
            found.append(f"{stray} fetches of no article and no failure")
        versions_without_article = conn.execute(
            "SELECT count(*) FROM versions v LEFT JOIN articles a ON a.article_id = v.article_id"
            " WHERE a.article_id IS NULL"
        ).fetchone()[0]
        if versions_without_article:
            found.append(f"{versions_without_article} versions without their article")
    return found


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def article_row(db: Path, article_id: int) -> dict[str, Any]:
    with connect(db) as conn:
        row = conn.execute("SELECT * FROM articles WHERE article_id = ?", [article_id]).fetchone()
    return dict(row) if row else {}
