"""WARC 1.1 export of the archive's fetches, the way archivists' tools (warcio, pywb) expect it.

- a `warcinfo` record first (software, format, operator, user agent, robots policy, and the
  articles as Webrecorder's `json-metadata` page list, which `wacz create` reads);
- per fetch a `request` record and a `response` (the URL's first copy of its content in the
  file) or a `revisit` (`identical-payload-digest` for an unchanged re-fetch,
  `server-not-modified` for a 304), tied together by `WARC-Concurrent-To`; a mirror crawl
  adds a `metadata` record naming the URL actually fetched;
- record ids are UUIDs derived from the fetch, so the same archive exports the same ids;
- every WARC header is written once (the records' headers are built here, not by warcio);
- a body that was stored decoded (`fetches.content_encoding`) is written with the headers
  that describe it: `Content-Encoding`, `Content-Length` and `Transfer-Encoding` as received
  are moved into one `WARC-EHZ-Removed-Headers` field (JSON `[position, name, value]` lists,
  the position in the headers as received) and a true `Content-Length` is appended.

`write_warc` returns, besides the count, the CDXJ lines of what it wrote (see `cdxj_lines`):
the index shipped in the WACZ, where a 304 resolves to the content it confirmed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.client import responses
from io import BytesIO
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ehz_scraper import __version__
from ehz_scraper.storage.snapshots import SnapshotCodec

REVISIT_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
# Names the record ids: uuid5(_NAMESPACE, "<record type> <fetch key>").
_NAMESPACE = uuid.UUID("6f6b1f5e-2a54-5d3e-9a57-0e6c7a1e4f12")
# Describe the body as received; wrong for a body that was stored decoded.
_ENCODING_HEADERS = ("content-encoding", "content-length", "transfer-encoding")

_FETCH_COLUMNS = (
    "id, run_id, url, fetch_url, fetched_at, status, headers, snapshot_hash, kind, method,"
    " protocol, reason, request_headers, ip_address, content_encoding"
)


@dataclass(frozen=True)
class WarcFilter:
    """Which fetches to export: by article date (the pages of the articles dated so and the
    images they show), by the time of capture, or by run."""

    since: str | None = None  # article date on or after
    until: str | None = None  # article date up to
    captured_since: str | None = None  # fetched at or after (ISO date or time, UTC)
    run: int | None = None

    def where(self) -> tuple[str, str, list[Any]]:
        """(join, where, params) over `fetches f`."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.since or self.until:
            dated, dated_params = [], []
            if self.since:
                dated.append("a.date >= ?")
                dated_params.append(self.since)
            if self.until:
                dated.append("substr(a.date, 1, 10) <= ?")
                dated_params.append(self.until)
            articles = "SELECT a.article_id FROM articles a WHERE " + " AND ".join(dated)
            # The articles' pages, and the images they show.
            clauses.append(
                f"(f.article_id IN ({articles}) OR f.url IN"
                f" (SELECT i.src FROM images i WHERE i.article_id IN ({articles})))"
            )
            params += dated_params * 2
        if self.captured_since:
            clauses.append("f.fetched_at >= ?")
            params.append(self.captured_since)
        if self.run is not None:
            clauses.append("f.run_id = ?")
            params.append(self.run)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return "", where, params


@dataclass
class WarcInfo:
    """What the warcinfo record says about the crawl."""

    operator: str
    user_agent: str
    robots: str  # "obey" or "ignore"
    filename: str | None = None


@dataclass
class _Written:
    """A response record already in the file: what revisits of its content refer to."""

    record_id: str
    uri: str
    date: str


@dataclass
class WarcResult:
    """What write_warc wrote: the number of records and one index entry per capture."""

    records: int = 0
    captures: list[dict[str, Any]] = field(default_factory=list)


