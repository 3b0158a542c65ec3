"""Downloader middleware: retries that back off (5xx, 429, timeouts) instead of hammering."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting before each retry.

    The wait is RETRY_BACKOFF_BASE * 2**(n-1) seconds for retry n, at most RETRY_BACKOFF_MAX,
    or the server's Retry-After when that is longer (also capped). A base of 0 turns it off.
    """

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

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

    async def process_response(self, request: Request, response: Response, spider=None):
        result = super().process_response(request, response)
        if isinstance(result, Request):
            header = response.headers.get(b"Retry-After")
            await self._wait(result, header.decode("latin-1") if header else None)
        return result

    async def process_exception(self, request: Request, exception: Exception, spider=None):
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result)
        return result


def _retry_after_seconds(value: str) -> float:
    """Retry-After as seconds: either a number or an HTTP date; 0 when unparseable."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
