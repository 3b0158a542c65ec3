"""Link finding over saved pages: nav sections, listing items and pager, article pager."""

from __future__ import annotations

from pathlib import Path

import pytest

from ehz_scraper.spiders.navigation import (
    article_pages,
    find_section,
    listing_articles,
    nav_links,
    next_listing_page,
    parse_html,
)
from tests.support.crawling import MANIFEST, article

SITE_DIR = Path(__file__).parent / "fixtures" / "site"
SITE = "https://www.ehangzhou.gov.cn"
MIRROR = "http://127.0.0.1:8765/"


def tree_of(path: str):
    return parse_html((SITE_DIR / path).read_bytes())


def test_nav_links_on_the_home_page():
    links = nav_links(tree_of("index.html"), MIRROR, MIRROR)
    assert [(link.text, link.url) for link in links] == [
        ("Latest", f"{SITE}/node_7040.htm"),
        ("Government", f"{SITE}/node_7041.htm"),
        ("Business", f"{SITE}/node_7042.htm"),
        ("Travel", f"{SITE}/node_7043.htm"),
        ("Culture", f"{SITE}/node_7044.htm"),
        ("Living", f"{SITE}/node_7045.htm"),
    ]  # not Home, not the off-site China Daily link


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("Latest", f"{SITE}/node_7040.htm"),  # the link text is "&nbsp;Latest "
        ("LATEST", f"{SITE}/node_7040.htm"),
        ("business", f"{SITE}/node_7042.htm"),  # an absolute href on the live host
        ("Travel", f"{SITE}/node_7043.htm"),  # a protocol-relative href without www
        ("Sports", None),
    ],
)
def test_find_section_by_link_text(name, url):
    link = find_section(tree_of("index.html"), name, MIRROR, MIRROR)
    assert (link.url if link else None) == url


def test_find_section_on_the_live_site_urls():
    link = find_section(tree_of("index.html"), "Latest", f"{SITE}/")
    assert link is not None and link.url == f"{SITE}/node_7040.htm"


@pytest.mark.parametrize(
    ("name", "page", "path"),
    [
        (name, k, "/" + url.split("/", 3)[3])
        for name, info in MANIFEST["sections"].items()
        for k, url in enumerate(info["listing_urls"], start=1)
    ],
)
def test_listing_articles_of_every_fixture_listing(name, page, path):
    found = listing_articles(tree_of(path.lstrip("/")), MIRROR + path.lstrip("/"), MIRROR)
    ids = MANIFEST["sections"][name]["listing_pages"][page - 1]
    assert found.urls == [article(i)["url"] for i in ids]
    assert found.fallback is False  # the sidebar's "Most read" links are never the listing


@pytest.mark.parametrize(
    ("path", "current", "expected"),
    [
        ("node_7040.htm", 1, f"{SITE}/node_7040_2.htm"),  # "Next >"
        ("node_7040_2.htm", 2, f"{SITE}/node_7040_3.htm"),
        ("node_7040_3.htm", 3, None),  # last page: links back to 1 and 2 only
        ("node_7042.htm", 1, f"{SITE}/node_7042_2.htm"),  # ">"
        ("node_7041.htm", 1, None),  # a pager with only the current page
        ("node_7043.htm", 1, None),  # no pager at all
    ],
)
def test_next_listing_page(path, current, expected):
    assert next_listing_page(tree_of(path), MIRROR + path, current, MIRROR) == expected


def test_next_listing_page_by_number_when_there_is_no_next_link():
    html = (
        b'<div id="div_currpage"><a href="node_9_3.htm">3</a> <span>4</span> '
        b'<a href="node_9_5.htm">5</a></div>'
    )
    assert next_listing_page(parse_html(html), f"{SITE}/node_9_4.htm", 4) == f"{SITE}/node_9_5.htm"


