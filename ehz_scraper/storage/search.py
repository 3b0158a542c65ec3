"""Ranked full-text search (FTS5, bm25) with snippets, filtered by date and section."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ehz_scraper.errors import BadArgument

SNIPPET_TOKENS = 16


@dataclass(frozen=True)
class Hit:
    """One search result: the article's flat fields, its bm25 rank and a highlighted snippet."""

    article_id: int
    title: str
    date: str | None
    section: str | None
    url: str
    rank: float
    snippet: str


def search(
    conn: sqlite3.Connection,
    query: str,
    *,
    since: str | None = None,
    until: str | None = None,
    section: str | None = None,
    limit: int = 20,
) -> list[Hit]:
    """The best `limit` articles for FTS5 `query`, best first; raises BadArgument on bad syntax.

    Ranking happens inside FTS5 (`ORDER BY rank LIMIT n`, bm25 with the title weighted
    up), and snippet() runs only for the rows returned: computing snippets for every match
    is what makes ranked search of a common word slow.
    """
    if not query.strip():
        raise BadArgument("empty search query")
    filters, params = [], {"q": query, "limit": int(limit)}
    if since:
        filters.append("a.date >= :since")
        params["since"] = since
    if until:
        # A date-time on the last day still counts: compare against the day after's prefix.
        filters.append("substr(a.date, 1, 10) <= :until")
        params["until"] = until
    if section:
        filters.append("a.section = :section COLLATE NOCASE")
        params["section"] = section
    try:
        if filters:
            ranked = conn.execute(
                "SELECT f.rowid, f.rank FROM articles_fts f JOIN articles a"
                " ON a.article_id = f.rowid WHERE articles_fts MATCH :q AND "
                + " AND ".join(filters)
                + " ORDER BY f.rank LIMIT :limit",
                params,
            ).fetchall()
        else:
            ranked = conn.execute(
                "SELECT rowid, rank FROM articles_fts WHERE articles_fts MATCH :q"
                " ORDER BY rank LIMIT :limit",
                params,
            ).fetchall()
        if not ranked:
            return []
        ids = [row[0] for row in ranked]
        marks = ",".join("?" * len(ids))
        snippets = dict(
            conn.execute(
                "SELECT rowid, snippet(articles_fts, -1, '**', '**', '…', ?) FROM articles_fts"
                f" WHERE articles_fts MATCH ? AND rowid IN ({marks})",
                [SNIPPET_TOKENS, query, *ids],
            ).fetchall()
        )
        rows = {
            row[0]: row
            for row in conn.execute(
                f"SELECT article_id, title, date, section, url FROM articles"
                f" WHERE article_id IN ({marks})",
                ids,
            )
        }
    except sqlite3.OperationalError as exc:
        raise BadArgument(f"bad search query {query!r}: {exc}") from None
    return [
        Hit(*rows[aid], rank=rank, snippet=snippets.get(aid, "").replace("\n", " "))
        for aid, rank in ranked
        if aid in rows
    ]
