"""Article metadata: title, info line (source, byline, date), breadcrumb, canonical URL, dates."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ehz_scraper.extraction.body import element_text
from ehz_scraper.extraction.dates import find_date, parse_date
from ehz_scraper.extraction.text import normalize_space
from ehz_scraper.site import selectors as xpaths


def meta_tags(tree: etree._Element) -> dict[str, str]:
    """The page's <meta> values by lower-cased name/property/itemprop (the first of each wins)."""
    found: dict[str, str] = {}
    for meta in xpaths.META(tree):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        if key:
            value = normalize_space(meta.get("content"))
            if value:
                found.setdefault(key.strip().lower(), value)
    return found


def strip_site_suffix(title: str) -> str:
    """`title` without a trailing site name (` - ehangzhou.gov.cn`, `_ehangzhou`, `| eHangzhou`)."""
    stripped = xpaths.SITE_SUFFIX.sub("", title).strip()
    return stripped or title


def usable_title(text: str | None) -> str | None:
    """A normalised title, or None when it is empty or only the site's name."""
    text = normalize_space(text)
    if not text or xpaths.SITE_NAME.match(text):
        return None
    return text


def template_blocks(tree: etree._Element) -> dict[str, list[etree._Element]]:
    """The template's title, info and breadcrumb `div`s, by class name, in document order."""
    found: dict[str, list[etree._Element]] = {
        xpaths.TITLE_CLASS: [],
        xpaths.INFO_CLASS: [],
        xpaths.BREADCRUMB_CLASS: [],
    }
    for el in xpaths.TEMPLATE_BLOCKS(tree):
        for name in el.get("class", "").split():
            if name in found:
                found[name].append(el)
    return found


def template_title(blocks: dict[str, list[etree._Element]]) -> str | None:
    """The title in the CMS's `div.con_title`."""
    for el in blocks[xpaths.TITLE_CLASS]:
        title = usable_title(element_text(el))
        if title:
            return title
    return None


@dataclass(frozen=True)
class InfoLine:
    """What the info line under the title says."""

    source: str | None
    byline: str | None
    date: str | None
    date_text: str | None
    labelled: bool = True  # the date had its "Updated:" label (else it was found in the text)


def parse_info_text(text: str) -> InfoLine:
    """Split `By Zhang Yi | chinadaily.com.cn | Updated: 2021-05-12 10:31` into its fields."""
    fields = [f for f in xpaths.INFO_SEPARATOR.split(text) if f]
    date = date_text = None
    date_index: int | None = None
    date_prefix = ""  # text printed before the date in its own field
    # The field with the "Updated:" label is the date.
    for i, f in enumerate(fields):
        label = xpaths.INFO_DATE_LABEL.search(f)
        if label:
            found = find_date(f[label.end() :], at_start=True)
            if found is not None:
                date, date_index = found.iso, i
                date_text = normalize_space(f[label.start() : label.end() + found.end])
                date_prefix = f[: label.start()]
                break
    if date_index is None:
        # Else a date printed anywhere in the info line, without a label.
        for i, f in enumerate(fields):
            found = find_date(f)
            if found is not None:
                date, date_index = found.iso, i
                date_text = f[found.start : found.end]
                date_prefix = f[: found.start]
                break
    byline_index: int | None = None
    for i, f in enumerate(fields):
        match = xpaths.INFO_BYLINE.match(f)
        if match and i != date_index:
            byline_index = i
            break
    byline = None
    if byline_index is not None:
        byline = fields[byline_index][xpaths.INFO_BYLINE.match(fields[byline_index]).end() :]
    elif len(fields) == 3 and date_index == 2:
        byline_index, byline = 0, fields[0]  # "Zhang Yi | chinadaily.com.cn | Updated: ..."
    source = None
    if date_index is not None and date_index > 0 and date_index - 1 != byline_index:
        source = xpaths.INFO_SOURCE_LABEL.sub("", fields[date_index - 1]) or None
    elif date_index is not None and normalize_space(date_prefix):
        # "www.ehangzhou.gov.cn Updated: ..." without a separator.
        source = xpaths.INFO_SOURCE_LABEL.sub("", normalize_space(date_prefix)) or None
    elif date_index is None:
        others = [f for i, f in enumerate(fields) if i != byline_index]
        if others:
            source = xpaths.INFO_SOURCE_LABEL.sub("", others[0]) or None
    labelled = date is None or date_text is None or bool(xpaths.INFO_DATE_LABEL.match(date_text))
    return InfoLine(source, normalize_space(byline) or None, date, date_text, labelled)


def info_line(blocks: dict[str, list[etree._Element]]) -> InfoLine | None:
    """The template's info line (`div.info`), without the font-size switcher; None if absent."""
    found = blocks[xpaths.INFO_CLASS]
    if not found:
        return None
    return parse_info_text(element_text(found[0]))


def meta_date(meta: dict[str, str]) -> tuple[str | None, str | None]:
    """(ISO date, meta name) from the first date meta tag that parses."""
    for name in xpaths.DATE_META:
        value = meta.get(name)
        if value:
            iso = parse_date(value)
            if iso:
                return iso, name
    return None, None


def printed_date(tree: etree._Element) -> tuple[str | None, str | None]:
    """(ISO date, date as printed) from a <time> element or a date/info-looking element."""
    for el in xpaths.DATE_AREAS(tree):
        if el.tag == "time":
            iso = parse_date(el.get("datetime", ""))
            if iso:
                return iso, element_text(el) or None
            continue
        text = element_text(el)
        if not text or len(text) > 300:
            continue
        info = parse_info_text(text)
        if info.date:
            return info.date, info.date_text
    return None, None


def breadcrumb(blocks: dict[str, list[etree._Element]]) -> list[str]:
    """The breadcrumb trail including Home (`[]` when the page has none)."""
    found = blocks[xpaths.BREADCRUMB_CLASS]
    if not found:
        return []
    text = xpaths.BREADCRUMB_LABEL.sub("", element_text(found[0]))
    return [p for p in xpaths.BREADCRUMB_SEPARATOR.split(text) if p]


def section_of(trail: list[str] | None, title: str | None) -> str | None:
    """The breadcrumb's last item, skipping a trailing item equal to the title."""
    if not trail:
        return None
    items = trail[:-1] if title is not None and trail[-1] == title else trail
    return items[-1] if items else None


def canonical_link(tree: etree._Element, meta: dict[str, str]) -> tuple[str | None, str | None]:
    """(href, "canonical" or "og:url") as written in the page, or (None, None)."""
    for link in xpaths.LINK_CANONICAL(tree):
        href = (link.get("href") or "").strip()
        if href:
            return href, "canonical"
    if meta.get("og:url"):
        return meta["og:url"], "og:url"
    return None, None


def looks_not_found(tree: etree._Element, *, anywhere: bool = False) -> bool:
    """True when the title or a heading says "page not found", or the text does (on a short
    page, or `anywhere`)."""
    for el in xpaths.NOT_FOUND_AREAS(tree):
        if xpaths.NOT_FOUND_HEADING.search(element_text(el)):
            return True
    # The raw text, from C: walking or normalising a whole page in Python costs a millisecond.
    text = xpaths.PAGE_TEXT(tree)
    return (anywhere or len(text) < 3000) and bool(xpaths.NOT_FOUND.search(text))
