"""Exports of the archive: JSON Lines of records, CSV of flat fields, WARC 1.1 of every fetch."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from http.client import responses
from io import BytesIO
from typing import IO, Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ehz_scraper.storage.snapshots import SnapshotCodec

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
# The stored body is what Scrapy handed over: transfer- and content-decoded. Headers that
# describe another encoding or length would make the WARC record lie about its payload.
_DROP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
REVISIT_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


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


def _http_headers(status: int, headers: list[list[str]]) -> StatusAndHeaders:
    kept = [(k, v) for k, v in headers if k.lower() not in _DROP_HEADERS]
    return StatusAndHeaders(f"{status} {responses.get(status, '')}".strip(), kept, "HTTP/1.1")


def write_warc(conn, out: IO[bytes], since=None, until=None, progress=None, gzip=False) -> int:
    """One WARC `response` per first fetch of a snapshot, `revisit` for every re-fetch.

    Fetches are written in the order they were made; a fetch whose bytes were already
    written (an unchanged page, or a 304) refers to the first record by its payload digest.
    """
    codec = SnapshotCodec(conn)
    writer = WARCWriter(out, gzip=gzip, warc_version="WARC/1.1")
    first: dict[str, tuple[str, str, str]] = {}  # snapshot hash -> (uri, date, payload digest)
    where, params = _date_filter(since, until)
    if where:
        sql = (
            "SELECT f.url, f.fetched_at, f.status, f.headers, f.snapshot_hash FROM fetches f"
            f" JOIN articles a ON a.article_id = f.article_id{where} ORDER BY f.id"
        )
    else:
        sql = "SELECT url, fetched_at, status, headers, snapshot_hash FROM fetches ORDER BY id"
    n = 0
    for url, fetched_at, status, headers_json, digest in conn.execute(sql, params):
        headers = json.loads(headers_json)
        warc_date = fetched_at  # already ISO 8601 UTC with a Z, as WARC-Date wants
        if digest in first:
            ref_uri, ref_date, payload_digest = first[digest]
            profile = REVISIT_NOT_MODIFIED if status == 304 else REVISIT_IDENTICAL
            record = writer.create_revisit_record(
                url,
                digest=payload_digest,
                refers_to_uri=ref_uri,
                refers_to_date=ref_date,
                http_headers=_http_headers(status, headers),
                warc_headers_dict={"WARC-Date": warc_date, "WARC-Profile": profile},
            )
            # warcio sets the identical-payload profile; the 304 profile must win when used.
            record.rec_headers.replace_header("WARC-Profile", profile)
        else:
            body = codec.read(digest)
            record = writer.create_warc_record(
                url,
                "response",
                payload=BytesIO(body),
                length=len(body),
                http_headers=_http_headers(200 if status == 304 else status, headers),
                warc_headers_dict={"WARC-Date": warc_date},
            )
            first[digest] = (url, warc_date, record.rec_headers.get_header("WARC-Payload-Digest"))
        writer.write_record(record)
        n += 1
        if progress:
            progress.update(1)
    return n


def count_fetches(conn: sqlite3.Connection, since: str | None, until: str | None) -> int:
    where, params = _date_filter(since, until)
    if not where:
        return conn.execute("SELECT count(*) FROM fetches").fetchone()[0]
    return conn.execute(
        f"SELECT count(*) FROM fetches f JOIN articles a ON a.article_id = f.article_id{where}",
        params,
    ).fetchone()[0]
