"""Downloader middlewares: retries that back off, and no redirect that leaves the site."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from w3lib.url import safe_url_string

logger = logging.getLogger(__name__)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting before each retry.

    The wait is RETRY_BACKOFF_BASE * 2**(n-1) seconds for retry n, at most RETRY_BACKOFF_MAX,
    or the server's Retry-After when that is longer (also capped). A base of 0 turns it off.
    """

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")

    def delay(self, retry: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        wait = self.backoff_base * 2 ** (retry - 1) if self.backoff_base > 0 else 0.0
        if retry_after:
            wait = max(wait, _retry_after_seconds(retry_after))
        return min(wait, self.backoff_max)

    async def _wait(self, retried: Request, retry_after: str | None = None) -> None:
        wait = self.delay(retried.meta.get("retry_times", 1), retry_after)
        if wait > 0:
            await asyncio.sleep(wait)

    async def process_response(self, request: Request, response: Response):
        result = super().process_response(request, response)
        if isinstance(result, Request):
            header = response.headers.get(b"Retry-After")
            await self._wait(result, header.decode("latin-1") if header else None)
        return result

    async def process_exception(self, request: Request, exception: Exception):
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result)
        return result


# delta-seconds (RFC 9110): ASCII digits only; isdigit() would take "²", which float() refuses.
_DELTA_SECONDS = re.compile(r"[0-9]{1,12}")


def _retry_after_seconds(value: str) -> float:
    """Retry-After as seconds: delta-seconds or an HTTP date; 0 (logged) for anything else."""
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        logger.info("Ignoring Retry-After %r: neither delta-seconds nor an HTTP date", value[:80])
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class CharsetSafeMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware, for pages whose declared charset is no text encoding.

    Looking for a `<meta http-equiv="refresh">` decodes the page with its declared charset;
    `charset=base64` (or rot13, zlib, ...) raises LookupError there, which would turn a page
    the extractor reads fine (it ignores such a declaration) into a failed fetch.
    """

    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except (LookupError, UnicodeError):
            return response  # no text to find a refresh in: the page as it came


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
