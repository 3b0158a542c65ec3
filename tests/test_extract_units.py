"""Unit tests of the extractor's parts: dates, captions, text, decoding, info line, pager."""

from __future__ import annotations

import codecs

import pytest
from lxml import etree

from ehz_scraper.errors import BadURL, NotAnArticle
from ehz_scraper.extraction import (
    Page,
    extract_article,
    extract_article_result,
)
from ehz_scraper.extraction.body import element_text, parse_pager, resolve_src
from ehz_scraper.extraction.captions import is_credit, split_caption
from ehz_scraper.extraction.dates import date_from_url, find_date, parse_date
from ehz_scraper.extraction.decode import decode_html, header_charset, meta_charset
from ehz_scraper.extraction.metadata import parse_info_text, section_of, strip_site_suffix
from ehz_scraper.extraction.record import Extraction, Image, Record, Section
from ehz_scraper.extraction.text import normalize_space
from ehz_scraper.site.urls import canonicalize_url
from tests.support.captures import capture

URL = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"


# --- dates ---


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("May 12, 2021", "2021-05-12"),
        ("Updated: May 12, 2021", "2021-05-12"),
        ("Updated: 2021-05-12", "2021-05-12"),
        ("Updated: 2021-05-12 10:31", "2021-05-12T10:31:00+08:00"),
        ("2021-05-12 10:31:05", "2021-05-12T10:31:05+08:00"),
        ("2021-05-12T10:31:00+08:00", "2021-05-12T10:31:00+08:00"),
        ("2021-05-12T02:31:00Z", "2021-05-12T10:31:00+08:00"),
        ("2021-05-12T02:31:00+00:00", "2021-05-12T10:31:00+08:00"),
        ("2021-05-11T22:31:00-0400", "2021-05-12T10:31:00+08:00"),
        ("2021-05-12 02:31 UTC", "2021-05-12T10:31:00+08:00"),
        ("2021-05-12 10:31 (Beijing time)", "2021-05-12T10:31:00+08:00"),
        ("2021-05-12 10:31 CST", "2021-05-12T10:31:00+08:00"),
        ("Sept. 3, 2020 9:05 PM", "2020-09-03T21:05:00+08:00"),
        ("12 May 2021", "2021-05-12"),
        ("February 21, 2025", "2025-02-21"),
        ("2021/5/2", "2021-05-02"),
        ("2021年5月12日 10:31", "2021-05-12T10:31:00+08:00"),
        ("20210512", "2021-05-12"),
        ("2021-02-30", None),
        ("May 32, 2021", None),
        ("no date here", None),
        ("", None),
    ],
)
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


def test_find_date_span_and_at_start() -> None:
    text = "www.ehangzhou.gov.cn Updated: May 12, 2021 L M S"
    found = find_date(text)
    assert (found.iso, text[found.start : found.end]) == ("2021-05-12", "May 12, 2021")
    assert find_date(text, at_start=True) is None
    assert find_date("May 12, 2021 L M S", at_start=True).end == 12


@pytest.mark.parametrize(
    ("url", "iso"),
    [
        (URL, "2021-05-12"),
        ("https://www.ehangzhou.gov.cn/2021-05/12/c_266285_3.htm", "2021-05-12"),
        ("https://www.ehangzhou.gov.cn/2021-13/12/c_1.htm", None),
        ("https://www.ehangzhou.gov.cn/node_7040.htm", None),
        (None, None),
    ],
)
def test_date_from_url(url: str | None, iso: str | None) -> None:
    assert date_from_url(url) == iso


# --- captions and credits ---


@pytest.mark.parametrize(
    ("text", "caption", "credit"),
    [
        (
            "The Binjiang Internet of Things Town. [Photo/zjol.com.cn]",
            "The Binjiang Internet of Things Town.",
            "Photo/zjol.com.cn",
        ),
        (
            "West Lake at dawn. [Photo by Zhang Yi/hangzhou.com.cn]",
            "West Lake at dawn.",
            "Photo by Zhang Yi/hangzhou.com.cn",
        ),
        (
            "A new library. [Photo provided to ehangzhou.gov.cn]",
            "A new library.",
            "Photo provided to ehangzhou.gov.cn",
        ),
        ("Delegates meet. [Photo/Xinhua]", "Delegates meet.", "Photo/Xinhua"),
        ("[Photo/Xinhua]", None, "Photo/Xinhua"),
        ("Runners on the causeway [Xinhua]", "Runners on the causeway", "Xinhua"),
        ("A robot arm [Image: CGTN]", "A robot arm", "Image: CGTN"),
        ("Tea pickers [IC]", "Tea pickers", "IC"),
        ("Zhang Yi [left] and Li Wei [right]", "Zhang Yi [left] and Li Wei [right]", None),
        ("Zhang Yi [left] and Li Wei. [Photo/CGTN]", "Zhang Yi [left] and Li Wei.", "Photo/CGTN"),
        ("The third bridge [3]", "The third bridge [3]", None),
        ("No bracket at all.", "No bracket at all.", None),
    ],
)
def test_split_caption(text: str, caption: str | None, credit: str | None) -> None:
    assert split_caption(text) == (caption, credit)


