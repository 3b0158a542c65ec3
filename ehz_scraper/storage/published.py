"""Columns derived from a record for researchers: the publication date split for computing
with (`published_date`, `published_at`) and the image captions as one searchable text."""

from __future__ import annotations

from collections.abc import Iterable

from ehz_scraper.site.urls import ARTICLE_URL_DATE_RE


def published(date: str | None, url: str | None) -> tuple[str | None, str | None]:
    """(`published_date`, `published_at`) of a record's `date` (and its URL).

    `published_date` is "YYYY-MM-DD" whenever any date is known: the record's date, else the
    date folder of the article's URL (`/2021-05/12/c_266285.htm`). `published_at` is the
    full ISO date-time with its offset when the record has a time, else None.
    """
    if date:
        return date[:10], (date if len(date) > 10 else None)
    match = ARTICLE_URL_DATE_RE.search(url or "")
    if match is None:
        return None, None
    return f"{match['year']}-{match['month']}-{match['day']}", None


def captions_text(captions: Iterable[str | None]) -> str:
    """The images' captions, in order, one a line (what the `captions` FTS column indexes)."""
    return "\n".join(c for c in captions if c)
