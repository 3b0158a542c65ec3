"""Retries back off: a growing wait before each retry, or the server's Retry-After."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from ehz_scraper.middlewares import BackoffRetryMiddleware
from tests.support.crawling import article, crawl
from tests.support.site_server import SiteServer


def middleware(**overrides) -> BackoffRetryMiddleware:
    settings = Settings(
        {"RETRY_ENABLED": True, "RETRY_BACKOFF_BASE": 2.0, "RETRY_BACKOFF_MAX": 60.0, **overrides}
    )
    return BackoffRetryMiddleware(settings)


@pytest.mark.parametrize(
    ("retry", "retry_after", "wait"),
    [
        (1, None, 2.0),
        (2, None, 4.0),
        (3, None, 8.0),
        (7, None, 60.0),
        (1, "30", 30.0),
        (3, "1", 8.0),
        (1, "600", 60.0),
        (1, "soon", 2.0),
    ],
)
def test_delay(retry, retry_after, wait):
    assert middleware().delay(retry, retry_after) == wait


def test_a_base_of_zero_turns_backoff_off():
    assert middleware(RETRY_BACKOFF_BASE=0).delay(3) == 0.0


def test_a_page_that_fails_twice_is_retried_after_waiting(tmp_path):
    url = article(292700)["url"]
    path = "/" + url.split("/", 3)[3]
    with SiteServer() as server:
        failures = iter([True, True])

        def flaky(handler):
            if next(failures, False):
                handler.send_error_page(503)
                return True
            return False

        server.behaviours[path] = flaky
        result = crawl(
            "article",
            server.base_url,
            tmp_path / "a.db",
            f"url={url}",
            settings={"RETRY_BACKOFF_BASE": "0.4"},
        )
        tries = [r for r in server.requests if r.path == path]
    assert result.returncode == 0, result.stderr[-2000:]
    assert [r.status for r in tries] == [503, 503, 200]
    assert tries[1].at - tries[0].at >= 0.4
    assert tries[2].at - tries[1].at >= 0.8
    assert [p["status"] for p in result.articles[292700]["pages"]] == [200, 200]


def test_a_page_that_keeps_failing_is_recorded_with_its_retries(tmp_path):
    url = article(292700)["url"]
    page2 = "/" + article(292700)["page_urls"][1].split("/", 3)[3]
    with SiteServer() as server:
        server.behaviours[page2] = lambda h: h.send_error_page(500) or True
        result = crawl("article", server.base_url, tmp_path / "a.db", f"url={url}")
        assert [r.status for r in server.requests if r.path == page2] == [500] * 4
    capture = result.articles[292700]
    assert [p["page"] for p in capture["pages"]] == [1]
    assert capture["failed"] == [
        {"url": article(292700)["page_urls"][1], "page": 2, "reason": "HTTP 500 after 3 retries"}
    ]
