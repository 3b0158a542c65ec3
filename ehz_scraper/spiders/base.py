"""The spiders' shared navigation: home -> section -> listing walk -> articles and their pages."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from ehz_scraper.errors import BadArgument, BadURL
from ehz_scraper.items import (
    STOP_END_OF_LISTING,
    STOP_FAILED_LISTING,
    STOP_INCREMENTAL,
    STOP_NO_LINKS,
    STOP_NOTHING_LISTED,
    ArticleCapture,
    FailedFetch,
    ListingPage,
    ResourceFailure,
)
from ehz_scraper.site.urls import (
    article_page_url,
    canonicalize_url,
    parse_article_url,
    to_fetch_url,
)
from ehz_scraper.spiders import navigation as nav
from ehz_scraper.spiders import wire
from ehz_scraper.spiders.args import CrawlArgs, Mode, WalkArgs, parse_args
from ehz_scraper.spiders.fetch_errors import describe_failure, http_status_reason
from ehz_scraper.storage.reader import ArchiveReader
from ehz_scraper.storage.timeutil import utcnow

# Statuses an article page request hands to its callback instead of the HttpError errback,
# so a failed page becomes a FailedFetch with its status. Redirects (301/302/303/307/308)
# stay out of the list: RedirectMiddleware must still follow them.
_ARTICLE_STATUSES = [304, *range(400, 600)]


@dataclass
class ArticleState:
    """One article being fetched page by page (the pager may reveal later pages as it goes)."""

    capture: ArticleCapture
    page_urls: dict[int, str] = field(default_factory=dict)  # page -> canonical URL
    attempted: set[int] = field(default_factory=set)

    def next_page(self) -> int | None:
        todo = sorted(set(self.page_urls) - self.attempted)
        return todo[0] if todo else None


@dataclass
class Walk:
    """One section's listing walk."""

    section: str
    coverage: set[str]  # article URLs listed on pages that completed runs walked
    seen: set[str] = field(default_factory=set)  # listing URLs requested
    pages: int = 0
    listed_before: int = 0  # distinct article URLs earlier walks of the section listed


