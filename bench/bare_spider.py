"""A bare Scrapy spider: fetches a given list of URLs and does nothing else (the crawl baseline).

    scrapy runspider bench/bare_spider.py -a base_url=http://127.0.0.1:PORT/ -a urls_file=urls.txt

`urls_file` holds one path per line, relative to `base_url` (an empty line is the home page):
the same URLs a whole-site crawl of the synthetic site fetches. No link extraction, no items,
no pipelines, no project middlewares or extensions: what is left is Scrapy's own cost per page.
"""

from __future__ import annotations

from pathlib import Path

import scrapy


class BareSpider(scrapy.Spider):
    """Fetch every URL of `urls_file` under `base_url`; parse nothing."""

    name = "bare"
    # Spider-level settings replace the project's components, so nothing but fetching runs.
    custom_settings = {
        "ITEM_PIPELINES": {},
        "SPIDER_MIDDLEWARES": {},
        "DOWNLOADER_MIDDLEWARES": {},
        "EXTENSIONS": {},
    }

    def __init__(self, base_url: str, urls_file: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = base_url.rstrip("/") + "/"
        self.paths = Path(urls_file).read_text(encoding="utf-8").split("\n")
        if self.paths and self.paths[-1] == "":
            self.paths.pop()  # the file's final newline, not the home page

    async def start(self):  # Scrapy >= 2.13
        for request in self.start_requests():
            yield request

    def start_requests(self):  # older Scrapy
        for path in self.paths:
            yield scrapy.Request(self.base_url + path, callback=self.parse)

    def parse(self, response):
        return None
