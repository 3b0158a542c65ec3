"""WACZ export: the WARC export, its CDXJ index, the article pages and a datapackage, zipped.

The index resolves every revisit of a URL to the response record of the content it stands
for, at the revisit's own time: pywb replays a `server-not-modified` revisit as an empty 304
(it takes the revisit's own HTTP head), so the newest capture of a page that a refresh
crawl confirmed would be blank. The WARC keeps the revisit (that is what happened); the
index says what a reader should see then. `cdxj_lines` is also how a plain WARC export gets
such an index for pywb (`ehz export --format warc --cdxj FILE`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import surt

from ehz_scraper import __version__
from ehz_scraper.storage.warc import (
    WarcFilter,
    WarcInfo,
    WarcResult,
    article_pages,
    write_warc,
)

WACZ_VERSION = "1.1.1"
WARC_NAME = "data.warc.gz"


def _timestamp(iso: str) -> str:
    return "".join(ch for ch in iso if ch.isdigit())[:14].ljust(14, "0")


def cdxj_lines(result: WarcResult, filename: str) -> list[str]:
    """Sorted CDXJ lines (pywb's format) for the captures of one WARC export.

    A revisit of the same URL is indexed as the response it refers to (offset, length,
    status and type of that record) when that record is in the same file.
    """
    by_id = {c["record_id"]: c for c in result.captures if c["record_type"] == "response"}
    lines = []
    for cap in result.captures:
        target = cap
        if cap["record_type"] == "revisit":
            ref = by_id.get(cap["refers_to"])
            if ref is not None and ref["url"] == cap["url"]:
                target = ref
        fields = {
            "url": cap["url"],
            "mime": target["mime"] if target is not cap else "warc/revisit",
            "status": str(target["status"]),
            "digest": cap["digest"],
            "length": str(target["length"]),
            "offset": str(target["offset"]),
            "filename": filename,
        }
        if target is cap and cap["record_type"] == "response":
            fields["mime"] = cap["mime"]
        lines.append(f"{surt.surt(cap['url'])} {_timestamp(cap['date'])} {json.dumps(fields)}\n")
    return sorted(lines)


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class WaczResult:
    records: int
    pages: int
    index_lines: int


def write_wacz(
    conn: sqlite3.Connection,
    path: str | Path,
    flt: WarcFilter,
    info: WarcInfo,
    *,
    progress: Any = None,
) -> WaczResult:
    """Write FILE.wacz (through a temporary file, renamed when complete)."""
    path = Path(path)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        warc_path = Path(tmp) / WARC_NAME
        info.filename = WARC_NAME
        with warc_path.open("wb") as out:
            result = write_warc(conn, out, flt, info, gzip=True, progress=progress)
        index = "".join(cdxj_lines(result, WARC_NAME)).encode("utf-8")
        pages = [
            {k: page[k] for k in ("id", "url", "title", "ts")} for page in article_pages(conn, flt)
        ]
        header = {"format": "json-pages-1.0", "id": "pages", "title": "Articles"}
        pages_bytes = "".join(
            json.dumps(p, ensure_ascii=False) + "\n" for p in [header, *pages]
        ).encode("utf-8")
        warc_bytes = warc_path.read_bytes()
        members = [
            (f"archive/{WARC_NAME}", warc_bytes, zipfile.ZIP_STORED),
            ("indexes/index.cdx", index, zipfile.ZIP_DEFLATED),
            ("pages/pages.jsonl", pages_bytes, zipfile.ZIP_DEFLATED),
        ]
        newest = max((c["date"] for c in result.captures), default="1970-01-01T00:00:00Z")
        package = {
            "profile": "data-package",
            "resources": [
                {
                    "name": os.path.basename(name),
                    "path": name,
                    "hash": _digest(data),
                    "bytes": len(data),
                }
                for name, data, _ in members
            ],
            "title": "ehz: the archive of www.ehangzhou.gov.cn",
            "mainPageURL": "https://www.ehangzhou.gov.cn/",
            "created": newest,
            "wacz_version": WACZ_VERSION,
            "software": f"ehz-scraper/{__version__}",
        }
        package_bytes = json.dumps(package, indent=2).encode("utf-8")
        digest_bytes = json.dumps(
            {"path": "datapackage.json", "hash": _digest(package_bytes)}, indent=2
        ).encode("utf-8")
        partial = Path(tmp) / "out.wacz"
        # The WACZ itself is stored, not deflated (the spec: its WARCs must be seekable).
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as zf:
            for name, data, compression in [
                *members,
                ("datapackage.json", package_bytes, zipfile.ZIP_DEFLATED),
                ("datapackage-digest.json", digest_bytes, zipfile.ZIP_DEFLATED),
            ]:
                entry = zipfile.ZipInfo(name, date_time=_zip_time(newest))
                entry.compress_type = compression
                zf.writestr(entry, data)
        os.replace(partial, path)
    return WaczResult(result.records, len(pages), index.count(b"\n"))


def _zip_time(iso: str) -> tuple[int, int, int, int, int, int]:
    ts = _timestamp(iso)
    parts = (ts[0:4], ts[4:6], ts[6:8], ts[8:10], ts[10:12], ts[12:14])
    year, month, day, hour, minute, second = (int(p) for p in parts)
    return (max(year, 1980), max(month, 1), max(day, 1), hour, minute, second)
