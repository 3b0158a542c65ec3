"""Hostile pages and headers: charsets that are no text encoding, digits that are not ASCII,
ids too long to be ids, a Retry-After that is no number. Each is read as "no declaration" /
"not a number", never a LookupError or ValueError (which would lose the article or the run).
The crawl-level cases (a real `scrapy crawl`) are in tests/test_faults.py."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from ehz_scraper.cli import main
from ehz_scraper.extraction.body import parse_pager
from ehz_scraper.extraction.dates import find_date, parse_date
from ehz_scraper.extraction.decode import decode_html, page_codec
from ehz_scraper.middlewares import BackoffRetryMiddleware
from ehz_scraper.site.urls import article_id_from_filename, parse_article_url
from ehz_scraper.spiders.navigation import article_pages, listing_articles
from ehz_scraper.storage.snapshots import detect_encoding
from tests.test_retry_backoff import middleware

CASE = Path(__file__).parent / "fixtures" / "pages" / "01_three_page_towns"
PAGE1 = (CASE / "c_266285.htm").read_bytes()
NOT_TEXT = ["base64", "rot13", "hex", "zlib", "bz2", "uu", "quopri", "undefined",
            "unicode_escape", "raw_unicode_escape", "utf-7", "idna", "punycode",
            "no-such-charset"]  # fmt: skip


@pytest.mark.parametrize("charset", NOT_TEXT)
def test_a_charset_that_is_no_text_encoding_counts_as_none(charset: str) -> None:
    body = (
        b"<html><head><meta charset=" + charset.encode() + b"></head><body><p>Caf\xc3\xa9 \\u0041"
    )
    decoded = decode_html(body)
    assert (decoded.encoding, decoded.text[-11:]) == ("utf-8", "Café \\u0041")
    assert decoded.warnings == [
        f"declared charset {charset} ignored: unknown or not a text encoding"
    ]
    # The same rule for the encoding the snapshot records.
    assert page_codec(charset) is None
    assert detect_encoding(body, f"text/html; charset={charset}") == "utf-8"


def test_a_bad_header_charset_falls_back_to_the_meta_charset() -> None:
    body = "<html><head><meta charset=gbk></head><body><p>杭州".encode("gb18030")
    decoded = decode_html(body, "text/html; charset=base64")
    assert (decoded.encoding, decoded.text[-2:]) == ("gb18030", "杭州")
    assert detect_encoding(body, "text/html; charset=base64") == "gb18030"


@pytest.mark.parametrize("charset", ["base64", "rot13", "zlib", "unicode_escape", "undefined"])
def test_ehz_extract_on_a_page_declaring_a_non_text_charset(tmp_path: Path, charset: str) -> None:
    page = tmp_path / "2021-05" / "12" / "c_266285.htm"
    page.parent.mkdir(parents=True)
    page.write_bytes(PAGE1.replace(b"charset=utf-8", b"charset=" + charset.encode()))
    result = CliRunner().invoke(main, ["extract", str(page)])
    assert result.exit_code == 0, result.output
    assert '"title": "Hangzhou honors nine characteristic towns"' in result.output


@pytest.mark.parametrize(
    "url",
    [
        "https://www.ehangzhou.gov.cn/2025-01/01/c_" + "9" * 5000 + ".htm",
        "https://www.ehangzhou.gov.cn/2025-01/01/c_1234567890123.htm",  # 13 digits
        "https://www.ehangzhou.gov.cn/2025-01/01/c_266285_" + "9" * 5000 + ".htm",
        "https://www.ehangzhou.gov.cn/2025-01/01/c_\u0663\u0663.htm",  # Arabic-Indic 33
        "https://www.ehangzhou.gov.cn/2025-01/01/c_\u00b2.htm",  # superscript two
        "https://www.ehangzhou.gov.cn/\u0662\u0660\u0662\u0665-01/01/c_266285.htm",
    ],
    ids=["5000-nines", "13-digits", "page-5000-nines", "arabic-indic", "superscript", "year"],
)
def test_not_an_article_link(url: str) -> None:
    assert parse_article_url(url) is None
    assert article_id_from_filename(url.split("/", 3)[3]) in (None, (266285, 1))


def test_twelve_digits_are_still_an_id() -> None:
    ref = parse_article_url("https://www.ehangzhou.gov.cn/2025-01/01/c_123456789012_3.htm")
    assert ref is not None and (ref.article_id, ref.page) == (123456789012, 3)


def test_listing_and_pager_links_with_junk_numbers() -> None:
    body = (
        b'<html><body><ul class="list"><li><a href="2025-01/01/c_' + b"9" * 5000 + b'.htm">a</a>'
        b'<li><a href="2025-01/01/c_266285.htm">b</a></ul>'
        b'<div id="div_currpage"><span>\xc2\xb2</span><b>\xd9\xa3</b><span>1</span>'
        b'<a href="c_266285_' + b"9" * 5000 + b'.htm">x</a><a href="c_266285_2.htm">2</a></div>'
    )
    url = "https://www.ehangzhou.gov.cn/node_7040.htm"
    tree = lxml_html.document_fromstring(body)
    assert listing_articles(tree, url).urls == [
        "https://www.ehangzhou.gov.cn/2025-01/01/c_266285.htm"
    ]
    assert article_pages(body, "https://www.ehangzhou.gov.cn/2025-01/01/c_266285.htm", 266285) == {
        2: "https://www.ehangzhou.gov.cn/2025-01/01/c_266285_2.htm"
    }
    pager = parse_pager(tree, 266285)
    assert pager is not None and pager.count == 2


@pytest.mark.parametrize(
    "text", ["٢٠٢١-٠٥-١٢", "２０２１-０５-１２", "2021-0٥-12", "May ١٢, 2021", "20210512" + "٣" * 6]
)
def test_dates_are_read_in_ascii_digits_only(text: str) -> None:
    assert parse_date(text) is None
    assert find_date(f"Updated: {text}") is None


@pytest.mark.parametrize("value", ["\u00b2", "\u0663", "soon", "-5", "1e3", "9" * 5000])
def test_retry_after_that_is_no_number_is_ignored_with_a_log_line(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ehz_scraper.middlewares"):
        assert middleware().delay(1, value) == 2.0  # the plain backoff, no exception
    assert [r.getMessage() for r in caplog.records] == [
        f"Ignoring Retry-After {value[:80]!r}: neither delta-seconds nor an HTTP date"
    ]


def test_retry_after_delta_seconds_and_date_still_count() -> None:
    assert middleware().delay(1, "30") == 30.0
    assert middleware().delay(1, "Wed, 21 Oct 2015 07:28:00 GMT") == 2.0  # in the past
    assert isinstance(middleware(), BackoffRetryMiddleware)


def test_an_extractor_error_on_a_later_page_leaves_it_out(monkeypatch) -> None:
    from ehz_scraper.extraction import Page, article, extract_article_result

    real = article._body

    def failing_on_page_2(tree, page_url, k):
        if k == 2:
            raise IndexError("list index out of range")
        return real(tree, page_url, k)

    monkeypatch.setattr(article, "_body", failing_on_page_2)
    url = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"
    pages = [
        Page(url, PAGE1),
        Page(url.replace(".htm", "_2.htm"), (CASE / "c_266285_2.htm").read_bytes()),
        Page(url.replace(".htm", "_3.htm"), (CASE / "c_266285_3.htm").read_bytes()),
    ]
    result = extract_article_result(pages, url=url)
    assert result.bad_pages == [2]
    assert (
        "page 2 extractor error: IndexError: list index out of range"
        in (result.record["extraction"]["warnings"])
    )
    assert result.record["title"] == "Hangzhou honors nine characteristic towns"
