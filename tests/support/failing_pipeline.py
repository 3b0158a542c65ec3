"""An item pipeline for tests: raises for the articles named in EHZ_TEST_FAIL_IDS (comma list).

Sits before the store pipeline, so the exception escapes the pipelines as a bug would: the
item reaches no table, and the run report must count it as lost.
"""

from __future__ import annotations

from typing import Any

from ehz_scraper.items import ArticleCapture


class FailingPipeline:
    def __init__(self, ids: set[int]) -> None:
        self.ids = ids

    @classmethod
    def from_crawler(cls, crawler) -> FailingPipeline:
        return cls({int(i) for i in crawler.settings.getlist("EHZ_TEST_FAIL_IDS")})

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleCapture) and item.article_id in self.ids:
            raise RuntimeError(f"a bug in a pipeline, for article {item.article_id}")
        return item
