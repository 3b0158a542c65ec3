"""Bad pages at the extractor's door: NUL bytes, invalid UTF-8, cut HTML, absurd titles, junk URLs.

Whatever the bytes, the extractor returns a full record or raises NotAnArticle: never another
exception (which in a crawl would lose the article without a failure row).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ehz_scraper.errors import NotAnArticle
from ehz_scraper.extraction import Page, extract_article

CASE = Path(__file__).parent / "fixtures" / "pages" / "01_three_page_towns"
URL = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"
PAGE1 = (CASE / "c_266285.htm").read_bytes()
PAGE2 = (CASE / "c_266285_2.htm").read_bytes()
FIELDS = {
    "article_id", "url", "page_urls", "page_count", "title", "date", "date_text", "source",
    "byline", "section", "breadcrumb", "sections", "images", "body_text", "extraction",
}  # fmt: skip
SLOW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def extract_or_not_an_article(pages: list[Page]) -> dict | None:
    try:
        record = extract_article(pages, url=URL)
    except NotAnArticle:
        return None
    assert set(record) >= FIELDS
    assert isinstance(record["title"], str) and record["title"]
    assert "\x00" not in record["title"] and "\x00" not in record["body_text"]
    return record


@SLOW
@given(st.binary(max_size=3000))
def test_random_bytes(body: bytes) -> None:
    extract_or_not_an_article([Page(URL, body)])


@SLOW
@given(st.integers(0, len(PAGE1)), st.binary(min_size=1, max_size=40), st.booleans())
def test_mutated_page(at: int, junk: bytes, truncate: bool) -> None:
    body = PAGE1[:at] if truncate else PAGE1[:at] + junk + PAGE1[at:]
    extract_or_not_an_article([Page(URL, body), Page(URL.replace(".htm", "_2.htm"), PAGE2)])


@pytest.mark.parametrize(
    "body",
    [
        PAGE1.replace(b"Hangzhou honors", b"Hangzhou\x00honors"),
        PAGE1.replace(b"<p>", b"<p>\xff\xfe\xc3\x28 ", 3),  # invalid UTF-8 sequences
        PAGE1.replace(b"charset=utf-8", b"charset=no-such-charset"),
        PAGE1[: len(PAGE1) // 3],  # truncated mid-page
        b"\x00" * 5000,
        b"",
    ],
    ids=["nul-in-title", "invalid-utf8", "unknown-charset", "truncated", "all-nul", "empty"],
)
def test_bad_bytes(body: bytes) -> None:
    extract_or_not_an_article([Page(URL, body, [("Content-Type", "text/html; charset=utf-8")])])


def test_nul_in_title_is_dropped_not_kept() -> None:
    body = PAGE1.replace(b"Hangzhou honors", b"Hangzhou\x00honors")
    record = extract_or_not_an_article([Page(URL, body)])
    assert record is not None
    assert record["title"].replace(" ", "") == "Hangzhouhonorsninecharacteristictowns"


def test_absurdly_long_title() -> None:
    title = "Hangzhou " * 20000  # 180 kB of title
    body = PAGE1.replace(b"Hangzhou honors nine characteristic towns", title.encode(), 2)
    record = extract_or_not_an_article([Page(URL, body)])
    assert record is not None
    assert record["title"] == title.strip()


@pytest.mark.parametrize(
    "href",
    [
        "http://[::1",
        "http://a.b:99999/",
        "javascript:void(0)",
        "c_266285_%zz.htm",
        "\x00c_266285_2.htm",
        "//",
        "http:///c_266285_2.htm",
    ],
)
def test_malformed_urls_in_a_page(href: str) -> None:
    bad = f'<a href="{href}">x</a><img src="{href}"/>'.encode()
    body = PAGE1.replace(b"</p>", b"</p>" + bad, 1)
    record = extract_or_not_an_article([Page(URL, body)])
    assert record is not None and record["article_id"] == 266285
