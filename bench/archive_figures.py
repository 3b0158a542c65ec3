"""Archive, query and re-extraction figures (filled in as the archive branch lands)."""

from __future__ import annotations

from bench.report import Section


def archive_figures(ctx) -> Section:
    raise RuntimeError("not written yet")


def query_figures(ctx) -> Section:
    raise RuntimeError("not written yet")
