"""Text normalisation: odd spaces to plain spaces, runs of whitespace collapsed, ends stripped."""

from __future__ import annotations

import re

# Zero-width characters and soft hyphens carry no text: they are deleted, not turned into spaces.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# For str patterns `\s` already covers NBSP, U+3000 (full-width), U+2000-U+200A, U+202F, U+205F...
_SPACES = re.compile(r"\s+")
_NEEDS_WORK = re.compile(r"[^\S ]|  |^ | $|[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def normalize_space(text: str | None) -> str:
    """`text` with whitespace runs as one space, invisible characters removed, stripped."""
    if not text:
        return ""
    # Fast path: most strings in a page are already clean.
    if _NEEDS_WORK.search(text) is None:
        return text
    return _SPACES.sub(" ", text.translate(_INVISIBLE)).strip()
