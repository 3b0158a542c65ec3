"""Datasette plugin hooks of `ehz serve`, acting only on the archives named in its config.

- read-only connections (`PRAGMA query_only`), on top of Datasette's `mode=ro`;
- the articles search box lists the best matches first: a plain search-box submission goes to
  the ranked canned query (Datasette's table search has no relevance order);
- snippets of the canned search are escaped, with only ehz's own highlight markup rendered;
- each article's URL cell links to the page, its versions and its snapshots;
- a `year` facet (Datasette's own date facet counts days).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import (
    escape_sqlite,
    path_with_added_args,
    path_with_removed_args,
    tilde_decode,
)
from markupsafe import Markup, escape

from ehz_scraper.storage.web import PLUGIN_NAME, SEARCH_QUERY

# The canned search's snippet() wraps matched words in STX ... ETX: control characters the
# extracted text never shows, so after escaping everything only these become <mark>.
MARK_START, MARK_END = "\x02", "\x03"
_MARKED = re.compile(f"{MARK_START}([^{MARK_START}{MARK_END}]*){MARK_END}")
SEARCH_TABLE = "articles"
DEFAULT_SORT_DESC = "date"  # the articles table's sort_desc in metadata.yaml
SNAPSHOTS_QUERY = "article_snapshots"


def _archives(datasette: Any) -> Sequence[str]:
    return (datasette.plugin_config(PLUGIN_NAME) or {}).get("databases", ())


def highlight(snippet: str) -> Markup:
    """A snippet as HTML: every character escaped, only STX word ETX turned into <mark>."""
    marked = _MARKED.sub(r"<mark>\1</mark>", str(escape(snippet)))
    return Markup(marked.replace(MARK_START, "").replace(MARK_END, ""))


@hookimpl
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    if database in _archives(datasette):
        conn.execute("PRAGMA query_only = 1")


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Markup | None:
    if database not in _archives(datasette):
        return None
    urls = datasette.urls
    if table is None and column == "snippet" and isinstance(value, str):
        return highlight(value)
    if table is None and column == "article_id" and isinstance(value, int):
        return Markup('<a href="{}">{}</a>').format(urls.row(database, "articles", value), value)
    if table is None and column == "snapshot_hash" and isinstance(value, str):
        return Markup('<a href="{}">{}</a>').format(urls.row(database, "snapshots", value), value)
    if table == "articles" and column == "url" and isinstance(value, str):
        keys = row.keys()
        if "article_id" not in keys or not value.startswith(("https://", "http://")):
            return None
        article_id = row["article_id"]
        versions = urls.table(database, "versions") + f"?article_id={article_id}"
        snapshots = urls.table(database, SNAPSHOTS_QUERY) + f"?article_id={article_id}"
        count = f" ({row['version']})" if "version" in keys else ""
        return Markup(
            '<a href="{url}">{url}</a><br><a href="{versions}">versions{count}</a>'
            ' · <a href="{snapshots}">snapshots</a>'
        ).format(url=value, versions=versions, count=count, snapshots=snapshots)
    return None


def ranked_search_query(args: Sequence[tuple[str, str]]) -> str | None:
    """The search words when `args` are a bare search-box submission on the articles table.

    The table page's form also sends its sort controls (set to the table's default, newest
    first) and an empty new-filter row; anything more (a filter, a facet, another sort,
    `_searchmode`) means the reader wants the table view, so None.
    """
    given = dict(args)
    if len(given) != len(args):  # a repeated key: a filter or facet form
        return None
    search = given.pop("_search", "").strip()
    if not search:
        return None
    sort, descending = given.pop("_sort", ""), given.pop("_sort_by_desc", None) is not None
    sort_desc = given.pop("_sort_desc", "")
    default_sort = (not sort and not sort_desc) or (
        (sort == DEFAULT_SORT_DESC and descending) or (sort_desc == DEFAULT_SORT_DESC and not sort)
    )
    # The blank new-filter row: no column chosen (its operator defaults to "exact").
    column = given.pop("_filter_column", "")
    given.pop("_filter_op", None)
    given.pop("_filter_value", None)
    if not default_sort or column or given:
        return None
    return search


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable:
    def wrap(app: Callable) -> Callable:
        async def redirect_search(scope: dict, receive: Callable, send: Callable) -> None:
            target = _search_redirect(datasette, scope) if scope["type"] == "http" else None
            if target is None:
                await app(scope, receive, send)
                return
            await send(
                {
                    "type": "http.response.start",
                    "status": 302,
                    "headers": [(b"location", target.encode()), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})

        return redirect_search

    return wrap


def _search_redirect(datasette: Any, scope: dict) -> str | None:
    parts = scope.get("path", "").strip("/").split("/")
    if len(parts) != 2 or parts[1] != SEARCH_TABLE:  # HTML only: .json keeps its shape
        return None
    database = tilde_decode(parts[0])
    if database not in _archives(datasette):
        return None
    args = urllib.parse.parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True)
    words = ranked_search_query(args)
    if words is None:
        return None
    return datasette.urls.table(database, SEARCH_QUERY) + "?" + urllib.parse.urlencode({"q": words})


class YearFacet(Facet):
    """Counts by the year of a date column (`facets: [{year: date}]`); picks `col__startswith`."""

    type = "year"

    async def facet_results(self) -> tuple[list[dict], list[str]]:
        results, timed_out = [], []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            year = f"substr({escape_sqlite(column)}, 1, 4)"
            sql = (
                f"select {year} as value, count(*) as count from ({self.sql})"
                f" where {escape_sqlite(column)} glob '[0-9][0-9][0-9][0-9]*'"
                f" group by value order by value desc limit {size + 1}"
            )
            try:
                rows = await self.ds.execute(
                    self.database,
                    sql,
                    self.params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            key = f"{column}__startswith"
            values = []
            for row in rows.rows[:size]:
                selected = args.get(key) == row["value"]
                change = path_with_removed_args if selected else path_with_added_args
                toggle = change(self.request, {key: row["value"]})
                values.append(
                    {
                        "value": row["value"],
                        "label": row["value"],
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, toggle),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": "year",  # shown as the facet's title
                    "type": self.type,
                    "results": values,
                    "hideable": source != "metadata",
                    "toggle_url": path_with_removed_args(self.request, {"_facet_year": column}),
                    "truncated": len(rows) > size,
                }
            )
        return results, timed_out


@hookimpl
def register_facet_classes() -> list[type[Facet]]:
    return [YearFacet]