@pytest.mark.parametrize(
    ("inner", "credit"),
    [("Photo/zjol.com.cn", True), ("China Daily", True), ("chinadaily.com.cn", True),
     ("Provided to China Daily", True), ("left", False), ("right", False), ("center", False)],
)  # fmt: skip
def test_is_credit(inner: str, credit: bool) -> None:
    assert is_credit(inner) is credit


# --- text normalisation ---


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("plain text", "plain text"),
        ("  May\u00a012,\u3000 2021\n\t ", "May 12, 2021"),
        ("a\u2002b\u2009c\u202fd", "a b c d"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("\u00a0\u3000", ""),
        ("杭州　西湖", "杭州 西湖"),
        (None, ""),
    ],
)
def test_normalize_space(text: str | None, normal: str) -> None:
    assert normalize_space(text) == normal


def test_element_text_skips_scripts_and_widgets() -> None:
    root = etree.fromstring(
        "<div>A<script>x()</script> <b>B</b><div class='bdsharebuttonbox'>Share</div>C</div>",
        etree.HTMLParser(),
    )
    assert element_text(root.find(".//div")) == "A B C"


# --- decoding ---

CHINESE = "<html><head><title>杭州</title></head><body><p>西湖 café “quoted”</p></body></html>"


def test_gbk_with_header_charset() -> None:
    decoded = decode_html(CHINESE.encode("gbk"), "text/html; charset=GBK")
    assert (decoded.text, decoded.encoding, decoded.warnings) == (CHINESE, "gb18030", [])


def test_gb2312_with_meta_charset() -> None:
    html = CHINESE.replace("<head>", '<head><meta http-equiv="Content-Type" '
                                     'content="text/html; charset=gb2312" />')  # fmt: skip
    decoded = decode_html(html.encode("gb18030"), "text/html")
    assert (decoded.text, decoded.encoding, decoded.warnings) == (html, "gb18030", [])


def test_header_charset_wins_over_meta() -> None:
    html = CHINESE.replace("<head>", '<head><meta charset="big5">')
    assert decode_html(html.encode("gbk"), "text/html; charset=gbk").text == html


def test_undeclared_gbk_is_detected() -> None:
    body = ("<p>" + "杭州市人民政府门户网站英文版。西湖风景名胜区。" * 4 + "</p>").encode("gbk")
    decoded = decode_html(body)
    assert decoded.encoding == "gb18030"
    assert decoded.text == body.decode("gbk")
    assert decoded.warnings == ["charset guessed: gb18030"]


def test_wrong_declaration_is_not_trusted_over_utf8_bytes() -> None:
    decoded = decode_html(CHINESE.encode("utf-8"), "text/html; charset=iso-8859-1")
    assert (decoded.text, decoded.warnings) == (CHINESE, [])
    decoded = decode_html(CHINESE.encode("utf-8"), "text/html; charset=gbk")
    assert decoded.text == CHINESE
    assert decoded.warnings == ["declared charset gb18030 ignored: the bytes are UTF-8"]


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_bom_wins(bom: bytes, codec: str) -> None:
    decoded = decode_html(bom + CHINESE.encode(codec), "text/html; charset=gbk")
    assert decoded.text == CHINESE


def test_invalid_utf8_is_replaced_with_a_warning() -> None:
    decoded = decode_html(CHINESE.encode("utf-8").replace(b"caf", b"caf\xff"))
    assert "caf\ufffdé" in decoded.text
    assert decoded.warnings == ["invalid UTF-8 bytes replaced"]


def test_nul_and_control_bytes_removed() -> None:
    decoded = decode_html(b"<p>a\x00b\x07c</p>")
    assert (decoded.text, decoded.warnings) == ("<p>abc</p>", ["control characters removed"])


