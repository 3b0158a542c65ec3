"""Ranked full-text search (FTS5, bm25) with snippets, filtered by date and section."""

from __future__ import annotations

import math
import os
import re
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from ehz_scraper.errors import BadArgument, EhzError
from ehz_scraper.storage.schema import readonly_uri

_T = TypeVar("_T")

SNIPPET_TOKENS = 16
RANK = "bm25(articles_fts, 10.0, 1.0, 1.0)"  # the same weights as the table's configured rank
MAX_WORKERS = 4
# Below this many articles one query is faster than starting threads and connections.
SHARD_MIN_ARTICLES = 20_000
FAST_QUERY_SECONDS = 0.01
PROGRESS_STEPS = 20_000  # SQLite VM steps between two looks at the clock
# `--in` names and the FTS columns they search (None: every column, the query as given).
SEARCH_FIELDS: dict[str, str | None] = {
    "all": None,
    "title": "title",
    "body": "body_text",
    "captions": "captions",
}
# The FTS column a hit's snippet is taken from, by `field` (0 title, 1 body, 2 captions).
SNIPPET_COLUMNS = {"all": 1, "title": 0, "body": 1, "captions": 2}
# For the time limit and Ctrl-C: a step of a many-prefix query can take 50 us, so 20,000 steps
# overshot a 1 s limit by 0.9 s in trials; every 1,000 steps it stopped within 0.01 s.
CLOCK_STEPS = 1_000
# Bounds on one search: 200 prefix terms joined by OR ran 14.5 s, 5,000 of them past 10 minutes.
TIMEOUT_SECONDS = 5.0
MAX_QUERY_CHARS = 1000
MAX_QUERY_TERMS = 50
_TERM = re.compile(r'"[^"]*"|[^\s()"]+')
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})


