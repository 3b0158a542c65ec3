"""The extractor's input: one fetched page of an article."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One page of an article: its URL (or None), raw bytes and, optionally, HTTP headers."""

    url: str | None
    body: bytes
    # Only Content-Type is read (for the charset); any mapping or list of (name, value) pairs.
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), or None."""
        return header_value(self.headers, name)


def header_value(
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None, name: str
) -> str | None:
    """The first value of header `name` (case-insensitive) in a mapping or a list of pairs."""
    if not headers:
        return None
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    wanted = name.lower()
    for key, value in pairs:
        if key.lower() == wanted:
            return value
    return None
