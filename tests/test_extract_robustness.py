"""The extractor on damaged input: a record or NotAnArticle, never another exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ehz_scraper.errors import NotAnArticle
from ehz_scraper.extraction import Page, extract_article

URL = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"
SEED_PAGE = Path(__file__).parent / "fixtures" / "pages" / "01_three_page_towns" / "c_266285.htm"
FRAGMENTS = [
    "<p>", "</p>", "<div id='Content'>", "<div class='con_title'>T</div>", "<br/>", "<img src='",
    "x.jpg'>", "<strong>", "</strong>", "<table><tr><td>", "</td><td>", "&nbsp;", "&rsquo;",
    "<div class='info'>Updated: 2021-05-12 10:31 | ", "[Photo/Xinhua]", "<script>", "</script>",
    "<h2>", "</h2>", "<figure>", "<figcaption>", "\x00", "\u3000", "杭州", "<!--", "-->", "<?xml ",
    "<meta charset='gbk'>", "<title>", "</title>", "Page not found", "<", ">", '"', "'",
]  # fmt: skip


RECORD_FIELDS = {
    "article_id", "body_text", "breadcrumb", "byline", "date", "date_text", "extraction",
    "images", "page_count", "page_urls", "section", "sections", "source", "title", "url",
}  # fmt: skip
# Every reason the extractor gives for a page that is not an article.
NOT_AN_ARTICLE = {"empty body", "not HTML", "no title", "page not found"}
TITLE = "Hangzhou honors nine characteristic towns"


def _extract(body: bytes) -> dict | None:
    """The record (with every named field) or None for NotAnArticle with a known reason."""
    try:
        record = extract_article([Page(URL, body)])
    except NotAnArticle as exc:
        assert str(exc) in NOT_AN_ARTICLE
        return None
    assert set(record) == RECORD_FIELDS
    assert (record["url"], record["article_id"]) == (URL, 266285)
    assert record["extraction"]["method"] in ("template", "fallback")
    assert record["title"].strip() == record["title"] != ""
    return record


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes(body: bytes) -> None:
    _extract(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60))
def test_any_tag_soup(parts: list[str]) -> None:
    _extract("".join(parts).encode("utf-8"))


WORDS = st.text(alphabet="abcdefghij klmnopqrst", min_size=1, max_size=40).map(str.strip)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ABCDEFGHIJ klm", min_size=1, max_size=30).map(str.strip).filter(bool),
       st.lists(WORDS.filter(bool), min_size=1, max_size=8))  # fmt: skip
def test_template_page_gives_its_title_and_paragraphs(title: str, paragraphs: list[str]) -> None:
    # An extractor that refused pages, or lost text, fails here.
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = (f"<html><body><div class='con_title'>{title}</div>"
            f"<div class='info'>Updated: May 12, 2021</div><div id='Content'>{body}</div>"
            "</body></html>")  # fmt: skip
    record = _extract(page.encode())
    assert record is not None
    method = record["extraction"]["method"]
    assert (record["title"], method) == (" ".join(title.split()), "template")
    assert record["body_text"] == "\n\n".join(" ".join(p.split()) for p in paragraphs)
    assert record["date"] == "2021-05-12"


FULL = extract_article([Page(URL, SEED_PAGE.read_bytes())])


@pytest.mark.parametrize("fraction", [i / 20 for i in range(1, 20)])
def test_seed_page_truncated_anywhere(fraction: float) -> None:
    body = SEED_PAGE.read_bytes()
    record = _extract(body[: int(len(body) * fraction)])
    assert record is not None and record["title"] == TITLE
    # Cut before #Content the title comes from <title> (fallback); the text is always a
    # prefix of the whole page's (its last paragraph may be cut short), whole from 55%.
    assert record["extraction"]["method"] == ("fallback" if fraction < 0.3 else "template")
    kept = record["body_text"].split("\n\n")[:-1]
    assert FULL["body_text"].startswith("\n\n".join(kept))
    if fraction >= 0.55:
        assert record["body_text"] == FULL["body_text"]
    assert (fraction >= 0.3) == (record["body_text"] != "")
