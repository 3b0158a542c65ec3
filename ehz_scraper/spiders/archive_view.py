"""The spiders' read-only view of the archive: known ids, failures not due, coverage, last fetch."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ehz_scraper.storage.reader import ArchiveReader
from ehz_scraper.storage.timeutil import normalize_ts


class ArchiveView(ArchiveReader):
    """`storage.reader.ArchiveReader`, plus `failures_due()` until the reader offers it."""

    def failures_due(self) -> set[str]:
        """Canonical URLs with an open failure whose retry is due now."""
        parent = getattr(super(), "failures_due", None)
        if parent is not None:
            return set(parent())
        # TEMPORARY: the same read-only query the reader makes for failures_not_due.
        path = Path(self.path)
        if not path.exists():
            return set()
        conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT url FROM failures WHERE resolved = 0 AND next_due <= ?",
                [normalize_ts(None)],
            ).fetchall()
        except sqlite3.OperationalError:  # no failures table yet: an empty archive
            return set()
        finally:
            conn.close()
        return {row[0] for row in rows}


def open_archive_view(path: str | None) -> ArchiveView:
    """A reader of the archive at `path` (a missing file reads as an empty archive)."""
    return ArchiveView(path or "archive/ehangzhou.db")


__all__: list[Any] = ["ArchiveView", "open_archive_view"]