def test_charset_labels() -> None:
    assert header_charset('text/html; charset="GBK"') == "GBK"
    assert header_charset("text/html") is None
    assert meta_charset(b'<meta charset="gb2312">') == "gb2312"
    assert (
        meta_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=utf-8"/>')
        == "utf-8"
    )


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", None, "empty body"),
        (b" \r\n\t ", "text/html", "empty body"),
        (b"%PDF-1.4 ...", None, "not HTML"),
        (b"\x89PNG\r\n\x1a\n....", None, "not HTML"),
        (b"<html><body>x</body></html>", "image/jpeg", "not HTML"),
        (b"just some words, no markup", "text/html", "not HTML"),
        ("<html>x</html>".encode("utf-16-le"), None, "not HTML"),
    ],
)
def test_not_html(body: bytes, content_type: str | None, reason: str) -> None:
    with pytest.raises(NotAnArticle) as info:
        decode_html(body, content_type)
    assert str(info.value) == reason


# --- info line, breadcrumb, title ---


@pytest.mark.parametrize(
    ("text", "source", "byline", "date", "date_text"),
    [
        ("www.ehangzhou.gov.cn| Updated: May 12, 2021 L M S", "www.ehangzhou.gov.cn", None,
         "2021-05-12", "Updated: May 12, 2021"),
        ("By Zhang Yi | chinadaily.com.cn | Updated: 2021-05-12 10:31", "chinadaily.com.cn",
         "Zhang Yi", "2021-05-12T10:31:00+08:00", "Updated: 2021-05-12 10:31"),
        ("Zhang Yi | chinadaily.com.cn | Updated: 2021-05-12 10:31", "chinadaily.com.cn",
         "Zhang Yi", "2021-05-12T10:31:00+08:00", "Updated: 2021-05-12 10:31"),
        ("Xinhua| Updated: 2022-03-08", "Xinhua", None, "2022-03-08", "Updated: 2022-03-08"),
        ("Updated: September 15, 2024", None, None, "2024-09-15", "Updated: September 15, 2024"),
        ("By Li Wei | Updated: 2021-05-12", None, "Li Wei", "2021-05-12", "Updated: 2021-05-12"),
        ("chinadaily.com.cn", "chinadaily.com.cn", None, None, None),
    ],
)  # fmt: skip
def test_info_line(text, source, byline, date, date_text) -> None:
    info = parse_info_text(text)
    assert (info.source, info.byline, info.date, info.date_text) == (
        source,
        byline,
        date,
        date_text,
    )


@pytest.mark.parametrize(
    ("title", "stripped"),
    [
        ("Hangzhou honors nine towns - www.ehangzhou.gov.cn", "Hangzhou honors nine towns"),
        ("Hangzhou honors nine towns | ehangzhou.gov.cn", "Hangzhou honors nine towns"),
        ("Hangzhou honors nine towns_eHangzhou", "Hangzhou honors nine towns"),
        ("Hangzhou - a city of lakes", "Hangzhou - a city of lakes"),
    ],
)
def test_strip_site_suffix(title: str, stripped: str) -> None:
    assert strip_site_suffix(title) == stripped


def test_section_skips_a_trailing_title() -> None:
    assert section_of(["Home", "Latest"], "T") == "Latest"
    assert section_of(["Home", "Latest", "T"], "T") == "Latest"
    assert section_of([], "T") is None


# --- pager ---

PAGER_DIV = """<div id="div_currpage"><span class="pagestyle">1</span>
 <a class="pagestyle" href="c_266285_2.htm">2</a> <a class="pagestyle" href="c_266285_3.htm">3</a>
 <a class="pagestyle" href="c_266285_2.htm">&gt;</a></div>"""
PAGER = """<html><body><div id="Content"><p>x</p></div>
<div id="div_currpage"><span class="pagestyle">1</span>
 <a class="pagestyle" href="c_266285_2.htm">2</a> <a class="pagestyle" href="c_266285_3.htm">3</a>
 <a class="pagestyle" href="c_266285_2.htm">&gt;</a></div>
<div class="page"><a href="node_7040_2.htm">2</a><a href="node_7040_4.htm">4</a></div>
</body></html>"""


def _tree(html: str) -> etree._Element:
    return etree.fromstring(html, etree.HTMLParser())


