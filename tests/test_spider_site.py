"""`scrapy crawl site` end to end: every section, every listing page, every article once."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support.archive_db import article_rows, open_failure_urls
from tests.support.crawling import MANIFEST, article, crawl, page_paths, section_ids
from tests.support.site_server import SiteServer

ORPHAN = 293142
NOT_FOUND = 292854


@pytest.fixture(scope="module")
def site_run(tmp_path_factory):
    with SiteServer() as s:
        db = tmp_path_factory.mktemp("site") / "archive.db"
        result = crawl("site", s.base_url, db)
        yield s, db, result, s.paths()


def all_listed() -> set[int]:
    return set().union(*(section_ids(name) for name in MANIFEST["sections"]))


def test_site_walks_every_section_and_fetches_every_article_once(site_run):
    _server, _db, result, paths = site_run
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(all_listed()) == 49  # 48 articles and the non-article
    assert set(result.articles) == all_listed()
    assert len(result.of_type("article")) == 49  # shared articles yielded once
    expected = {"/robots.txt", "/"}
    for info in MANIFEST["sections"].values():
        expected.update("/" + u.split("/", 3)[3] for u in info["listing_urls"])
        for article_id in info["article_ids"]:
            expected.update(page_paths(article_id))
    assert set(paths) == expected
    assert [p for p, n in Counter(paths).items() if n > 1] == []
    assert not any(f"c_{ORPHAN}" in p for p in paths)


def test_site_records_each_sections_walk(site_run):
    _server, _db, result, _paths = site_run
    walks: dict[str, list] = {}
    for e in result.listings:
        walks.setdefault(e["section"], []).append((e["page"], e["stop_reason"]))
    assert walks == {
        "Latest": [(1, None), (2, None), (3, "end of listing")],
        "Government": [(1, "end of listing")],
        "Business": [(1, None), (2, "end of listing")],
        "Travel": [(1, "end of listing")],
        "Culture": [(1, "end of listing")],
        "Living": [(1, None), (2, "no article links")],
    }
    for article_id, capture in result.articles.items():
        fetched = [p["url"] for p in capture["pages"]] + [f["url"] for f in capture["failed"]]
        assert fetched == article(article_id)["page_urls"]


def test_site_archives_every_article(site_run):
    _server, db, _result, _paths = site_run
    rows = article_rows(db)
    assert set(rows) == all_listed() - {NOT_FOUND}
    assert sum(r["page_count"] for r in rows.values()) == 72  # page 3 of 292874 is a 404
    assert article(NOT_FOUND)["url"] in open_failure_urls(db)
