"""`scrapy crawl article -a url=URL[,URL...]` (or `-a urls_file=PATH`): exactly those articles."""

from __future__ import annotations

from typing import ClassVar

from ehz_scraper.spiders.args import ArticleArgs, CrawlArgs
from ehz_scraper.spiders.base import EhzSpider


class ArticleSpider(EhzSpider):
    """Fetches the given articles (all their pages), known or not; refresh makes it conditional."""

    name = "article"
    args_model: ClassVar[type[CrawlArgs]] = ArticleArgs

    async def start(self):
        assert isinstance(self.args, ArticleArgs)
        for url in self.args.article_urls:
            for request in self.article_requests(url):
                yield request