def test_pager_counts_pages_of_the_same_article() -> None:
    pager = parse_pager(_tree(PAGER), 266285)
    assert pager.count == 3
    assert pager.hrefs == {2: "c_266285_2.htm", 3: "c_266285_3.htm"}
    # Without a known id, the id most links point at is the article's.
    assert parse_pager(_tree(PAGER), None).count == 3
    # Links of another article do not count; the current page's number still does.
    assert parse_pager(_tree(PAGER), 999).count == 1


def test_pager_absent_or_empty() -> None:
    assert parse_pager(_tree("<html><body><p>x</p></body></html>"), 1) is None
    assert (
        parse_pager(_tree('<html><body><div id="div_currpage"> </div></body></html>'), 1).count
        is None
    )


# --- the record, on small pages ---

PAGE = """<html><head><meta charset="utf-8"><title>T - ehangzhou.gov.cn</title></head><body>
<div class="bread"><a href="/">Home</a>&gt; <a href="/n.htm">Culture</a></div>
<div class="con_title">A title</div>
<div class="info">Xinhua| Updated: 2021-05-12 10:31<span class="fontsize">L M S</span></div>
<div id="Content">{body}</div></body></html>"""


def _record(body: str, url: str | None = URL) -> dict:
    return extract_article([Page(url, PAGE.format(body=body).encode())], url=url)


def test_record_fields_of_a_template_page() -> None:
    record = _record("<p>One.</p><p><strong>Head</strong></p><p>Two.</p>")
    assert record == {
        "article_id": 266285,
        "url": URL,
        "page_urls": [URL],
        "page_count": 1,
        "title": "A title",
        "date": "2021-05-12T10:31:00+08:00",
        "date_text": "Updated: 2021-05-12 10:31",
        "source": "Xinhua",
        "byline": None,
        "section": "Culture",
        "breadcrumb": ["Home", "Culture"],
        "sections": [
            {"heading": None, "paragraphs": ["One."]},
            {"heading": "Head", "paragraphs": ["Two."]},
        ],
        "images": [],
        "body_text": "One.\n\nHead\n\nTwo.",
        "extraction": {"method": "template", "warnings": []},
    }


def test_image_caption_forms() -> None:
    record = _record(
        '<p><img src="a.jpg"/><br/>Same paragraph [Photo/Xinhua]</p>'
        '<figure><img src="b.jpg" alt=" B "/><figcaption>Fig caption</figcaption></figure>'
        '<p><img src="c.jpg"/></p><p style="text-align:center"><b>Centred bold</b></p>'
        '<p><img src="d.jpg"/></p><p align="center">Centred caption</p>'
        '<p><img src="e.jpg"/> plain text after</p>'
    )
    images = [
        (i["src"].rsplit("/", 1)[1], i["alt"], i["caption"], i["credit"]) for i in record["images"]
    ]
    assert images == [
        ("a.jpg", None, "Same paragraph", "Photo/Xinhua"),
        ("b.jpg", "B", "Fig caption", None),
        ("c.jpg", None, None, None),
        ("d.jpg", None, "Centred caption", None),
        ("e.jpg", None, None, None),
    ]
    assert record["sections"] == [{"heading": "Centred bold", "paragraphs": ["plain text after"]}]


def test_sections_run_across_pages_and_bad_later_page() -> None:
    page1 = PAGE.format(body="<p>Lead.</p><p><b>Part A</b></p><p>A1.</p>").encode()
    page2 = PAGE.format(body="<p>A2.</p><h2>Part B</h2><p>B1.</p>").encode()
    soft404 = b"<html><head><title>Page not found</title></head><body>404</body></html>"
    result = extract_article_result([Page(URL, page1), Page(None, page2), Page(None, soft404)])
    record = result.record
    assert record["sections"] == [
        {"heading": None, "paragraphs": ["Lead."]},
        {"heading": "Part A", "paragraphs": ["A1.", "A2."]},
        {"heading": "Part B", "paragraphs": ["B1."]},
    ]
    assert record["page_urls"] == [
        URL,
        URL.replace(".htm", "_2.htm"),
        URL.replace(".htm", "_3.htm"),
    ]
    assert record["extraction"]["warnings"] == ["page 3 not an article: page not found"]
    assert result.bad_pages == [3]


def test_truncated_page_keeps_what_is_there() -> None:
    html = PAGE.format(body="<p>First.</p><p>Second, cut off mid-sent")
    cut = html[: html.index("mid-sent") + 8].encode()
    record = extract_article([Page(URL, cut)])
    assert record["sections"] == [
        {"heading": None, "paragraphs": ["First.", "Second, cut off mid-sent"]}
    ]


