"""Every selector ehz uses on the site's pages, article and navigation: a redesign is a diff here.

Sections: 1. the article template; 2. article fallbacks (unknown templates); 3. text rules
(chrome, trailers, soft 404s, the info line); 4. navigation (home nav, listings, pagers).
URL patterns (c_<id>.htm, dates in paths) live beside this in `urls.py`.
"""

from __future__ import annotations

import re

from lxml import etree

_X = etree.XPath


def _cls(name: str) -> str:
    """XPath test for an element carrying CSS class `name`."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# Speed notes: id() uses libxml2's ID table (~1 us, against ~300 us for //*[@id=...] on a
# 50 KB page); "/descendant::name" beats "//name"; a step that names its element beats
# "*[predicate]" by far.

### 1. ARTICLE PAGE: THE TEMPLATE
# The CMS's article page (site-model.md, "Modelled: article page markup") ---
# The title, info line and breadcrumb are the `div`s with these classes. One pass collects
# every classed div and Python sorts them by class token: 2-4x faster than a query per class.
TITLE_CLASS, INFO_CLASS, BREADCRUMB_CLASS = "con_title", "info", "bread"
TEMPLATE_BLOCKS = _X("/descendant::div[@class]")
CONTENT = _X("id('Content')")
# A video-only article is recognised by its player in the body, never by missing text.
VIDEO_PLAYER = _X(".//video | .//embed | .//object | .//iframe[@src]")
PAGER = _X("id('div_currpage')")

### 2. ARTICLE PAGE: FALLBACKS (generic markup, for pages in a template we have not seen)
META = _X("/html/head/meta[@content] | /html/body/meta[@content]")
LINK_CANONICAL = _X(
    "/html/head/link[@href][contains(translate(@rel, 'CANONICAL', 'canonical'), 'canonical')]"
)
# Candidates for a printed date on an unknown template.
# (A union of named steps, each guarded by [@class or @id]: libxml2 tests the name and the
# attribute's presence before the string tests, so this is many times faster than one
# `descendant::*[contains(...)]` step.)
_DATEISH = (
    "[@class or @id][contains(@class, 'date') or contains(@class, 'time')"
    " or contains(@class, 'info') or contains(@id, 'date') or contains(@id, 'time')]"
)
DATE_AREAS = _X(
    "/html/body/descendant::time[@datetime]"
    + "".join(
        f" | /html/body/descendant::{tag}{_DATEISH}"
        for tag in ("span", "div", "p", "em", "i", "font", "td", "li")
    )
)
# Soft 404 wording is looked for in these (and in the whole text of short pages).
NOT_FOUND_AREAS = _X(
    "/html/head/title | /html/body/descendant::h1 | /html/body/descendant::h2"
    " | /html/body/descendant::h3"
    " | /html/body/descendant::div[@class or @id][contains(@class, '404') or contains(@id, '404')]"
)

# The whole text of the page (scripts included: only searched for "page not found").
PAGE_TEXT = _X("string(/html/body)")
# Meta tags that carry the publication date, best first.
DATE_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "dc.date.issued",
    "dc.date",
    "date",
    "article:modified_time",
    "og:updated_time",
    "datemodified",
)

### 3. TEXT RULES
# Pieces of page chrome found inside or next to the body, left out of every text.
SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "embed", "video", "audio",
     "source", "track", "form", "button", "select", "textarea", "input", "svg", "canvas", "map",
     "head", "title", "meta", "link"}
)  # fmt: skip
# class/id of widgets: share buttons, the font-size switcher, pagers.
WIDGET = re.compile(
    r"share|jiathis|bdshare|social|fontsize|font-size|qrcode|wechat|weibo|currpage|pagestyle"
    r"|toolbar|print",
    re.I,
)
# "Editor: Zhang Yi" trailers (also "(Editor: ...)", "Chief editor: ...", "Edited by ...").
EDITOR_TRAILER = re.compile(
    r"^[\[(（]?\s*(?:(?:chief\s+|executive\s+)?editors?\s*[:：]|edited\s+by\b)", re.I
)
# Soft 404 wording, in the page's text; a bare "404" only counts in the title and headings.
# (Searched in raw text, so words may be separated by any run of whitespace.)
NOT_FOUND = re.compile(
    r"page\s+not\s+found|not\s+be\s+found|404\s+not\s+found|no\s+longer\s+available"
    r"|does\s+not\s+exist|页面不存在|找不到|无法找到|您访问的页面",
    re.I,
)
NOT_FOUND_HEADING = re.compile(NOT_FOUND.pattern + r"|\b404\b", re.I)
# The site's name, alone (a title that is only this is no title) or as a suffix of <title>.
SITE_NAME = re.compile(
    r"^(?:www\.)?e-?hangzhou(?:\.gov\.cn)?$|^hangzhou(?:,? china)?$|^english\.hangzhou\.gov\.cn$",
    re.I,
)
SITE_SUFFIX = re.compile(r"\s*(?:[-_|–—·:]+)\s*(?:www\.)?e-?hangzhou(?:\.gov\.cn)?[^-_|–—]*$", re.I)
# Info line parts.
INFO_SEPARATOR = re.compile(r"\s*[|｜]\s*")
INFO_DATE_LABEL = re.compile(
    r"(?:updated|update|published|posted|release date|date)\s*[:：]\s*", re.I
)
INFO_BYLINE = re.compile(r"^(?:by|author|writer|written by|reporter)\s*[:：]?\s+", re.I)
INFO_SOURCE_LABEL = re.compile(r"^source\s*[:：]\s*", re.I)
# Breadcrumb separators.
BREADCRUMB_SEPARATOR = re.compile(r"\s*(?:>>|>|»|›|＞|→)\s*")
BREADCRUMB_LABEL = re.compile(
    r"^(?:you are here|current location|location|position)\s*[:：]\s*", re.I
)
# Inline style that centres or bolds a block.
STYLE_ALIGN = re.compile(r"text-align\s*:\s*(\w+)", re.I)
CLASS_CENTER = re.compile(r"center", re.I)
STYLE_BOLD = re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)", re.I)


### 4. NAVIGATION (XPath strings, for Scrapy selectors)
# Each tuple is tried in order: the modelled CMS markup first, generic fallbacks after.


# Home page: the navigation bar whose link texts name the sections.
NAV_LINKS: tuple[str, ...] = (
    f"//div[{_cls('header')}]//*[{_cls('nav')}]//a[@href]",
    f"//div[{_cls('header')}]//a[@href]",
    f"//*[{_cls('nav')} or {_cls('menu')} or @id='nav' or @id='menu']//a[@href]",
    "//nav//a[@href]",
    "//a[@href]",
)

# Listing page: the list of articles. When one of these containers is on the page, its links
# are the listing, even when there are none (an empty last page): no fallback then, or a
# sidebar's links would pass for the listing.
LISTING_CONTAINERS: tuple[str, ...] = (
    f"//ul[{_cls('list')}]",
    f"//*[{_cls('list')} or {_cls('news_list')} or {_cls('list_con')}]",
)
LISTING_ITEMS_IN_CONTAINER = ".//li//a[@href]"
# Fallbacks when no list container is found: list items in the main column, then every article
# link outside the page chrome and the sidebars.
_CHROME = (
    f"{_cls('header')} or {_cls('footer')} or {_cls('nav')} or self::nav or self::footer"
    " or self::header or self::aside or contains(@class, 'side') or contains(@class, 'hot')"
    " or contains(@class, 'related') or contains(@class, 'rank')"
)
LISTING_ITEMS_FALLBACK: tuple[str, ...] = (
    f"//div[{_cls('main')}]//li//a[@href][not(ancestor::*[{_CHROME}])]",
    f"//a[@href][not(ancestor::*[{_CHROME}])]",
)

# Listing page pager: the CMS puts it in div#div_currpage; other names are generic fallbacks.
LISTING_PAGER_LINKS: tuple[str, ...] = (
    "//*[@id='div_currpage']//a[@href]",
    f"//*[{_cls('pager')} or {_cls('pages')} or {_cls('page')} or {_cls('pagination')}]//a[@href]",
    f"//a[@href][{_cls('pagestyle')}]",
)
# A pager's "next page" link: its text without arrows is one of these, or it is only arrows.
NEXT_LINK_WORDS: frozenset[str] = frozenset({"next", "next page", "下一页", "下页"})
NEXT_ARROWS = ">»›"

# Images a page shows (the article's photos, the shared logo): read from the raw bytes with
# one regex, as the article pager is, so an article page is never parsed twice.
IMAGE_SRC_RE = re.compile(rb"""<img\b[^>]*?\ssrc\s*=\s*["']?([^"'\s>]+)""", re.I)
