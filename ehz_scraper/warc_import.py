"""`ehz import`: WARC records into the archive, articles extracted and stored as if crawled.

Every `response` and `revisit` record of a site URL becomes a fetch with its snapshot (its
`warc_file` and `warc_record_id` say where it came from); the request record beside it
(`WARC-Concurrent-To`) gives the request's headers, an ehz `metadata` record the URL fetched
from a mirror. Article pages are gathered per article, page 1 opening each visit, and go
through the crawl's own extract -> validate -> store steps, so an imported article gets the
same record, versions and failures a crawl would give it. Reads ehz's own WARCs and those of
other crawlers (Heritrix, the Wayback Machine, browsertrix).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ehz_scraper.errors import ArchiveError, BadURL
from ehz_scraper.items import ArticleCapture, FailedFetch, PageFetch
from ehz_scraper.pipelines import ExtractPipeline, ValidatePipeline, store_capture
from ehz_scraper.site.urls import canonicalize_url, is_site_url, page_kind, parse_article_url
from ehz_scraper.storage.archive import ArchiveWriter
from ehz_scraper.storage.snapshots import sha256_hex
from ehz_scraper.storage.timeutil import normalize_ts

logger = logging.getLogger(__name__)

# Content-Encodings warcio's content_stream() undoes (so the body is stored decoded).
_DECODED_BY_WARCIO = frozenset({"gzip", "x-gzip", "deflate", "br"})
REMOVED_HEADERS = "WARC-EHZ-Removed-Headers"


@dataclass
class ImportReport:
    """What an import did."""

    files: int = 0
    records: int = 0  # WARC records read
    fetches: int = 0  # fetches written
    articles: Counter[str] = field(default_factory=Counter)  # new, changed, unchanged, failed
    skipped: Counter[str] = field(default_factory=Counter)  # why records were left out
    unresolved: list[str] = field(default_factory=list)  # revisits whose content is missing


@dataclass
class _Request:
    method: str = "GET"
    headers: list[tuple[str, str]] = field(default_factory=list)
    fetch_url: str | None = None


def _side_records(path: Path) -> dict[str, _Request]:
    """Pass 1: the request and metadata records, by the record they are concurrent to."""
    found: dict[str, _Request] = {}
    with path.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            target = rec.rec_headers.get_header("WARC-Concurrent-To")
            if not target or rec.rec_type not in ("request", "metadata"):
                continue
            side = found.setdefault(target, _Request())
            if rec.rec_type == "request" and rec.http_headers is not None:
                side.method = rec.http_headers.protocol or "GET"
                side.headers = [tuple(h) for h in rec.http_headers.headers]
            elif rec.rec_type == "metadata":
                for line in rec.content_stream().read().decode("utf-8", "replace").splitlines():
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "fetch-url" and value.strip():
                        side.fetch_url = value.strip()
    return found


def _received_headers(rec: Any) -> tuple[list[tuple[str, str]], str | None]:
    """The response headers as received, and the Content-Encoding the stored body lost."""
    headers = [tuple(h) for h in rec.http_headers.headers]
    removed = rec.rec_headers.get_header(REMOVED_HEADERS)
    if removed:
        # ehz's own export: it appended a true Content-Length and moved the received ones aside.
        last = max(i for i, (name, _) in enumerate(headers) if name.lower() == "content-length")
        del headers[last]
        encodings = []
        for position, name, value in json.loads(removed):
            headers.insert(position, (name, value))
            if name.lower() == "content-encoding":
                encodings.append(value)
        return headers, ", ".join(encodings) or None
    encoding = rec.http_headers.get_header("Content-Encoding")
    if encoding and encoding.strip().lower() in _DECODED_BY_WARCIO:
        return headers, encoding.strip().lower()
    return headers, None


class WarcImporter:
    """Reads WARC files into one archive, as one run (`spider` = `import`)."""

    def __init__(self, db_path: str | Path, *, batch_size: int = 50) -> None:
        self.db_path = Path(db_path)
        self.writer = ArchiveWriter(self.db_path, batch_size=batch_size)
        self.extract = ExtractPipeline(str(self.db_path))
        self.validate = ValidatePipeline()
        self.report = ImportReport()
        self.by_record: dict[str, str] = {}  # WARC record id -> snapshot hash
        self.by_digest: dict[str, str] = {}  # WARC payload digest -> snapshot hash
        self.open: dict[int, ArticleCapture] = {}  # article id -> the visit being gathered
        self.pending: dict[str, bytes] = {}  # bodies of gathered pages, not yet written

    def run(self, paths: Iterable[Path], progress: Callable[[int], Any] | None = None):
        paths = list(paths)
        self.extract.open_spider()
        self.writer.start_run("import", {"files": [p.name for p in paths]})
        status = "failed"
        try:
            for path in paths:
                self._file(path, progress)
            for article_id in list(self.open):
                self._finish(article_id)
            status = "degraded" if self.report.unresolved else "finished"
        finally:
            self.writer.finish_run(status, close_reason="import", summary=self.summary())
            self.writer.close()
            self.extract.close_spider()
        return self.report

    def summary(self) -> str:
        r = self.report
        a = r.articles
        return (
            f"imported {r.fetches} fetches from {r.files} WARC files ({r.records} records);"
            f" articles: {a['new']} new, {a['changed']} changed, {a['unchanged']} unchanged,"
            f" {a['failed']} failed"
        )

    def _file(self, path: Path, progress: Callable[[int], Any] | None) -> None:
        try:
            side = _side_records(path)
            with path.open("rb") as fh:
                done = 0
                for rec in ArchiveIterator(fh):
                    self.report.records += 1
                    self._record(rec, path, side)
                    if progress:
                        progress(fh.tell() - done)
                        done = fh.tell()
        except ArchiveLoadFailed as exc:
            raise ArchiveError(f"{path}: not a WARC file ({exc})") from None
        self.report.files += 1

    def _record(self, rec: Any, path: Path, side: dict[str, _Request]) -> None:
        if rec.rec_type not in ("response", "revisit"):
            return
        uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
        if rec.http_headers is None or not uri.lower().startswith("http"):
            self.report.skipped["not an HTTP capture"] += 1
            return
        try:
            url = canonicalize_url(uri)
        except BadURL:
            self.report.skipped["unusable URL"] += 1
            return
        if not is_site_url(url):
            self.report.skipped["not on www.ehangzhou.gov.cn"] += 1
            return
        record_id = rec.rec_headers.get_header("WARC-Record-ID")
        payload_digest = rec.rec_headers.get_header("WARC-Payload-Digest")
        headers, encoding = _received_headers(rec)
        if rec.rec_type == "response":
            body = rec.content_stream().read()
            digest = sha256_hex(body)
        else:
            digest = self._revisited(rec, url, payload_digest)
            if digest is None:
                when = rec.rec_headers.get_header("WARC-Date")
                self.report.unresolved.append(f"{uri} at {when}")
                return
            body = self.pending.get(digest)
            if body is None:
                body = self.writer.codec.read(digest)
        # Known at once (a page waits for the rest of its article before it is written): a
        # revisit later in the file finds the content it names.
        if record_id:
            self.by_record[record_id] = digest
        if payload_digest and rec.rec_type == "response":
            self.by_digest.setdefault(payload_digest, digest)
        statusline = rec.http_headers.statusline or ""
        code, _, reason = statusline.partition(" ")
        request = side.get(record_id) or _Request()
        fetch = PageFetch(
            url=url,
            page=None,
            status=int(code),
            headers=headers,
            body=body,
            fetched_at=normalize_ts(rec.rec_headers.get_header("WARC-Date")),
            fetch_url=request.fetch_url,
            kind=page_kind(url, rec.http_headers.get_header("Content-Type")),
            protocol=rec.http_headers.protocol or None,
            reason=reason or None,
            request_headers=request.headers,
            method=request.method,
            ip_address=rec.rec_headers.get_header("WARC-IP-Address"),
            content_encoding=encoding,
            warc_file=path.name,
            warc_record_id=record_id,
        )
        self._fetch(fetch, digest)

    def _revisited(self, rec: Any, url: str, payload_digest: str | None) -> str | None:
        """The snapshot a revisit stands for: the record it names, else the same payload
        digest, else what the archive already holds for the URL it refers to."""
        refers_to = rec.rec_headers.get_header("WARC-Refers-To")
        if refers_to and refers_to in self.by_record:
            return self.by_record[refers_to]
        if payload_digest and payload_digest in self.by_digest:
            return self.by_digest[payload_digest]
        target = rec.rec_headers.get_header("WARC-Refers-To-Target-URI") or url
        try:
            return self.writer.confirmed_snapshot(canonicalize_url(target))
        except BadURL:
            return None

    def _fetch(self, fetch: PageFetch, digest: str) -> None:
        """Write a fetch now, or gather an article page (200, 304) into its visit."""
        self.report.fetches += 1
        ref = parse_article_url(fetch.url) if fetch.kind == "article" else None
        if ref is None or (fetch.status not in (200, 304) and fetch.status < 400):
            self.writer.store_resource(fetch)
            return
        capture = self._visit(ref, opens=ref.page == 1)
        if fetch.status >= 400:
            # As in a crawl: the error page is kept, the article misses that page.
            self.writer.store_resource(fetch)
            reason = f"HTTP {fetch.status}"
            capture.failed.append(
                FailedFetch(ref.url, ref.page, reason, fetch.fetched_at, fetch.status)
            )
            return
        fetch.page = ref.page
        capture.pages.append(fetch)
        self.pending[digest] = fetch.body

    def _visit(self, ref: Any, *, opens: bool) -> ArticleCapture:
        capture = self.open.get(ref.article_id)
        # A page 1 starts the next visit, unless this one has no page 1 yet: a crawl writes a
        # failed later page (a 404) as it arrives, before the pages it keeps for the article.
        had_page1 = capture is not None and any(
            p.page == 1 for p in [*capture.pages, *capture.failed]
        )
        if opens and had_page1:
            self._finish(ref.article_id)
            capture = None
        if capture is None:
            capture = ArticleCapture(article_id=ref.article_id, url=ref.page1_url)
            self.open[ref.article_id] = capture
        return capture

    def _add_context(self, capture: ArticleCapture) -> None:
        """Later pages this visit did not capture, from the archive, for extraction only (as a
        crawl reads them after a 304 on page 1): a visit of page 1 alone is no new version."""
        have = {p.page for p in capture.pages} | {f.page for f in capture.failed}
        if 1 not in have:
            return
        for k, url in enumerate(self.writer.article_page_urls(capture.article_id), start=1):
            if k in have:
                continue
            copy = self.writer.served_copy(url)
            if copy is not None:
                headers, body = copy
                stamp = capture.pages[0].fetched_at if capture.pages else ""
                capture.context_pages.append(PageFetch(url, k, 200, headers, body, stamp))

    def _finish(self, article_id: int) -> None:
        capture = self.open.pop(article_id)
        capture.pages.sort(key=lambda p: p.page or 0)
        capture.failed.sort(key=lambda f: f.page)
        self._add_context(capture)
        item = self.validate.process_item(self.extract.process_item(capture))
        before = Counter(self.writer.counts)
        store_capture(self.writer, item)
        after = self.writer.counts
        for status in ("new", "changed", "unchanged", "failed"):
            key = f"articles_{status}"
            self.report.articles[status] += after[key] - before[key]
        for fetch in capture.pages:  # written now: readable from the archive
            self.pending.pop(sha256_hex(fetch.body), None)
