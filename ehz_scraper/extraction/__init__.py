"""Article extraction: raw pages of one article in, one record out (pure functions over lxml)."""

from __future__ import annotations

from ehz_scraper.extraction.article import (
    ArticleExtraction,
    extract_article,
    extract_article_result,
)
from ehz_scraper.extraction.page import Page
from ehz_scraper.extraction.record import Record

__all__ = [
    "ArticleExtraction",
    "Page",
    "Record",
    "extract_article",
    "extract_article_result",
]
