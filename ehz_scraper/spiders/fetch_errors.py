"""Why a fetch failed, in one line a person understands: the reasons stored in `failures`."""

from __future__ import annotations

import re
from typing import Any

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as tx_error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from ehz_scraper.extraction.text import normalize_space

_MAXSIZE_RE = re.compile(r"larger than download max size \(([0-9]+)\)")
_DECOMPRESS_RE = re.compile(r"DOWNLOAD_MAXSIZE \(([0-9]+) B\) during decompression")
_OFFSITE_RE = re.compile(r"Filtered offsite request to '([^']*)'")


def _retries(request: Any) -> int:
    meta = getattr(request, "meta", None) or {}
    return int(meta.get("retry_times", 0))


def _after(request: Any) -> str:
    """` after N retries` when the request was retried, else ``."""
    n = _retries(request)
    if n == 0:
        return ""
    return f" after {n} {'retry' if n == 1 else 'retries'}"


def http_status_reason(status: int, request: Any = None, headers: Any = None) -> str:
    """`HTTP 503 after 3 retries`; a 429 also says how long the site asked to wait."""
    reason = f"HTTP {status}{_after(request)}"
    if status == 429 and headers is not None:
        wait = headers.get(b"Retry-After") if hasattr(headers, "get") else None
        if wait:
            value = wait.decode("latin-1") if isinstance(wait, bytes) else str(wait)
            reason += f" (Retry-After: {value})"
    return reason


def _redirect_chain(request: Any) -> list[str]:
    meta = getattr(request, "meta", None) or {}
    return list(meta.get("redirect_urls", []))


def describe_failure(
    failure: Failure | BaseException, request: Any = None
) -> tuple[str, int | None]:
    """(reason, HTTP status or None) for an errback's failure; `request` defaults to the failure's.

    The reasons name the cause and, when Scrapy retried, how often: `timeout after 3 retries`,
    `exceeded DOWNLOAD_MAXSIZE (8388608 bytes)`, `redirect offsite to http://other.example/`,
    `connection dropped mid-body after 3 retries`, `disallowed by robots.txt`.
    """
    exc = failure.value if isinstance(failure, Failure) else failure
    if request is None:
        request = getattr(failure, "request", None) or getattr(exc, "request", None)
    if isinstance(exc, HttpError):
        response = exc.response
        reason = http_status_reason(response.status, response.request or request, response.headers)
        return reason, response.status
    if isinstance(exc, DownloadTimeoutError | tx_error.TimeoutError | tx_error.TCPTimedOutError):
        return f"timeout{_after(request) or ' (not retried)'}", None
    text = str(exc)
    found = _MAXSIZE_RE.search(text)
    if found:
        return f"exceeded DOWNLOAD_MAXSIZE ({found[1]} bytes)", None
    if isinstance(exc, DownloadCancelledError):
        # Scrapy cancels without a message both for a body that outgrew DOWNLOAD_MAXSIZE
        # (no Content-Length announced it) and for downloads cut short by a stopping crawl.
        return "download cancelled: exceeded DOWNLOAD_MAXSIZE, or the crawl was stopping", None
    if isinstance(exc, IgnoreRequest):
        return _ignored_reason(text, request), None
    if isinstance(exc, ResponseDataLossError | ResponseFailed | tx_error.ConnectionLost):
        return f"connection dropped mid-body{_after(request)}", None
    if isinstance(exc, tx_error.ConnectionDone):
        return f"connection closed before a response{_after(request)}", None
    if isinstance(exc, DownloadConnectionRefusedError | tx_error.ConnectionRefusedError):
        return f"connection refused{_after(request)}", None
    if isinstance(exc, CannotResolveHostError | tx_error.DNSLookupError):
        return f"host name not found{_after(request)}", None
    if isinstance(exc, DownloadFailedError | tx_error.ConnectError):
        return f"connection failed: {_one_line(text)}{_after(request)}", None
    return f"{type(exc).__name__}: {_one_line(text)}", None


def _ignored_reason(text: str, request: Any) -> str:
    if text.startswith(("redirect offsite to ", "refused: ")):
        return _one_line(text)  # from OffsiteRedirectMiddleware
    if text == "Forbidden by robots.txt":
        return "disallowed by robots.txt"
    if text == "max redirections reached":
        chain = _redirect_chain(request)
        loop = " (a redirect loop)" if len(set(chain)) < len(chain) else ""
        return f"too many redirects: {len(chain) + 1}{loop}"
    found = _DECOMPRESS_RE.search(text)
    if found:
        return f"exceeded DOWNLOAD_MAXSIZE ({found[1]} bytes) when decompressed"
    if _OFFSITE_RE.search(text):
        target = getattr(request, "url", None)
        if _redirect_chain(request):
            return f"redirect offsite to {target}"
        return f"offsite URL {target}"
    return f"ignored: {_one_line(text)}"


def _one_line(text: str, limit: int = 200) -> str:
    line = normalize_space(text)
    return line if len(line) <= limit else line[: limit - 1] + "…"