def test_pages_are_not_mutated_and_results_repeat() -> None:
    body = PAGE.format(body="<p>One.</p><script>x</script>").encode()
    page = Page(URL, body)
    assert extract_article([page]) == extract_article([page])
    assert page.body == body


def test_editor_trailer_dropped_but_editors_note_kept() -> None:
    record = _record("<p>Editor's note: read this.</p><p>Body.</p><p>Editor: Zhang Yi</p>")
    assert record["sections"] == [
        {"heading": None, "paragraphs": ["Editor's note: read this.", "Body."]}
    ]


def test_caption_centred_by_class() -> None:
    record = _record('<p><img src="a.jpg"/></p><p class="text-center">A caption</p><p>Body.</p>')
    assert record["images"][0]["caption"] == "A caption"
    assert record["sections"] == [{"heading": None, "paragraphs": ["Body."]}]


def test_breadcrumb_label_removed() -> None:
    html = PAGE.format(body="<p>x</p>").replace(
        '<div class="bread">', '<div class="bread">You are here: '
    )
    record = extract_article([Page(URL, html.encode())])
    assert (record["breadcrumb"], record["section"]) == (["Home", "Culture"], "Culture")


def test_url_that_is_not_an_article_url_is_refused() -> None:
    with pytest.raises(BadURL):
        _record("<p>x</p>", url="https://www.ehangzhou.gov.cn/node_7040.htm")


def test_untitled_error_page_with_long_chrome_is_page_not_found() -> None:
    chrome = "<ul>" + "<li><a href='#'>A link in the site navigation</a></li>" * 80 + "</ul>"
    html = (
        f"<html><head><title>eHangzhou</title></head><body>{chrome}"
        "<div>Sorry, the page does not exist.</div></body></html>"
    )
    with pytest.raises(NotAnArticle) as info:
        extract_article([Page(URL, html.encode())])
    assert str(info.value) == "page not found"


UNKNOWN = """<html><head><meta charset="utf-8"><title>West Lake lights up | eHangzhou</title></head>
<body><header><h1 class="logo">eHangzhou</h1>
<nav><ul><li><a href="/">Home</a></li></ul></nav></header>
<article><h1>West Lake lights up</h1>
<div class="meta"><span>By Li Wei</span>
<time datetime="2024-09-14T20:00:00Z">Sept 14, 2024</time></div>
<p>The lake was lit up on Saturday night, drawing crowds to the causeway.</p>
<h2>Crowds</h2><p>Police said more than 100,000 people came.</p></article>
<aside><ul><li><a href="x">Another story</a></li></ul></aside></body></html>"""


def test_unknown_template_is_read_by_trafilatura_and_htmldate() -> None:
    record = extract_article([Page(URL, UNKNOWN.encode())])
    assert (record["title"], record["date"], record["date_text"]) == (
        "West Lake lights up",
        "2024-09-15T04:00:00+08:00",
        None,  # htmldate gives the moment, not where it was printed
    )
    assert record["sections"] == [
        {
            "heading": None,
            "paragraphs": [
                "The lake was lit up on Saturday night, drawing crowds to the causeway."
            ],
        },
        {"heading": "Crowds", "paragraphs": ["Police said more than 100,000 people came."]},
    ]
    assert record["extraction"] == {
        "method": "fallback",
        "warnings": [
            "title from trafilatura",
            "no info line",
            "date from htmldate",
            "no breadcrumb",
            "body from trafilatura",
        ],
    }


PAGE_URL = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"


@pytest.mark.parametrize(
    "src",
    [
        "../../img/attachement/jpg/site48/20210512/1620800000001.jpg",
        "/img/attachement/png/site48/20210512/1.png",
        "http://ehangzhou.gov.cn/img/a.jpg",
        "//www.ehangzhou.gov.cn/img/a.jpg",
        "HTTPS://EHANGZHOU.GOV.CN/img/a.jpg",
        "http://img.chinadaily.com.cn/images/a.jpg",
        "//img.chinadaily.com.cn/images/a.jpg",
        "a.jpg?x=2&b=1",
        "/img/a b.jpg",
        "/img/%7Ea.jpg#frag",
        "javascript:void(0)",
    ],
)
def test_fast_src_resolution_equals_canonicalize_url(src: str) -> None:
    try:
        slow = canonicalize_url(src, PAGE_URL)
    except BadURL:
        slow = None
    assert resolve_src(src, PAGE_URL) == slow


