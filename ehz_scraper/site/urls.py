"""URL canonicalisation for www.ehangzhou.gov.cn: one key per page, whatever form a link takes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as w3_canonicalize

from ehz_scraper.errors import BadURL

SITE_ORIGIN = "https://www.ehangzhou.gov.cn"
SITE_HOST = "www.ehangzhou.gov.cn"
SITE_HOSTS = frozenset({"www.ehangzhou.gov.cn", "ehangzhou.gov.cn"})
# The site's ids have 6 digits; a longer run of digits is junk, not an article (and 4,300
# digits or more are a ValueError in int()). Page numbers get the same bound.
MAX_ID_DIGITS = 12

# The CMS's URL conventions, each written once here; every other pattern is built from these.
# An article page's file: c_<id>.htm, page k >= 2 as c_<id>_<k>.htm. ASCII digits only: `\d`
# also matches "٣" (which int() reads as 3) and "²" (which int() refuses).
_ID = rf"c_(?P<id>[0-9]{{1,{MAX_ID_DIGITS}}})"
_PAGE, _EXT = rf"_(?P<page>[0-9]{{1,{MAX_ID_DIGITS}}})", r"\.html?"
_ARTICLE_FILE = _ID + "(?:" + _PAGE + ")?" + _EXT
# The folder an article sits in: /<YYYY-MM>/<DD>/.
_DATE_FOLDER = r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})/(?P<day>[0-9]{2})/"

ARTICLE_PATH_RE = re.compile("/" + _DATE_FOLDER + _ARTICLE_FILE + "$")
# The same pattern in a local file path (for `ehz extract` without --url).
ARTICLE_FILE_RE = re.compile("(?:" + _DATE_FOLDER + ")?" + _ARTICLE_FILE + "$")
# An article link inside a longer URL or href (a query or fragment may follow): the pager's links
# and the date path of a page URL.
ARTICLE_HREF_RE = re.compile(_ARTICLE_FILE + r"(?:$|[?#])")
ARTICLE_URL_DATE_RE = re.compile("/" + _DATE_FOLDER + _ARTICLE_FILE + r"(?:$|[?#])")
# Links to later pages (c_<id>_<k>.htm) in a page's raw bytes: (href, id, page).
LATER_PAGE_HREF_RE = re.compile(
    (
        r"""href\s*=\s*["']?(?P<href>[^"'\s>]*?""" + _ID + _PAGE + _EXT + r""")(?=["'\s>])"""
    ).encode(),
    re.IGNORECASE,
)


# A section's listing page, node_<n>.htm and node_<n>_<k>.htm (the CMS's convention). Spiders
# find listings by navigation, never by this; it only names what a WARC record is on import.
LISTING_PATH_RE = re.compile(r"/node_\d+(?:_\d+)?\.html?$")
HOME_PATHS = frozenset({"/", "/index.htm", "/index.html", "/index.shtml"})


def page_kind(url: str, content_type: str | None = None) -> str:
    """What a canonical site URL is: home, listing, robots, article, image or other."""
    path = urlsplit(url).path or "/"
    if path == "/robots.txt":
        return "robots"
    if path in HOME_PATHS:
        return "home"
    if ARTICLE_PATH_RE.search(path):
        return "article"
    if LISTING_PATH_RE.search(path):
        return "listing"
    if (content_type or "").lower().startswith("image/") or path.startswith("/img/"):
        return "image"
    return "other"


def later_page_marker(article_id: int) -> bytes:
    """Bytes every link to a later page of `article_id` contains (a cheap test before the regex)."""
    return f"c_{article_id}_".encode()


@dataclass(frozen=True)
class ArticleRef:
    """Where a URL sits in an article: its id, page number and the date in its path."""

    article_id: int
    page: int
    date: str | None  # "YYYY-MM-DD" from the path, when the path has one
    url: str  # canonical URL of this page
    page1_url: str  # canonical URL of page 1


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def canonicalize_url(url: str, base: str | None = None, *, mirror: str | None = None) -> str:
    """Absolute canonical form of `url` (resolved against `base`).

    Site URLs (http or https, with or without www, and URLs on the `mirror` origin, e.g.
    a loopback copy of the site) become https://www.ehangzhou.gov.cn/...; the fragment is
    dropped and the query sorted. Off-site URLs are resolved but otherwise kept as written.
    Raises BadURL for anything that is not an http(s) URL.
    """
    if not isinstance(url, str) or not url.strip():
        raise BadURL(f"empty URL: {url!r}")
    raw = url.strip().replace("\\", "/")
    if any(ch in raw for ch in "\x00\r\n\t"):
        raise BadURL(f"control character in URL: {raw[:80]!r}")
    try:
        if base:
            raw = urljoin(base, raw)
        elif raw.startswith("//"):
            raw = "https:" + raw
        parts = urlsplit(raw)
        host = (parts.hostname or "").lower()
        _ = parts.port  # raises ValueError for a bad port
    except ValueError as exc:
        raise BadURL(f"unparseable URL {raw[:80]!r}: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise BadURL(f"not an absolute http(s) URL: {raw[:80]!r}")
    on_site = host in SITE_HOSTS or (mirror is not None and _origin(raw)[1] == _origin(mirror)[1])
    if not on_site:
        return urlunsplit(parts._replace(fragment=""))
    path = parts.path or "/"
    if mirror is not None and host not in SITE_HOSTS:
        # A mirror served under a path prefix (http://127.0.0.1:8765/copy/) maps to the root.
        prefix = urlsplit(mirror).path.rstrip("/")
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]
    rebuilt = urlunsplit(("https", SITE_HOST, path, parts.query, ""))
    try:
        return w3_canonicalize(rebuilt, keep_fragments=False)
    except ValueError as exc:
        raise BadURL(f"unparseable URL {raw[:80]!r}: {exc}") from None


def is_site_url(url: str) -> bool:
    """True when a canonical URL belongs to the site."""
    return urlsplit(url).hostname in SITE_HOSTS


def to_fetch_url(canonical: str, mirror: str | None) -> str:
    """The URL to request for a canonical site URL: the same path on the mirror, if crawling one."""
    if mirror is None or not is_site_url(canonical):
        return canonical
    m = urlsplit(mirror)
    c = urlsplit(canonical)
    path = m.path.rstrip("/") + c.path
    return urlunsplit((m.scheme, m.netloc, path, c.query, ""))


def parse_article_url(url: str) -> ArticleRef | None:
    """The article id, page number and path date of a canonical article URL, else None."""
    parts = urlsplit(url)
    match = ARTICLE_PATH_RE.search(parts.path)
    if match is None or parts.hostname not in SITE_HOSTS:
        return None
    return _ref(match, url, parts)


def _ref(match: re.Match[str], url: str, parts) -> ArticleRef:
    article_id = int(match["id"])
    page = int(match["page"]) if match["page"] else 1
    date = f"{match['year']}-{match['month']}-{match['day']}" if match["year"] else None
    if page == 1:  # itself, as the site spells it (a .html suffix stays)
        page1 = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    else:
        folder = parts.path[: match.start("id") - 2]
        page1 = urlunsplit((parts.scheme, parts.netloc, f"{folder}c_{article_id}.htm", "", ""))
    return ArticleRef(article_id=article_id, page=page, date=date, url=url, page1_url=page1)


def page1_url(url: str | None, base: str | None = None) -> str | None:
    """The canonical page-1 URL of the article any of whose pages `url` is, else None."""
    if not url:
        return None
    try:
        ref = parse_article_url(canonicalize_url(url, base))
    except BadURL:
        return None
    return ref.page1_url if ref is not None else None


def article_url_from_filename(path: str) -> str | None:
    """The canonical page URL a saved file stands for, if its path ends in YYYY-MM/DD/c_<id>.htm."""
    match = ARTICLE_FILE_RE.search(path.replace("\\", "/"))
    if match is None or not match["year"]:
        return None
    suffix = f"_{match['page']}" if match["page"] else ""
    return (
        f"{SITE_ORIGIN}/{match['year']}-{match['month']}/{match['day']}/c_{match['id']}{suffix}.htm"
    )


def article_id_from_filename(path: str) -> tuple[int, int] | None:
    """(article id, page) of a file named like c_<id>.htm or c_<id>_<k>.htm, else None."""
    match = ARTICLE_FILE_RE.search(path.replace("\\", "/"))
    if match is None:
        return None
    return int(match["id"]), int(match["page"]) if match["page"] else 1


def article_page_url(page1_url: str, page: int) -> str:
    """The canonical URL of page `page` of the article whose page 1 is `page1_url`."""
    if page == 1:
        return page1_url
    return re.sub(r"\.htm$", f"_{page}.htm", page1_url)