def test_listing_fallbacks_on_unknown_markup():
    html = b"""<html><body><div class="header"><a href="2025-01/01/c_1.htm">nav</a></div>
    <div class="content"><div class="item"><a href="2025-01/02/c_2.htm">Two</a></div>
    <div class="item"><a href="/2025-01/03/c_3_2.htm">Three, page 2</a></div></div>
    <div class="sidebar"><a href="2025-01/04/c_4.htm">Hot</a></div>
    <div class="footer"><a href="2025-01/05/c_5.htm">footer</a></div></body></html>"""
    found = listing_articles(parse_html(html), f"{SITE}/node_1.htm")
    assert found.urls == [f"{SITE}/2025-01/02/c_2.htm", f"{SITE}/2025-01/03/c_3.htm"]
    assert found.fallback is True


def test_an_empty_list_is_an_empty_listing():
    html = b'<ul class="list"></ul><div class="side"><a href="2025-01/04/c_4.htm">Hot</a></div>'
    found = listing_articles(parse_html(html), f"{SITE}/node_1_9.htm")
    assert (found.urls, found.fallback) == ([], False)


@pytest.mark.parametrize(
    ("article_id", "page", "expected_pages"),
    [
        (293018, 1, [2, 3]),  # a windowed pager: 1 2 3 >
        (293018, 3, [2, 4, 5]),  # links back to page 1 (not counted) and on to 5
        (292910, 1, [2, 3, 4]),  # relative hrefs
        (292782, 1, [2, 3]),  # hrefs absolute on the live host
        (292756, 2, [3]),  # protocol-relative hrefs without www
        (292700, 2, []),  # the last page: only a link back to page 1
        (292710, 1, []),  # single page: related links and a gallery pager do not count
    ],
)
def test_article_pages_by_id_suffix(article_id, page, expected_pages):
    url = article(article_id)["page_urls"][page - 1]
    path = url.split("/", 3)[3]
    pages = article_pages((SITE_DIR / path).read_bytes(), MIRROR + path, article_id, MIRROR)
    assert list(pages) == expected_pages
    for k, page_url in pages.items():
        assert page_url == url.rsplit("/", 1)[0] + f"/c_{article_id}_{k}.htm"


def test_parse_html_of_nothing():
    assert parse_html(b"") is None


def test_find_section_by_image_alt_or_leading_word():
    html = b"""<div class="header"><a href="node_1.htm"><img src="x.png" alt="Government"/></a>
    <a href="node_2.htm">Latest News</a></div>"""
    tree = parse_html(html)
    assert find_section(tree, "government", f"{SITE}/").url == f"{SITE}/node_1.htm"
    assert find_section(tree, "Latest", f"{SITE}/").url == f"{SITE}/node_2.htm"
    assert find_section(tree, "Late", f"{SITE}/") is None


def test_listing_keeps_an_html_suffix_and_maps_later_pages_to_page_one():
    html = b"""<ul class="list"><li><a href="2025-01/02/c_2.html">a</a></li>
    <li><a href="2025-01/03/c_3_2.htm">b</a></li></ul>"""
    found = listing_articles(parse_html(html), f"{SITE}/node_1.htm")
    assert found.urls == [f"{SITE}/2025-01/02/c_2.html", f"{SITE}/2025-01/03/c_3.htm"]


def test_listing_pager_by_class_anywhere():
    html = b"""<ul class="list"><li><a href="2025-01/02/c_2.htm">a</a></li></ul>
    <p><a class="pagestyle" href="node_1.htm">1</a> <a class="pagestyle" href="node_1_2.htm">
    Next</a></p>"""
    assert next_listing_page(parse_html(html), f"{SITE}/node_1.htm", 1) == f"{SITE}/node_1_2.htm"


@pytest.mark.parametrize(
    ("text", "is_next"),
    [
        ("Next", True),
        ("Next &gt;", True),
        ("next page &#187;", True),
        ("&gt;&gt;", True),
        ("&gt;", True),
        ("下一页", True),
        ("&lt;", False),
        ("Last", False),
        ("2", False),
    ],
)
def test_next_link_texts(text, is_next):
    html = f'<meta charset="utf-8"><div id="div_currpage"><a href="node_1_7.htm">{text}</a></div>'
    found = next_listing_page(parse_html(html), f"{SITE}/node_1_5.htm", 5)
    assert (found == f"{SITE}/node_1_7.htm") is is_next
