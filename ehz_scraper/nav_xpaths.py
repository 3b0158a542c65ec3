"""Navigation selectors (home nav, listing items, pagers): the one file to edit on a redesign."""

from __future__ import annotations

import re

# Each tuple is tried in order: the modelled CMS markup first, generic fallbacks after.


def _cls(name: str) -> str:
    """XPath test for an element carrying CSS class `name`."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


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

# Article page: every href ending in c_<id>_<k>.htm is a pager candidate (the caller keeps
# those of its own id). Read from the raw bytes: the spider needs nothing else from an
# article page, so it does not parse one.
ARTICLE_PAGE_HREF = re.compile(
    rb"""href\s*=\s*["']?([^"'\s>]*?c_(\d+)_(\d+)\.html?)(?=["'\s>])""", re.IGNORECASE
)
