"""The spiders' read-only view of the archive: an `ArchiveReader` on the crawl's EHZ_DB."""

from __future__ import annotations

from ehz_scraper.settings import EHZ_DB as DEFAULT_DB  # the one default
from ehz_scraper.storage.reader import ArchiveReader


def open_archive_view(path: str | None) -> ArchiveReader:
    """A reader of the archive at `path` (a missing file reads as an empty archive)."""
    return ArchiveReader(path or DEFAULT_DB)


__all__ = ["open_archive_view"]
