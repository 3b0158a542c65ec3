"""One article's record from the raw pages of that article (site-model.md, "Record fields")."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from lxml import etree

from ehz_scraper.errors import BadURL, NotAnArticle
from ehz_scraper.extraction.body import BodyPart, extract_body, find_body, parse_pager
from ehz_scraper.extraction.dates import date_from_url
from ehz_scraper.extraction.decode import decode_html
from ehz_scraper.extraction.fallback import Reading, fallback_body, page_date, read_page
from ehz_scraper.extraction.metadata import (
    breadcrumb,
    canonical_link,
    info_line,
    looks_not_found,
    meta_date,
    meta_tags,
    printed_date,
    section_of,
    template_blocks,
    template_title,
)
from ehz_scraper.extraction.page import Page
from ehz_scraper.extraction.record import Image, Record, Section
from ehz_scraper.site import selectors as xpaths
from ehz_scraper.site.urls import (
    SITE_ORIGIN,
    article_page_url,
    canonicalize_url,
    parse_article_url,
)
from ehz_scraper.site.urls import page1_url as canonical_page1

# One parser for every page: comments and processing instructions never reach the walk.
# huge_tree: without it libxml2 stops at 256 levels of nesting and drops the rest silently.
_PARSER = etree.HTMLParser(
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
    no_network=True,
    default_doctype=False,
    huge_tree=True,
)
# The warning of a page cut where it nests deeper than even huge_tree parses (2048 levels);
# the run report counts records that carry it.
MAX_DEPTH = 2048  # libxml2's nesting limit with huge_tree
CUT_WARNING = "markup nested too deep: the page was cut at the parser's depth limit"


@dataclass(frozen=True)
class ArticleExtraction:
    """An article's record, and the 1-based numbers of its pages that were not article pages."""

    record: Record
    bad_pages: list[int]
    video_players: int = 0  # players (video, embed, object, iframe) in the pages' body


@dataclass
class _Parsed:
    tree: etree._Element
    warnings: list[str]
    data: bytes  # the page as UTF-8, for the fallback's libraries
    _reading: Reading | None = field(default=None, repr=False)

    def reading(self) -> Reading:
        """trafilatura's reading of the page, made once (only pages off the template need it)."""
        if self._reading is None:
            self._reading = read_page(self.data, with_title=True)
        return self._reading


