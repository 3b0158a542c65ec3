"""`scrapy crawl latest`: the "Latest" section's listing and the articles it lists, nothing else."""

from __future__ import annotations

from typing import ClassVar

from ehz_scraper.spiders.args import WalkArgs
from ehz_scraper.spiders.section import SectionSpider


class LatestSpider(SectionSpider):
    """`scrapy crawl latest`: the section whose navigation link reads "Latest"."""

    name = "latest"
    args_model: ClassVar[type[WalkArgs]] = WalkArgs

    @property
    def section_name(self) -> str:
        return "Latest"
