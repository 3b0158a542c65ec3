"""Downloader middleware: never follow a redirect that leaves the site, whatever the request."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from scrapy.exceptions import IgnoreRequest
from w3lib.url import safe_url_string

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _host_allowed(host: str, domains: list[str]) -> bool:
    if not domains:
        return True
    pattern = r"^(.*\.)?(" + "|".join(re.escape(d) for d in domains if d) + r")$"
    return re.match(pattern, host) is not None


class OffsiteRedirectMiddleware:
    """Refuses redirects to hosts outside the spider's `allowed_domains`.

    Scrapy's offsite filter skips requests made with `dont_filter=True`, and so does it for
    the redirects of such requests; the spiders use `dont_filter` (they dedupe themselves),
    so without this guard a redirect could take the crawl off the site (or off 127.0.0.1 in
    the tests). It sits before RedirectMiddleware (a higher order number) and turns the
    redirect into IgnoreRequest("redirect offsite to <URL>"), which the errback records.
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler) -> OffsiteRedirectMiddleware:
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        if response.status not in _REDIRECTS or b"Location" not in response.headers:
            return response
        location = safe_url_string(response.headers[b"Location"])
        target = urljoin(request.url, location)
        host = (urlsplit(target).hostname or "").lower()
        domains = list(getattr(self.crawler.spider, "allowed_domains", None) or [])
        if _host_allowed(host, domains):
            return response
        self.crawler.stats.inc_value("ehz/offsite_redirects")
        raise IgnoreRequest(f"redirect offsite to {target}")
