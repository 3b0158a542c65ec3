"""URL canonicalisation: every form a link takes maps to one key."""

from __future__ import annotations

import pytest

from ehz_scraper.errors import BadURL
from ehz_scraper.site.urls import (
    article_id_from_filename,
    article_page_url,
    article_url_from_filename,
    canonicalize_url,
    parse_article_url,
    to_fetch_url,
)

CANON = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"
PAGE = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285_2.htm"


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm", None),
        ("http://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm", None),
        ("https://ehangzhou.gov.cn/2021-05/12/c_266285.htm", None),
        ("http://EHANGZHOU.gov.cn/2021-05/12/c_266285.htm#top", None),
        ("//www.ehangzhou.gov.cn/2021-05/12/c_266285.htm", None),
        ("//ehangzhou.gov.cn/2021-05/12/c_266285.htm", "http://www.ehangzhou.gov.cn/"),
        ("../../2021-05/12/c_266285.htm", "https://www.ehangzhou.gov.cn/2018-06/14/c_242885.htm"),
        ("c_266285.htm", "http://ehangzhou.gov.cn/2021-05/12/c_266285_3.htm"),
        ("/2021-05/12/c_266285.htm", "https://www.ehangzhou.gov.cn/node_7040.htm"),
        ("  https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm  ", None),
    ],
)
def test_canonical_forms(url: str, base: str | None) -> None:
    assert canonicalize_url(url, base) == CANON


def test_mirror_maps_to_site() -> None:
    mirror = "http://127.0.0.1:8765/"
    assert canonicalize_url("2021-05/12/c_266285.htm", mirror, mirror=mirror) == CANON
    assert to_fetch_url(CANON, mirror) == "http://127.0.0.1:8765/2021-05/12/c_266285.htm"
    assert to_fetch_url(CANON, None) == CANON


def test_mirror_with_path_prefix() -> None:
    mirror = "http://127.0.0.1:8765/copy/"
    assert (
        canonicalize_url("http://127.0.0.1:8765/copy/2021-05/12/c_266285.htm", mirror=mirror)
        == CANON
    )
    assert to_fetch_url(CANON, mirror) == "http://127.0.0.1:8765/copy/2021-05/12/c_266285.htm"


def test_offsite_kept_as_written() -> None:
    assert canonicalize_url("http://img.example.com/a.jpg#x") == "http://img.example.com/a.jpg"
    assert canonicalize_url("//cdn.example.com/a.jpg", "http://www.ehangzhou.gov.cn/") == (
        "http://cdn.example.com/a.jpg"
    )


def test_image_url() -> None:
    src = "../../img/attachement/jpg/site48/20250527/17483419485411.jpg"
    base = "http://ehangzhou.gov.cn/2025-05/27/c_1.htm"
    assert canonicalize_url(src, base) == (
        "https://www.ehangzhou.gov.cn/img/attachement/jpg/site48/20250527/17483419485411.jpg"
    )


@pytest.mark.parametrize(
    "url",
    ["", "   ", "javascript:void(0)", "mailto:a@b.c", "http://", "http://a.b:99999/", "a\x00b"],
)
def test_bad_urls(url: str) -> None:
    with pytest.raises(BadURL):
        canonicalize_url(url)


def test_parse_article_url_pages() -> None:
    one = parse_article_url(CANON)
    two = parse_article_url(PAGE)
    assert (one.article_id, one.page, one.date, one.page1_url) == (266285, 1, "2021-05-12", CANON)
    assert (two.article_id, two.page, two.date, two.page1_url) == (266285, 2, "2021-05-12", CANON)
    assert parse_article_url("https://www.ehangzhou.gov.cn/node_7040.htm") is None
    assert parse_article_url("https://example.com/2021-05/12/c_1.htm") is None


def test_article_page_url() -> None:
    assert article_page_url(CANON, 1) == CANON
    assert article_page_url(CANON, 2) == PAGE


def test_filenames() -> None:
    assert article_url_from_filename("/tmp/x/2021-05/12/c_266285_2.htm") == PAGE
    assert article_url_from_filename("/tmp/c_266285.htm") is None
    assert article_id_from_filename("/tmp/c_266285_3.htm") == (266285, 3)
    assert article_id_from_filename("/tmp/page.html") is None
