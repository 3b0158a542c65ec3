"""Ranked full-text search (FTS5, bm25) with snippets, filtered by date and section."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ehz_scraper.errors import BadArgument

SNIPPET_TOKENS = 16
RANK = "bm25(articles_fts, 10.0, 1.0)"  # the same weights as the table's configured rank


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

    Ranking is bm25 with a title hit weighted as ten body hits, ordered by SQLite's top-n
    sorter (`ORDER BY bm25(...) LIMIT n`, which keeps only n rows, unlike FTS5's own
    `ORDER BY rank`, which sorts every match); snippet() runs only for the rows returned.
    """
    if not query.strip():
        raise BadArgument("empty search query")
    filters, params = [], {"q": query, "limit": int(limit)}
    if since or until:
        # Article ids grow with time, so the dates map to an id range FTS5 can skip to
        # (rowid bounds cut the doclist scan); the exact date check follows in the join.
        lo, hi = conn.execute(
            "SELECT min(article_id), max(article_id) FROM articles"
            " WHERE date >= ? AND substr(date, 1, 10) <= ?",
            [since or "", until or "9999"],
        ).fetchone()
        if lo is None:
            return []
        filters += ["f.rowid >= :lo", "f.rowid <= :hi"]
        params.update(lo=lo, hi=hi)
    if since:
        filters.append("a.date >= :since")
        params["since"] = since
    if until:
        # A date-time on the last day still counts: compare the day part only.
        filters.append("substr(a.date, 1, 10) <= :until")
        params["until"] = until
    if section:
        filters.append("a.section = :section COLLATE NOCASE")
        params["section"] = section
    try:
        if filters:
            ranked = conn.execute(
                f"SELECT f.rowid, {RANK} AS score FROM articles_fts f"
                " CROSS JOIN articles a INDEXED BY articles_filter"
                " ON a.article_id = f.rowid WHERE articles_fts MATCH :q AND "
                + " AND ".join(filters)
                + " ORDER BY score LIMIT :limit",
                params,
            ).fetchall()
        else:
            ranked = conn.execute(
                f"SELECT rowid, {RANK} AS score FROM articles_fts WHERE articles_fts MATCH :q"
                " ORDER BY score LIMIT :limit",
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
        hint = " (put words with punctuation in double quotes)" if "syntax" in str(exc) else ""
        raise BadArgument(f"bad search query {query!r}: {exc}{hint}") from None
    return [
        Hit(*rows[aid], rank=rank, snippet=snippets.get(aid, "").replace("\n", " "))
        for aid, rank in ranked
        if aid in rows
    ]
