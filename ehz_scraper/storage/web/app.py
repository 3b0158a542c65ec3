"""The Datasette `ehz serve` runs: one archive, read-only, with ehz's metadata and hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette.app import Datasette
from datasette.plugins import pm

from ehz_scraper.storage.web import PLUGIN_NAME, database_name, metadata_for, plugin

SETTINGS: dict[str, Any] = {
    # body_text made each table row 1,100-5,100 px tall; the row page shows the whole text.
    "truncate_cells_html": 200,
    # Suggesting facets probes every column of the (wide) articles table on every page load:
    # 1.6 s of a 1.7 s table page on 20,000 articles; the useful facets are configured.
    "suggest_facets": False,
}


def make_datasette(path: str | Path) -> Datasette:
    """Datasette over the archive at `path` (opened mode=ro), whatever the file is called."""
    if not pm.is_registered(plugin):
        pm.register(plugin, name=PLUGIN_NAME)
    path = Path(path)
    name = database_name(path)
    # A mutable (mode=ro) file, not immutable=1: a crawl may be writing to the archive, and
    # immutable would ignore its WAL (the newest articles) and trust stale table counts.
    ds = Datasette(files=[str(path)], metadata=metadata_for(name), settings=SETTINGS)
    served = [n for n, db in ds.databases.items() if db.path == str(path)]
    if served != [name]:  # Datasette renamed it (a clash): the metadata would not apply
        raise ValueError(f"Datasette named {path} {served}, not {name!r}")
    return ds
