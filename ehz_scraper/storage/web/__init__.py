"""The archive in a browser: Datasette's metadata, dashboards and plugin hooks for `ehz serve`.

metadata.yaml is the one source of the title, descriptions, canned queries and charts; it is
keyed to no database name, so `metadata_for` applies it to whatever the served file is called.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

PLUGIN_NAME = "ehz"  # plugin config key: which databases the hooks in plugin.py act on
DASHBOARDS_PLUGIN = "datasette-dashboards"
DASHBOARD = "archive"  # /-/dashboards/archive
SEARCH_QUERY = "search"  # the canned query the articles search box goes to


@functools.cache
def _template() -> dict[str, Any]:
    return yaml.safe_load((Path(__file__).parent / "metadata.yaml").read_text(encoding="utf-8"))


def database_name(path: str | Path) -> str:
    """The name Datasette gives a database file (its stem: archive/demo.db -> demo)."""
    return Path(path).stem


def metadata_for(name: str) -> dict[str, Any]:
    """Datasette metadata for an archive served under the database name `name`."""
    meta = copy.deepcopy(_template())
    database = meta.pop("database")
    dashboards = meta.pop("dashboards")
    for dashboard in dashboards.values():
        for chart in dashboard["charts"].values():
            chart["db"] = name
    meta["databases"] = {name: database}
    meta["plugins"] = {DASHBOARDS_PLUGIN: dashboards, PLUGIN_NAME: {"databases": [name]}}
    return meta
