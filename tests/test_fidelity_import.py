"""`ehz import`: WARCs back into an archive. The round trip (crawl -> WARC -> import into an
empty archive) keeps every fetch, snapshot and record; other crawlers' WARCs import too."""

from __future__ import annotations

import gzip
import sqlite3
from io import BytesIO
from pathlib import Path

from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ehz_scraper.cli import main
from tests.support.site_server import SITE_DIR

SITE = "https://www.ehangzhou.gov.cn"
TOWNS = "tests/fixtures/pages/01_three_page_towns"


def ehz(*args: str):
    return CliRunner().invoke(main, list(args))


def query(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


FETCHES = (
    "SELECT url, fetched_at, status, snapshot_hash, kind, fetch_url, headers, ip_address,"
    " protocol, content_encoding FROM fetches ORDER BY url, fetched_at, status, snapshot_hash"
)


def test_round_trip_keeps_every_fetch_snapshot_and_record(
    fidelity_archive, fidelity_exports, tmp_path
):
    db = tmp_path / "imported.db"
    result = ehz("import", str(fidelity_exports.warc), "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "imported 130 fetches from 1 WARC files (391 records); articles: 26 new, 0 changed,"
        " 10 unchanged, 1 failed\n"
    )
    crawled = fidelity_archive.db
    assert query(db, FETCHES) == query(crawled, FETCHES)
    for sql in (
        "SELECT hash, size, content_type FROM snapshots ORDER BY hash",
        "SELECT article_id, version, record_hash, record, complete FROM versions ORDER BY 1, 2",
        "SELECT article_id, complete, version, image_count FROM articles ORDER BY 1",
        "SELECT article_id, position, src, snapshot_hash FROM images ORDER BY 1, 2",
        "SELECT url, stage, reason FROM failures WHERE resolved = 0 ORDER BY url",
    ):
        assert query(db, sql) == query(crawled, sql), sql
    # Where each fetch came from.
    assert query(db, "SELECT DISTINCT warc_file FROM fetches") == [(fidelity_exports.warc.name,)]
    assert query(db, "SELECT count(DISTINCT warc_record_id) FROM fetches") == [(130,)]
    assert query(db, "SELECT spider, status FROM runs") == [("import", "finished")]
    # The imported archive exports the same records (ids derived from the fetch and the record
    # type); fetches made within one second may come in another order.
    again = tmp_path / fidelity_exports.warc.name
    assert ehz("export", "--db", str(db), "--format", "warc", "-o", str(again)).exit_code == 0
    assert sorted(record_ids(again)) == sorted(record_ids(fidelity_exports.warc))


def record_ids(path: Path) -> list[str]:
    with path.open("rb") as fh:
        return [r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(fh)]


def _response(writer, uri, body, headers, date, *, status="200 OK"):
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.0")
    return writer.create_warc_record(
        uri,
        "response",
        payload=BytesIO(body),
        length=len(body),
        http_headers=http,
        warc_headers_dict={"WARC-Date": date, "WARC-IP-Address": "203.0.113.7"},
    )


def foreign_warc(path: Path) -> bytes:
    """A WARC as another crawler writes it: http:// and no-www URLs, a gzipped body, a revisit
    by payload digest only, a DNS record and an off-site capture."""
    page1 = (Path(TOWNS) / "c_266285.htm").read_bytes()
    page2 = (Path(TOWNS) / "c_266285_2.htm").read_bytes()
    page3 = (Path(TOWNS) / "c_266285_3.htm").read_bytes()
    with path.open("wb") as out:
        w = WARCWriter(out, gzip=True)
        w.write_record(
            w.create_warc_record(
                "dns:ehangzhou.gov.cn",
                "resource",
                payload=BytesIO(b"ehangzhou.gov.cn. 300 IN A 203.0.113.7\n"),
                length=39,
                warc_content_type="text/dns",
            )
        )
        html = [("Content-Type", "text/html; charset=utf-8")]
        zipped = gzip.compress(page1, mtime=0)
        first = _response(
            w,
            "http://ehangzhou.gov.cn/2021-05/12/c_266285.htm",
            zipped,
            [*html, ("Content-Encoding", "gzip"), ("Content-Length", str(len(zipped)))],
            "2019-03-01T10:00:00Z",
        )
        w.write_record(first)
        for n, body in ((2, page2), (3, page3)):
            uri = f"http://www.ehangzhou.gov.cn/2021-05/12/c_266285_{n}.htm"
            w.write_record(_response(w, uri, body, html, "2019-03-01T10:00:01Z"))
        w.write_record(
            _response(w, "http://example.org/other.htm", b"<p>x</p>", html, "2019-03-01T10:00:02Z")
        )
        revisit = w.create_revisit_record(
            "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm",
            digest=first.rec_headers.get_header("WARC-Payload-Digest"),
            refers_to_uri="",
            refers_to_date="",
            http_headers=StatusAndHeaders("200 OK", html, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2019-04-01T10:00:00Z"},
        )
        w.write_record(revisit)
    return page1


def test_import_of_another_crawlers_warc(tmp_path):
    warc = tmp_path / "heritrix.warc.gz"
    page1 = foreign_warc(warc)
    db = tmp_path / "a.db"
    result = ehz("import", str(warc), "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "imported 4 fetches from 1 WARC files (6 records); articles: 1 new, 0 changed,"
        " 1 unchanged, 0 failed\n"
        "left out: 1 records (not on www.ehangzhou.gov.cn)\n"
    )
    url = f"{SITE}/2021-05/12/c_266285.htm"
    assert query(
        db,
        "SELECT url, fetched_at, status, content_encoding, protocol, ip_address FROM fetches"
        " WHERE page = 1 ORDER BY fetched_at",
    ) == [
        (url, "2019-03-01T10:00:00Z", 200, "gzip", "HTTP/1.0", "203.0.113.7"),
        (url, "2019-04-01T10:00:00Z", 200, None, "HTTP/1.1", None),
    ]
    show = CliRunner().invoke(main, ["show", "266285", "--html", "1", "--db", str(db)])
    assert show.stdout_bytes == page1  # stored decoded
    assert query(db, "SELECT title, page_count, complete FROM articles") == [
        ("Hangzhou honors nine characteristic towns", 3, 1)
    ]


def test_a_revisit_without_its_content_is_reported_and_exits_1(tmp_path):
    warc = tmp_path / "partial.warc"
    with warc.open("wb") as out:
        w = WARCWriter(out, gzip=False)
        w.write_record(
            w.create_revisit_record(
                f"{SITE}/2021-05/12/c_266285.htm",
                digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                refers_to_uri=f"{SITE}/2021-05/12/c_266285.htm",
                refers_to_date="2019-01-01T00:00:00Z",
                http_headers=StatusAndHeaders("304 Not Modified", [], protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": "2019-02-01T00:00:00Z"},
            )
        )
    result = ehz("import", str(warc), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"revisit without its content: {SITE}/2021-05/12/c_266285.htm at 2019-02-01T00:00:00Z",
        "1 revisits not imported: their content is in none of the files given nor in the archive",
    ]


def test_a_file_that_is_not_a_warc_is_one_line_and_exit_1(tmp_path):
    bogus = tmp_path / "notes.warc"
    bogus.write_bytes((SITE_DIR / "robots.txt").read_bytes())
    result = ehz("import", str(bogus), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bogus}: not a WARC file (")
    assert len(result.stderr.splitlines()) == 1
