"""Link finding for the spiders: pure functions over lxml trees, selectors in nav_xpaths.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html
from lxml.etree import ParserError

from ehz_scraper.errors import BadURL
from ehz_scraper.extraction.text import normalize_space
from ehz_scraper.site import selectors as X
from ehz_scraper.site.urls import (
    HOME_PATHS,
    LATER_PAGE_HREF_RE,
    canonicalize_url,
    is_site_url,
    later_page_marker,
    parse_article_url,
)

_HOME_PATHS = frozenset({"/", "/index.htm", "/index.html", "/index.shtml"})
# A pager's page number: ASCII digits (isdigit() takes "²", int() does not), a sane length.
_NUMBER = re.compile(r"^[0-9]{1,6}$")


@dataclass(frozen=True)
class Link:
    """A link found on a page: its text (whitespace collapsed) and canonical URL."""

    text: str
    url: str


@dataclass(frozen=True)
class ListingLinks:
    """The articles a listing page lists, in order, and which selector found them."""

    urls: list[str]  # canonical page-1 URLs, newest first, each once
    selector: int  # which strategy found them (see listing_articles); -1 when none matched

    @property
    def fallback(self) -> bool:
        """True when no list container was found and a generic fallback found the links."""
        return self.selector >= len(X.LISTING_CONTAINERS)


# huge_tree: without it libxml2 stops at 256 levels of nesting (300 unclosed <font> tags) and
# silently drops the rest of the page; with it, at 2048 levels, which is then reported.
_PARSER = lxml.html.HTMLParser(huge_tree=True)
CUT_MARKUP = "Excessive depth in document"


def parse_html_cut(body: bytes | str) -> tuple[lxml.html.HtmlElement | None, bool]:
    """(tree or None when the bytes hold no HTML, True when the parser cut the page short)."""
    if not body:
        return None, False
    try:
        tree = lxml.html.document_fromstring(body, parser=_PARSER)
    except (ParserError, ValueError):
        return None, False
    return tree, any(CUT_MARKUP in e.message for e in _PARSER.error_log)


def parse_html(body: bytes | str) -> lxml.html.HtmlElement | None:
    """An lxml tree of a page, or None when the bytes hold no HTML at all."""
    return parse_html_cut(body)[0]


def _links(
    tree: lxml.html.HtmlElement, xpath: str, page_url: str, mirror: str | None
) -> list[Link]:
    """Every on-site link an XPath selects, canonicalised; unparseable hrefs are skipped."""
    found = []
    for anchor in tree.xpath(xpath):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith("#") or href.lower().startswith(("javascript:", "mailto:")):
            continue
        try:
            url = canonicalize_url(href, page_url, mirror=mirror)
        except BadURL:
            continue  # a malformed href on a page is the page's problem, not a link
        if is_site_url(url):
            found.append(Link(_anchor_text(anchor), url))
    return found


def _anchor_text(anchor: lxml.html.HtmlElement) -> str:
    """The link's text; an image link's alt text or the link's title when it has none."""
    text = normalize_space(anchor.text_content())
    if not text:
        alts = anchor.xpath(".//img/@alt")
        text = normalize_space(anchor.get("title") or (alts[0] if alts else ""))
    return text


def nav_links(tree: lxml.html.HtmlElement, page_url: str, mirror: str | None = None) -> list[Link]:
    """The home page's section links (not Home, not articles), in page order, each URL once."""
    for xpath in X.NAV_LINKS:
        links = [
            link
            for link in _links(tree, xpath, page_url, mirror)
            if link.text
            and urlsplit(link.url).path not in HOME_PATHS
            and parse_article_url(link.url) is None
        ]
        if links:
            return _unique(links)
    return []


def find_section(
    tree: lxml.html.HtmlElement, name: str, page_url: str, mirror: str | None = None
) -> Link | None:
    """The navigation link whose text is `name` (case- and space-insensitive), else None.

    An exact match anywhere in the navigation wins; failing that, a link whose text starts
    with the name as a whole word ("Latest News" for "Latest").
    """
    wanted = normalize_space(name).casefold()
    candidates = [link for xpath in X.NAV_LINKS for link in _links(tree, xpath, page_url, mirror)]
    for link in candidates:
        if link.text.casefold() == wanted:
            return link
    for link in candidates:
        if link.text.casefold().startswith(wanted + " ") and parse_article_url(link.url) is None:
            return link
    return None


