"""The project's named errors: one class per failure, each with a one-line reason."""

from __future__ import annotations


class EhzError(Exception):
    """Base class of every error this project raises on purpose."""


class BadURL(EhzError, ValueError):
    """A URL that cannot be parsed or is not http(s)."""


class NotAnArticle(EhzError):
    """The page is not an article (page not found, empty or non-HTML body, no title)."""


class ArchiveError(EhzError):
    """The archive file is missing, unreadable or inconsistent."""


class ArchiveLocked(ArchiveError):
    """Another crawl holds the archive's lock."""


class BadArgument(EhzError, ValueError):
    """A spider or CLI argument with an unusable value."""


class ArchiveWriteFailed(ArchiveError):
    """A write to the archive failed (disk full, I/O error); its batch was rolled back.

    `lost` is how many items the rollback took with it (0 when none was pending).
    """

    def __init__(self, message: str, lost: int = 0) -> None:
        super().__init__(message)
        self.lost = lost
