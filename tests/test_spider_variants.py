"""`latest` on the site in other markup of the same CMS family: fallback selectors navigate it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.support.crawling import article, crawl, page_paths, section_ids
from tests.support.site_server import SITE_DIR, SiteServer

# Markup drift: other class names and ids, other pager words. Content and URLs unchanged.
VARIANT = [
    (r'<div class="nav">', '<ul id="menu">'),
    (r'(<ul id="menu">.*?)</div></div>', r"\1</ul></div>"),
    (r'<ul class="list">', '<ul class="news_list">'),
    (r'<div class="list_con">', '<div class="newslist">'),
    (r'id="div_currpage"', 'class="pagination"'),
    (r"Next &gt;", "下一页"),
    (r"&gt;</a>", "»</a>"),
]


def variant(handler) -> bool:
    path = urlsplit(handler.path).path
    target = SITE_DIR / (path.lstrip("/") or "index.html")
    if target.suffix not in (".htm", ".html") or not target.is_file():
        return False
    text = target.read_text(encoding="utf-8")
    for pattern, replacement in VARIANT:
        text = re.sub(pattern, replacement, text, flags=re.S)
    handler.send_body(200, text.encode("utf-8"))
    return True


def test_latest_navigates_drifted_markup(tmp_path):
    with SiteServer() as server:
        server.behaviours["/*"] = variant
        result = crawl("latest", server.base_url, tmp_path / "a.db")
        paths = server.paths()
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(result.articles) == section_ids("Latest")
    expected = {"/robots.txt", "/", "/node_7040.htm", "/node_7040_2.htm", "/node_7040_3.htm"}
    for article_id in section_ids("Latest"):
        expected.update(page_paths(article_id))
    assert set(paths) == expected
    for article_id, capture in result.articles.items():
        fetched = [p["url"] for p in capture["pages"]] + [f["url"] for f in capture["failed"]]
        assert fetched == article(article_id)["page_urls"]
    assert [e["stop_reason"] for e in result.listings] == [None, None, "end of listing"]
