"""Exports of the archive: JSON Lines of records, CSV of flat fields (WARC: storage.warc)."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from typing import IO, Any

CSV_FIELDS = (
    "article_id",
    "url",
    "title",
    "date",
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


def _date_filter(since: str | None, until: str | None) -> tuple[str, list[str]]:
    clauses, params = [], []
    if since:
        clauses.append("a.date >= ?")
        params.append(since)
    if until:
        clauses.append("substr(a.date, 1, 10) <= ?")
        params.append(until)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def count_articles(conn: sqlite3.Connection, since: str | None, until: str | None) -> int:
    where, params = _date_filter(since, until)
    return conn.execute(f"SELECT count(*) FROM articles a{where}", params).fetchone()[0]


def iter_records(
    conn: sqlite3.Connection, since: str | None = None, until: str | None = None
) -> Iterator[dict[str, Any]]:
    """The current record of each article (every field of the record), by article id."""
    where, params = _date_filter(since, until)
    cur = conn.execute(
        "SELECT v.record FROM articles a JOIN versions v"
        f" ON v.article_id = a.article_id AND v.version = a.version{where}"
        " ORDER BY a.article_id",
        params,
    )
    for (text,) in cur:
        yield json.loads(text)


def write_jsonl(conn, out: IO[str], since=None, until=None, progress=None) -> int:
    n = 0
    for record in iter_records(conn, since, until):
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


def write_csv(conn, out: IO[str], since=None, until=None, progress=None, raw=False) -> int:
    """Flat fields, one article a row; formula-like cells defused unless `raw`."""
    where, params = _date_filter(since, until)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    n = 0
    cols = ", ".join(f"a.{f}" for f in CSV_FIELDS)
    for row in conn.execute(f"SELECT {cols} FROM articles a{where} ORDER BY a.article_id", params):
        writer.writerow(row if raw else [defuse_cell(v) for v in row])
        n += 1
        if progress:
            progress.update(1)
    return n
