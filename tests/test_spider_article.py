"""`scrapy crawl article -a url=...` / `-a urls_file=...` end to end on the loopback site."""

from __future__ import annotations

from tests.support.archive_db import article_rows, open_failure_urls
from tests.support.crawling import article, crawl, page_paths

WINDOWED = 293018  # 7 pages, a pager showing at most 5 numbers: later pages found on the way
NOT_FOUND = 292854


def test_article_fetches_exactly_the_given_articles(server, tmp_path):
    windowed = article(WINDOWED)["url"]
    # Page 3's URL on the live host without www stands for the whole article; a loopback URL too.
    travel = article(292926)["page_urls"][2].replace("https://www.", "http://")
    loopback = server.base_url + article(292736)["url"].split("/", 3)[3]
    result = crawl(
        "article", server.base_url, tmp_path / "a.db", f"url={windowed},{travel}, {loopback}"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(result.articles) == {WINDOWED, 292926, 292736}
    for article_id, capture in result.articles.items():
        assert [p["url"] for p in capture["pages"]] == article(article_id)["page_urls"]
        assert capture["listing_url"] is None
    expected = ["/robots.txt"] + page_paths(WINDOWED) + page_paths(292926) + page_paths(292736)
    assert sorted(server.paths()) == sorted(expected)
    assert result.listings == []


def test_article_reads_a_urls_file(server, tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text(
        f"# articles to refetch\n{article(292700)['url']}\n\n{article(NOT_FOUND)['url']}\n",
        encoding="utf-8",
    )
    db = tmp_path / "a.db"
    result = crawl("article", server.base_url, db, f"urls_file={urls}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(result.articles) == {292700, NOT_FOUND}
    assert len(result.articles[292700]["pages"]) == 2


def test_article_archives_articles_and_records_the_non_article(server, tmp_path):
    db = tmp_path / "a.db"
    url = f"{article(292700)['url']},{article(NOT_FOUND)['url']},{article(WINDOWED)['url']}"
    result = crawl("article", server.base_url, db, f"url={url}")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = article_rows(db)
    assert {i: r["page_count"] for i, r in rows.items()} == {292700: 2, WINDOWED: 7}
    assert rows[WINDOWED]["page_urls"] == article(WINDOWED)["page_urls"]
    assert article(NOT_FOUND)["url"] in open_failure_urls(db)