def parse_page(page: Page) -> _Parsed:
    """Decode and parse one page; NotAnArticle for an empty or non-HTML body."""
    decoded = decode_html(page.body, page.header("Content-Type"))
    try:
        root = etree.fromstring(decoded.data, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    if root is None or (root.find("body") is None and not len(root)):
        raise NotAnArticle("empty body")
    warnings = list(decoded.warnings)
    if any("Excessive depth in document" in e.message for e in _PARSER.error_log):
        warnings.append(CUT_WARNING)
    return _Parsed(root, warnings, decoded.data)


def _title(parsed: _Parsed, blocks: dict) -> tuple[str, str | None]:
    """(title, fallback used or None); NotAnArticle when the page is not an article."""
    tree = parsed.tree
    has_body = bool(xpaths.CONTENT(tree))
    if not has_body and looks_not_found(tree):
        raise NotAnArticle("page not found")
    title = template_title(blocks)
    if title is not None:
        return title, None
    title, how = parsed.reading().title, "trafilatura"
    if title is None:
        # Without a title, error wording anywhere on the page says what the page is.
        raise NotAnArticle("page not found" if looks_not_found(tree, anywhere=True) else "no title")
    return title, how


def _body(parsed: _Parsed, page_url: str | None, page: int) -> tuple[BodyPart, bool]:
    """The page's body and whether it came from the fallback (no `#Content`)."""
    container = find_body(parsed.tree)
    if container is not None:
        return extract_body(container, base_url=page_url, page=page), False
    return fallback_body(parsed.reading(), parsed.tree, base_url=page_url, page=page), True


def _page_url(page: Page, page1_url: str | None, k: int) -> str | None:
    if page.url:
        try:
            return canonicalize_url(page.url)
        except BadURL:
            pass
    return article_page_url(page1_url, k) if page1_url else None


def extract_article_result(
    pages: Sequence[Page],
    *,
    url: str | None = None,
    url_hint: str | None = None,
    article_id_hint: int | None = None,
) -> ArticleExtraction:
    """The record of the article whose pages (in order) are `pages`, and which pages were bad.

    `url` is page 1's URL (else `pages[0].url`, else the page's canonical link or og:url, else
    `url_hint`, e.g. from a file name); `article_id_hint` is used when no URL gives the id.
    Raises NotAnArticle when page 1 is not an article, BadURL when `url` is not an article URL.
    """
    with _room_for_depth():
        return _extract(pages, url, url_hint, article_id_hint)


@contextmanager
def _room_for_depth() -> Iterator[None]:
    # The body walk recurses once per level of nesting; huge_tree lets a page nest 2048
    # levels deep, past Python's default limit of 1000 (a RecursionError lost the article).
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(old + 2 * MAX_DEPTH)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def _extract(
    pages: Sequence[Page],
    url: str | None,
    url_hint: str | None,
    article_id_hint: int | None,
) -> ArticleExtraction:
    if not pages:
        raise NotAnArticle("no pages")
    given_url = canonical_page1(url)
    if url is not None and given_url is None:
        raise BadURL(f"not an article URL of the site: {url}")
    first = parse_page(pages[0])
    tree = first.tree
    meta = meta_tags(tree)
    blocks = template_blocks(tree)
    title, title_how = _title(first, blocks)

    page1_url = given_url or canonical_page1(pages[0].url)
    if page1_url is None:
        href, _ = canonical_link(tree, meta)
        page1_url = canonical_page1(href, SITE_ORIGIN + "/") or canonical_page1(url_hint)
    ref = parse_article_url(page1_url) if page1_url else None
    article_id = ref.article_id if ref is not None else article_id_hint

    # Date: the info line wins; off the template htmldate, on it meta tags, then printed text.
    info = info_line(blocks)
    date = date_text = date_how = None
    off_template = title_how is not None or find_body(tree) is None
    if info is not None and info.date:
        date, date_text = info.date, info.date_text
        if not info.labelled:
            date_how = "page text"  # a date somewhere in the info line, without "Updated:"
    elif off_template:
        date, date_how = page_date(first.data), "htmldate"
        if date is None:
            date = date_from_url(page1_url)
            date_how = "URL" if date else None
    else:
        date, _ = meta_date(meta)
        date_how = "meta tag"
        if date is None and info is None:
            date, date_text = printed_date(tree)
            date_how = "page text"
        if date is None:
            date = date_from_url(page1_url)
            date_how = "URL" if date else None

    trail = breadcrumb(blocks)

    # Body, page by page; a section runs on across a page break.
    sections: list[Section] = []
    images: list[Image] = []
    page_urls: list[str | None] = []
    bad_pages: list[int] = []
    bad_reasons: list[str] = []
    body_fallback = False
    players = 0
    other_warnings = list(first.warnings)  # outside the README's vocabulary: decoding, image URLs
    for k, page in enumerate(pages, start=1):
        page_url = page1_url if k == 1 and page1_url else _page_url(page, page1_url, k)
        page_urls.append(page_url)
        prefix = "" if k == 1 else f"page {k}: "
        if k == 1:
            parsed = first
            part, from_fallback = _body(parsed, page_url, k)
        else:
            try:
                parsed = parse_page(page)
                _title(parsed, template_blocks(parsed.tree))
                part, from_fallback = _body(parsed, page_url, k)
            except NotAnArticle as exc:
                bad_pages.append(k)
                bad_reasons.append(f"page {k} not an article: {exc}")
                continue
            except Exception as exc:  # noqa: BLE001 - one bad later page must not lose page 1
                bad_pages.append(k)
                bad_reasons.append(f"page {k} extractor error: {type(exc).__name__}: {exc}")
                continue
            other_warnings.extend(prefix + w for w in parsed.warnings)
        players += sum(len(xpaths.VIDEO_PLAYER(c)) for c in xpaths.CONTENT(parsed.tree))
        body_fallback = body_fallback or from_fallback
        other_warnings.extend(prefix + w for w in part.warnings)
        part_sections = part.sections
        if part_sections and part_sections[0]["heading"] is None and sections:
            sections[-1]["paragraphs"].extend(part_sections[0]["paragraphs"])
            part_sections = part_sections[1:]
        sections.extend(part_sections)
        images.extend(part.images)

    # Warnings in the order of tests/fixtures/pages/README.md's vocabulary.
    warnings: list[str] = []
    pager = parse_pager(tree, article_id)
    if pager is not None and pager.count is not None and pager.count != len(pages):
        warnings.append(f"pager announces {pager.count} pages, {len(pages)} given")
    warnings.extend(bad_reasons)
    if title_how:
        warnings.append(f"title from {title_how}")
    if info is None:
        warnings.append("no info line")
    if date is None:
        warnings.append("no date")
    elif date_how:
        warnings.append(f"date from {date_how}")
    if not trail:
        warnings.append("no breadcrumb")
    if body_fallback:
        warnings.append("body from trafilatura")
    if not sections:
        warnings.append("no body text")
    warnings.extend(other_warnings)
    method = "fallback" if title_how or body_fallback else "template"

    body_text = "\n\n".join(
        text
        for section in sections
        for text in ([section["heading"]] if section["heading"] else []) + section["paragraphs"]
    )
    record: Record = {
        "article_id": article_id,
        "url": page1_url,
        "page_urls": page_urls,
        "page_count": len(pages),
        "title": title,
        "date": date,
        "date_text": date_text,
        "source": info.source if info else None,
        "byline": info.byline if info else None,
        "section": section_of(trail, title),
        "breadcrumb": trail,
        "sections": sections,
        "images": images,
        "body_text": body_text,
        "extraction": {"method": method, "warnings": warnings},
    }
    return ArticleExtraction(record, bad_pages, players)


def extract_article(
    pages: Sequence[Page],
    *,
    url: str | None = None,
    url_hint: str | None = None,
    article_id_hint: int | None = None,
) -> Record:
    """The record of the article whose pages (in order) are `pages`; see extract_article_result."""
    return extract_article_result(
        pages, url=url, url_hint=url_hint, article_id_hint=article_id_hint
    ).record
