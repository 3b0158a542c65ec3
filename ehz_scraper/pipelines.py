"""Item pipelines: extract (capture -> record), validate, store (the only writer of the archive)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from ehz_scraper.errors import ArchiveWriteFailed, NotAnArticle
from ehz_scraper.extraction import Page, extract_article_result
from ehz_scraper.extraction.article import CUT_WARNING
from ehz_scraper.extraction.validate import bad_page_reasons, validation_problem
from ehz_scraper.items import ArticleCapture, ListingPage, ResourceFailure
from ehz_scraper.run.report import RunReport
from ehz_scraper.spiders import wire
from ehz_scraper.storage.archive import ArchiveWriter
from ehz_scraper.storage.reader import ArchiveReader

logger = logging.getLogger(__name__)

GOOD_STATUSES = (200, 304)


def _fail(capture: ArticleCapture, stage: str, reason: str) -> ArticleCapture:
    capture.failure = {"stage": stage, "reason": reason}
    return capture


class ExtractPipeline:
    """Turns an ArticleCapture into a record with the extractor; non-articles become failures.

    A page fetched with status 304 (not modified) carries no body: its bytes are taken from
    the newest stored snapshot of that URL before extraction.
    """

    def __init__(self, db_path: str, stats: Any = None) -> None:
        self.db_path = db_path
        self.stats = stats
        self.reader: ArchiveReader | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler.settings["EHZ_DB"], crawler.stats)

    def open_spider(self) -> None:
        self.reader = ArchiveReader(self.db_path)

    def close_spider(self) -> None:
        if self.reader is not None:
            self.reader.close()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleCapture) or item.failure is not None:
            return item
        pages = []
        for fetch in item.pages:
            if fetch.status == 304 and not fetch.body:
                body = self.reader.last_body(fetch.url)
                if body is None:
                    return _fail(
                        item, "fetch", f"304 not modified but no stored copy of {fetch.url}"
                    )
                fetch = replace(fetch, body=body)
            pages.append(fetch)
        item.pages = pages
        good = [p for p in pages if p.status in GOOD_STATUSES]
        if not good or good[0].page != 1:
            page1_failure = next((f for f in item.failed if f.page == 1), None)
            reason = page1_failure.reason if page1_failure else "page 1 was not fetched"
            if pages and pages[0].page == 1 and pages[0].status not in GOOD_STATUSES:
                reason = f"HTTP {pages[0].status}"
            return _fail(item, "fetch", reason)
        have = {p.page for p in good}
        read = sorted(
            [*good, *(p for p in item.context_pages if p.page not in have)],
            key=lambda p: p.page or 0,
        )
        try:
            result = extract_article_result(
                [Page(url=p.url, body=p.body, headers=p.headers) for p in read], url=item.url
            )
        except NotAnArticle as exc:
            return _fail(item, "extract", f"not an article: {exc}")
        except Exception as exc:  # an extractor bug must not lose the pages: record it
            return _fail(item, "extract", f"extractor error: {type(exc).__name__}: {exc}")
        item.record = result.record
        item.bad_pages = list(result.bad_pages)
        item.video_players = result.video_players
        warnings = (result.record.get("extraction") or {}).get("warnings") or []
        if self.stats is not None and any(CUT_WARNING in w for w in warnings):
            self.stats.inc_value("ehz/cut_pages")  # the drift alarm counts these
        return item


class ValidatePipeline:
    """A record without a title, or without a body the template vouched for, becomes a failure."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleCapture) or item.failure is not None:
            return item
        reason = validation_problem(item.record, item.article_id, video_players=item.video_players)
        if reason:
            return _fail(item, "validate", reason)
        return item


