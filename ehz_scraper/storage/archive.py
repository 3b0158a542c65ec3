"""The archive writer: one transaction (savepoint) per article, batched commits for bulk runs."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ehz_scraper.errors import ArchiveWriteFailed
from ehz_scraper.extraction.page import header_value
from ehz_scraper.items import ArticleCapture, ListingPage, PageFetch, ResourceFailure
from ehz_scraper.storage.published import captions_text, published
from ehz_scraper.storage.schema import open_archive
from ehz_scraper.storage.snapshots import (
    MIN_SAVING,
    SnapshotCodec,
    detect_encoding,
    is_text,
    sha256_hex,
)
from ehz_scraper.storage.timeutil import next_due, normalize_ts, utcnow

logger = logging.getLogger(__name__)

COUNT_FIELDS = (
    "listing_pages",
    "articles_new",
    "articles_changed",
    "articles_unchanged",
    "articles_incomplete",
    "articles_failed",
    "fallback_extractions",
)


@dataclass(frozen=True)
class StoreOutcome:
    """What storing one article did: `new`, `changed`, `unchanged` (or `stale`: not written,
    the article changed since it was read), and its current version."""

    status: str
    version: int
    complete: bool


def record_json(record: dict[str, Any]) -> str:
    """The canonical JSON of a record (sorted keys), the form versions are stored and hashed in."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _write_failed(exc: BaseException) -> str:
    return "archive write failed: " + (" ".join(str(exc).split()) or type(exc).__name__)


