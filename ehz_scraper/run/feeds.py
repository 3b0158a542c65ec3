"""Scrapy's feed exports (`scrapy crawl latest -o new.jsonl`, `FEEDS`) of what a run archived.

The spiders yield one ArticleCapture per article (every page's raw bytes) and a ListingPage per
listing page walked; a feed of those would be raw bytes and bookkeeping. This exporter writes
one item per article the run stored instead: its record (the extractor's field order) with
`complete`, `version` and `archive_status` (`new`, `changed` or `unchanged`). Articles that
were not archived (see `ehz failures`) are left out. ListingPage items are written only with
`-s EHZ_FEED_LISTINGS=1`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from scrapy import Spider
from scrapy.extensions.feedexport import FeedExporter

from ehz_scraper.items import ArticleCapture, ListingPage, in_record_order


def feed_record(capture: ArticleCapture) -> dict[str, Any]:
    """The feed item of a stored capture: its record, then complete, version, archive_status."""
    outcome = capture.stored
    return {
        **in_record_order(capture.record or {}),
        "complete": outcome.complete,
        "version": outcome.version,
        "archive_status": outcome.status,
    }


class RecordFeedExporter(FeedExporter):
    """FeedExporter whose items are the stored records (replaces Scrapy's in EXTENSIONS)."""

    def item_scraped(self, item: Any, spider: Spider) -> None:
        if isinstance(item, ArticleCapture):
            if item.stored is not None:
                super().item_scraped(feed_record(item), spider)
        elif isinstance(item, ListingPage):
            if self.settings.getbool("EHZ_FEED_LISTINGS"):
                super().item_scraped({"item_type": "listing", **asdict(item)}, spider)
        else:
            super().item_scraped(item, spider)
