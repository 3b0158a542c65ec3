"""Every selector the extractor uses, precompiled: a redesign of the site is a diff in this file."""

from __future__ import annotations

import re

from lxml import etree

_X = etree.XPath


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# --- Template: the CMS's article page (site-model.md, "Modelled: article page markup") ---
# ("/descendant::" and id() instead of "//": several times faster on a 50 KB page.)
TITLE = _X(f"/descendant::div[{_has_class('con_title')}]")
INFO = _X(f"/descendant::div[{_has_class('info')}]")
BREADCRUMB = _X(f"/descendant::div[{_has_class('bread')}]")
CONTENT = _X("id('Content')")
PAGER = _X("id('div_currpage')")

# --- Fallbacks: generic markup, for pages in a template we have not seen ---
META = _X("/html/head/meta[@content] | /html/body/meta[@content]")
LINK_CANONICAL = _X(
    "//link[@href][contains(translate(@rel, 'CANONICAL', 'canonical'), 'canonical')]"
)
TITLE_TAG = _X("//title")
# An <h1> in the body repeats the title; the title fallback wants the one outside it.
H1 = _X("//body//h1[not(ancestor::*[@id='Content'])]")
BODY_FALLBACKS = (
    ("articleBody", _X("//*[@itemprop='articleBody']")),
    ("TRS_Editor", _X(f"//div[{_has_class('TRS_Editor')}]")),
)
# Paragraphs, for the densest-block fallback: not those in page chrome.
PARAGRAPHS = _X("//body//p[not(ancestor::header or ancestor::footer or ancestor::nav)]")
# Candidates for a printed date on an unknown template.
DATE_AREAS = _X(
    "//time[@datetime] | //*[contains(@class, 'date') or contains(@class, 'time') "
    "or contains(@id, 'date') or contains(@id, 'time') or contains(@class, 'info')]"
)
# Soft 404 wording is looked for in these (and in the whole text of short pages).
NOT_FOUND_AREAS = _X(
    "//title | //h1 | //h2 | //h3 | //*[contains(@class, '404') or contains(@id, '404')]"
)

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

# --- Pieces of page chrome found inside or next to the body, left out of every text ---
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
    r"^[\[(（]?\s*(?:chief\s+|executive\s+)?(?:editors?|edited by)\b\s*[:：]?", re.I
)
# Soft 404 wording.
NOT_FOUND = re.compile(
    r"page not found|not be found|404 not found|\b404\b|no longer available|does not exist"
    r"|页面不存在|找不到|无法找到|您访问的页面",
    re.I,
)
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
# Pager links of an article: c_<id>.htm (page 1) and c_<id>_<k>.htm.
PAGER_HREF = re.compile(r"c_(\d+)(?:_(\d+))?\.html?(?:$|[?#])")
# Inline style that centres or bolds a block.
STYLE_ALIGN = re.compile(r"text-align\s*:\s*(\w+)", re.I)
STYLE_BOLD = re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)", re.I)
