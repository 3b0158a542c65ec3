"""The record: what extraction hands to storage and to users, one per article (all its pages).

This is the one description of the record's fields; docs/architecture.md links here. JSON
exports and the `versions.record` column hold exactly these keys, in this order.
"""

from __future__ import annotations

from typing import Literal, TypedDict


class Section(TypedDict):
    """A sub-headed part of the body; the lead section's heading is None."""

    heading: str | None
    paragraphs: list[str]


class Image(TypedDict):
    """An image in the body, with its caption and photo credit (either may be None)."""

    src: str  # absolute URL, canonicalised like any site URL (off-site ones as written)
    alt: str | None  # None when missing or empty
    caption: str | None  # without the credit bracket
    credit: str | None  # the bracket's inner text verbatim, e.g. "Photo/zjol.com.cn"
    page: int  # 1-based page of the article the image is on


class Extraction(TypedDict):
    """How the record was made: the template's selectors, or a fallback; what was missing."""

    method: Literal["template", "fallback"]
    warnings: list[str]  # the vocabulary is in tests/fixtures/pages/README.md


class Record(TypedDict):
    """One article."""

    article_id: int  # the number after c_
    url: str | None  # canonical URL of page 1
    page_urls: list[str | None]  # canonical URLs of all pages, in order
    page_count: int
    title: str  # without the <title> tag's site suffix
    date: str | None  # ISO 8601: 2021-05-12, or 2021-05-12T10:31:00+08:00 with a time
    date_text: str | None  # the date as printed ("Updated: May 12, 2021"); None if not printed
    source: str | None  # from the info line, e.g. "www.ehangzhou.gov.cn"
    byline: str | None  # e.g. "Zhang Yi", or None
    section: str | None  # the breadcrumb's last item, e.g. "Latest"
    breadcrumb: list[str]  # the whole trail, "Home" included
    sections: list[Section]
    images: list[Image]
    body_text: str  # headings and paragraphs joined by blank lines (what search indexes)
    extraction: Extraction