def _disk_error(exc: BaseException) -> bool:
    """A write the file system refused (full, quota, I/O): not this article's fault."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR)


class ArchiveWriter:
    """Owns every write to the archive; the store pipeline and `ehz reextract` use it.

    Each article is written inside a SAVEPOINT: an error rolls back that article alone, so
    no half article is ever committed. Articles are committed `batch_size` at a time (1 means
    one transaction per article); a crash loses at most the uncommitted batch.
    """

    def __init__(
        self, path: str | Path, *, batch_size: int = 1, max_batch_seconds: float | None = None
    ) -> None:
        self.path = Path(path)
        self.db = open_archive(self.path)
        self.conn = self.db.conn
        self.codec = SnapshotCodec(self.conn)
        self.batch_size = max(1, int(batch_size))
        # A slow crawl must not hold the write lock (and risk its articles) for minutes.
        self.max_batch_seconds = max_batch_seconds
        self._batch_started = 0.0
        self.run_id: int | None = None
        self.counts: Counter[str] = Counter()
        # The counts as of the last successful commit: a rolled-back batch takes its counts
        # with it, so the run row only ever counts rows that exist.
        self._committed_counts: Counter[str] = Counter()
        self._pending = 0
        self._in_batch = False

    # --- transactions ---------------------------------------------------------------------

    @contextmanager
    def _item(self):
        """One article's writes: all or nothing, inside the current batch transaction."""
        if not self._in_batch:
            self._execute_or_abandon("BEGIN IMMEDIATE")
            self._in_batch = True
            self._batch_started = time.monotonic()
        self._execute_or_abandon("SAVEPOINT item")
        counts = self.counts.copy()
        try:
            yield
        except BaseException as exc:
            if not self.conn.in_transaction:
                # SQLite rolled the whole batch back itself (SQLITE_FULL, SQLITE_IOERR...).
                lost = self._abandon_batch()
                raise ArchiveWriteFailed(_write_failed(exc), lost) from exc
            self.counts = counts
            self._execute_or_abandon("ROLLBACK TO item")
            self._execute_or_abandon("RELEASE item")
            if _disk_error(exc):
                raise ArchiveWriteFailed(_write_failed(exc), 1) from exc
            raise
        self._execute_or_abandon("RELEASE item")
        self._pending += 1
        too_old = (
            self.max_batch_seconds is not None
            and time.monotonic() - self._batch_started >= self.max_batch_seconds
        )
        if self._pending >= self.batch_size or too_old:
            self.commit()

    def _execute_or_abandon(self, sql: str) -> None:
        try:
            self.conn.execute(sql)
        except sqlite3.Error as exc:
            lost = self._abandon_batch()
            raise ArchiveWriteFailed(_write_failed(exc), lost) from exc

    def _abandon_batch(self) -> int:
        """Roll back the open batch and every cache that may name its rows; how many it lost."""
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                logger.exception("rollback after a failed write failed too")
        lost = self._pending
        self._in_batch = False
        self._pending = 0
        self.counts = self._committed_counts.copy()
        # A dictionary trained in the lost transaction must not be named by later blobs.
        self.codec.reload()
        return lost

    def commit(self) -> None:
        """Commit the current batch (and the run's counts with it); maybe train a dictionary.

        A failed commit rolls the batch back, resets the writer and raises ArchiveWriteFailed.
        """
        if not self._in_batch:
            return
        try:
            if self.run_id is not None:
                self._write_counts()
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            lost = self._abandon_batch()
            raise ArchiveWriteFailed(_write_failed(exc), lost) from exc
        self._in_batch = False
        self._pending = 0
        self._committed_counts = self.counts.copy()
        if self.codec.training_due():
            self._train_dictionary()

    def _train_dictionary(self) -> None:
        # Its own transaction: a dictionary must never be rolled back with an article.
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            dict_id = self.codec.train(utcnow())
            self.conn.execute("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self.codec.reload()  # forget the dictionary the rollback dropped
            if isinstance(exc, sqlite3.Error):
                raise ArchiveWriteFailed(_write_failed(exc)) from exc
            raise
        if dict_id is not None:
            logger.info("trained zstd dictionary %s for new snapshots", dict_id)

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.conn.close()

    # --- runs -----------------------------------------------------------------------------

    def start_run(self, spider: str, arguments: dict[str, Any] | None = None) -> int:
        """Insert a run row with status `running` (committed at once) and make it current."""
        self.commit()
        cur = self.conn.execute(
            "INSERT INTO runs (spider, arguments, started, status) VALUES (?, ?, ?, 'running')",
            [spider, _dumps(arguments or {}), utcnow()],
        )
        self.run_id = cur.lastrowid
        self.counts = Counter()
        self._committed_counts = Counter()
        return self.run_id

    def _write_counts(self) -> None:
        sets = ", ".join(f"{name} = ?" for name in COUNT_FIELDS)
        self.conn.execute(
            f"UPDATE runs SET {sets} WHERE id = ?",
            [self.counts[name] for name in COUNT_FIELDS] + [self.run_id],
        )

    def finish_run(
        self, status: str, *, close_reason: str | None = None, summary: str | None = None
    ) -> None:
        """Commit what is pending and close the current run row with its status and counts."""
        if self.run_id is None:
            return
        self.commit()
        try:
            self._write_counts()
            self.conn.execute(
                "UPDATE runs SET finished = ?, status = ?, close_reason = ?, summary = ?"
                " WHERE id = ?",
                [utcnow(), status, close_reason, summary, self.run_id],
            )
        except sqlite3.Error as exc:
            raise ArchiveWriteFailed(_write_failed(exc)) from exc

    # --- snapshots and fetches ------------------------------------------------------------

    def _store_snapshot(self, body: bytes, content_type: str | None, now: str) -> str:
        digest = sha256_hex(body)
        if self.conn.execute("SELECT 1 FROM snapshots WHERE hash = ?", [digest]).fetchone():
            return digest  # an unchanged page adds no new blob
        packed = self.codec.compress(body)
        data, dict_id, compression = packed.data, packed.dict_id, "zstd"
        if len(packed.data) > len(body) * (1 - MIN_SAVING):
            data, dict_id, compression = body, None, "none"  # a JPEG: zstd would not pay
        self.conn.execute(
            "INSERT INTO snapshots (hash, size, stored_size, encoding, content_type, compression,"
            " dict_id, first_seen, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                digest,
                len(body),
                len(data),
                detect_encoding(body, content_type) if is_text(content_type) else None,
                content_type,
                compression,
                dict_id,
                now,
                data,
            ],
        )
        return digest

    def confirmed_snapshot(self, url: str) -> str | None:
        """The snapshot the newest served fetch of `url` holds: what a 304 for it confirms."""
        row = self.conn.execute(
            "SELECT snapshot_hash FROM fetches WHERE url = ? AND status IN (200, 304)"
            " ORDER BY fetched_at DESC, id DESC LIMIT 1",
            [url],
        ).fetchone()
        return row[0] if row else None

    def served_copy(self, url: str) -> tuple[list[tuple[str, str]], bytes] | None:
        """(headers, bytes) of the newest served fetch of `url` (200 or 304), or None."""
        row = self.conn.execute(
            "SELECT headers, snapshot_hash FROM fetches WHERE url = ? AND status IN (200, 304)"
            " ORDER BY fetched_at DESC, id DESC LIMIT 1",
            [url],
        ).fetchone()
        if row is None:
            return None
        return [tuple(h) for h in json.loads(row[0])], self.codec.read(row[1])

    def article_page_urls(self, article_id: int) -> list[str]:
        """The page URLs of an article's current record (empty when not archived)."""
        row = self.conn.execute(
            "SELECT page_urls FROM articles WHERE article_id = ?", [article_id]
        ).fetchone()
        return json.loads(row[0]) if row else []

    def _store_fetch(self, fetch: PageFetch, article_id: int | None) -> str:
        headers = [tuple(pair) for pair in fetch.headers]
        digest = None
        if fetch.status == 304 and not fetch.body:
            digest = self.confirmed_snapshot(fetch.url)  # the content the 304 confirmed
        if digest is None:
            content_type = header_value(headers, "Content-Type")
            digest = self._store_snapshot(fetch.body, content_type, utcnow())
        self.conn.execute(
            "INSERT INTO fetches (run_id, article_id, url, fetch_url, page, fetched_at, status,"
            " headers, etag, last_modified, snapshot_hash, kind, method, protocol, reason,"
            " request_headers, ip_address, content_encoding, warc_file, warc_record_id)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                self.run_id,
                article_id,
                fetch.url,
                fetch.fetch_url,
                fetch.page,
                normalize_ts(fetch.fetched_at),
                fetch.status,
                _dumps([list(p) for p in headers]),
                header_value(headers, "ETag"),
                header_value(headers, "Last-Modified"),
                digest,
                fetch.kind,
                fetch.method,
                fetch.protocol,
                fetch.reason,
                _dumps([list(p) for p in fetch.request_headers]),
                fetch.ip_address,
                fetch.content_encoding,
                fetch.warc_file,
                fetch.warc_record_id,
            ],
        )
        return digest

    def store_resource(self, fetch: PageFetch) -> str:
        """One response outside an article capture (home, listing, robots.txt, a redirect, an
        error page, an image) as a fetch with its snapshot; returns the snapshot's hash.

        A served image is linked to the images of the articles that show it.
        """
        with self._item():
            digest = self._store_fetch(fetch, None)
            if fetch.status in (200, 304) and fetch.kind == "image":
                self.conn.execute(
                    "UPDATE images SET snapshot_hash = ? WHERE src = ?", [digest, fetch.url]
                )
                self._resolve([fetch.url], normalize_ts(fetch.fetched_at))
        return digest

    def store_resource_failure(self, failure: ResourceFailure) -> None:
        """A response outside an article (an image) that failed: an open failure of its URL."""
        with self._item():
            self._failure(failure.url, stage="fetch", reason=failure.reason, when=failure.failed_at)

    # --- failures -------------------------------------------------------------------------

    def _failure(
        self,
        url: str,
        *,
        stage: str,
        reason: str,
        article_id: int | None = None,
        page: int | None = None,
        when: str | None = None,
    ) -> None:
        when = normalize_ts(when)
        row = self.conn.execute(
            "SELECT id, attempts FROM failures WHERE url = ? AND resolved = 0", [url]
        ).fetchone()
        if row is None:
            self.conn.execute(
                "INSERT INTO failures (run_id, url, article_id, page, stage, reason, first_failed,"
                " failed_at, attempts, next_due) VALUES (?,?,?,?,?,?,?,?,1,?)",
                [self.run_id, url, article_id, page, stage, reason, when, when, next_due(when, 1)],
            )
        else:
            attempts = row[1] + 1
            self.conn.execute(
                "UPDATE failures SET run_id = ?, article_id = coalesce(?, article_id),"
                " page = coalesce(?, page), stage = ?, reason = ?, failed_at = ?, attempts = ?,"
                " next_due = ? WHERE id = ?",
                [
                    self.run_id,
                    article_id,
                    page,
                    stage,
                    reason,
                    when,
                    attempts,
                    next_due(when, attempts),
                    row[0],
                ],
            )

    def _resolve(self, urls: Iterable[str], when: str) -> None:
        for url in urls:
            self.conn.execute(
                "UPDATE failures SET resolved = 1, resolved_at = ? WHERE url = ? AND resolved = 0",
                [when, url],
            )

    # --- articles -------------------------------------------------------------------------

    def store_failed_capture(self, capture: ArticleCapture, *, stage: str, reason: str) -> None:
        """A capture that gave no article: keep whatever pages were fetched, record the failure."""
        with self._item():
            for fetch in capture.pages:
                if fetch.body or fetch.status != 304:
                    self._store_fetch(fetch, capture.article_id)
            when = capture.pages[0].fetched_at if capture.pages else None
            if capture.failed and not capture.pages:
                when = capture.failed[0].failed_at
            self._failure(
                capture.url,
                stage=stage,
                reason=reason,
                article_id=capture.article_id,
                page=1,
                when=when,
            )
            self.counts["articles_failed"] += 1

    def store_article(
        self,
        capture: ArticleCapture,
        record: dict[str, Any],
        *,
        bad_pages: Sequence[int] = (),
        bad_page_reasons: dict[int, str] | None = None,
    ) -> StoreOutcome:
        """Store one extracted article with all its fetches, snapshots and failures, atomically."""
        bad_page_reasons = bad_page_reasons or {}
        complete = not capture.failed and not bad_pages
        with self._item():
            for fetch in capture.pages:
                self._store_fetch(fetch, capture.article_id)
            now = max((normalize_ts(p.fetched_at) for p in capture.pages), default=utcnow())
            outcome = self._store_record(record, complete, now)
            for failed in capture.failed:
                self._failure(
                    failed.url,
                    stage="fetch",
                    reason=failed.reason,
                    article_id=capture.article_id,
                    page=failed.page,
                    when=failed.failed_at,
                )
            bad_urls = set()
            for page in bad_pages:
                fetch = next((p for p in capture.pages if p.page == page), None)
                url = fetch.url if fetch else f"{capture.url}#page{page}"
                bad_urls.add(url)
                reason = bad_page_reasons.get(page, f"not an article: page {page} of the article")
                self._failure(
                    url,
                    stage="extract",
                    reason=reason,
                    article_id=capture.article_id,
                    page=page,
                    when=now,
                )
            self._resolve((p.url for p in capture.pages if p.url not in bad_urls), now)
            self.counts[f"articles_{outcome.status}"] += 1
            if not complete:
                self.counts["articles_incomplete"] += 1
            if (record.get("extraction") or {}).get("method") == "fallback":
                self.counts["fallback_extractions"] += 1
        return outcome

    def _store_record(
        self, record: dict[str, Any], complete: bool, now: str, *, seen: bool = True
    ) -> StoreOutcome:
        article_id = int(record["article_id"])
        text = record_json(record)
        digest = hashlib.sha256(text.encode()).hexdigest()
        row = self.conn.execute(
            "SELECT version, record_hash, complete FROM articles WHERE article_id = ?",
            [article_id],
        ).fetchone()
        if row is None:
            self._write_article(record, complete, digest, now, version=1, first_seen=now)
            self._insert_version(article_id, 1, text, digest, complete, now)
            return StoreOutcome("new", 1, complete)
        version, old_digest, was_complete = row
        # An incomplete capture never replaces a complete version: a missing page is a fetch
        # problem, not a change of the article.
        if old_digest == digest or (was_complete and not complete):
            if not seen:
                return StoreOutcome("unchanged", version, bool(was_complete))
            self.conn.execute(
                "UPDATE articles SET last_seen = max(last_seen, ?) WHERE article_id = ?",
                [now, article_id],
            )
            return StoreOutcome("unchanged", version, bool(was_complete))
        version += 1
        self.conn.execute("DELETE FROM sections WHERE article_id = ?", [article_id])
        self.conn.execute("DELETE FROM images WHERE article_id = ?", [article_id])
        self._write_article(record, complete, digest, now, version=version, first_seen=None)
        self._insert_version(article_id, version, text, digest, complete, now)
        return StoreOutcome("changed", version, complete)

    def _insert_version(
        self, article_id: int, version: int, text: str, digest: str, complete: bool, now: str
    ) -> None:
        self.conn.execute(
            "INSERT INTO versions (article_id, version, record, record_hash, complete,"
            " first_seen, run_id) VALUES (?,?,?,?,?,?,?)",
            [article_id, version, text, digest, int(complete), now, self.run_id],
        )

    def _write_article(
        self,
        record: dict[str, Any],
        complete: bool,
        digest: str,
        now: str,
        *,
        version: int,
        first_seen: str | None,
    ) -> None:
        extraction = record.get("extraction") or {}
        images = record.get("images") or []
        published_date, published_at = published(record.get("date"), record.get("url"))
        values = {
            "url": record["url"],
            "title": record["title"],
            "date": record.get("date"),
            "published_date": published_date,
            "published_at": published_at,
            "date_text": record.get("date_text"),
            "source": record.get("source"),
            "byline": record.get("byline"),
            "section": record.get("section"),
            "breadcrumb": _dumps(record.get("breadcrumb") or []),
            "page_count": record.get("page_count") or len(record.get("page_urls") or []) or 1,
            "page_urls": _dumps(record.get("page_urls") or []),
            "body_text": record.get("body_text") or "",
            "captions": captions_text(img.get("caption") for img in images),
            "image_count": len(images),
            "complete": int(complete),
            "version": version,
            "extraction_method": extraction.get("method") or "template",
            "extraction_warnings": _dumps(extraction.get("warnings") or []),
            "record_hash": digest,
            "last_seen": now,
            "last_changed": now,
        }
        article_id = int(record["article_id"])
        if first_seen is not None:
            values["first_seen"] = first_seen
            cols = ["article_id", *values]
            self.conn.execute(
                f"INSERT INTO articles ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [article_id, *values.values()],
            )
        else:
            sets = ", ".join(f"{name} = ?" for name in values)
            self.conn.execute(
                f"UPDATE articles SET {sets} WHERE article_id = ?", [*values.values(), article_id]
            )
        self.conn.executemany(
            "INSERT INTO sections (article_id, position, heading, paragraphs, text)"
            " VALUES (?,?,?,?,?)",
            [
                (
                    article_id,
                    pos,
                    sec.get("heading"),
                    _dumps(sec.get("paragraphs") or []),
                    "\n\n".join(sec.get("paragraphs") or []),
                )
                for pos, sec in enumerate(record.get("sections") or [], start=1)
            ],
        )
        # An image fetched before its article was stored is linked now; one fetched later is
        # linked by store_resource.
        self.conn.executemany(
            "INSERT INTO images (article_id, position, page, src, alt, caption, credit,"
            " snapshot_hash) VALUES (?,?,?,?,?,?,?,"
            " (SELECT snapshot_hash FROM fetches WHERE url = ?4 AND status IN (200, 304)"
            "  ORDER BY fetched_at DESC, id DESC LIMIT 1))",
            [
                (
                    article_id,
                    pos,
                    img.get("page"),
                    img.get("src"),
                    img.get("alt"),
                    img.get("caption"),
                    img.get("credit"),
                )
                for pos, img in enumerate(images, start=1)
            ],
        )

    # --- listings -------------------------------------------------------------------------

    def store_listing(self, listing: ListingPage) -> None:
        """Record one listing page of the current run's walk."""
        with self._item():
            self.conn.execute(
                "INSERT INTO listings (run_id, url, section, page, listed_count, new_count,"
                " article_urls, fetched_at, last, stop_reason) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    self.run_id,
                    listing.url,
                    listing.section,
                    listing.page,
                    len(listing.article_urls),
                    listing.new_count,
                    _dumps(list(listing.article_urls)),
                    normalize_ts(listing.fetched_at),
                    int(listing.last),
                    listing.stop_reason,
                ],
            )
            self.counts["listing_pages"] += 1

    # --- re-extraction --------------------------------------------------------------------

    def store_reextracted(
        self, record: dict[str, Any], complete: bool, read_version: int | None = None
    ) -> StoreOutcome:
        """A record re-extracted from stored snapshots: a new version only if it changed.

        With `read_version` (the version current when its snapshots were read), nothing is
        written when the article has moved on since (status `stale`): a re-extraction of
        older pages must never replace what a crawl stored meanwhile. Checked and written
        in one transaction.
        """
        with self._item():
            if read_version is not None:
                row = self.conn.execute(
                    "SELECT version, complete FROM articles WHERE article_id = ?",
                    [int(record["article_id"])],
                ).fetchone()
                if row is None or row[0] != read_version:
                    current = row[0] if row else 0
                    return StoreOutcome("stale", current, bool(row and row[1]))
            return self._store_record(record, complete, utcnow(), seen=False)
