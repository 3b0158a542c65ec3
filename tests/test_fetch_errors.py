"""Failure reasons: each download error becomes one line a person understands."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from ehz_scraper.spiders.fetch_errors import (
    describe_failure,
    http_status_reason,
)

URL = "http://127.0.0.1:8765/2025-04/09/c_293116.htm"


def req(retries: int = 0, **meta) -> Request:
    return Request(URL, meta={"retry_times": retries, **meta} if retries else meta)


def http_error(status: int, retries: int, headers: dict | None = None) -> HttpError:
    request = req(retries)
    response = HtmlResponse(URL, status=status, headers=headers or {}, body=b"", request=request)
    return HttpError(response, "Ignoring non-200 response")


@pytest.mark.parametrize(
    ("exc", "request_", "reason", "status"),
    [
        (DownloadTimeoutError("took too long"), req(3), "timeout after 3 retries", None),
        (DownloadTimeoutError("took too long"), req(1), "timeout after 1 retry", None),
        (DownloadTimeoutError("took too long"), req(0), "timeout (not retried)", None),
        (
            DownloadCancelledError(
                "Expected to receive 10485760 bytes which is larger than download max size "
                f"(8388608) in request <GET {URL}>."
            ),
            req(0),
            "exceeded DOWNLOAD_MAXSIZE (8388608 bytes)",
            None,
        ),
        (
            IgnoreRequest(
                f"Ignored response <200 {URL}> because its body (20971520 B compressed, ...) "
                "exceeded DOWNLOAD_MAXSIZE (8388608 B) during decompression."
            ),
            req(0),
            "exceeded DOWNLOAD_MAXSIZE (8388608 bytes) when decompressed",
            None,
        ),
        (
            DownloadCancelledError(""),
            req(0),
            "download cancelled: exceeded DOWNLOAD_MAXSIZE, or the crawl was stopping",
            None,
        ),
        (IgnoreRequest("Forbidden by robots.txt"), req(0), "disallowed by robots.txt", None),
        (
            IgnoreRequest("redirect offsite to http://localhost:8765/x.htm"),
            req(0),
            "redirect offsite to http://localhost:8765/x.htm",
            None,
        ),
        (
            IgnoreRequest("max redirections reached"),
            req(0, redirect_urls=[URL] * 20),
            "too many redirects: 21 (a redirect loop)",
            None,
        ),
        (
            ResponseDataLossError("lost"),
            req(3),
            "connection dropped mid-body after 3 retries",
            None,
        ),
        (DownloadConnectionRefusedError("no"), req(3), "connection refused after 3 retries", None),
        (CannotResolveHostError("x"), req(2), "host name not found after 2 retries", None),
        (http_error(503, 3), None, "HTTP 503 after 3 retries", 503),
        (http_error(404, 0), None, "HTTP 404", 404),
        (
            http_error(429, 3, {"Retry-After": "120"}),
            None,
            "HTTP 429 after 3 retries (Retry-After: 120)",
            429,
        ),
        (RuntimeError("odd\nthing"), req(0), "RuntimeError: odd thing", None),
    ],
)
def test_reasons(
    exc: BaseException, request_: Request | None, reason: str, status: int | None
) -> None:
    assert describe_failure(Failure(exc), request_) == (reason, status)


def test_http_status_reason_for_a_handled_status() -> None:
    assert http_status_reason(500, req(3)) == "HTTP 500 after 3 retries"
    assert http_status_reason(404) == "HTTP 404"
