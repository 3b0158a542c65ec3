"""What a fetch looked like on the wire: PageFetch records from Scrapy's requests and responses.

Scrapy hands over the status, the protocol of the status line (`response.protocol`), the
headers in received order (names in Scrapy's title case), the peer's address and the body.
It does not keep the reason phrase, and Twisted consumes the connection headers
(`Transfer-Encoding`, `Connection`) before Scrapy sees the response, so those are not
recorded; `Content-Length` comes back from Scrapy as the first header. A body Scrapy (or this
module) decoded from its `Content-Encoding` is stored decoded, and the fetch says which
encoding was removed (`content_encoding`).
"""

from __future__ import annotations

import gzip
import zlib
from typing import Any
from urllib.parse import urlsplit

from ehz_scraper.errors import BadURL
from ehz_scraper.items import PageFetch
from ehz_scraper.site.urls import canonicalize_url
from ehz_scraper.storage.timeutil import utcnow

# request.meta key the downloaded-response hook sets: the headers before any middleware
# (HttpCompressionMiddleware deletes the Content-Encoding it decodes).
RECEIVED_HEADERS = "ehz_received_headers"
KIND = "ehz_kind"  # request.meta key: home, listing, article, image (robots found by path)


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy Headers as (name, value) pairs in their order, repeated names kept."""
    return [
        (key.decode("latin-1"), value.decode("latin-1"))
        for key, values in headers.items()
        for value in values
    ]


def _values(pairs: list[tuple[str, str]], name: str) -> list[str]:
    wanted = name.lower()
    out: list[str] = []
    for key, value in pairs:
        if key.lower() == wanted:
            out.extend(v.strip().lower() for v in value.split(",") if v.strip())
    return out


def decode_body(body: bytes, encodings: list[str]) -> tuple[bytes, list[str]]:
    """The body with its Content-Encodings undone (last applied first), and those undone.

    An encoding this function does not know (or bytes that do not decode) stops it there:
    the body is kept as it is from that layer on, and so is the header that says so.
    """
    done: list[str] = []
    for encoding in reversed(encodings):
        try:
            if encoding in ("gzip", "x-gzip"):
                body = gzip.decompress(body)
            elif encoding == "deflate":
                try:
                    body = zlib.decompress(body)
                except zlib.error:
                    body = zlib.decompress(body, -zlib.MAX_WBITS)  # raw deflate, as some send
            elif encoding == "zstd":
                import zstandard

                body = zstandard.ZstdDecompressor().decompressobj().decompress(body)
            elif encoding == "br":
                import brotli  # type: ignore[import-not-found]

                body = brotli.decompress(body)
            elif encoding != "identity":
                break
        except (OSError, EOFError, zlib.error, ImportError, Exception):
            break
        done.insert(0, encoding)
    return body, done


def kind_of(meta: dict[str, Any], url: str) -> str:
    """What a response is: the kind its request was made for, robots.txt by its path."""
    kind = meta.get(KIND)
    if kind:
        return kind
    if urlsplit(url).path == "/robots.txt":
        return "robots"
    return "other"


def canonical(url: str, mirror: str | None) -> str:
    """The archive's key for a fetched URL (a mirror's URL maps onto the site)."""
    try:
        return canonicalize_url(url, mirror=mirror)
    except BadURL:
        return url


def fetch_from_response(
    request: Any,
    response: Any,
    *,
    mirror: str | None,
    page: int | None = None,
    url: str | None = None,
    body: bytes | None = None,
    received: list[tuple[str, str]] | None = None,
) -> PageFetch:
    """A PageFetch of `response` as received.

    In the downloaded-response hook the body is still as it came (maybe compressed): it is
    decoded here. In a spider callback HttpCompressionMiddleware has decoded it already; the
    headers the hook saved (`received`, from `RECEIVED_HEADERS`) say which encoding it removed.
    """
    current = header_pairs(response.headers)
    headers = received if received is not None else current
    raw = response.body if body is None else body
    sent = _values(headers, "Content-Encoding")
    still = _values(current, "Content-Encoding")
    if received is not None and len(still) < len(sent):
        decoded = sent[: len(sent) - len(still)] if still else sent  # Scrapy decoded these
    else:
        raw, decoded = decode_body(raw, still) if still and body is None else (raw, [])
    fetch_url = response.url
    key = url or canonical(fetch_url, mirror)
    ip = getattr(response, "ip_address", None)
    return PageFetch(
        url=key,
        page=page,
        status=response.status,
        headers=list(headers),
        body=raw,
        fetched_at=utcnow(),
        fetch_url=fetch_url if fetch_url != key else None,
        kind=kind_of(request.meta, fetch_url),
        protocol=getattr(response, "protocol", None),
        reason=None,  # Scrapy does not keep the reason phrase
        request_headers=header_pairs(request.headers),
        method=request.method,
        ip_address=str(ip) if ip is not None else None,
        content_encoding=", ".join(decoded) or None,
    )