class StorePipeline:
    """Writes captures, failures and listing pages to the archive, and the run row around them.

    At close it writes the run's counts and a provisional status (`failed`, or `interrupted`
    when the crawler had stopped crawling); the verdict (final status, close reason, summary,
    drift alarm) is the RunReport extension's, which this pipeline makes sure is present.

    Every response the downloader receives is archived: article pages served (200, 304)
    arrive in their ArticleCapture and are written with the article; every other response
    (home page, listing pages, robots.txt, each redirect hop, error pages, images, retried
    failures) is written as it arrives, from Scrapy's `response_downloaded` signal.
    """

    def __init__(
        self,
        crawler: Crawler,
        db_path: str,
        batch_size: int,
        batch_seconds: float | None = None,
    ) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.writer: ArchiveWriter | None = None
        self.run_id: int | None = None
        # Held here: Scrapy's signals keep only weak references to their handlers.
        self.report = RunReport.ensure(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        return cls(
            crawler,
            settings["EHZ_DB"],
            settings.getint("EHZ_BATCH_SIZE"),
            settings.getfloat("EHZ_BATCH_SECONDS"),
        )

    def open_spider(self) -> None:
        # Scrapy 2.13+ no longer passes the spider to pipeline methods: the crawler has it.
        spider = self.crawler.spider
        assert spider is not None
        self.writer = ArchiveWriter(
            self.db_path, batch_size=self.batch_size, max_batch_seconds=self.batch_seconds
        )
        arguments = dict(getattr(spider, "ehz_arguments", None) or _spider_args(spider))
        self.run_id = self.writer.start_run(spider.name, arguments)
        spider.ehz_run_id = self.run_id
        self.crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    def response_downloaded(self, response: Any, request: Any, spider: Any = None) -> None:
        """Archive one response as received, unless its article capture will carry it."""
        # Saved before HttpCompressionMiddleware drops the Content-Encoding it decodes.
        request.meta.pop(wire.RECEIVED_HEADERS, None)
        received = wire.header_pairs(response.headers)
        in_capture = request.meta.get(wire.KIND) == "article" and response.status in (200, 304)
        if not in_capture and self.writer is not None:
            mirror = getattr(self.crawler.spider, "mirror", None)
            fetch = wire.fetch_from_response(request, response, mirror=mirror)
            try:
                self.writer.store_resource(fetch)
            except Exception as exc:  # a lost response is a lost page: say so, loudly
                self.crawler.stats.inc_value("ehz/responses_not_archived")
                logger.error("response %s not archived: %s: %s", fetch.url, type(exc).__name__, exc)
        request.meta[wire.RECEIVED_HEADERS] = received

    def process_item(self, item: Any) -> Any:
        assert self.writer is not None
        try:
            if isinstance(item, ListingPage):
                self.writer.store_listing(item)
            elif isinstance(item, ResourceFailure):
                self.writer.store_resource_failure(item)
            elif isinstance(item, ArticleCapture):
                self._store_capture(item)
        except ArchiveWriteFailed as exc:
            # The batch is gone (the writer reset itself): the verdict must say so, and the
            # next item may store normally once there is room again.
            self.report.write_failed(str(exc), exc.lost)
            logger.error("%s (%d items not stored)", exc, exc.lost)
        return item

    def _store_capture(self, item: ArticleCapture) -> None:
        assert self.writer is not None
        store_capture(self.writer, item)

    def close_spider(self) -> None:
        if self.writer is None:
            return
        # Provisional: pipelines close before Scrapy tells anyone the close reason, so the
        # RunReport's verdict at spider_closed replaces this status. `failed` until then: a
        # run whose verdict could not be written must not read as a completed walk.
        status = "failed" if self.crawler.crawling else "interrupted"
        writer, self.writer = self.writer, None
        try:
            writer.finish_run(status)
            writer.close()
        except ArchiveWriteFailed as exc:
            self.report.write_failed(str(exc), exc.lost)
            logger.error("%s (%d items not stored)", exc, exc.lost)
        finally:
            writer.conn.close()


def store_capture(writer: ArchiveWriter, item: ArticleCapture) -> None:
    """Write a capture the extract and validate steps have seen: its article, or its failure."""
    if item.failure is not None:
        writer.store_failed_capture(item, **item.failure)
        logger.info("not archived: %s (%s)", item.url, item.failure["reason"])
        return
    try:
        outcome = writer.store_article(
            item,
            item.record,
            bad_pages=item.bad_pages,
            bad_page_reasons=bad_page_reasons(item.record, item.bad_pages),
        )
    except ArchiveWriteFailed:
        raise  # not this article's fault: a failure row could not be written either
    except Exception as exc:  # recorded as a store failure, the article left out whole
        item.failure = {"stage": "store", "reason": f"{type(exc).__name__}: {exc}"}
        writer.store_failed_capture(item, **item.failure)
        logger.error("store failed for %s: %s", item.url, item.failure["reason"])
        return
    item.stored = outcome
    logger.debug("%s article %s (version %s)", outcome.status, item.article_id, outcome.version)


_NOT_ARGUMENTS = {"name", "crawler", "settings", "start_urls", "allowed_domains", "custom_settings"}


def _spider_args(spider: Spider) -> dict[str, Any]:
    # Scrapy sets `-a` arguments as attributes; spiders that validate them should instead
    # set `ehz_arguments` (a JSON-able dict). This fallback keeps the plain-valued ones.
    return {
        key: value
        for key, value in vars(spider).items()
        if not key.startswith("_")
        and key not in _NOT_ARGUMENTS
        and isinstance(value, str | int | float | bool)
    }