def listing_articles(
    tree: lxml.html.HtmlElement, page_url: str, mirror: str | None = None
) -> ListingLinks:
    """The articles a listing page lists (page-1 URLs, in order): the list first, then fallbacks.

    `selector` is the index of the strategy that answered: 0.. for LISTING_CONTAINERS, then
    LISTING_ITEMS_FALLBACK after them; -1 when nothing matched at all.
    """
    for index, container_xpath in enumerate(X.LISTING_CONTAINERS):
        containers = tree.xpath(container_xpath)
        if containers:
            urls = [
                u
                for c in containers
                for u in _article_links(c, X.LISTING_ITEMS_IN_CONTAINER, page_url, mirror)
            ]
            return ListingLinks(list(dict.fromkeys(urls)), index)
    for offset, xpath in enumerate(X.LISTING_ITEMS_FALLBACK):
        urls = _article_links(tree, xpath, page_url, mirror)
        if urls:
            return ListingLinks(list(dict.fromkeys(urls)), len(X.LISTING_CONTAINERS) + offset)
    return ListingLinks([], -1)


def _article_links(
    root: lxml.html.HtmlElement, xpath: str, page_url: str, mirror: str | None
) -> list[str]:
    """Page-1 URLs of the article links an XPath selects under `root`, in order."""
    urls = []
    for link in _links(root, xpath, page_url, mirror):
        ref = parse_article_url(link.url)
        if ref is not None:
            urls.append(ref.page1_url)
    return urls


def next_listing_page(
    tree: lxml.html.HtmlElement, page_url: str, current: int, mirror: str | None = None
) -> str | None:
    """The URL of the listing's next page: a "next" link, else the link numbered current+1."""
    here = canonicalize_url(page_url, mirror=mirror)
    for xpath in X.LISTING_PAGER_LINKS:
        links = [
            link
            for link in _links(tree, xpath, page_url, mirror)
            if link.url != here and parse_article_url(link.url) is None
        ]
        for link in links:
            if _is_next(link.text):
                return link.url
        for link in links:
            if _NUMBER.match(link.text) and int(link.text) == current + 1:
                return link.url
    return None


def _is_next(text: str) -> bool:
    """ "Next", "Next >", "next page »", ">", ">>", "下一页": a pager's next-page link."""
    text = text.casefold()
    core = text.strip(X.NEXT_ARROWS + " ")
    return core in X.NEXT_LINK_WORDS or (not core and bool(text))


def article_pages(
    body: bytes, page_url: str, article_id: int, mirror: str | None = None
) -> dict[int, str]:
    """Pages >= 2 of article `article_id` linked from this page ({page: canonical URL}).

    Recognised by the `c_<id>_<k>.htm` suffix of the same id, wherever the pager sits, so
    related-article links and other widgets' pagers never count. Read from the raw bytes:
    parsing a 50 KB page only to find its pager cost more than the rest of the spider.
    """
    pages: dict[int, str] = {}
    if later_page_marker(article_id) not in body:
        return pages  # most articles have one page: a byte search settles it
    for match in LATER_PAGE_HREF_RE.finditer(body):
        if int(match[2]) != article_id:
            continue
        try:
            url = canonicalize_url(match[1].decode("ascii"), page_url, mirror=mirror)
        except (BadURL, UnicodeDecodeError):
            continue  # a malformed href on a page is the page's problem, not a link
        ref = parse_article_url(url)
        if ref is not None and ref.article_id == article_id and ref.page >= 2:
            pages.setdefault(ref.page, ref.url)
    return dict(sorted(pages.items()))


def _unique(links: list[Link]) -> list[Link]:
    seen: set[str] = set()
    out = []
    for link in links:
        if link.url not in seen:
            seen.add(link.url)
            out.append(link)
    return out


def image_urls(body: bytes, page_url: str, mirror: str | None = None) -> list[str]:
    """Canonical URLs of the site's own images shown on a page (`<img src>`), in page order.

    Images on other hosts are left out: ehz fetches only from the site (or its mirror).
    """
    found: dict[str, None] = {}
    for match in X.IMAGE_SRC_RE.finditer(body):
        try:
            url = canonicalize_url(match[1].decode("ascii"), page_url, mirror=mirror)
        except (BadURL, UnicodeDecodeError):
            continue
        if is_site_url(url):
            found.setdefault(url, None)
    return list(found)
