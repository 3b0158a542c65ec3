"""A real threaded HTTP server on 127.0.0.1 serving the fixture site, with a request log and hooks.

    with SiteServer() as server:            # tests/fixtures/site/ on a free port
        server.base_url                      # "http://127.0.0.1:PORT/"
        server.behaviours["/node_7040.htm"] = lambda h: h.send_error_page(503)
        ...
        server.paths()                       # ["/robots.txt", "/", ...] in arrival order

A behaviour is a callable taking the request handler; it either writes the whole response
itself (and returns True) or returns False/None to fall through to the static file. Handlers
get helpers: `send_body(status, body, headers)`, `send_error_page(status)`, `serve_file()`,
plus the usual BaseHTTPRequestHandler attributes (`path`, `headers`, `wfile`, `connection`).
Keys are exact paths ("/node_7040.htm", "/" for the home page) or prefixes ending in "*"
("/2025-01/*"); an exact key wins, then the longest prefix. `respond(status, body, headers)`
and `page(text)` build the common behaviours.
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

SITE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "site"
# Not part of the site: the builder and its manifest are served as real 404s.
_HIDDEN = {"build_site.py", "manifest.json"}
_TYPES = {
    ".htm": "text/html; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".jpg": "image/jpeg",
    ".png": "image/png",
}
# A fixed Last-Modified, so conditional GETs behave the same on every checkout.
_LAST_MODIFIED = email.utils.formatdate(1767225600, usegmt=True)  # 2026-01-01

Behaviour = Callable[["SiteHandler"], bool | None]


@dataclass(frozen=True)
class LoggedRequest:
    """One request the server received."""

    method: str
    path: str  # path and query as requested, e.g. "/node_7040.htm"
    headers: dict[str, str]
    at: float  # time.monotonic()
    status: int | None  # status sent (None if the behaviour wrote raw bytes)


class SiteHandler(BaseHTTPRequestHandler):
    """Serves files from the server's root; consults `behaviours` first."""

    server: SiteHTTPServer
    protocol_version = "HTTP/1.1"
    _logged = False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the request log replaces stderr noise

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        self._logged = False
        route = urlsplit(self.path).path
        try:
            behaviour = self.server.behaviour_for(route)
            if behaviour is None or not behaviour(self):
                self.serve_file()
        finally:
            if not self._logged:  # the behaviour wrote raw bytes (or nothing)
                self.server.log(self, None)

    # --- helpers for behaviours ----------------------------------------------------

    def send_response(self, code: int, message: str | None = None) -> None:
        # Logged before the response goes out, so a client that has its answer finds it logged.
        if not self._logged:
            self._logged = True
            self.server.log(self, code)
        super().send_response(code, message)

    def send_body(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        """A complete response with Content-Length."""
        self.send_response(status)
        headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error_page(self, status: int, headers: dict[str, str] | None = None) -> None:
        """A small HTML error page with the given status (a real 404, a 503, ...)."""
        body = (
            f"<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"
        ).encode()
        self.send_body(status, body, headers)

    def serve_file(self) -> None:
        """The static file for the path (index.html for a folder); ETag/Last-Modified and 304."""
        route = unquote(urlsplit(self.path).path)
        target = (self.server.root / route.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        inside = target == self.server.root or self.server.root in target.parents
        if not inside or not target.is_file() or target.name in _HIDDEN:
            self.send_error_page(404)
            return
        body = target.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = {
            "Content-Type": _TYPES.get(target.suffix, "application/octet-stream"),
            "ETag": etag,
            "Last-Modified": _LAST_MODIFIED,
        }
        if self.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in self.headers
            and self.headers.get("If-Modified-Since") == _LAST_MODIFIED
        ):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", _LAST_MODIFIED)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_body(200, body, headers)


class SiteHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with a root folder, a behaviours table and a request log."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), SiteHandler)
        self.root = root.resolve()
        self.behaviours: dict[str, Behaviour] = {}
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def behaviour_for(self, route: str) -> Behaviour | None:
        """The behaviour for a path: an exact key, else the longest matching "prefix*" key."""
        if route in self.behaviours:
            return self.behaviours[route]
        prefixes = [k for k in self.behaviours if k.endswith("*") and route.startswith(k[:-1])]
        return self.behaviours[max(prefixes, key=len)] if prefixes else None

    def log(self, handler: SiteHandler, status: int | None) -> None:
        entry = LoggedRequest(
            handler.command, handler.path, dict(handler.headers.items()), time.monotonic(), status
        )
        with self._lock:
            self.requests.append(entry)


def respond(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Behaviour:
    """A behaviour answering every request with this status, body and headers."""

    def behaviour(handler: SiteHandler) -> bool:
        handler.send_body(status, body, headers)
        return True

    return behaviour


def page(text: str, status: int = 200) -> Behaviour:
    """A behaviour serving `text` (UTF-8 HTML) instead of the file."""
    return respond(status, text.encode("utf-8"))


class SiteServer:
    """Start/stop wrapper: `with SiteServer() as s:` serves `root` on 127.0.0.1:<free port>."""

    def __init__(self, root: Path = SITE_DIR) -> None:
        self.httpd = SiteHTTPServer(root)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def behaviours(self) -> dict[str, Behaviour]:
        return self.httpd.behaviours

    @property
    def requests(self) -> list[LoggedRequest]:
        with self.httpd._lock:
            return list(self.httpd.requests)

    def paths(self) -> list[str]:
        """Requested paths in arrival order."""
        return [r.path for r in self.requests]

    def clear_log(self) -> None:
        with self.httpd._lock:
            self.httpd.requests.clear()

    def start(self) -> SiteServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
