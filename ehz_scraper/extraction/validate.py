"""Whether a record may be archived, and why its bad pages were left out (crawls and reextract)."""

from __future__ import annotations

from typing import Any

# The drift sign of a template whose body moved: counted by the run report (status.py).
EMPTY_TEMPLATE = "record has a template title but no body text, no image and no video player"


def validation_problem(
    record: dict[str, Any] | None, article_id: int, *, video_players: int = 0
) -> str | None:
    """Why `record` must not be archived, or None when it may.

    `video_players`: how many players the extractor saw in the body (a video-only article
    has one, and no text).
    """
    if not record:
        return "no record extracted"
    if not (record.get("title") or "").strip():
        return "record has no title"
    if record.get("article_id") != article_id:
        return f"record is for article {record.get('article_id')}, not {article_id}"
    method = (record.get("extraction") or {}).get("method")
    if not (record.get("body_text") or "").strip():
        # A fallback guess with no body is most likely not an article at all; a template
        # page with nothing in its body is a redesign that moved the body elsewhere.
        if method != "template":
            return "record has no body text (fallback extraction)"
        if not record.get("images") and not video_players:
            return EMPTY_TEMPLATE
    return None


def bad_page_reasons(record: dict[str, Any], bad_pages: list[int]) -> dict[int, str]:
    """The extractor's warning about each bad page ("page 2 not an article: page not found")."""
    warnings = (record.get("extraction") or {}).get("warnings") or []
    reasons = {}
    for page in bad_pages:
        prefix = f"page {page} "
        reasons[page] = next(
            (w for w in warnings if w.startswith(prefix)), f"page {page} not an article"
        )
    return reasons
