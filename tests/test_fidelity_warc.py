"""The WARC export checked the way an archivist would: warcio reads it back, record by record
(the fidelity archive: a crawl with images and a refresh crawl, exported once a session)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections import Counter
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from ehz_scraper.cli import main
from ehz_scraper.storage.snapshots import SnapshotCodec, sha256_hex
from ehz_scraper.storage.warc import REVISIT_IDENTICAL, REVISIT_NOT_MODIFIED
from tests.support.crawling import MANIFEST

SITE = "https://www.ehangzhou.gov.cn"
WARCIO = Path(sys.executable).parent / "warcio"


def read_records(data: bytes) -> list[dict]:
    """Every record: its type, WARC headers as pairs, HTTP status and payload bytes."""
    out = []
    for rec in ArchiveIterator(BytesIO(data)):
        out.append(
            {
                "type": rec.rec_type,
                "headers": list(rec.rec_headers.headers),
                "h": dict(rec.rec_headers.headers),
                "status": rec.http_headers.get_statuscode() if rec.http_headers else None,
                "http": rec.http_headers,
                "payload": rec.content_stream().read(),
            }
        )
    return out


@pytest.fixture(scope="module")
def records(fidelity_exports) -> list[dict]:
    return read_records(fidelity_exports.warc.read_bytes())


def export(db: Path, out: Path, *args: str) -> bytes:
    result = CliRunner().invoke(
        main, ["export", "--db", str(db), "--format", "warc", "-o", str(out), *args]
    )
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_warcio_check_passes(fidelity_exports):
    check = subprocess.run(
        [WARCIO, "check", "-v", fidelity_exports.warc], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr


def test_warc_opens_with_warcinfo(records):
    first = records[0]
    assert first["type"] == "warcinfo"
    fields = dict(line.split(": ", 1) for line in first["payload"].decode().splitlines() if line)
    assert fields["software"].startswith("ehz-scraper/")
    assert fields["format"] == "WARC File Format 1.1"
    assert fields["operator"] == "ehz archive (https://github.com/ehz-archive/ehz)"
    assert fields["robots"] == "obey"
    assert fields["http-header-user-agent"].startswith("ehz-scraper/0.1 (+https://github.com")
    assert [r["type"] for r in records].count("warcinfo") == 1
    assert all(r["h"]["WARC-Warcinfo-ID"] == first["h"]["WARC-Record-ID"] for r in records[1:])


def test_no_warc_header_is_repeated(records):
    """Regression: WARC-Profile was written twice in every revisit (warcio's and ours)."""
    repeated = [
        (r["h"]["WARC-Record-ID"], name)
        for r in records
        for name, n in Counter(name for name, _ in r["headers"]).items()
        if n > 1
    ]
    assert repeated == []


def test_each_fetch_is_a_request_and_a_response_tied_together(fidelity_archive, records):
    (fetches,) = sqlite3.connect(fidelity_archive.db).execute("SELECT count(*) FROM fetches")
    counts = Counter(r["type"] for r in records)
    assert counts["request"] == counts["response"] + counts["revisit"] == fetches[0]
    # The crawl fetched from a loopback mirror: each fetch names the URL actually fetched.
    assert counts["metadata"] == fetches[0]
    by_id = {r["h"]["WARC-Record-ID"]: r for r in records}
    for r in records:
        if r["type"] in ("request", "metadata"):
            main_record = by_id[r["h"]["WARC-Concurrent-To"]]
            assert main_record["type"] in ("response", "revisit")
            assert main_record["h"]["WARC-Target-URI"] == r["h"]["WARC-Target-URI"]
            assert main_record["h"]["WARC-Date"] == r["h"]["WARC-Date"]
    meta = next(r for r in records if r["type"] == "metadata")
    target = meta["h"]["WARC-Target-URI"]
    assert meta["payload"].decode().splitlines()[0] == (
        "fetch-url: " + fidelity_archive.base_url + target.removeprefix(SITE + "/")
    )
    request = next(r for r in records if r["type"] == "request")
    assert request["http"].protocol == "GET"
    assert request["http"].get_header("User-Agent").startswith("ehz-scraper/")


def test_revisits_refer_to_the_record_they_revisit(records):
    """Regression: revisits pointing at themselves (or at nothing) passed the whole suite."""
    by_id = {r["h"]["WARC-Record-ID"]: r for r in records}
    revisits = [r for r in records if r["type"] == "revisit"]
    assert Counter(r["h"]["WARC-Profile"] for r in revisits) == {
        REVISIT_NOT_MODIFIED: 17 + 18,  # the refresh crawl's 304s (pages, images)
        REVISIT_IDENTICAL: 3,  # home, listing page 1 and robots.txt, re-fetched unchanged
    }
    for r in revisits:
        ref = by_id[r["h"]["WARC-Refers-To"]]
        assert ref is not r and ref["type"] == "response"
        assert r["h"]["WARC-Refers-To-Target-URI"] == ref["h"]["WARC-Target-URI"]
        assert r["h"]["WARC-Refers-To-Date"] == ref["h"]["WARC-Date"]
        assert r["h"]["WARC-Payload-Digest"] == ref["h"]["WARC-Payload-Digest"]
        assert r["h"]["WARC-Date"] > ref["h"]["WARC-Date"]
        expected = 304 if r["h"]["WARC-Profile"] == REVISIT_NOT_MODIFIED else 200
        assert int(r["status"]) == expected


def test_export_holds_every_kind_of_page(records):
    """Done when: home, listing pages, robots.txt, every article page and image."""
    uris = {r["h"]["WARC-Target-URI"] for r in records if r["type"] == "response"}
    latest = MANIFEST["sections"]["Latest"]
    assert {f"{SITE}/", f"{SITE}/robots.txt", *latest["listing_urls"]} <= uris
    article_pages = {
        url for aid in latest["article_ids"] for url in MANIFEST["articles"][str(aid)]["page_urls"]
    } - set(MANIFEST["missing_pages"])
    assert article_pages <= uris
    images = {u for u in uris if "/img/" in u}
    assert len(images) == 42 and images <= set(MANIFEST["images"])


def test_response_bodies_are_the_stored_bytes(fidelity_archive, records):
    conn = sqlite3.connect(fidelity_archive.db)
    codec = SnapshotCodec(conn)
    stored = {h for (h,) in conn.execute("SELECT DISTINCT snapshot_hash FROM fetches")}
    bodies = {sha256_hex(r["payload"]) for r in records if r["type"] == "response"}
    assert bodies == stored
    robots = next(r for r in records if r["h"].get("WARC-Target-URI") == f"{SITE}/robots.txt")
    assert robots["http"].protocol == "HTTP/1.1"
    assert robots["http"].statusline == "200 OK"
    assert [name for name, _ in robots["http"].headers] == [
        "Content-Length",
        "Server",
        "Date",
        "Content-Type",
        "Etag",
        "Last-Modified",
    ]
    assert robots["h"]["WARC-IP-Address"] == "127.0.0.1"
    (digest,) = conn.execute(
        "SELECT snapshot_hash FROM fetches WHERE kind = 'robots' ORDER BY id LIMIT 1"
    ).fetchone()
    assert robots["payload"] == codec.read(digest)


def test_record_ids_are_the_same_on_every_export(fidelity_archive, fidelity_exports, tmp_path):
    # The same file name: the warcinfo record names its file, so its id does too.
    again = export(fidelity_archive.db, tmp_path / fidelity_exports.warc.name)
    ids = [r["h"]["WARC-Record-ID"] for r in read_records(again)]
    first = [r["h"]["WARC-Record-ID"] for r in read_records(fidelity_exports.warc.read_bytes())]
    assert ids == first
    assert len(set(ids)) == len(ids)


def test_run_and_captured_since_filters(fidelity_archive, tmp_path):
    conn = sqlite3.connect(fidelity_archive.db)
    first_run, refresh_run = (r for (r,) in conn.execute("SELECT id FROM runs ORDER BY id"))
    (n_refresh,) = conn.execute("SELECT count(*) FROM fetches WHERE run_id = ?", [refresh_run])
    (since,) = conn.execute("SELECT min(fetched_at) FROM fetches WHERE run_id = ?", [refresh_run])
    by_run = read_records(
        export(fidelity_archive.db, tmp_path / "r.warc", "--run", str(refresh_run))
    )
    by_time = read_records(
        export(fidelity_archive.db, tmp_path / "t.warc", "--captured-since", since[0])
    )
    for recs in (by_run, by_time):
        assert sum(r["type"] == "request" for r in recs) == n_refresh[0]
        # The refresh's 304s refer to the first run's responses, not in this file: by the
        # ids those records have in a whole-archive export.
        assert all(r["h"]["WARC-Date"] >= since[0] for r in recs[1:])
    whole = read_records((tmp_path / "r.warc").read_bytes())
    assert whole[0]["type"] == "warcinfo"
    bad = CliRunner().invoke(
        main, ["export", "--db", str(fidelity_archive.db), "--format", "csv", "--run", "1"]
    )
    assert bad.exit_code == 2
    assert "Error: --captured-since and --run are for --format warc or wacz" in bad.stderr
    assert first_run < refresh_run


def test_article_date_filter_takes_the_articles_pages_and_their_images(fidelity_archive, tmp_path):
    conn = sqlite3.connect(fidelity_archive.db)
    (date,) = conn.execute("SELECT max(substr(date, 1, 10)) FROM articles").fetchone()
    pages = {
        u
        for (u,) in conn.execute(
            "SELECT f.url FROM fetches f JOIN articles a USING (article_id)"
            " WHERE substr(a.date, 1, 10) = ?",
            [date],
        )
    }
    images = {
        u
        for (u,) in conn.execute(
            "SELECT i.src FROM images i JOIN articles a USING (article_id)"
            " WHERE substr(a.date, 1, 10) = ?",
            [date],
        )
    }
    recs = read_records(
        export(fidelity_archive.db, tmp_path / "d.warc", "--since", date, "--until", date)
    )
    uris = {r["h"]["WARC-Target-URI"] for r in recs if r["type"] in ("response", "revisit")}
    assert images and uris == pages | images
