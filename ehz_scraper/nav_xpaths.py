"""Navigation selectors (home nav, listing items, pagers): the one file to edit on a redesign."""

from __future__ import annotations

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

# Listing page: the links of the list of articles.
LISTING_ITEMS: tuple[str, ...] = (
    f"//ul[{_cls('list')}]/li//a[@href]",
    f"//*[{_cls('list')} or {_cls('news_list')} or {_cls('list_con')}]//li//a[@href]",
    f"//div[{_cls('main')}]//li//a[@href]",
)
# Last resort when no list matched: every article link outside the page chrome.
LISTING_ITEMS_ANYWHERE = (
    "//a[@href][not(ancestor::*["
    f"{_cls('header')} or {_cls('footer')} or {_cls('nav')} or self::nav or self::footer"
    "])]"
)

# Listing page pager: the CMS puts it in div#div_currpage; other names are generic fallbacks.
LISTING_PAGER_LINKS: tuple[str, ...] = (
    "//*[@id='div_currpage']//a[@href]",
    f"//*[{_cls('pager')} or {_cls('pages')} or {_cls('page')} or {_cls('pagination')}]//a[@href]",
)
# Texts of a pager's "next page" link (compared after stripping and case-folding).
NEXT_LINK_TEXTS: frozenset[str] = frozenset(
    {">", ">>", "›", "»", "next", "next >", "next>", "next page", "next »", "下一页", "下页"}
)

# Article page: every link is a pager candidate; membership is decided by the `_k` id suffix.
ARTICLE_LINKS = "//a[@href]"
