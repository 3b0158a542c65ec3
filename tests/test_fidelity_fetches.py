"""Every response is a fetch with a snapshot, kept as received (issue 12): real crawls of the
fixture site with images on, read back from the archive file."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from ehz_scraper.cli import main
from ehz_scraper.settings import USER_AGENT
from ehz_scraper.storage.snapshots import SnapshotCodec
from tests.support.crawling import MANIFEST, crawl
from tests.support.site_server import SITE_DIR, SiteServer

SITE = "https://www.ehangzhou.gov.cn"
LATEST = MANIFEST["sections"]["Latest"]


def rows(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def site_bytes(url: str) -> bytes:
    path = url.removeprefix(SITE + "/") or "index.html"
    return (SITE_DIR / path).read_bytes()


def test_home_listings_and_robots_are_not_thrown_away(fidelity_archive):
    """Regression: only article pages were kept; home, listings and robots.txt were dropped."""
    db = fidelity_archive.db
    first, refresh = rows(db, "SELECT id FROM runs ORDER BY id")
    by_run = rows(
        db,
        "SELECT run_id, kind, url FROM fetches WHERE kind IN ('home', 'listing', 'robots')"
        " ORDER BY run_id, id",
    )
    # The incremental refresh stops on listing page 1 (nothing new there).
    assert [(r, k, u) for r, k, u in by_run] == [
        (first[0], "robots", f"{SITE}/robots.txt"),
        (first[0], "home", f"{SITE}/"),
        (first[0], "listing", LATEST["listing_urls"][0]),
        (first[0], "listing", LATEST["listing_urls"][1]),
        (first[0], "listing", LATEST["listing_urls"][2]),
        (refresh[0], "robots", f"{SITE}/robots.txt"),
        (refresh[0], "home", f"{SITE}/"),
        (refresh[0], "listing", LATEST["listing_urls"][0]),
    ]
    conn = sqlite3.connect(db)
    codec = SnapshotCodec(conn)
    for url in (f"{SITE}/", f"{SITE}/robots.txt", *LATEST["listing_urls"]):
        (digest,) = conn.execute(
            "SELECT snapshot_hash FROM fetches WHERE url = ? ORDER BY id LIMIT 1", [url]
        ).fetchone()
        assert codec.read(digest) == site_bytes(url), url
    conn.close()


def test_fetches_by_kind_and_status(fidelity_archive):
    """The whole of both runs: each page, image and error response is one fetch."""
    assert rows(
        fidelity_archive.db,
        "SELECT kind, status, count(*) FROM fetches GROUP BY kind, status ORDER BY kind, status",
    ) == [
        ("article", 200, 44),  # every page of the Latest articles, first run
        ("article", 304, 17),  # the refresh re-checks listing page 1's articles
        ("article", 404, 1),  # the real 404 (page 3 of the missing-page article), kept
        ("home", 200, 2),
        ("image", 200, 42),  # 41 article photos and the shared logo, once each
        ("image", 304, 18),  # the refresh: conditional GETs of the images it met again
        ("listing", 200, 4),
        ("robots", 200, 2),
    ]


def test_fetch_keeps_the_wire_details(fidelity_archive):
    (protocol, ip, request_headers, headers, encoding, fetch_url) = rows(
        fidelity_archive.db,
        "SELECT protocol, ip_address, request_headers, headers, content_encoding, fetch_url"
        " FROM fetches WHERE kind = 'robots' ORDER BY id LIMIT 1",
    )[0]
    assert (protocol, ip, encoding) == ("HTTP/1.1", "127.0.0.1", None)
    assert fetch_url == fidelity_archive.base_url + "robots.txt"
    sent = dict(json.loads(request_headers))
    assert sent["User-Agent"] == USER_AGENT
    assert sent["Accept-Encoding"] == "gzip, deflate, br, zstd"
    # In the order Scrapy hands them over (it title-cases names: "Etag").
    assert [name for name, _ in json.loads(headers)] == [
        "Content-Length",
        "Server",
        "Date",
        "Content-Type",
        "Etag",
        "Last-Modified",
    ]


def test_304_is_kept_and_points_at_the_content_it_confirmed(fidelity_archive):
    pairs = rows(
        fidelity_archive.db,
        "SELECT n.url, n.snapshot_hash = o.snapshot_hash, n.request_headers FROM fetches n"
        " JOIN fetches o ON o.url = n.url AND o.status = 200"
        " WHERE n.status = 304 ORDER BY n.id",
    )
    assert len(pairs) == 17 + 18
    assert all(same for _, same, _ in pairs)
    assert all("If-None-Match" in dict(json.loads(sent)) for _, _, sent in pairs)


def test_every_article_image_is_archived_and_linked(fidelity_archive):
    db = fidelity_archive.db
    linked = rows(
        db,
        "SELECT i.src, s.content_type, s.size, s.stored_size <= s.size FROM images i"
        " JOIN snapshots s ON s.hash = i.snapshot_hash ORDER BY i.src",
    )
    assert rows(db, "SELECT count(*), count(snapshot_hash) FROM images") == [(41, 41)]
    assert {src for src, *_ in linked} <= set(MANIFEST["images"])
    assert {ctype for _, ctype, _, _ in linked} == {"image/jpeg"}
    assert all(size == len(site_bytes(src)) and fits for src, _, size, fits in linked)
    # The logo, shown on every page, is fetched once and stored once.
    logo = f"{SITE}/img/logo.png"
    assert rows(
        db, "SELECT status, count(*) FROM fetches WHERE url = ? GROUP BY status", [logo]
    ) == [
        (200, 1),
        (304, 1),
    ]


def test_show_image_writes_the_stored_bytes(fidelity_archive):
    article_id, src = rows(
        fidelity_archive.db,
        "SELECT article_id, src FROM images WHERE position = 1 ORDER BY article_id LIMIT 1",
    )[0]
    result = CliRunner().invoke(
        main, ["show", str(article_id), "--image", "1", "--db", str(fidelity_archive.db)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == site_bytes(src)
    missing = CliRunner().invoke(
        main, ["show", str(article_id), "--image", "99", "--db", str(fidelity_archive.db)]
    )
    assert missing.exit_code == 1
    assert missing.stderr == f"Error: article {article_id} has no image 99\n"


ARTICLE = MANIFEST["sections"]["Latest"]["article_ids"][0]
ARTICLE_URL = MANIFEST["articles"][str(ARTICLE)]["url"]
ARTICLE_PATH = "/" + ARTICLE_URL.split("/", 3)[3]
MOVED = MANIFEST["sections"]["Latest"]["article_ids"][1]
MOVED_URL = MANIFEST["articles"][str(MOVED)]["url"]
MOVED_PATH = "/" + MOVED_URL.split("/", 3)[3]
BUSY = MANIFEST["sections"]["Latest"]["article_ids"][3]
BUSY_URL = MANIFEST["articles"][str(BUSY)]["url"]
BUSY_PATH = "/" + BUSY_URL.split("/", 3)[3]
OLD = MANIFEST["sections"]["Latest"]["article_ids"][2]
OLD_URL = MANIFEST["articles"][str(OLD)]["url"]
OLD_PATH = "/" + OLD_URL.split("/", 3)[3]


def test_gzip_redirect_hops_http_1_0_and_oversized_images(tmp_path):
    """A gzipped page is stored decoded with its Content-Encoding recorded; each redirect hop
    is a fetch with its Location; a retried 503 is a fetch with its error page; an HTTP/1.0
    status line stays HTTP/1.0; an image over
    EHZ_IMAGE_MAXSIZE is a recorded failure; `ehz verify` passes on the result."""
    db = tmp_path / "a.db"
    page = (SITE_DIR / ARTICLE_PATH.lstrip("/")).read_bytes()
    with SiteServer() as s:

        def gzipped(handler) -> bool:
            handler.send_body(200, gzip.compress(page, mtime=0), {"Content-Encoding": "gzip"})
            return True

        def moved(handler) -> bool:
            if handler.path.endswith("?moved"):
                return False  # the file itself
            handler.send_body(301, b"", {"Location": MOVED_PATH + "?moved"})
            return True

        def old_server(handler) -> bool:
            # An HTTP/1.0 server: the status line, headers and body written as they are.
            body = (SITE_DIR / OLD_PATH.lstrip("/")).read_bytes()
            head = f"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}"
            handler.server.log(handler, 200)
            handler._logged = True
            handler.wfile.write(head.encode() + b"\r\nX-Old: 1\r\n\r\n" + body)
            handler.close_connection = True
            return True

        s.behaviours[ARTICLE_PATH] = gzipped
        s.behaviours[MOVED_PATH] = moved
        busy = []

        def busy_once(handler) -> bool:
            if busy:
                return False  # the retry gets the file
            busy.append(1)
            handler.send_error_page(503)
            return True

        s.behaviours[OLD_PATH] = old_server
        s.behaviours[BUSY_PATH] = busy_once
        result = crawl(
            "article",
            s.base_url,
            db,
            f"url={ARTICLE_URL},{MOVED_URL},{OLD_URL},{BUSY_URL}",
            settings={"EHZ_IMAGES": "True", "EHZ_IMAGE_MAXSIZE": "300"},
        )
    assert result.returncode == 0, result.stderr[-3000:]
    stored = rows(
        db,
        "SELECT f.content_encoding, f.headers, s.size FROM fetches f"
        " JOIN snapshots s ON s.hash = f.snapshot_hash WHERE f.url = ?",
        [ARTICLE_URL],
    )
    assert len(stored) == 1
    encoding, headers, size = stored[0]
    assert (encoding, size) == ("gzip", len(page))
    assert ("Content-Encoding", "gzip") in [tuple(h) for h in json.loads(headers)]
    hops = rows(db, "SELECT url, status, kind, headers FROM fetches WHERE status = 301")
    assert [(u, st, k) for u, st, k, _ in hops] == [(MOVED_URL, 301, "article")]
    assert ("Location", MOVED_PATH + "?moved") in [tuple(h) for h in json.loads(hops[0][3])]
    # Regression: the head was rebuilt as HTTP/1.1 for a server that spoke HTTP/1.0. The
    # headers keep their order, except Content-Length: Twisted takes it out and Scrapy puts
    # it back first.
    size = len((SITE_DIR / OLD_PATH.lstrip("/")).read_bytes())
    ((protocol, headers),) = rows(
        db, "SELECT protocol, headers FROM fetches WHERE url = ?", [OLD_URL]
    )
    assert protocol == "HTTP/1.0"
    assert json.loads(headers) == [
        ["Content-Length", str(size)],
        ["Content-Type", "text/html"],
        ["X-Old", "1"],
    ]
    # A retried 503 is a fetch of its own, its error page kept.
    conn = sqlite3.connect(db)
    got = conn.execute(
        "SELECT status, snapshot_hash FROM fetches WHERE url = ? ORDER BY id", [BUSY_URL]
    ).fetchall()
    assert [status for status, _ in got] == [503, 200]
    assert SnapshotCodec(conn).read(got[0][1]) == (
        b"<html><head><title>503</title></head><body><h1>503</h1></body></html>"
    )
    conn.close()
    verify = CliRunner().invoke(main, ["verify", "--db", str(db)])
    assert verify.exit_code == 0, verify.output
    # The JPEGs (over 300 bytes) fail; the 139-byte logo is archived.
    failed = rows(db, "SELECT url, stage, reason FROM failures WHERE url LIKE '%.jpg'")
    assert failed and all(stage == "fetch" for _, stage, _ in failed)
    assert {reason for _, _, reason in failed} == {"exceeded DOWNLOAD_MAXSIZE (300 bytes)"}
    assert rows(db, "SELECT status FROM fetches WHERE url = ?", [f"{SITE}/img/logo.png"]) == [
        (200,)
    ]


def test_an_image_not_modified_is_no_failure(fidelity_archive):
    """Regression: the refresh's image 304s reached the errback as `HTTP 304` failures."""
    nf = MANIFEST["articles"][str(MANIFEST["not_found"][0])]["url"]
    assert rows(fidelity_archive.db, "SELECT url, reason FROM failures ORDER BY url") == [
        (nf, "not an article: page not found"),
        (MANIFEST["missing_pages"][0], "HTTP 404"),
    ]
