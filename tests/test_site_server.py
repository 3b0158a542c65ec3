"""The loopback site server: static files, real 404s, conditional GET, behaviours, request log."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.support.site_server import page, respond


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_serves_the_site_and_logs_requests(server):
    status, headers, body = get(server.base_url)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'<a href="node_7040.htm">&nbsp;Latest </a>' in body
    assert get(server.base_url + "robots.txt")[2] == b"User-agent: *\nDisallow: /search/\n"
    assert server.paths() == ["/", "/robots.txt"]
    assert [r.status for r in server.requests] == [200, 200]


@pytest.mark.parametrize("path", ["nope.htm", "2025-01/07/c_1.htm", "manifest.json", "../setup.py"])
def test_missing_files_are_real_404s(server, path):
    assert get(server.base_url + path)[0] == 404


def test_the_non_article_is_served_with_status_200(server):
    status, _, body = get(server.base_url + "2025-02/11/c_292854.htm")
    assert status == 200
    assert b"Sorry, the page you requested was not found." in body


def test_conditional_get(server):
    url = server.base_url + "node_7040.htm"
    _, headers, _ = get(url)
    assert get(url, {"If-None-Match": headers["ETag"]})[:1] == (304,)
    assert get(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert get(url, {"If-None-Match": '"other"'})[0] == 200


def test_behaviours_replace_a_path(server):
    calls = []

    def flaky(handler):
        calls.append(handler.path)
        if len(calls) == 1:
            handler.send_error_page(503, {"Retry-After": "1"})
            return True
        return False  # then the static file

    server.behaviours["/node_7040.htm"] = flaky
    assert get(server.base_url + "node_7040.htm")[0] == 503
    assert get(server.base_url + "node_7040.htm")[0] == 200
    assert [r.status for r in server.requests] == [503, 200]


def test_prefix_behaviours_and_factories(server):
    server.behaviours["/2025-01/*"] = respond(503, b"busy", {"Retry-After": "5"})
    server.behaviours["/2025-01/07/*"] = page("<p>replaced</p>")
    status, headers, body = get(server.base_url + "2025-01/09/c_292710.htm")
    assert (status, headers["Retry-After"], body) == (503, "5", b"busy")
    assert get(server.base_url + "2025-01/07/c_292700.htm")[2] == b"<p>replaced</p>"
    assert get(server.base_url + "2025-02/14/c_292874.htm")[0] == 200
