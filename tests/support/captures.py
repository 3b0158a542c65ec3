"""Capture items and real archive files built from the saved pages in tests/fixtures/pages."""

from __future__ import annotations

import json
from pathlib import Path

from scrapy import Spider
from scrapy.utils.test import get_crawler

from ehz_scraper import settings as project_settings
from ehz_scraper.items import (
    STOP_END_OF_LISTING,
    ArticleCapture,
    FailedFetch,
    ListingPage,
    PageFetch,
)
from ehz_scraper.pipelines import ExtractPipeline, StorePipeline, ValidatePipeline
from ehz_scraper.site.urls import article_page_url, parse_article_url

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
T0 = "2026-11-26T07:00:00Z"
HTML = ("Content-Type", "text/html; charset=utf-8")


def case_files(case: str) -> list[Path]:
    """The page files of a fixture case, in page order."""
    files = sorted((PAGES / case).glob("c_*.htm"), key=lambda p: (len(p.name), p.name))
    return files


def case_url(case: str) -> str:
    return json.loads((PAGES / case / "meta.json").read_text())["url"]


def capture(
    case: str,
    *,
    fetched_at: str = T0,
    pages: list[int] | None = None,
    failed: dict[int, str] | None = None,
    bodies: dict[int, bytes] | None = None,
    etag: str | None = None,
) -> ArticleCapture:
    """The capture of a fixture case: every page (or only `pages`), `failed` {page: reason}."""
    url = case_url(case)
    ref = parse_article_url(url)
    assert ref is not None
    fetches = []
    for number, path in enumerate(case_files(case), start=1):
        if pages is not None and number not in pages:
            continue
        headers = [HTML, ("Last-Modified", "Wed, 12 May 2021 02:31:00 GMT")]
        if etag:
            headers.append(("ETag", f'"{etag}-{number}"'))
        body = (bodies or {}).get(number, path.read_bytes())
        fetches.append(
            PageFetch(
                url=article_page_url(ref.page1_url, number),
                page=number,
                status=200,
                headers=headers,
                body=body,
                fetched_at=fetched_at,
            )
        )
    failures = [
        FailedFetch(url=article_page_url(ref.page1_url, n), page=n, reason=r, failed_at=fetched_at)
        for n, r in (failed or {}).items()
    ]
    return ArticleCapture(
        article_id=ref.article_id, url=ref.page1_url, pages=fetches, failed=failures
    )


def listing(
    urls: list[str],
    *,
    page: int = 1,
    section: str = "Latest",
    last: bool = False,
    stop_reason: str = STOP_END_OF_LISTING,
):
    """A listing page of a walk; a `last` one ended the walk with `stop_reason`."""
    return ListingPage(
        url=f"https://www.ehangzhou.gov.cn/node_7040{'_' + str(page) if page > 1 else ''}.htm",
        section=section,
        page=page,
        article_urls=urls,
        new_count=len(urls),
        fetched_at=T0,
        last=last,
        stop_reason=stop_reason if last else None,
    )


# The project's own settings (every EHZ_* default), as `scrapy crawl` would load them; not its
# extensions (the lock), which these runs without a crawl have no use for.
EHZ_SETTINGS = {k: v for k, v in vars(project_settings).items() if k.startswith("EHZ_")}


class FixtureSpider(Spider):
    name = "fixture"


class PipelineRun:
    """The three real pipelines, driven as Scrapy drives them, without a network."""

    def __init__(self, db: Path, **settings: object) -> None:
        self.crawler = get_crawler(FixtureSpider, {**EHZ_SETTINGS, "EHZ_DB": str(db), **settings})
        self.crawler.crawling = True  # as during a crawl; False would mean interrupted
        self.spider = FixtureSpider.from_crawler(self.crawler, mode="full")
        self.crawler.spider = self.spider  # what the pipelines read, as in a crawl
        self.pipes = [
            ExtractPipeline.from_crawler(self.crawler),
            ValidatePipeline.from_crawler(self.crawler),
            StorePipeline.from_crawler(self.crawler),
        ]
        for pipe in self.pipes:
            if hasattr(pipe, "open_spider"):
                pipe.open_spider()

    @property
    def store(self) -> StorePipeline:
        return self.pipes[2]

    def feed(self, *items: object) -> list[object]:
        out = []
        for item in items:
            for pipe in self.pipes:
                item = pipe.process_item(item)
            out.append(item)
        return out

    def close(self, reason: str = "finished") -> None:
        for pipe in self.pipes:
            if hasattr(pipe, "close_spider"):
                pipe.close_spider()
        # The run's verdict is written here, by the RunReport the store pipeline added.
        self.store.report.spider_closed(self.spider, reason)


def build_archive(db: Path, *items: object, reason: str = "finished") -> PipelineRun:
    """A real archive file at `db` holding `items`, stored through the pipelines in one run."""
    run = PipelineRun(db)
    run.feed(*items)
    run.close(reason)
    return run