class SearchTimeout(EhzError):
    """A search ran past its time limit and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"query stopped after {seconds:g} s: narrow it")


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
    workers: int | None = None,
    timeout: float | None = TIMEOUT_SECONDS,
    field: str = "all",
) -> list[Hit]:
    """The best `limit` articles for FTS5 `query`, best first; raises BadArgument on bad syntax.

    Ranking is bm25 with a title hit weighted as ten body hits, ordered by SQLite's top-n
    sorter (`ORDER BY bm25(...) LIMIT n` keeps only n rows; FTS5's own `ORDER BY rank`
    sorts every match). A word in most articles still costs a bm25 call per match, so on a
    large archive a query still running after FAST_QUERY_SECONDS is run again on `workers`
    threads (default: half the CPUs, at most 4), each over one range of article ids with its
    own connection: FTS5's bm25 takes its statistics from the whole index whatever the rowid
    range, so the merged top n is exactly the single query's. snippet() runs only for the
    rows returned.

    A search is stopped after `timeout` seconds (None: never) with SearchTimeout; a query
    longer than MAX_QUERY_CHARS or of more than MAX_QUERY_TERMS terms is a BadArgument.
    `field` ("all", "title", "body", "captions") limits the match to one column.
    """
    check_query(query)
    match = _match_query(query, field)
    return _bounded(
        conn,
        query,
        timeout,
        lambda clock: _search(
            conn, match, since, until, section, int(limit), workers, clock, field
        ),
        interrupted=[],
    )


def count_matches(
    conn: sqlite3.Connection,
    query: str,
    *,
    since: str | None = None,
    until: str | None = None,
    section: str | None = None,
    field: str = "all",
    timeout: float | None = TIMEOUT_SECONDS,
) -> int:
    """How many articles match `query` under the filters (search's total, however limited);
    the same bounds, time limit and signals as `search`."""
    check_query(query)
    filters, params = _filters(since, until, section)
    params["q"] = _match_query(query, field)
    sql = "SELECT count(*) FROM articles_fts f WHERE articles_fts MATCH :q"
    if filters:
        sql = (
            "SELECT count(*) FROM articles_fts f"
            " CROSS JOIN articles a INDEXED BY articles_filter ON a.article_id = f.rowid"
            " WHERE articles_fts MATCH :q AND " + " AND ".join(filters)
        )
    return _bounded(
        conn, query, timeout, lambda _clock: conn.execute(sql, params).fetchone()[0], interrupted=0
    )


def _bounded(
    conn: sqlite3.Connection,
    query: str,
    timeout: float | None,
    run: Callable[[_Clock], _T],
    *,
    interrupted: _T,
) -> _T:
    """`run(clock)` under search's time limit and signals: SearchTimeout when the clock ran
    out, BadArgument for bad FTS5 syntax, `interrupted` when a signal stopped it (the signal
    is raised again on the way out)."""
    clock = _Clock(time.monotonic() + timeout if timeout else math.inf)
    conn.set_progress_handler(clock.expired, CLOCK_STEPS)
    try:
        with _signals_stop_the_query(clock):
            try:
                return run(clock)
            except sqlite3.OperationalError:
                if clock.signal is not None:
                    return interrupted
                raise
    except sqlite3.OperationalError as exc:
        if clock.fired:
            raise SearchTimeout(timeout or 0) from None
        raise _bad_query(query, exc) from None
    finally:
        conn.set_progress_handler(None, 0)


def _match_query(query: str, field: str) -> str:
    if field not in SEARCH_FIELDS:
        raise BadArgument(f"cannot search in {field!r}: one of {', '.join(SEARCH_FIELDS)}")
    column = SEARCH_FIELDS[field]
    # FTS5's column filter applies to a whole parenthesised expression.
    return query if column is None else f"{column} : ({query})"


def _bad_query(query: str, exc: sqlite3.OperationalError) -> BadArgument:
    hint = " (put words with punctuation in double quotes)" if "syntax" in str(exc) else ""
    return BadArgument(f"bad search query {query!r}: {exc}{hint}")


def _filters(since, until, section) -> tuple[list[str], dict]:
    filters, params = [], {}
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
    return filters, params


def check_query(query: str) -> None:
    """BadArgument for a query that is empty, too long, or of too many terms."""
    if not query.strip():
        raise BadArgument("empty search query")
    if len(query) > MAX_QUERY_CHARS:
        raise BadArgument(
            f"search query of {len(query)} characters (at most {MAX_QUERY_CHARS}): narrow it"
        )
    terms = [t for t in _TERM.findall(query) if t not in _OPERATORS]
    if len(terms) > MAX_QUERY_TERMS:
        raise BadArgument(
            f"search query of {len(terms)} terms (at most {MAX_QUERY_TERMS}): narrow it"
        )


class _Clock:
    """A SQLite progress handler that stops a statement once `deadline` (monotonic) is past."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.fired = False
        self.signal: int | None = None  # a SIGINT/SIGTERM that arrived during the query

    def expired(self) -> bool:
        if self.signal is not None:
            return True
        if time.monotonic() > self.deadline:
            self.fired = True
        return self.fired


@contextmanager
def _signals_stop_the_query(clock: _Clock) -> Iterator[None]:
    """Ctrl-C and SIGTERM stop a running query, then take their usual course.

    Python runs a signal's handler between bytecodes, and during a query that is inside
    SQLite's progress callback, whose exceptions sqlite3 swallows (the query just ends
    "interrupted"). So while the query runs the signal is only noted; the progress handler
    stops the query, and the signal is raised again once the previous handlers are back.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(sig)
        if callable(handler):  # SIG_IGN and SIG_DFL stay as they are
            previous[sig] = signal.signal(sig, lambda signum, _frame: _note(clock, signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if clock.signal is not None:
        signal.raise_signal(clock.signal)


def _note(clock: _Clock, signum: int) -> None:
    clock.signal = signum


def _search(
    conn, query, since, until, section, limit, workers, clock: _Clock, field: str = "all"
) -> list[Hit]:
    if since or until:
        # Article ids grow with time, so the dates map to an id range FTS5 can skip to
        # (rowid bounds cut the doclist scan); the exact date check follows in the join.
        lo, hi = conn.execute(
            "SELECT min(article_id), max(article_id) FROM articles"
            " WHERE date >= ? AND substr(date, 1, 10) <= ?",
            [since or "", until or "9999"],
        ).fetchone()
    else:
        # Two subqueries: SQLite answers a lone min() or max() from the primary key at once,
        # but scans the whole table for both in one SELECT.
        lo, hi = conn.execute(
            "SELECT (SELECT min(article_id) FROM articles), (SELECT max(article_id) FROM articles)"
        ).fetchone()
    if lo is None:
        return []
    filters, params = _filters(since, until, section)
    params.update(q=query, limit=limit)
    if filters:
        # CROSS JOIN keeps FTS5 as the outer loop; the covering index answers each match's
        # date and section without reading the (wide) article row.
        sql = (
            f"SELECT f.rowid, {RANK} AS score FROM articles_fts f"
            " CROSS JOIN articles a INDEXED BY articles_filter ON a.article_id = f.rowid"
            " WHERE articles_fts MATCH :q AND f.rowid BETWEEN :lo AND :hi AND "
            + " AND ".join(filters)
            + " ORDER BY score, f.rowid LIMIT :limit"
        )
    else:
        sql = (
            f"SELECT rowid, {RANK} AS score FROM articles_fts WHERE articles_fts MATCH :q"
            " AND rowid BETWEEN :lo AND :hi ORDER BY score, rowid LIMIT :limit"
        )
    ranges = _shards(conn, lo, hi, workers)
    here = {**params, "lo": lo, "hi": hi}
    ranked = _ranked_here(conn, sql, here, limited=len(ranges) > 1, clock=clock)
    if ranked is None:
        ranked = _ranked_in_parallel(conn, sql, params, ranges, clock)
    ranked = sorted(ranked, key=lambda row: (row[1], row[0]))[:limit]
    if not ranked:
        return []
    ids = [row[0] for row in ranked]
    marks = ",".join("?" * len(ids))
    # The snippet comes from the body (a caption when only a caption matched); FTS5's own
    # choice (-1) would often pick a caption, which says less about the article.
    column = SNIPPET_COLUMNS[field]
    snippets = {
        rowid: body if "**" in body or not caption else caption
        for rowid, body, caption in conn.execute(
            f"SELECT rowid, snippet(articles_fts, {column}, '**', '**', '…', :n),"
            " snippet(articles_fts, 2, '**', '**', '…', :n) FROM articles_fts"
            f" WHERE articles_fts MATCH :q AND rowid IN ({','.join(map(str, ids))})",
            {"n": SNIPPET_TOKENS, "q": query},
        )
    }
    rows = {
        row[0]: row
        for row in conn.execute(
            "SELECT article_id, title, date, section, url FROM articles"
            f" WHERE article_id IN ({marks})",
            ids,
        )
    }
    return [
        Hit(*rows[aid], rank=rank, snippet=snippets.get(aid, "").replace("\n", " "))
        for aid, rank in ranked
        if aid in rows
    ]


def _ranked_here(conn, sql: str, params: dict, limited: bool, clock: _Clock) -> list | None:
    """The ranked rows from one query; None when `limited` and it ran past FAST_QUERY_SECONDS.

    Most queries (a name, a topic) finish in a few milliseconds on one connection; only
    those still running after FAST_QUERY_SECONDS are worth the threads.
    """
    if not limited:
        return conn.execute(sql, params).fetchall()
    fast = _Clock(min(time.monotonic() + FAST_QUERY_SECONDS, clock.deadline))
    conn.set_progress_handler(fast.expired, PROGRESS_STEPS)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        # Interrupted (the message varies with where it stopped, e.g. while FTS5 loads its
        # table); a real error, such as bad syntax, will be raised again by the threads.
        if fast.fired and not clock.expired():
            return None
        raise
    finally:
        conn.set_progress_handler(clock.expired, CLOCK_STEPS)


def _db_file(conn: sqlite3.Connection) -> str | None:
    for _, name, path in conn.execute("PRAGMA database_list"):
        if name == "main":
            return path or None
    return None


def _shards(conn, lo: int, hi: int, workers: int | None) -> list[tuple[int, int]]:
    # Half the CPUs by default: the threads only pay when cores are idle (on a busy 2-core
    # machine the shards took longer than the single query in trials).
    count = workers if workers is not None else min(MAX_WORKERS, (os.cpu_count() or 1) // 2)
    if count <= 1 or hi - lo < SHARD_MIN_ARTICLES or _db_file(conn) is None:
        return [(lo, hi)]
    step = (hi - lo + count) // count
    return [(start, min(start + step - 1, hi)) for start in range(lo, hi + 1, step)]


def _ranked_in_parallel(conn, sql: str, params: dict, ranges, clock: _Clock) -> list:
    path = _db_file(conn)

    def one(bounds: tuple[int, int]) -> list[tuple[int, float]]:
        # sqlite3 releases the GIL while a statement runs, so the shards rank concurrently.
        shard = sqlite3.connect(readonly_uri(path), uri=True)
        shard.set_progress_handler(clock.expired, CLOCK_STEPS)
        try:
            return shard.execute(sql, {**params, "lo": bounds[0], "hi": bounds[1]}).fetchall()
        finally:
            shard.close()

    with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
        return [row for part in pool.map(one, ranges) for row in part]
