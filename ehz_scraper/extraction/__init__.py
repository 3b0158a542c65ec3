"""Article extraction: the pages of one article in, one record out (pure functions over lxml)."""

from __future__ import annotations

from ehz_scraper.extraction.page import Page

__all__ = ["Page"]
