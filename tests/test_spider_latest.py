"""`scrapy crawl latest` end to end against the loopback copy of the site."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import pytest

from tests.support.archive_db import article_rows, open_failure_urls, query
from tests.support.crawling import MANIFEST, article, crawl, page_paths, section_ids
from tests.support.site_server import SITE_DIR, SiteServer

LATEST_LISTINGS = ["/node_7040.htm", "/node_7040_2.htm", "/node_7040_3.htm"]
NOT_FOUND = 292854  # listed in Latest, a "page not found" page served with status 200
MISSING_PAGE = 292874  # 3 pages announced, page 3 is a real 404
ORPHAN = 293142  # reachable only through related-article links
# The Latest articles of the fixture site with more than one page, and how many pages each has.
MULTI_PAGE_COUNTS = {
    292700: 2,
    292756: 3,
    292782: 3,
    292844: 2,
    292874: 2,
    292910: 4,
    292962: 2,
    293018: 7,
}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """One full `latest` crawl into a fresh archive (shared by the assertions below)."""
    with SiteServer() as s:
        db = tmp_path_factory.mktemp("latest") / "archive.db"
        result = crawl("latest", s.base_url, db)
        yield s, db, result, s.paths()


def test_fixture_site_shape():
    latest = section_ids("Latest")
    assert len(latest) == 27
    assert len(MANIFEST["articles"]) == 50
    assert sum(1 for a in MANIFEST["articles"].values() if a["pages"] > 1) == 11
    assert {NOT_FOUND, MISSING_PAGE} <= latest
    assert ORPHAN not in set().union(*(section_ids(n) for n in MANIFEST["sections"]))


def test_latest_fetches_the_latest_listing_and_its_articles_only(first_run):
    server, _db, result, paths = first_run
    assert result.returncode == 0, result.stderr[-2000:]
    expected = {"/robots.txt", "/", *LATEST_LISTINGS}
    for article_id in section_ids("Latest"):
        expected.update(page_paths(article_id))
    assert set(paths) == expected
    assert [p for p, n in Counter(paths).items() if n > 1] == []  # each page fetched once
    assert paths[:3] == ["/robots.txt", "/", "/node_7040.htm"]
    # Nothing related, no other section, no orphan.
    assert not any(p.startswith(("/node_7041", "/node_7042", "/node_7050")) for p in paths)
    assert not any(f"c_{ORPHAN}" in p for p in paths)


def test_a_crawl_uses_no_deprecated_scrapy_api(first_run):
    _server, _db, result, _paths = first_run
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ScrapyDeprecationWarning" not in result.stderr
    assert "DeprecationWarning" not in result.stderr


def test_latest_yields_one_capture_per_listed_article(first_run):
    _server, _db, result, _paths = first_run
    captures = result.articles
    assert set(captures) == section_ids("Latest")
    assert len(result.of_type("article")) == 27  # one item per article, however many pages
    for article_id, capture in captures.items():
        info = article(article_id)
        assert capture["url"] == info["url"]
        assert capture["listing_section"] == "Latest"
        assert capture["listing_url"].startswith("https://www.ehangzhou.gov.cn/node_7040")
        fetched = [p["url"] for p in capture["pages"]]
        if article_id == MISSING_PAGE:
            assert fetched == info["page_urls"][:2]
            assert capture["failed"] == [
                {"url": info["page_urls"][2], "page": 3, "reason": "HTTP 404"}
            ]
        else:
            assert fetched == info["page_urls"], article_id
            assert capture["failed"] == []
        assert [p["page"] for p in capture["pages"]] == list(range(1, len(fetched) + 1))
        assert all(p["status"] == 200 for p in capture["pages"])
        assert all(p["fetch_url"].startswith("http://127.0.0.1:") for p in capture["pages"])


def test_multi_page_articles_have_every_page(first_run):
    _server, _db, result, _paths = first_run
    counts = {i: len(c["pages"]) for i, c in result.articles.items() if len(c["pages"]) > 1}
    assert counts == MULTI_PAGE_COUNTS


def test_latest_records_its_listing_walk(first_run):
    _server, _db, result, _paths = first_run
    walk = [
        (e["url"], e["page"], len(e["article_urls"]), e["new_count"], e["last"], e["stop_reason"])
        for e in result.listings
    ]
    site = "https://www.ehangzhou.gov.cn"
    assert walk == [
        (f"{site}/node_7040.htm", 1, 10, 10, False, None),
        (f"{site}/node_7040_2.htm", 2, 10, 10, False, None),
        (f"{site}/node_7040_3.htm", 3, 7, 7, True, "end of listing"),
    ]
    listed = [u for e in result.listings for u in e["article_urls"]]
    expected = [
        article(i)["url"] for page in MANIFEST["sections"]["Latest"]["listing_pages"] for i in page
    ]
    assert listed == expected  # newest first, in listing order


def test_no_request_leaves_loopback(first_run):
    server, _db, result, paths = first_run
    hosts = {urlsplit(u).hostname for u in result.requested}
    assert hosts == {"127.0.0.1"}
    assert {urlsplit(u).port for u in result.requested} == {server.port}
    assert len(result.requested) == len(paths) == result.stats["downloader/request_count"]


def test_latest_archives_articles_and_records_the_non_article(first_run):
    _server, db, _result, _paths = first_run
    rows = article_rows(db)
    assert set(rows) == section_ids("Latest") - {NOT_FOUND}
    multi_page = {i: r["page_count"] for i, r in rows.items() if r["page_count"] > 1}
    assert multi_page == MULTI_PAGE_COUNTS
    assert [i for i, r in rows.items() if not r["complete"]] == [MISSING_PAGE]
    failures = open_failure_urls(db)
    assert article(NOT_FOUND)["url"] in failures
    assert article(MISSING_PAGE)["page_urls"][2] in failures


def test_second_run_with_nothing_new_makes_three_requests(first_run, tmp_path):
    server, db, _result, _paths = first_run
    before = query(db, "SELECT count(*) FROM articles")[0][0]
    server.clear_log()
    again = crawl("latest", server.base_url, db)
    assert again.returncode == 0, again.stderr[-2000:]
    assert server.paths() == ["/robots.txt", "/", "/node_7040.htm"]
    assert again.articles == {}
    assert [(e["page"], e["new_count"], e["stop_reason"]) for e in again.listings] == [
        (1, 0, "incremental: nothing new")
    ]
    assert query(db, "SELECT count(*) FROM articles")[0][0] == before


def test_max_pages_limits_the_walk(server, tmp_path):
    result = crawl("latest", server.base_url, tmp_path / "a.db", "max_pages=2", "mode=full")
    assert result.returncode == 0, result.stderr[-2000:]
    pages = MANIFEST["sections"]["Latest"]["listing_pages"]
    assert set(result.articles) == set(pages[0]) | set(pages[1])
    assert [(e["page"], e["stop_reason"]) for e in result.listings] == [(1, None), (2, "max_pages")]
    assert "/node_7040_3.htm" not in server.paths()


def test_listing_page_cap_cuts_a_pager_trap(server, tmp_path):
    result = crawl(
        "latest", server.base_url, tmp_path / "a.db", settings={"EHZ_MAX_LISTING_PAGES": "1"}
    )
    assert result.returncode == 3  # a walk cut short by the cap: the run is `degraded`
    assert [(e["page"], e["stop_reason"]) for e in result.listings] == [(1, "listing page cap")]
    assert "listing walk of Latest cut at 1 pages" in result.stderr


def test_latest_on_a_copy_served_under_a_path_prefix(tmp_path):
    # The fixtures folder is the server's root: the site lives under /site/.
    with SiteServer(SITE_DIR.parent) as server:
        db = tmp_path / "a.db"
        result = crawl("latest", server.base_url + "site/", db)
        paths = server.paths()
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(result.articles) == section_ids("Latest")
    assert set(article_rows(db)) == section_ids("Latest") - {NOT_FOUND}
    assert paths[:3] == ["/robots.txt", "/site/", "/site/node_7040.htm"]
    assert all(p.startswith("/site/") for p in paths[1:])
    for article_id, capture in result.articles.items():
        fetched = [p["url"] for p in capture["pages"]] + [f["url"] for f in capture["failed"]]
        assert fetched == article(article_id)["page_urls"]


def test_latest_from_a_home_page_named_by_its_file(server, tmp_path):
    result = crawl("latest", server.base_url + "index.html", tmp_path / "a.db", "max_pages=1")
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(result.articles) == set(MANIFEST["sections"]["Latest"]["listing_pages"][0])
    assert server.paths()[:3] == ["/robots.txt", "/index.html", "/node_7040.htm"]
