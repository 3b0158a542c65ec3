"""Exports of the archive: JSON Lines of records, CSV of flat fields (WARC: storage.warc)."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from typing import IO, Any

from ehz_scraper.items import in_record_order
from ehz_scraper.storage.published import published
from ehz_scraper.storage.queries import last_seen_before_next

CSV_FIELDS = (
    "article_id",
    "url",
    "title",
    "date",
    "published_date",
    "published_at",
    "date_text",
    "source",
    "byline",
    "section",
    "page_count",
    "image_count",
    "complete",
    "version",
    "first_seen",
    "last_seen",
    "last_changed",
    "extraction_method",
    "body_text",
)
# Excel reads a CSV file as the local code page unless it starts with a UTF-8 byte order mark.
EXCEL_BOM = "\ufeff"


def _date_filter(
    since: str | None, until: str | None, section: str | None = None
) -> tuple[str, list[str]]:
    clauses, params = [], []
    if since:
        clauses.append("a.date >= ?")
        params.append(since)
    if until:
        clauses.append("substr(a.date, 1, 10) <= ?")
        params.append(until)
    if section:
        clauses.append("a.section = ? COLLATE NOCASE")
        params.append(section)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def count_articles(
    conn: sqlite3.Connection,
    since: str | None,
    until: str | None,
    section: str | None = None,
    all_versions: bool = False,
) -> int:
    where, params = _date_filter(since, until, section)
    if all_versions:
        return conn.execute(
            f"SELECT count(*) FROM articles a JOIN versions v USING (article_id){where}", params
        ).fetchone()[0]
    return conn.execute(f"SELECT count(*) FROM articles a{where}", params).fetchone()[0]


def iter_records(
    conn: sqlite3.Connection,
    since: str | None = None,
    until: str | None = None,
    section: str | None = None,
    all_versions: bool = False,
) -> Iterator[dict[str, Any]]:
    """The current record of each article (or every version), by article id and version.

    Each is the whole record in the extractor's field order, then what the archive knows
    of it (items.ARCHIVE_FIELDS): published_date, published_at, complete, version,
    first_seen, last_seen, version_first_seen.
    """
    where, params = _date_filter(since, until, section)
    if all_versions:
        sql = (
            "SELECT v.record, v.complete, v.version, a.first_seen,"
            " CASE WHEN v.version = a.version THEN a.last_seen END, v.first_seen, a.article_id"
            f" FROM articles a JOIN versions v ON v.article_id = a.article_id{where}"
            " ORDER BY a.article_id, v.version"
        )
    else:
        sql = (
            "SELECT v.record, a.complete, a.version, a.first_seen, a.last_seen, v.first_seen,"
            " a.article_id FROM articles a JOIN versions v"
            f" ON v.article_id = a.article_id AND v.version = a.version{where}"
            " ORDER BY a.article_id"
        )
    for text, complete, version, first_seen, last_seen, version_seen, article_id in conn.execute(
        sql, params
    ):
        record = in_record_order(json.loads(text))
        if last_seen is None:  # an older version: seen until the next one replaced it
            last_seen = last_seen_before_next(conn, article_id, version) or version_seen
        published_date, published_at = published(record.get("date"), record.get("url"))
        record.update(
            published_date=published_date,
            published_at=published_at,
            complete=bool(complete),
            version=version,
            first_seen=first_seen,
            last_seen=last_seen,
            version_first_seen=version_seen,
        )
        yield record


def write_jsonl(
    conn, out: IO[str], since=None, until=None, progress=None, *, section=None, all_versions=False
) -> int:
    n = 0
    for record in iter_records(conn, since, until, section, all_versions):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        n += 1
        if progress:
            progress.update(1)
    return n


# A cell a spreadsheet would run as a formula (OWASP, "CSV injection"): `=HYPERLINK(...)`
# in a title would leak data or run code when the file is opened.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse_cell(value: Any) -> Any:
    """A text cell that starts like a formula, prefixed with `'` (shown as text); else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def flat_row(record: dict[str, Any]) -> list[Any]:
    """A record of iter_records as the CSV columns (CSV_FIELDS), as `articles` would have them
    (for --all-versions: an older version has no `articles` row)."""
    values = {
        **record,
        "page_count": record.get("page_count") or len(record.get("page_urls") or []) or 1,
        "image_count": len(record.get("images") or []),
        "complete": int(record["complete"]),
        "last_changed": record["version_first_seen"],
        "extraction_method": (record.get("extraction") or {}).get("method") or "template",
    }
    return [values.get(field) for field in CSV_FIELDS]


def write_csv(
    conn,
    out: IO[str],
    since=None,
    until=None,
    progress=None,
    *,
    raw=False,
    section=None,
    all_versions=False,
    excel=False,
) -> int:
    """The flat fields of each record (CSV_FIELDS); formula-like cells defused unless `raw`.

    `excel`: a UTF-8 byte order mark first and CRLF line ends, which Excel needs to read the
    file as UTF-8 (Chinese names garble without it).
    """
    if excel:
        out.write(EXCEL_BOM)
    writer = csv.writer(out, lineterminator="\r\n" if excel else "\n")
    writer.writerow(CSV_FIELDS)
    n = 0
    if all_versions:
        rows = (flat_row(r) for r in iter_records(conn, since, until, section, all_versions))
    else:
        # The current versions straight from `articles`, whose columns are CSV_FIELDS.
        where, params = _date_filter(since, until, section)
        cols = ", ".join(f"a.{f}" for f in CSV_FIELDS)
        rows = conn.execute(f"SELECT {cols} FROM articles a{where} ORDER BY a.article_id", params)
    for row in rows:
        writer.writerow(row if raw else [defuse_cell(v) for v in row])
        n += 1
        if progress:
            progress.update(1)
    return n
