"""The spiders' read-only view of the archive: known ids, failures not due, coverage, last fetch."""

from __future__ import annotations

from typing import Any, Protocol

from ehz_scraper.storage.reader import ArchiveReader


class ArchiveView(Protocol):
    """What the spiders ask the archive; `storage.reader.ArchiveReader` answers it."""

    def known_article_ids(self) -> set[int]: ...
    def failures_not_due(self) -> set[str]: ...
    def completed_coverage(self, section: str) -> set[str]: ...
    def last_fetch(self, url: str) -> dict[str, Any] | None: ...
    def close(self) -> None: ...


def open_archive_view(path: str | None) -> ArchiveView:
    """A reader of the archive at `path` (a missing file reads as an empty archive)."""
    return ArchiveReader(path or "archive/ehangzhou.db")