def test_info_date_without_label_is_flagged() -> None:
    assert parse_info_text("Xinhua| 2022-03-09 11:20").labelled is False
    assert parse_info_text("Xinhua| Updated: 2022-03-09 11:20").labelled is True


def _page_bytes(body: str, charset: str = "utf-8") -> bytes:
    return PAGE.format(body=body).replace('charset="utf-8"', f'charset="{charset}"').encode()


def test_latin1_bytes_in_a_page_declared_utf8_are_detected() -> None:
    body = _page_bytes("<p>café</p>").replace("é".encode(), b"\xe9")
    record = extract_article([Page(URL, body)])
    assert record["sections"] == [{"heading": None, "paragraphs": ["café"]}]
    assert record["extraction"]["warnings"] == ["charset guessed: cp1252"]


def test_repair_warnings_10_to_15_in_the_record() -> None:
    utf8_declared_gbk = _page_bytes("<p>西湖</p>", "gbk")
    bad_utf8 = _page_bytes("<p>西湖 café</p>").replace("é".encode(), b"\xe9")
    controls = _page_bytes("<p>a\x00b</p>")
    unusable = _page_bytes('<p><img src="javascript:void(0)"/></p><p>x</p>')
    undeclared_gbk = PAGE.format(body="<p>" + "杭州市人民政府门户网站英文版。" * 5 + "</p>")
    undeclared_gbk = undeclared_gbk.replace('<meta charset="utf-8">', "").encode("gbk")
    record = extract_article(
        [
            Page(URL, utf8_declared_gbk),
            Page(None, bad_utf8),
            Page(None, undeclared_gbk),
            Page(None, controls),
            Page(None, unusable),
        ],
        url=URL,
    )
    assert record["extraction"]["warnings"] == [
        "declared charset gb18030 ignored: the bytes are UTF-8",
        "page 2: invalid UTF-8 bytes replaced",
        "page 3: charset guessed: gb18030",
        "page 4: control characters removed",
        "page 5: image with unusable src skipped: javascript:void(0)",
    ]
    assert record["sections"][0]["paragraphs"][:4] == [
        "西湖",
        "西湖 caf\ufffd",
        "杭州市人民政府门户网站英文版。" * 5,
        "ab",
    ]


def test_xml_declaration_charset() -> None:
    body = '<?xml version="1.0" encoding="gb2312"?><html><body><p>西湖</p></body></html>'
    assert meta_charset(body.encode("gbk")) == "gb2312"
    assert decode_html(body.encode("gbk")).text == body


def test_br_before_an_image_does_not_make_the_text_after_it_a_caption() -> None:
    record = _record('<p>Intro.<br/><img src="a.jpg"/>Text goes on.</p>')
    assert record["images"][0]["caption"] is None
    assert record["sections"] == [{"heading": None, "paragraphs": ["Intro.", "Text goes on."]}]
    record = _record('<p>Intro.<br/><img src="a.jpg"/><br/>The caption</p>')
    assert record["images"][0]["caption"] == "The caption"


def test_info_line_in_spans_with_nbsp() -> None:
    html = PAGE.format(body="<p>x</p>").replace(
        '<div class="info">Xinhua| Updated: 2021-05-12 10:31',
        '<div class="info"><span>By&nbsp;Zhang Yi</span>&nbsp;|&nbsp;<span>chinadaily.com.cn'
        "</span>&nbsp;|&nbsp;<span>Updated:&nbsp;2021-05-12 10:31</span>",
    )
    record = extract_article([Page(URL, html.encode())])
    assert (record["byline"], record["source"], record["date_text"]) == (
        "Zhang Yi",
        "chinadaily.com.cn",
        "Updated: 2021-05-12 10:31",
    )


def test_record_never_drifts_from_its_typed_description():
    """Every record has exactly the keys of extraction.record.Record and its parts, in order."""
    item = capture("01_three_page_towns")
    record = extract_article([Page(p.url, p.body, p.headers) for p in item.pages], url=item.url)
    assert list(record) == list(Record.__annotations__)
    assert len(record["sections"]) == 4
    assert {tuple(s) for s in record["sections"]} == {tuple(Section.__annotations__)}
    assert {tuple(i) for i in record["images"]} == {tuple(Image.__annotations__)}
    assert list(record["extraction"]) == list(Extraction.__annotations__)
