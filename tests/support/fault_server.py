"""A fault-injecting loopback HTTP server: the fixture site, with faults switchable per URL path."""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

SITE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "site"

NOT_FOUND_PAGE = (
    b'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; '
    b'charset=utf-8" /><title>eHangzhou</title></head><body><div class="header"></div>'
    b'<div class="main"><div class="notfound"><h2>Sorry, the page you are looking for was '
    b"not found.</h2><p>Page not found. It may have been moved or deleted.</p></div></div>"
    b"</body></html>"
)


@dataclass
class Fault:
    """One misbehaviour, applied to the requests of one URL path.

    kind:
      status       answer `status` (with `headers`) for the first `times` hits, then serve
                   normally (times=None: forever): 500/503 bursts, 429 with Retry-After
      hang         sleep `seconds` before answering (past the download timeout)
      drop         send the headers and half the body, then close the connection
      truncate     serve only the first `fraction` of the page, as a complete response
      charset      serve the page with `charset` in the Content-Type header
      huge         serve a page of `size` bytes (declared in Content-Length when `declared`)
      gzip_bomb    serve `size` zero bytes gzip-compressed (Content-Encoding: gzip)
      redirect     302 to `location` (absolute, or a path on this server)
      loop         302 to the same path: a redirect loop
      pager        an endless listing: page k links to page k + 1, forever
      soft404      "page not found" with status 200
      body         serve `body` as given (NUL bytes, invalid UTF-8, absurd titles)
    """

    kind: str
    status: int = 500
    times: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    fraction: float = 0.5
    charset: str = "iso-8859-1"
    size: int = 10 * 1024 * 1024
    declared: bool = True
    location: str = ""
    body: bytes = b""


class FaultServer:
    """Serves `root` (the fixture site) on 127.0.0.1, a free port, in a background thread.

    `faults` maps a URL path ("/node_7040.htm") to a Fault; `robots` is the robots.txt text
    (None: 404); `delay` slows every answer (seconds), so a crawl is long enough to kill.
    `hits` counts requests per path: tests check that retries are bounded.
    """

    def __init__(
        self,
        root: Path = SITE_DIR,
        faults: dict[str, Fault] | None = None,
        *,
        robots: str | None = None,
        delay: float = 0.0,
    ) -> None:
        self.root = Path(root)
        self.faults: dict[str, Fault] = dict(faults or {})
        self.robots = robots
        self.delay = delay
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """The base URL to crawl: http://127.0.0.1:<port>/."""
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> FaultServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_fault(self, path: str, fault: Fault | None) -> None:
        with self.lock:
            if fault is None:
                self.faults.pop(path, None)
            else:
                self.faults[path] = fault

    def page(self, path: str) -> bytes | None:
        """The fixture file behind a URL path, or None."""
        rel = path.lstrip("/") or "index.html"
        target = (self.root / rel).resolve()
        if self.root.resolve() not in target.parents or not target.is_file():
            return None
        return target.read_bytes()


def _listing_page(server: FaultServer, path: str, k: int) -> bytes:
    """Page k of an endless listing, in the site's markup, listing real fixture articles."""
    stem = path.rsplit("/", 1)[-1].split(".")[0]
    base = stem.split("_")[0] + "_" + stem.split("_")[1]  # node_7040
    first = server.page(f"/{base}.htm") or b""
    # Reuse the first page's article links so every item is a real article.
    start = first.find(b'<ul class="list">')
    end = first.find(b"</ul>", start)
    items = first[start : end + 5] if start >= 0 else b'<ul class="list"></ul>'
    pager = (
        f'<div id="div_currpage"><span class="pagestyle">{k}</span> '
        f'<a class="pagestyle" href="{base}_{k + 1}.htm">{k + 1}</a> '
        f'<a class="pagestyle" href="{base}_{k + 1}.htm">Next &gt;</a></div>'
    ).encode()
    return (
        b'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; '
        b'charset=utf-8" /><title>Latest</title></head><body><div class="main">'
        b'<div class="bread"><a href="./">Home</a>&gt; Latest</div>'
        + items
        + pager
        + b"</div></body></html>"
    )


def _handler_for(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # quiet: the tests read `hits`, not a log

        def do_GET(self) -> None:  # noqa: N802
            path = urlsplit(self.path).path
            with server.lock:
                server.hits[path] += 1
                hit = server.hits[path]
                fault = server.faults.get(path)
                if fault is None and path.startswith("/node_"):
                    # An endless pager on page 1 also owns the pages it invents.
                    base = "_".join(path.split(".")[0].split("_")[:2]) + ".htm"
                    owner = server.faults.get(base)
                    fault = owner if owner is not None and owner.kind == "pager" else None
            if server.delay:
                time.sleep(server.delay)
            if path == "/robots.txt":
                if server.robots is None:
                    return self._send(404, b"not found", "text/plain")
                return self._send(200, server.robots.encode(), "text/plain")
            if fault is not None and not (fault.times is not None and hit > fault.times):
                return self._fault(fault, path)
            body = server.page(path)
            if body is None:
                return self._send(404, b"<html><body>404 Not Found</body></html>")
            return self._send(200, body)

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str = "text/html; charset=utf-8",
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _fault(self, fault: Fault, path: str) -> None:
            page = server.page(path) or b""
            kind = fault.kind
            if kind == "status":
                return self._send(
                    fault.status, b"<html><body>error</body></html>", headers=fault.headers
                )
            if kind == "hang":
                time.sleep(fault.seconds)
                return self._send(200, page)
            if kind == "drop":
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page[: len(page) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return None
            if kind == "truncate":
                return self._send(200, page[: int(len(page) * fault.fraction)])
            if kind == "charset":
                return self._send(200, page, f"text/html; charset={fault.charset}")
            if kind == "huge":
                return self._huge(fault)
            if kind == "gzip_bomb":
                packed = gzip.compress(b"\0" * fault.size, compresslevel=9)
                return self._send(200, packed, headers={"Content-Encoding": "gzip"})
            if kind in ("redirect", "loop"):
                location = fault.location if kind == "redirect" else path
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if kind == "pager":
                name = path.rsplit("/", 1)[-1].split(".")[0]
                k = int(name.split("_")[2]) if name.count("_") >= 2 else 1
                return self._send(200, _listing_page(server, path, k))
            if kind == "soft404":
                return self._send(200, NOT_FOUND_PAGE)
            if kind == "body":
                return self._send(200, fault.body, headers=fault.headers)
            raise ValueError(f"unknown fault kind {kind!r}")

        def _huge(self, fault: Fault) -> None:
            filler = b"<p>" + b"x" * 1020 + b"</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            if fault.declared:
                self.send_header("Content-Length", str(fault.size))
            else:
                self.close_connection = True
                self.send_header("Connection", "close")
            self.end_headers()
            sent = 0
            try:
                while sent < fault.size:
                    chunk = filler[: fault.size - sent]
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up at its DOWNLOAD_MAXSIZE, as it should

    return Handler
