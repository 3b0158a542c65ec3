"""A Scrapy extension for tests: logs every item, every request and the final stats as JSON lines.

Enable with `-s EXTENSIONS={"tests.support.item_log.ItemLog": 0} -s EHZ_ITEM_LOG=PATH`.
Article items are logged without their page bodies (sizes only).
"""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from ehz_scraper.items import ArticleCapture, ListingPage


def _describe(item: Any) -> dict[str, Any]:
    if isinstance(item, ArticleCapture):
        return {
            "type": "article",
            "article_id": item.article_id,
            "url": item.url,
            "pages": [
                {
                    "url": p.url,
                    "page": p.page,
                    "status": p.status,
                    "size": len(p.body),
                    "fetch_url": p.fetch_url,
                }
                for p in item.pages
            ],
            "failed": [{"url": f.url, "page": f.page, "reason": f.reason} for f in item.failed],
            "listing_url": item.listing_url,
            "listing_section": item.listing_section,
        }
    if isinstance(item, ListingPage):
        return {"type": "listing", **asdict(item)}
    return {"type": type(item).__name__, **(asdict(item) if is_dataclass(item) else {})}


class ItemLog:
    """Writes {"type": "article"|"listing"|"request"|"stats", ...} lines to EHZ_ITEM_LOG."""

    def __init__(self, crawler, path: str) -> None:
        self.crawler = crawler
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed on spider_closed

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("EHZ_ITEM_LOG")
        if not path:
            raise NotConfigured
        ext = cls(crawler, path)
        crawler.signals.connect(ext.item, signal=signals.item_scraped)
        crawler.signals.connect(ext.item, signal=signals.item_dropped)
        crawler.signals.connect(ext.item, signal=signals.item_error)
        crawler.signals.connect(ext.request, signal=signals.request_reached_downloader)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def _write(self, entry: dict[str, Any]) -> None:
        self.file.write(json.dumps(entry, default=str) + "\n")
        self.file.flush()

    def item(self, item: Any, **kwargs: Any) -> None:
        self._write(_describe(item))

    def request(self, request, **kwargs: Any) -> None:
        self._write({"type": "request", "url": request.url})

    def closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        self._write({"type": "stats", "reason": reason, "stats": stats})
        self.file.close()
