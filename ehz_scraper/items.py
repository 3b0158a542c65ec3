"""The items spiders yield: one ArticleCapture per article, holding every page fetched for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PageFetch:
    """One HTTP fetch (an article page, or any other response), kept exactly as received."""

    url: str  # canonical URL of the page (https://www.ehangzhou.gov.cn/...)
    page: int | None  # 1-based page number within the article; None for other responses
    status: int  # HTTP status; 304 means "not modified", body empty (the archive has it)
    headers: list[tuple[str, str]]  # response headers in order, repeated names kept
    body: bytes  # raw bytes as received (decompressed transfer encoding, not decoded text)
    fetched_at: str  # ISO 8601 UTC, e.g. "2026-11-26T07:01:02Z"
    fetch_url: str | None = None  # the URL actually requested, when it differs (a mirror)
    kind: str = "article"  # home, listing, robots, article, image, other
    protocol: str | None = None  # the status line's protocol as received ("HTTP/1.0")
    reason: str | None = None  # the status line's reason phrase, when the client kept it
    request_headers: list[tuple[str, str]] = field(default_factory=list)  # as sent
    method: str = "GET"
    ip_address: str | None = None  # the peer's address
    content_encoding: str | None = None  # Content-Encoding decoded before `body` ("gzip")
    warc_file: str | None = None  # provenance of a fetch read by `ehz import`
    warc_record_id: str | None = None


@dataclass
class FailedFetch:
    """A page of an article that could not be fetched."""

    url: str  # canonical URL
    page: int
    reason: str  # one line a person understands: "timeout after 3 retries", "HTTP 500"
    failed_at: str
    status: int | None = None


@dataclass
class ResourceFailure:
    """A response that is not part of an article (an image) that could not be fetched."""

    url: str  # canonical URL
    kind: str
    reason: str
    failed_at: str


@dataclass
class ArticleCapture:
    """Everything fetched for one article; the item pipelines turn it into a record."""

    article_id: int
    url: str  # canonical URL of page 1
    pages: list[PageFetch] = field(default_factory=list)  # in page order
    failed: list[FailedFetch] = field(default_factory=list)
    listing_url: str | None = None  # the listing page the article was found on
    listing_section: str | None = None  # that listing's section name
    # Pages read for extraction only, never written: the archive's copies of later pages a
    # visit did not fetch (`ehz import` of a WARC that re-captured page 1 alone).
    context_pages: list[PageFetch] = field(default_factory=list)
    # Filled in by the pipelines, never by spiders:
    record: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None  # {"stage": ..., "reason": ...} when not archivable
    bad_pages: list[int] = field(default_factory=list)  # fetched pages that were not articles
    stored: Any = None  # the StoreOutcome once archived (what the feed exports report)
    video_players: int = 0  # video players the extractor saw in the body (see validate.py)


# ListingPage.stop_reason of a walk that reached the bottom of its ground: the listing ended,
# or an incremental stop on a page whose articles a bridged earlier walk already covered.
# Only walks ending so count as covered ground (storage.reader.ArchiveReader.completed_coverage).
STOP_END_OF_LISTING = "end of listing"
STOP_INCREMENTAL = "incremental: nothing new"
BRIDGING_STOPS = (STOP_END_OF_LISTING, STOP_INCREMENTAL)
# A listing page without article links: page 1 of a section earlier walks found links in, or
# a later page earlier walks found links on, is a failed listing (a drift sign); page 1 of a
# section no walk ever found links in yields nothing at all (the run fails); else the walk
# simply ends there (a pager that links one page past the last).
STOP_NO_LINKS = "no article links"
STOP_FAILED_LISTING = "failed listing: no article links where earlier walks found"
STOP_NOTHING_LISTED = "no article links on page 1, and no earlier walk found any"


@dataclass
class ListingPage:
    """One listing page a spider walked: lets the store pipeline record how far a run got."""

    url: str  # canonical URL of the listing page
    section: str  # the section's name as in the navigation ("Latest")
    page: int  # 1-based position in the walk
    article_urls: list[str]  # canonical page-1 URLs listed, in order
    new_count: int  # how many of them were not already known to the archive
    fetched_at: str
    last: bool = False  # the walk stops here (incremental stop, max_pages, no pager, cap)
    stop_reason: str | None = None


# What the archive adds to a record in `ehz show --format json` and the exports, in order.
ARCHIVE_FIELDS = (
    "published_date",
    "published_at",
    "complete",
    "version",
    "first_seen",
    "last_seen",
    "version_first_seen",
)


def in_record_order(record: dict[str, Any]) -> dict[str, Any]:
    """`record` with its keys in the order of extraction.record.Record (unknown keys after,
    sorted): the archive stores records with sorted keys, for hashing."""
    from ehz_scraper.extraction.record import Record  # lxml: only for who needs the order

    ordered = {key: record[key] for key in Record.__annotations__ if key in record}
    ordered.update((key, record[key]) for key in sorted(record) if key not in ordered)
    return ordered
