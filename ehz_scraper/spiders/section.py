"""`scrapy crawl section -a name=Business`: one section's listing walk and the articles it lists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from scrapy.exceptions import CloseSpider
from scrapy.http import Request, Response

from ehz_scraper.spiders import navigation as nav
from ehz_scraper.spiders.args import SectionArgs, WalkArgs
from ehz_scraper.spiders.base import EhzSpider


class SectionSpider(EhzSpider):
    """`scrapy crawl section -a name=Business`: one section found by its navigation link text."""

    name = "section"
    args_model: ClassVar[type[WalkArgs]] = SectionArgs

    @property
    def section_name(self) -> str:
        assert isinstance(self.args, SectionArgs)
        return self.args.name

    async def start(self):
        yield self.home_request(self.parse_home)

    def parse_home(self, response: Response) -> Iterator[Request]:
        tree = self.home_tree(response)
        link = nav.find_section(tree, self.section_name, response.url, self.mirror)
        if link is None:
            raise CloseSpider(f"section {self.section_name!r} not in the home page's navigation")
        yield from self.start_walk(link.text, link.url)