def payload_digest(body: bytes) -> str:
    """The WARC payload digest of `body` (SHA-1, base32), as warcio and pywb compute it."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def record_id(record_type: str, key: str) -> str:
    """A record id derived from the fetch: the same fetch exports the same id."""
    return f"<urn:uuid:{uuid.uuid5(_NAMESPACE, f'{record_type} {key}')}>"


def fetch_key(row: dict[str, Any]) -> str:
    """What identifies a fetch across archives (an export imported elsewhere keeps it)."""
    return f"{row['url']} {row['fetched_at']} {row['status']} {row['snapshot_hash']}"


def count_fetches(conn: sqlite3.Connection, flt: WarcFilter) -> int:
    join, where, params = flt.where()
    return conn.execute(f"SELECT count(*) FROM fetches f{join}{where}", params).fetchone()[0]


def _fetch_rows(conn: sqlite3.Connection, flt: WarcFilter) -> Iterator[dict[str, Any]]:
    join, where, params = flt.where()
    cols = ", ".join(f"f.{c.strip()}" for c in _FETCH_COLUMNS.split(","))
    # In the order they were made (an article's pages are written with the article, after
    # responses that arrived meanwhile: the time orders them, the id breaks ties).
    cur = conn.execute(
        f"SELECT {cols} FROM fetches f{join}{where} ORDER BY f.fetched_at, f.id", params
    )
    names = [c.strip() for c in _FETCH_COLUMNS.split(",")]
    for row in cur:
        yield dict(zip(names, row, strict=True))


def _first_responses(conn: sqlite3.Connection) -> dict[tuple[str, str], dict[str, Any]]:
    """Per URL and snapshot, the archive's first fetch that served it (what a 304 whose
    content was captured before the exported range refers to)."""
    names = [c.strip() for c in _FETCH_COLUMNS.split(",")]
    cols = ", ".join(f"f.{n}" for n in names)
    rows = conn.execute(
        f"SELECT {cols} FROM fetches f JOIN (SELECT min(id) AS id FROM fetches"
        " WHERE status != 304 GROUP BY url, snapshot_hash) m ON m.id = f.id"
    )
    found = (dict(zip(names, row, strict=True)) for row in rows)
    return {(r["url"], r["snapshot_hash"]): r for r in found}


def http_head(row: dict[str, Any], body_length: int) -> tuple[StatusAndHeaders, list[list[str]]]:
    """The response's status line and headers as received, and the headers moved aside
    because the stored body was decoded."""
    headers = [tuple(pair) for pair in json.loads(row["headers"])]
    removed: list[list[Any]] = []
    if row["content_encoding"]:
        kept = []
        for position, (name, value) in enumerate(headers):
            if name.lower() in _ENCODING_HEADERS:
                removed.append([position, name, value])  # where it was: import puts it back
            else:
                kept.append((name, value))
        headers = [*kept, ("Content-Length", str(body_length))]
    status = row["status"]
    reason = row["reason"] or responses.get(status, "")
    protocol = row["protocol"] or "HTTP/1.1"
    return StatusAndHeaders(f"{status} {reason}".strip(), headers, protocol), removed


def _request_head(row: dict[str, Any]) -> StatusAndHeaders:
    sent = urlsplit(row["fetch_url"] or row["url"])
    path = (sent.path or "/") + (f"?{sent.query}" if sent.query else "")
    headers = [tuple(pair) for pair in json.loads(row["request_headers"] or "[]")]
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", sent.netloc))  # Twisted sends it; Scrapy does not list it
    protocol = row["protocol"] or "HTTP/1.1"
    # warcio writes a request line as `protocol statusline`: the method goes first.
    return StatusAndHeaders(f"{path} {protocol}", headers, row["method"] or "GET")


def _warc_headers(pairs: list[tuple[str, str]]) -> StatusAndHeaders:
    return StatusAndHeaders("", [(k, v) for k, v in pairs if v is not None], "WARC/1.1")


class _Counting:
    """A write-only stream that knows how many bytes went through (stdout cannot tell)."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.position = 0

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        self.out.flush()


