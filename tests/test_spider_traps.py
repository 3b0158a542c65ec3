"""Traps and failures in navigation: pager cycles, endless pagers, failed home and listing pages."""

from __future__ import annotations

import re

from tests.support.crawling import MANIFEST, article, crawl
from tests.support.site_server import SITE_DIR

PAGES = MANIFEST["sections"]["Latest"]["listing_pages"]


def serve_text(text: str):
    """A behaviour that answers 200 with `text` as the page."""

    def behaviour(handler) -> bool:
        handler.send_body(200, text.encode("utf-8"))
        return True

    return behaviour


def test_a_listing_pager_that_links_back_is_cut(server, tmp_path):
    page3 = (SITE_DIR / "node_7040_3.htm").read_text(encoding="utf-8")
    looped = page3.replace(
        '<span class="pagestyle">3</span>',
        '<span class="pagestyle">3</span> <a class="pagestyle" href="node_7040.htm">Next &gt;</a>',
    )
    server.behaviours["/node_7040_3.htm"] = serve_text(looped)
    result = crawl("latest", server.base_url, tmp_path / "a.db")
    assert result.returncode == 0, result.stderr[-2000:]
    assert [(e["page"], e["stop_reason"]) for e in result.listings] == [
        (1, None),
        (2, None),
        (3, "pager cycle"),
    ]
    assert server.paths().count("/node_7040.htm") == 1
    assert "listing pager of Latest links back to" in result.stderr


def test_a_listing_that_never_ends_stops_at_the_cap(server, tmp_path):
    page3 = (SITE_DIR / "node_7040_3.htm").read_text(encoding="utf-8")
    for k in range(3, 40):
        text = re.sub(
            r'<div id="div_currpage">.*?</div>',
            f'<div id="div_currpage"><a href="node_7040_{k + 1}.htm">Next</a></div>',
            page3,
        )
        server.behaviours[f"/node_7040_{k}.htm"] = serve_text(text)
    result = crawl(
        "latest", server.base_url, tmp_path / "a.db", settings={"EHZ_MAX_LISTING_PAGES": "6"}
    )
    assert result.returncode == 3, result.stderr[-2000:]  # walk cut short: run `degraded`
    assert [(e["page"], e["stop_reason"]) for e in result.listings][-1] == (6, "listing page cap")
    assert [p for p in server.paths() if p.startswith("/node_")] == [
        "/node_7040.htm",
        "/node_7040_2.htm",
        "/node_7040_3.htm",
        "/node_7040_4.htm",
        "/node_7040_5.htm",
        "/node_7040_6.htm",
    ]
    assert set(result.articles) == set(PAGES[0] + PAGES[1] + PAGES[2])  # each article once


def test_an_article_pager_that_never_ends_stops_at_the_cap(server, tmp_path):
    info = article(292700)
    page2 = (SITE_DIR / info["page_urls"][1].split("/", 3)[3]).read_text(encoding="utf-8")
    folder = "/" + info["url"].split("/", 3)[3].rsplit("/", 1)[0]
    for k in range(2, 30):
        text = page2.replace(
            '<span class="pagestyle">2</span>',
            f'<a class="pagestyle" href="c_292700_{k + 1}.htm">&gt;</a>',
        )
        server.behaviours[f"{folder}/c_292700_{k}.htm"] = serve_text(text)
    result = crawl(
        "article",
        server.base_url,
        tmp_path / "a.db",
        f"url={info['url']}",
        settings={"EHZ_MAX_ARTICLE_PAGES": "5"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert [p["page"] for p in result.articles[292700]["pages"]] == [1, 2, 3, 4, 5]


def test_a_home_page_that_fails_ends_the_crawl_with_the_reason(server, tmp_path):
    server.behaviours["/"] = lambda h: h.send_error_page(503) or True
    result = crawl("latest", server.base_url, tmp_path / "a.db")
    assert result.stats["finish_reason"] == "home page failed: HTTP 503 after 3 retries"
    assert server.paths() == ["/robots.txt"] + ["/"] * 4
    assert result.articles == {}


def test_a_listing_page_that_fails_ends_the_walk_and_is_recorded(server, tmp_path):
    server.behaviours["/node_7040_2.htm"] = lambda h: h.send_error_page(404) or True
    result = crawl("latest", server.base_url, tmp_path / "a.db")
    assert result.returncode == 3, result.stderr[-2000:]  # walk cut short: run `degraded`
    assert [(e["page"], e["stop_reason"]) for e in result.listings] == [
        (1, None),
        (2, "fetch failed: HTTP 404"),
    ]
    assert set(result.articles) == set(PAGES[0])
    assert "/node_7040_3.htm" not in server.paths()
