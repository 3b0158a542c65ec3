"""`scrapy crawl section -a name=...` end to end against the loopback copy of the site."""

from __future__ import annotations

import pytest

from tests.support.archive_db import article_rows
from tests.support.crawling import MANIFEST, article, crawl, page_paths, section_ids

LISTING_PATHS = {
    "Business": ["/node_7042.htm", "/node_7042_2.htm"],
    "Culture": ["/node_7044.htm"],
    "Living": ["/node_7045.htm", "/node_7045_2.htm"],
}


@pytest.mark.parametrize(
    ("name", "section", "stops"),
    [
        ("Business", "Business", [None, "end of listing"]),  # nav href absolute on the live host
        ("cULTURE", "Culture", ["end of listing"]),  # another list markup; case-insensitive
        ("Living", "Living", [None, "no article links"]),  # page 2 lists nothing
    ],
)
def test_section_crawls_that_section_only(server, tmp_path, name, section, stops):
    db = tmp_path / "a.db"
    result = crawl("section", server.base_url, db, f"name={name}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(result.articles) == section_ids(section)
    expected = {"/robots.txt", "/", *LISTING_PATHS[section]}
    for article_id in section_ids(section):
        expected.update(page_paths(article_id))
    assert set(server.paths()) == expected
    assert len(server.paths()) == len(expected)
    assert [e["stop_reason"] for e in result.listings] == stops
    assert {e["section"] for e in result.listings} == {section}
    for article_id, capture in result.articles.items():
        assert [p["url"] for p in capture["pages"]] == article(article_id)["page_urls"]
    if section == "Living":
        assert "listing page https://www.ehangzhou.gov.cn/node_7045_2.htm lists no article" in (
            result.stderr
        )


def test_section_archives_its_articles(server, tmp_path):
    db = tmp_path / "a.db"
    result = crawl("section", server.base_url, db, "name=Business")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = article_rows(db)
    assert set(rows) == section_ids("Business")
    assert {i: r["page_count"] for i, r in rows.items()} == {
        i: article(i)["pages"] for i in section_ids("Business")
    }


def test_unknown_section_closes_the_spider_with_a_reason(server, tmp_path):
    result = crawl("section", server.base_url, tmp_path / "a.db", "name=Sports")
    assert result.stats["finish_reason"] == "section 'Sports' not in the home page's navigation"
    assert server.paths() == ["/robots.txt", "/"]
    assert result.articles == {}


def test_sections_share_articles():
    # The fixture lists some articles in two sections: the site spider must fetch them once.
    shared = section_ids("Latest") & section_ids("Business")
    assert shared == {292808, 292880, 292900, 292962, 292782, 292864}
    assert MANIFEST["sections"]["Business"]["listing_pages"][0][0] == 293132