class _Exporter:
    def __init__(self, conn: sqlite3.Connection, out: IO[bytes], gzip: bool, info: WarcInfo):
        self.conn = conn
        self.codec = SnapshotCodec(conn)
        self.out = _Counting(out)
        self.writer = WARCWriter(self.out, gzip=gzip, warc_version="WARC/1.1")
        self.info = info
        # (URL, snapshot hash) -> its response record. Revisits stay within a URL: pywb finds
        # the record a revisit stands for by the URL's own captures.
        self.written: dict[tuple[str, str], _Written] = {}
        self.archive_first = _first_responses(conn)
        self.seen_keys: dict[str, int] = {}
        self.result = WarcResult()
        self.warcinfo_id = ""

    def write(self, record) -> tuple[int, int]:
        start = self.out.tell()
        self.writer.write_record(record)
        self.result.records += 1
        return start, self.out.tell() - start

    def warcinfo(self, newest: str | None, count: int, pages: list[dict[str, str]]) -> None:
        fields = [
            ("software", f"ehz-scraper/{__version__} (warcio)"),
            ("format", "WARC File Format 1.1"),
            (
                "conformsTo",
                "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            ),
            ("operator", self.info.operator),
            ("http-header-user-agent", self.info.user_agent),
            ("robots", self.info.robots),
            ("isPartOf", "ehz: the archive of www.ehangzhou.gov.cn"),
            ("description", f"{count} fetches exported from an ehz archive"),
            # Webrecorder's page list (py-wacz, ReplayWeb.page read it): one entry per article.
            ("json-metadata", json.dumps({"type": "recording", "pages": pages})),
        ]
        body = "".join(f"{k}: {v}\r\n" for k, v in fields).encode("utf-8")
        self.warcinfo_id = record_id("warcinfo", f"{newest} {count} {self.info.filename}")
        headers = _warc_headers(
            [
                ("WARC-Type", "warcinfo"),
                ("WARC-Record-ID", self.warcinfo_id),
                ("WARC-Date", newest or "1970-01-01T00:00:00Z"),
                ("WARC-Filename", self.info.filename),
            ]
        )
        record = self.writer.create_warc_record(
            "",
            "warcinfo",
            payload=BytesIO(body),
            length=len(body),
            warc_content_type="application/warc-fields",
            warc_headers=headers,
        )
        self.write(record)

    def fetch(self, row: dict[str, Any]) -> None:
        key = fetch_key(row)
        n = self.seen_keys.get(key, 0)
        self.seen_keys[key] = n + 1
        if n:
            key = f"{key} #{n}"  # two fetches alike to the second: keep their ids apart
        url, date, digest = row["url"], row["fetched_at"], row["snapshot_hash"]
        body = self.codec.read(digest)
        http, removed = http_head(row, len(body))
        common = [
            ("WARC-Target-URI", url),
            ("WARC-Date", date),
            ("WARC-Warcinfo-ID", self.warcinfo_id),
            ("WARC-IP-Address", row["ip_address"]),
        ]
        earlier = self.written.get((url, digest))
        if row["status"] == 304:
            first = self.archive_first.get((url, digest))
            if earlier is None and first is not None:
                earlier = _Written(
                    record_id("response", fetch_key(first)), first["url"], first["fetched_at"]
                )
        as_revisit = earlier is not None and (row["status"] == 304 or len(body) > 0)
        if as_revisit:
            assert earlier is not None
            main_id = record_id("revisit", key)
            profile = REVISIT_NOT_MODIFIED if row["status"] == 304 else REVISIT_IDENTICAL
            headers = _warc_headers(
                [
                    ("WARC-Type", "revisit"),
                    ("WARC-Record-ID", main_id),
                    *common,
                    ("WARC-Profile", profile),
                    ("WARC-Refers-To", earlier.record_id),
                    ("WARC-Refers-To-Target-URI", earlier.uri),
                    ("WARC-Refers-To-Date", earlier.date),
                    ("WARC-Payload-Digest", payload_digest(body)),
                    ("WARC-EHZ-Removed-Headers", json.dumps(removed) if removed else None),
                ]
            )
            record = self.writer.create_warc_record(
                url, "revisit", http_headers=http, warc_headers=headers
            )
        else:
            main_id = record_id("response", key)
            headers = _warc_headers(
                [
                    ("WARC-Type", "response"),
                    ("WARC-Record-ID", main_id),
                    *common,
                    ("WARC-Payload-Digest", payload_digest(body)),
                    ("WARC-EHZ-Removed-Headers", json.dumps(removed) if removed else None),
                ]
            )
            record = self.writer.create_warc_record(
                url,
                "response",
                payload=BytesIO(body),
                length=len(body),
                http_headers=http,
                warc_headers=headers,
            )
        request = self.writer.create_warc_record(
            url,
            "request",
            http_headers=_request_head(row),
            warc_headers=_warc_headers(
                [
                    ("WARC-Type", "request"),
                    ("WARC-Record-ID", record_id("request", key)),
                    *common[:3],
                    ("WARC-Concurrent-To", main_id),
                ]
            ),
        )
        offset, length = self.write(record)
        if not as_revisit and (url, digest) not in self.written:
            self.written[(url, digest)] = _Written(main_id, url, date)
        self.write(request)
        if row["fetch_url"]:
            self.metadata(row, url, date, main_id, key)
        self.result.captures.append(
            {
                "url": url,
                "date": date,
                "status": row["status"],
                "mime": _mime(http),
                "digest": payload_digest(body),
                "offset": offset,
                "length": length,
                "record_type": "revisit" if as_revisit else "response",
                "refers_to": earlier.record_id if as_revisit and earlier else None,
                "record_id": main_id,
            }
        )

    def metadata(self, row: dict[str, Any], url: str, date: str, main_id: str, key: str) -> None:
        body = f"fetch-url: {row['fetch_url']}\r\nvia: mirror of {url}\r\n".encode()
        headers = _warc_headers(
            [
                ("WARC-Type", "metadata"),
                ("WARC-Record-ID", record_id("metadata", key)),
                ("WARC-Target-URI", url),
                ("WARC-Date", date),
                ("WARC-Warcinfo-ID", self.warcinfo_id),
                ("WARC-Concurrent-To", main_id),
            ]
        )
        record = self.writer.create_warc_record(
            url,
            "metadata",
            payload=BytesIO(body),
            length=len(body),
            warc_content_type="application/warc-fields",
            warc_headers=headers,
        )
        self.write(record)


def article_pages(conn: sqlite3.Connection, flt: WarcFilter) -> list[dict[str, str]]:
    """Each article whose page 1 the export serves: its URL, title and first served capture
    (`timestamp` as 14 digits, `ts` as ISO 8601), by article id."""
    _, where, params = flt.where()
    served = f"{where} AND" if where else " WHERE"
    rows = conn.execute(
        "SELECT a.article_id, a.url, a.title, min(f.fetched_at) FROM articles a"
        f" JOIN fetches f ON f.url = a.url{served} f.status = 200"
        " GROUP BY a.article_id ORDER BY a.article_id",
        params,
    )
    return [
        {
            "id": str(aid),
            "url": url,
            "title": title,
            "ts": ts,
            "timestamp": "".join(ch for ch in ts if ch.isdigit()),
        }
        for aid, url, title, ts in rows
    ]


def _mime(http: StatusAndHeaders) -> str:
    value = http.get_header("Content-Type") or ""
    return value.split(";")[0].strip().lower() or "unk"


def write_warc(
    conn: sqlite3.Connection,
    out: IO[bytes],
    flt: WarcFilter,
    info: WarcInfo,
    *,
    gzip: bool = False,
    progress: Any = None,
) -> WarcResult:
    """Every fetch `flt` selects, in the order they were made, as WARC 1.1 records."""
    join, where, params = flt.where()
    newest, count = conn.execute(
        f"SELECT max(f.fetched_at), count(*) FROM fetches f{join}{where}", params
    ).fetchone()
    exporter = _Exporter(conn, out, gzip, info)
    exporter.warcinfo(newest, count, article_pages(conn, flt))
    for row in _fetch_rows(conn, flt):
        exporter.fetch(row)
        if progress:
            progress.update(1)
    return exporter.result
