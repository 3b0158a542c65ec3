"""The WACZ export: `wacz validate` passes and pywb replays it over HTTP on 127.0.0.1 (pywb
started once a session on the fidelity archive's WACZ: a crawl with images, then a refresh)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from ehz_scraper.storage.snapshots import SnapshotCodec
from tests.support.crawling import MANIFEST

SITE = "https://www.ehangzhou.gov.cn"
LATEST = MANIFEST["sections"]["Latest"]
ARTICLE = MANIFEST["articles"][str(LATEST["article_ids"][0])]["url"]
IMAGE = f"{SITE}/img/logo.png"


def replay(base: str, timestamp: str, url: str) -> tuple[int, bytes]:
    """pywb's raw replay (`id_`: the archived bytes, no rewriting) of `url` at `timestamp`."""
    try:
        with urllib.request.urlopen(f"{base}{timestamp}id_/{url}", timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def newest(db: Path, url: str) -> tuple[str, int, bytes]:
    """(14-digit timestamp, status, stored bytes) of the newest fetch of `url`."""
    conn = sqlite3.connect(db)
    fetched_at, status, digest = conn.execute(
        "SELECT fetched_at, status, snapshot_hash FROM fetches WHERE url = ?"
        " ORDER BY fetched_at DESC, id DESC LIMIT 1",
        [url],
    ).fetchone()
    body = SnapshotCodec(conn).read(digest)
    conn.close()
    return "".join(ch for ch in fetched_at if ch.isdigit()), status, body


def test_wacz_validate_passes(fidelity_exports):
    wacz = Path(sys.executable).parent / "wacz"
    check = subprocess.run(
        [wacz, "validate", "-f", fidelity_exports.wacz], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Validation succeeded, the passed WACZ is valid" in check.stdout


def test_wacz_holds_the_warc_a_sorted_index_and_one_page_per_article(
    fidelity_archive, fidelity_exports
):
    with zipfile.ZipFile(fidelity_exports.wacz) as zf:
        names = zf.namelist()
        index = zf.read("indexes/index.cdx").decode().splitlines()
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines()]
        package = json.loads(zf.read("datapackage.json"))
        assert zf.getinfo("archive/data.warc.gz").compress_type == zipfile.ZIP_STORED
    assert names == [
        "archive/data.warc.gz",
        "indexes/index.cdx",
        "pages/pages.jsonl",
        "datapackage.json",
        "datapackage-digest.json",
    ]
    assert index == sorted(index)
    conn = sqlite3.connect(fidelity_archive.db)
    (fetches,) = conn.execute("SELECT count(*) FROM fetches").fetchone()
    assert len(index) == fetches  # one capture per fetch
    assert pages[0] == {"format": "json-pages-1.0", "id": "pages", "title": "Articles"}
    expected = conn.execute(
        "SELECT a.url, a.title, min(f.fetched_at) FROM articles a"
        " JOIN fetches f ON f.url = a.url AND f.status = 200"
        " GROUP BY a.article_id ORDER BY a.article_id"
    ).fetchall()
    assert [(p["url"], p["title"], p["ts"]) for p in pages[1:]] == [tuple(r) for r in expected]
    assert [r["path"] for r in package["resources"]] == names[:3]
    assert package["wacz_version"] == "1.1.1"


@pytest.mark.parametrize(
    "url",
    [ARTICLE, LATEST["listing_urls"][1], f"{SITE}/", IMAGE],
    ids=["article page", "listing page", "home page", "image"],
)
def test_pywb_replays_each_kind_of_page(pywb, fidelity_archive, url):
    """Regression: home, listings and images were 404 in pywb (never archived)."""
    timestamp, _, body = newest(fidelity_archive.db, url)
    status, replayed = replay(pywb, timestamp, url)
    assert status == 200
    assert replayed == body and len(body) > 0


@pytest.mark.parametrize("url", [ARTICLE, IMAGE], ids=["article page", "image"])
def test_newest_capture_after_a_refresh_is_not_blank_in_pywb(pywb, fidelity_archive, url):
    """Regression: a 304 revisit replayed as an empty 304, so after a refresh crawl the newest
    capture of nearly every page was blank."""
    timestamp, status, body = newest(fidelity_archive.db, url)
    assert status == 304  # the refresh confirmed it
    assert replay(pywb, timestamp, url) == (200, body)
    # And without a timestamp pywb's "latest" is the same content.
    assert replay(pywb, "2100", url) == (200, body)


def test_cdxj_for_a_plain_warc_resolves_304s(fidelity_exports):
    """The --cdxj index of the plain WARC points 304 captures at the content they confirmed."""
    lines = fidelity_exports.cdxj.read_text().splitlines()
    captures = [json.loads(line.split(" ", 2)[2]) for line in lines]
    assert {c["filename"] for c in captures} == {fidelity_exports.warc.name}
    assert {c["status"] for c in captures} == {"200", "404"}
    assert not [c for c in captures if c["mime"] == "warc/revisit"]


def test_wacz_create_finds_the_articles_of_a_plain_warc(
    fidelity_archive, fidelity_exports, tmp_path
):
    """Regression: py-wacz's `wacz create` found 0 pages in the export (no warcinfo)."""
    out = tmp_path / "created.wacz"
    wacz = Path(sys.executable).parent / "wacz"
    made = subprocess.run(
        [wacz, "create", "-o", out, fidelity_exports.warc], capture_output=True, text=True
    )
    assert made.returncode == 0, made.stdout + made.stderr
    with zipfile.ZipFile(out) as zf:
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines()][1:]
    (articles,) = (
        sqlite3.connect(fidelity_archive.db)
        .execute(
            "SELECT count(DISTINCT a.article_id) FROM articles a JOIN fetches f"
            " ON f.url = a.url AND f.status = 200"
        )
        .fetchone()
    )
    assert len(pages) == articles == 26
    assert {p["url"] for p in pages} == {
        MANIFEST["articles"][str(aid)]["url"]
        for aid in LATEST["article_ids"]
        if aid not in MANIFEST["not_found"]
    }
