"""`scrapy crawl site`: every section in the navigation, every listing page, every article once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from scrapy.exceptions import CloseSpider
from scrapy.http import Request, Response

from ehz_scraper.spiders import navigation as nav
from ehz_scraper.spiders.args import SiteArgs, WalkArgs
from ehz_scraper.spiders.base import EhzSpider


class SiteSpider(EhzSpider):
    """A whole-site backfill (mode=full by default); articles shared by sections fetched once."""

    name = "site"
    args_model: ClassVar[type[WalkArgs]] = SiteArgs

    async def start(self):
        yield self.home_request(self.parse_home)

    def parse_home(self, response: Response) -> Iterator[Request]:
        links = nav.nav_links(self.home_tree(response), response.url, self.mirror)
        if not links:
            raise CloseSpider("no section links in the home page's navigation")
        self.logger.info("sections: %s", ", ".join(link.text for link in links))
        for link in links:
            yield from self.start_walk(link.text, link.url)
