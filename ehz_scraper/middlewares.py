"""Downloader middlewares: retries that back off; no request or redirect off the crawl's origins."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from scrapy import exceptions as scrapy_exceptions
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, NoRouteError
from w3lib.url import safe_url_string

from ehz_scraper.site.urls import SITE_HOST

logger = logging.getLogger(__name__)

# The machine is offline or the host is gone: waiting longer does not help, so these retry on
# RETRY_BACKOFF_OFFLINE_BASE (issue 14: an offline night ends in seconds, not half a minute).
# Scrapy 2.13+ wraps Twisted's errors in its own; older ones raise Twisted's.
OFFLINE_ERRORS: tuple[type[Exception], ...] = (
    DNSLookupError,
    ConnectionRefusedError,
    NoRouteError,
    *(
        getattr(scrapy_exceptions, name)
        for name in ("CannotResolveHostError", "DownloadConnectionRefusedError")
        if hasattr(scrapy_exceptions, name)
    ),
)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting before each retry.

    The wait is RETRY_BACKOFF_BASE * 2**(n-1) seconds for retry n, at most RETRY_BACKOFF_MAX,
    or the server's Retry-After when that is longer (also capped). A base of 0 turns it off.
    A host that cannot be resolved, refuses the connection or has no route (OFFLINE_ERRORS)
    is retried on RETRY_BACKOFF_OFFLINE_BASE instead.
    """

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")
        self.offline_base = settings.getfloat("RETRY_BACKOFF_OFFLINE_BASE")

    def delay(self, retry: int, retry_after: str | None = None, *, offline: bool = False) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        base = self.offline_base if offline else self.backoff_base
        wait = base * 2 ** (retry - 1) if base > 0 else 0.0
        if retry_after:
            wait = max(wait, _retry_after_seconds(retry_after))
        return min(wait, self.backoff_max)

    async def _wait(
        self, retried: Request, retry_after: str | None = None, *, offline: bool = False
    ) -> None:
        wait = self.delay(retried.meta.get("retry_times", 1), retry_after, offline=offline)
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
            await self._wait(result, offline=isinstance(exception, OFFLINE_ERRORS))
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
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Never fetched unless the base URL itself is there: loopback, private and link-local ranges
# (ipaddress's own tests) and the cloud metadata services, including Alibaba Cloud's.
_METADATA = (
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT; Alibaba's 100.100.100.200
    ipaddress.ip_network("fd00:ec2::254/128"),
)

Origin = tuple[str, str, int]  # scheme, lower-case host, port


def _origin_of(url: str) -> Origin | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def _inward(address: str) -> bool:
    """True for an address inside the machine or its network (or a metadata service)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_multicast
        or any(ip in net for net in _METADATA)
    )


def resolve_host(host: str) -> list[str]:
    """The addresses `host` resolves to ([] when it does not resolve: the download fails)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({info[4][0] for info in infos})


class OriginPolicy:
    """Where the crawler may go: the base URL's origin exactly (for the live site, its http
    and https default ports and the image hosts in settings), and never an address inside
    the machine or its network unless the base URL itself is one, and then only its port.
    """

    def __init__(
        self,
        base_url: str,
        *,
        live: bool,
        image_hosts: tuple[str, ...] = (),
        resolve: Callable[[str], list[str]] = resolve_host,
    ) -> None:
        base = _origin_of(base_url)
        if base is None:
            raise ValueError(f"not an http(s) base URL: {base_url}")
        self.base = base
        self.origins: set[Origin] = {base}
        if live:
            for host in (SITE_HOST, base[1], *image_hosts):
                self.origins |= {(s, host.lower(), p) for s, p in _DEFAULT_PORTS.items()}
        # The live site is public: an inward answer for it is a rebinding, never allowed.
        self.inward_ok = None if live else base[1:]
        self._resolve = resolve
        self._addresses: dict[str, list[str]] = {}

    def addresses(self, host: str) -> list[str]:
        host = host.strip("[]")
        try:
            return [str(ipaddress.ip_address(host.split("%", 1)[0]))]
        except ValueError:
            pass
        if host not in self._addresses:
            self._addresses[host] = self._resolve(host)
        return self._addresses[host]

    def refusal(self, url: str) -> str | None:
        """Why `url` may not be fetched, or None when it may."""
        origin = _origin_of(url)
        if origin is None:
            return f"not an http(s) URL: {url}"
        if origin not in self.origins:
            return f"{url} is outside the crawl's origins"
        inward = [a for a in self.addresses(origin[1]) if _inward(a)]
        if inward and origin[1:] != self.inward_ok:
            return f"{url} resolves to an internal address ({inward[0]})"
        return None


class OffsiteRedirectMiddleware:
    """Keeps every request, and every redirect, on the crawl's origins (OriginPolicy).

    Scrapy's offsite filter skips requests made with `dont_filter=True`, and so does it for
    the redirects of such requests; the spiders use `dont_filter` (they dedupe themselves).
    This sits before RedirectMiddleware (a higher order number): a redirect elsewhere becomes
    IgnoreRequest("redirect offsite to <URL>"), any other request elsewhere
    IgnoreRequest("refused: <why>"); the errback records either as the page's failure.
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.image_hosts = tuple(crawler.settings.getlist("EHZ_IMAGE_HOSTS"))
        self._policy: OriginPolicy | None = None

    @classmethod
    def from_crawler(cls, crawler) -> OffsiteRedirectMiddleware:
        return cls(crawler)

    @property
    def policy(self) -> OriginPolicy | None:
        if self._policy is None:
            args = getattr(self.crawler.spider, "args", None)
            base_url = getattr(args, "base_url", None)
            if base_url is None:
                return None  # a spider without ehz arguments: nothing to hold it to
            live = getattr(args, "mirror", None) is None
            self._policy = OriginPolicy(base_url, live=live, image_hosts=self.image_hosts)
        return self._policy

    def process_request(self, request, spider=None):
        policy = self.policy
        why = policy.refusal(request.url) if policy is not None else None
        if why is None:
            return None
        self.crawler.stats.inc_value("ehz/refused_requests")
        raise IgnoreRequest(f"refused: {why}")

    def process_response(self, request, response, spider=None):
        if response.status not in _REDIRECTS or b"Location" not in response.headers:
            return response
        location = safe_url_string(response.headers[b"Location"])
        target = urljoin(request.url, location)
        policy = self.policy
        if policy is None or policy.refusal(target) is None:
            return response
        self.crawler.stats.inc_value("ehz/offsite_redirects")
        raise IgnoreRequest(f"redirect offsite to {target}")
