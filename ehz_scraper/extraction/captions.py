"""Image captions: split `Caption text. [Photo/zjol.com.cn]` into the caption and its credit."""

from __future__ import annotations

import re

# A bracket at the very end of the caption (ASCII or full-width brackets).
_TRAILING_BRACKET = re.compile(r"[\[［【]\s*([^\[\]［］【】]*?)\s*[\]］】]\s*$")
# What makes a bracket a credit rather than part of the caption ("[left]", "[right]", "[1]").
_CREDIT_WORD = re.compile(
    r"\b(?:photos?|photograph(?:ed|s)?|images?|pic(?:ture)?s?|provided|courtesy|file|video|"
    r"graphics?|illustrations?|screenshot|credit|source)\b|/",
    re.I,
)
_DOMAIN = re.compile(
    r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|gov|edu|info|tv|cc|io|hk)\b", re.I
)
_AGENCY = re.compile(
    r"\b(?:xinhua|cgtn|cctv|china ?daily|china news service|chinanews|visual china|vcg|"
    r"people'?s daily|global times|zhejiang daily|hangzhou daily|zjol|reuters|afp|getty|epa)\b",
    re.I,
)
_SHORT_AGENCY = re.compile(r"\b(?:CNS|IC|AP|VCG|CFP)\b")


def is_credit(inner: str) -> bool:
    """True when a bracket's inner text is a credit (Photo, Image, `/`, a domain, an agency)."""
    return bool(
        _CREDIT_WORD.search(inner)
        or _DOMAIN.search(inner)
        or _AGENCY.search(inner)
        or _SHORT_AGENCY.match(inner)
    )


def has_credit(text: str) -> bool:
    """True when `text` ends in a bracket that is a credit."""
    match = _TRAILING_BRACKET.search(text)
    return match is not None and is_credit(match[1])


def split_caption(text: str) -> tuple[str | None, str | None]:
    """(caption, credit) of a normalised caption line; either is None when absent."""
    match = _TRAILING_BRACKET.search(text)
    if match is not None and is_credit(match[1]):
        caption = text[: match.start()].strip()
        return caption or None, match[1] or None
    return text or None, None