class EhzSpider(scrapy.Spider):
    """Base of every ehz spider: validated arguments, archive lookups, article fetching."""

    args_model: ClassVar[type[CrawlArgs]] = CrawlArgs
    args: CrawlArgs

    def __init__(self, *a: Any, **kwargs: Any) -> None:
        # Every -a value arrives here as a string; an unknown name is an error, not ignored.
        try:
            self.args = parse_args(self.args_model, kwargs)
        except BadArgument as exc:
            _fail_argument(self.name, exc)
        super().__init__(*a)
        self.mirror = self.args.mirror
        host = self.args.base_url.split("/")[2].split(":")[0]
        self.allowed_domains = [host] if self.mirror else ["ehangzhou.gov.cn"]
        self._seen_ids: set[int] = set()
        self.known_ids: set[int] = set()
        self.not_due: set[str] = set()
        self.due: dict[int, str] = {}  # article id -> page-1 URL, for failures due a retry
        self.images_seen: set[str] = set()  # image URLs requested (or skipped) this run
        self.known_images: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.archive = ArchiveReader(settings["EHZ_DB"])
        spider.max_listing_pages = settings.getint("EHZ_MAX_LISTING_PAGES")
        spider.max_article_pages = settings.getint("EHZ_MAX_ARTICLE_PAGES")
        spider.fetch_images = settings.getbool("EHZ_IMAGES")
        spider.image_maxsize = settings.getint("EHZ_IMAGE_MAXSIZE")
        if spider.fetch_images:
            spider.known_images = spider.archive.served_urls("image")
        spider.known_ids = spider.archive.known_article_ids()
        spider.not_due = spider.archive.failures_not_due()
        # Failed URLs due for a retry: their articles count as new (an incomplete article is
        # fetched again) and a walk retries those its section listed, however deep.
        refs = (parse_article_url(url) for url in spider.archive.failures_due())
        spider.due = {ref.article_id: ref.page1_url for ref in refs if ref is not None}
        return spider

    @property
    def seen_ids(self) -> set[int]:
        """Article ids this run has requested; kept in the JOBDIR state when there is one,
        so a resumed backfill does not fetch an article twice."""
        state = getattr(self, "state", None)  # set by Scrapy's SpiderState with -s JOBDIR
        if state is None:
            return self._seen_ids
        return state.setdefault("seen_ids", self._seen_ids)

    def closed(self, reason: str) -> None:
        self.archive.close()

    # --- helpers --------------------------------------------------------------------

    def fetch_url(self, canonical: str) -> str:
        return to_fetch_url(canonical, self.mirror)

    def is_known(self, page1_url: str) -> bool:
        """In the archive, or a failure (fetch, not an article) not yet due for a retry."""
        ref = parse_article_url(page1_url)
        if ref is not None and ref.article_id in self.due:
            return False
        in_archive = ref is not None and ref.article_id in self.known_ids
        return in_archive or page1_url in self.not_due

    # --- the home page and listing walks ------------------------------------------

    def home_request(self, callback) -> Request:
        return Request(
            self.args.base_url,
            callback=callback,
            errback=self.home_failed,
            meta={wire.KIND: "home"},
        )

    def home_failed(self, failure: Failure) -> None:
        raise CloseSpider(f"home page failed: {failure_reason(failure)}")

    def home_tree(self, response: Response):
        tree = nav.parse_html(response.body)
        if tree is None:
            raise CloseSpider("home page failed: no HTML")
        return tree

    def start_walk(self, section: str, listing_url: str) -> Iterator[Request]:
        """Page 1 of a section's listing, then the section's failed articles due a retry."""
        walk = Walk(
            section=section,
            coverage=self.archive.completed_coverage(section),
            listed_before=self.archive.listed_count(section),
        )
        yield self.listing_request(walk, listing_url)
        # Retries the walk may never reach (it stops on covered ground, or is cut by
        # max_pages): failures of articles any earlier walk of this section listed.
        if self.due:
            listed = self.archive.listed_urls(section)
            for page1_url in sorted(u for u in self.due.values() if u in listed):
                yield from self.article_requests(page1_url, None, section)

    def listing_request(self, walk: Walk, listing_url: str) -> Request:
        walk.seen.add(listing_url)
        walk.pages += 1
        return Request(
            self.fetch_url(listing_url),
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"walk": walk, "listing_url": listing_url},
            meta={wire.KIND: "listing"},
            dont_filter=True,  # the walk keeps its own seen-set; a silent drop would lose a page
        )

    def parse_listing(self, response: Response, walk: Walk, listing_url: str) -> Iterator[Any]:
        tree, cut = nav.parse_html_cut(response.body)
        if cut:
            self.logger.warning("listing page %s nests too deep: it was cut", listing_url)
            self.crawler.stats.inc_value("ehz/cut_pages")  # the drift alarm counts these
        found = nav.listing_articles(tree, response.url, self.mirror) if tree is not None else None
        urls = found.urls if found else []
        new = [u for u in urls if not self.is_known(u)]
        args = self.args
        assert isinstance(args, WalkArgs)
        next_url = None
        if urls:
            next_url = nav.next_listing_page(tree, response.url, walk.pages, self.mirror)
        stop: str | None = None
        if not urls:
            # Page 1 of a section that listed articles before, or a later page that listed
            # some before, has failed; a later page never seen with links is the listing's end.
            before = (
                walk.listed_before if walk.pages == 1 else self.archive.links_listed_at(listing_url)
            )
            if before:
                stop = f"{STOP_FAILED_LISTING} {before}"
            elif walk.pages == 1:
                stop = STOP_NOTHING_LISTED
            else:
                stop = STOP_NO_LINKS
            self.logger.warning("listing page %s lists no article: %s", listing_url, stop)
        elif args.mode is Mode.incremental and not new and urls[-1] in walk.coverage:
            # Everything listed is known, and the page's oldest article is ground a completed
            # walk covered: all older articles were handled then (an interrupted run's
            # articles are known but not covered, so the walk goes on past them).
            stop = STOP_INCREMENTAL
        elif args.max_pages is not None and walk.pages >= args.max_pages:
            stop = "max_pages"
        elif walk.pages >= self.max_listing_pages:
            stop = "listing page cap"
            self.logger.warning("listing walk of %s cut at %d pages", walk.section, walk.pages)
        elif next_url is None:
            stop = STOP_END_OF_LISTING
        elif next_url in walk.seen:
            stop = "pager cycle"
            self.logger.warning("listing pager of %s links back to %s", walk.section, next_url)
        if found and found.fallback:
            self.logger.warning(
                "listing %s: no list container, fallback selector %d used",
                listing_url,
                found.selector,
            )
        yield ListingPage(
            url=listing_url,
            section=walk.section,
            page=walk.pages,
            article_urls=urls,
            new_count=len(new),
            fetched_at=utcnow(),
            last=stop is not None,
            stop_reason=stop,
        )
        for url in urls:
            if url in new or args.refresh:
                yield from self.article_requests(url, listing_url, walk.section)
        if stop is None:
            assert next_url is not None
            yield self.listing_request(walk, next_url)

    def listing_failed(self, failure: Failure) -> Iterator[ListingPage]:
        request = failure.request  # type: ignore[attr-defined]
        walk: Walk = request.cb_kwargs["walk"]
        reason = failure_reason(failure)
        self.logger.error("listing page %s failed: %s", request.cb_kwargs["listing_url"], reason)
        yield ListingPage(
            url=request.cb_kwargs["listing_url"],
            section=walk.section,
            page=walk.pages,
            article_urls=[],
            new_count=0,
            fetched_at=utcnow(),
            last=True,
            stop_reason=f"fetch failed: {reason}",
        )

    # --- articles -------------------------------------------------------------------

    def article_requests(
        self, page1_url: str, listing_url: str | None = None, section: str | None = None
    ) -> Iterator[Request]:
        """The request for page 1 of an article, unless this run already has it."""
        ref = parse_article_url(page1_url)
        if ref is None or ref.article_id in self.seen_ids:
            return
        self.seen_ids.add(ref.article_id)
        page1 = ref.url if ref.page == 1 else ref.page1_url
        capture = ArticleCapture(
            article_id=ref.article_id,
            url=page1,
            listing_url=listing_url,
            listing_section=section,
        )
        state = ArticleState(capture=capture, page_urls={1: page1})
        yield self.page_request(state, 1)

    def page_request(self, state: ArticleState, page: int) -> Request:
        state.attempted.add(page)
        url = state.page_urls[page]
        headers = {}
        if self.args.refresh:
            last = self.archive.last_fetch(url)
            if last and last.get("etag"):
                headers["If-None-Match"] = last["etag"]
            if last and last.get("last_modified"):
                headers["If-Modified-Since"] = last["last_modified"]
        return Request(
            self.fetch_url(url),
            headers=headers,
            callback=self.parse_article_page,
            errback=self.article_page_failed,
            cb_kwargs={"state": state, "page": page},
            meta={"handle_httpstatus_list": _ARTICLE_STATUSES, wire.KIND: "article"},
            # Later pages first, so articles finish (and leave memory) before new ones start.
            priority=10 + page,
            dont_filter=True,  # the run's own seen-sets dedupe; a silent drop would lose a page
        )

    def parse_article_page(
        self, response: Response, state: ArticleState, page: int
    ) -> Iterator[Any]:
        url = state.page_urls[page]
        if response.status == 304:
            state.capture.pages.append(self._page_fetch(response, url, page, body=b""))
            self._pages_from_archive(state)
            if self.fetch_images and self.args.refresh:
                # The page is unchanged: its images are those of the stored copy.
                yield from self.image_requests(response, self.archive.last_body(url) or b"")
        elif response.status >= 400:
            reason = http_status_reason(response.status, response.request, response.headers)
            state.capture.failed.append(
                FailedFetch(
                    url=url, page=page, reason=reason, failed_at=utcnow(), status=response.status
                )
            )
        elif (redirected := self._redirected_elsewhere(response, url)) is not None:
            # Only a page whose final URL is this article's page may feed its record.
            reason, other = redirected
            state.capture.failed.append(
                FailedFetch(url=url, page=page, reason=reason, failed_at=utcnow())
            )
            if other is not None:
                yield from self.article_requests(other, None, state.capture.listing_section)
        else:
            state.capture.pages.append(self._page_fetch(response, url, page))
            found = nav.article_pages(
                response.body, response.url, state.capture.article_id, self.mirror
            )
            for k, page_url in found.items():
                if k <= self.max_article_pages:
                    state.page_urls.setdefault(k, page_url)
            yield from self.image_requests(response, response.body)
        yield from self._next_or_done(state)

    def _redirected_elsewhere(self, response: Response, url: str) -> tuple[str, str | None] | None:
        """(failure reason, the other article's page 1 or None) when a redirect took the
        request away from page `url`; None when the final URL is that page (or equivalent)."""
        if not response.meta.get("redirect_urls"):
            return None
        try:
            final = canonicalize_url(response.url, mirror=self.mirror)
        except BadURL:
            return f"not an article: redirected to {response.url}", None
        if final == url:
            return None  # http -> https, no www -> www: the same page
        ref, wanted = parse_article_url(final), parse_article_url(url)
        if ref is None:
            return f"not an article: redirected to {final}", None
        if wanted is not None and ref.article_id == wanted.article_id:
            return f"redirected to page {ref.page} of the article ({final})", None
        return f"redirected to c_{ref.article_id}", ref.page1_url

    # --- images ---------------------------------------------------------------------

    def image_requests(self, response: Response, body: bytes) -> Iterator[Request]:
        """The images an article page shows, each once a run; one already archived only on
        refresh, then with a conditional GET. The pipeline archives the responses."""
        if not self.fetch_images:
            return
        for url in nav.image_urls(body, response.url, self.mirror):
            if url in self.images_seen or url in self.not_due:
                continue
            self.images_seen.add(url)
            headers = {}
            if url in self.known_images:
                if not self.args.refresh:
                    continue
                last = self.archive.last_fetch(url) or {}
                if last.get("etag"):
                    headers["If-None-Match"] = last["etag"]
                if last.get("last_modified"):
                    headers["If-Modified-Since"] = last["last_modified"]
            yield Request(
                self.fetch_url(url),
                headers=headers,
                callback=self.image_fetched,
                errback=self.image_failed,
                cb_kwargs={"url": url},
                meta={
                    wire.KIND: "image",
                    "download_maxsize": self.image_maxsize,
                    "handle_httpstatus_list": [304],  # a conditional GET's answer, no error
                },
                priority=5,  # after the article's own pages
            )

    def image_fetched(self, response: Response, url: str) -> Iterator[Any]:
        return iter(())  # archived by the store pipeline as it arrived

    def image_failed(self, failure: Failure) -> Iterator[ResourceFailure]:
        request = failure.request  # type: ignore[attr-defined]
        url = request.cb_kwargs["url"]
        reason = failure_reason(failure)
        self.logger.warning("image %s failed: %s", url, reason)
        yield ResourceFailure(url=url, kind="image", reason=reason, failed_at=utcnow())

    def article_page_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        state: ArticleState = request.cb_kwargs["state"]
        page: int = request.cb_kwargs["page"]
        state.capture.failed.append(
            FailedFetch(
                url=state.page_urls[page],
                page=page,
                reason=failure_reason(failure),
                failed_at=utcnow(),
            )
        )
        yield from self._next_or_done(state)

    def _next_or_done(self, state: ArticleState) -> Iterator[Any]:
        page = state.next_page()
        if page is not None:
            yield self.page_request(state, page)
            return
        state.capture.pages.sort(key=lambda p: p.page)
        state.capture.failed.sort(key=lambda f: f.page)
        yield state.capture

    def _pages_from_archive(self, state: ArticleState) -> None:
        """After a 304 on page 1 (no body to read a pager from): the pages fetched before."""
        for k in range(2, self.max_article_pages + 1):
            url = article_page_url(state.capture.url, k)
            if self.archive.last_fetch(url) is None:
                break
            state.page_urls.setdefault(k, url)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """What `scrapy parse URL` (and `spider.parse(response)` in `scrapy shell URL`) shows.

        For an article page: the record the extractor makes of this one page (a later page's
        own text only; `page_urls` lists every page it links). Other pages give nothing. No
        crawl calls this: the crawls' callbacks fetch whole articles for the pipelines.
        """
        from ehz_scraper.errors import NotAnArticle
        from ehz_scraper.extraction import Page, extract_article
        from ehz_scraper.site.urls import canonicalize_url

        ref = parse_article_url(canonicalize_url(response.url, mirror=self.mirror))
        if ref is None:
            self.logger.warning("not an article URL: %s", response.url)
            return
        fetch = self._page_fetch(response, ref.url, ref.page)
        try:
            yield extract_article(
                [Page(url=ref.url, body=fetch.body, headers=fetch.headers)], url=ref.page1_url
            )
        except NotAnArticle as exc:
            self.logger.warning("not an article: %s (%s)", response.url, exc)

    def _page_fetch(self, response: Response, url: str, page: int, body: bytes | None = None):
        return wire.fetch_from_response(
            response.request,
            response,
            mirror=self.mirror,
            page=page,
            url=url,
            body=response.body if body is None else body,
            received=response.meta.get(wire.RECEIVED_HEADERS),
        )


def failure_reason(failure: Failure) -> str:
    """One line a person understands for a failed request ("timeout after 3 retries")."""
    # One mapping for the whole project (also used by tests and the run summary).
    return describe_failure(failure)[0]


def _fail_argument(spider: str, exc: BadArgument) -> None:
    """End the process with a one-line message: no request has been made yet."""
    sys.stderr.write(f"Error: scrapy crawl {spider}: {exc}\n")
    sys.stderr.flush()
    raise SystemExit(2)
