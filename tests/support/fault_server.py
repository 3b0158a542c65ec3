"""The fixture site server (site_server.py) with faults switchable per URL path.

    with FaultServer() as server:
        server.set_fault("/node_7040_2.htm", Fault("status", status=503, times=2))
        server.set_fault("/2025-04/09/c_293116.htm", Fault("hang", seconds=5))
        server.robots = "User-agent: *\\nDisallow: /node_7045"
        ...
        server.hits("/node_7040_2.htm")      # how often it was requested (bounded retries)

Every fault is a `behaviours` entry of site_server.SiteServer: it decides how that one path
misbehaves, everything else is served from tests/fixtures/site/ as in a clean crawl.
"""

from __future__ import annotations

import contextlib
import gzip
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.support.site_server import SITE_DIR, SiteHandler, SiteServer

NOT_FOUND_PAGE = (
    b'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; '
    b'charset=utf-8" /><title>eHangzhou</title></head><body><div class="header"></div>'
    b'<div class="main"><div class="notfound"><h2>Sorry, the page you are looking for was '
    b"not found.</h2><p>Page not found. It may have been moved or deleted.</p></div></div>"
    b"</body></html>"
)


@dataclass
class Fault:
    """One misbehaviour for the requests of one URL path.

    kind:
      status     answer `status` (with `headers`): 500/503 bursts, 429 with Retry-After
      hang       sleep `seconds` before answering (past the download timeout)
      drop       send the headers and half the body, then close the connection
      truncate   serve only the first `fraction` of the page, as a complete response
      charset    serve the page with `charset` in the Content-Type header
      huge       a page of `size` bytes (declared in Content-Length when `declared`)
      gzip_bomb  `size` zero bytes gzip-compressed (Content-Encoding: gzip)
      redirect   302 to `location` (absolute, or a path on this server)
      loop       302 to the same path: a redirect loop
      pager      an endless listing: page k links to page k + 1, forever
      soft404    "page not found" with status 200
      body       serve `body` as given (NUL bytes, invalid UTF-8, absurd titles)
    `times`: misbehave for the first `times` requests only, then serve normally (None: always).
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


class FaultServer(SiteServer):
    """SiteServer plus faults per path, a robots.txt override and a delay on every answer."""

    def __init__(self, root=SITE_DIR, *, delay: float = 0.0) -> None:
        super().__init__(root)
        self.delay = delay  # seconds before every answer: makes a crawl long enough to kill
        self.robots: str | None = None  # robots.txt text instead of the fixture's
        self._counts: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        owner = self

        class Handler(SiteHandler):
            def do_GET(self) -> None:  # noqa: N802
                route = urlsplit(self.path).path
                with owner._count_lock:
                    owner._counts[route] += 1
                if owner.delay:
                    time.sleep(owner.delay)
                if route == "/robots.txt" and owner.robots is not None:
                    self._status = None
                    try:
                        self.send_body(200, owner.robots.encode(), {"Content-Type": "text/plain"})
                    finally:
                        self.server.log(self, self._status)
                    return
                # The crawler may give up on an answer (a timeout): nothing left to tell it.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    super().do_GET()

        self.httpd.RequestHandlerClass = Handler
        quiet_errors = (BrokenPipeError, ConnectionResetError)
        print_error = self.httpd.handle_error

        def handle_error(request, client_address) -> None:
            # A crawler killed or timed out mid-answer is what these tests do on purpose.
            if not isinstance(sys.exc_info()[1], quiet_errors):
                print_error(request, client_address)

        self.httpd.handle_error = handle_error

    def hits(self, path: str) -> int:
        """How many requests the path received."""
        with self._count_lock:
            return self._counts[path]

    def set_fault(self, path: str, fault: Fault | None) -> None:
        """Make `path` misbehave (None: serve it normally again)."""
        if fault is None:
            self.behaviours.pop(path, None)
            return
        seen = Counter()

        def behaviour(handler: SiteHandler) -> bool:
            seen["n"] += 1
            if fault.times is not None and seen["n"] > fault.times:
                return False
            _apply(fault, handler, self)
            return True

        self.behaviours[path] = behaviour


def _page(server: FaultServer, route: str) -> bytes:
    target = (server.httpd.root / route.lstrip("/")).resolve()
    return target.read_bytes() if target.is_file() else b""


def _listing_page(server: FaultServer, route: str, k: int) -> bytes:
    """Page k of an endless listing in the site's markup, listing the real page 1's articles."""
    stem = route.rsplit("/", 1)[-1].split(".")[0]
    base = "_".join(stem.split("_")[:2])  # node_7040
    first = _page(server, f"/{base}.htm")
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


def _apply(fault: Fault, h: SiteHandler, server: FaultServer) -> None:
    route = urlsplit(h.path).path
    kind = fault.kind
    if kind == "status":
        h.send_error_page(fault.status, fault.headers)
    elif kind == "hang":
        time.sleep(fault.seconds)
        h.serve_file()
    elif kind == "drop":
        page = _page(server, route)
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(page)))
        h.end_headers()
        h.wfile.write(page[: len(page) // 2])
        h.wfile.flush()
        h.close_connection = True
        h.connection.shutdown(2)
    elif kind == "truncate":
        page = _page(server, route)
        h.send_body(200, page[: int(len(page) * fault.fraction)])
    elif kind == "charset":
        h.send_body(
            200, _page(server, route), {"Content-Type": f"text/html; charset={fault.charset}"}
        )
    elif kind == "huge":
        _huge(h, fault)
    elif kind == "gzip_bomb":
        packed = gzip.compress(b"\0" * fault.size, compresslevel=9)
        h.send_body(200, packed, {"Content-Encoding": "gzip"})
    elif kind in ("redirect", "loop"):
        h.send_response(302)
        h.send_header("Location", fault.location if kind == "redirect" else route)
        h.send_header("Content-Length", "0")
        h.end_headers()
    elif kind == "pager":
        stem = route.rsplit("/", 1)[-1].split(".")[0]
        k = int(stem.split("_")[2]) if stem.count("_") >= 2 else 1
        h.send_body(200, _listing_page(server, route, k))
        # Own the invented next page too, so the pager never ends.
        base = "_".join(stem.split("_")[:2])
        server.behaviours.setdefault(f"/{base}_{k + 1}.htm", server.behaviours[route])
    elif kind == "soft404":
        h.send_body(200, NOT_FOUND_PAGE)
    elif kind == "body":
        h.send_body(200, fault.body, fault.headers)
    else:
        raise ValueError(f"unknown fault kind {kind!r}")


def _huge(h: SiteHandler, fault: Fault) -> None:
    filler = b"<p>" + b"x" * 1020 + b"</p>"
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    if fault.declared:
        h.send_header("Content-Length", str(fault.size))
    else:
        h.close_connection = True
        h.send_header("Connection", "close")
    h.end_headers()
    sent = 0
    try:
        while sent < fault.size:
            chunk = filler[: fault.size - sent]
            h.wfile.write(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up at its DOWNLOAD_MAXSIZE, as it should
