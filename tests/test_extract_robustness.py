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


def _extract(body: bytes) -> None:
    try:
        record = extract_article([Page(URL, body)])
    except NotAnArticle as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert record["url"] == URL
    assert isinstance(record["body_text"], str)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes(body: bytes) -> None:
    _extract(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60))
def test_any_tag_soup(parts: list[str]) -> None:
    _extract("".join(parts).encode("utf-8"))


@pytest.mark.parametrize("fraction", [i / 20 for i in range(1, 20)])
def test_seed_page_truncated_anywhere(fraction: float) -> None:
    body = SEED_PAGE.read_bytes()
    _extract(body[: int(len(body) * fraction)])
