"""The run rows as the run report reads and closes them (outside the writer's connection)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ehz_scraper.extraction.validate import EMPTY_TEMPLATE
from ehz_scraper.storage.schema import connect_readonly

_TIMEOUT = 30


def _connect_ro(path: Path) -> sqlite3.Connection:
    return connect_readonly(path, timeout=_TIMEOUT)


def run_figures(db_path: str | Path, run_id: int) -> dict[str, Any]:
    """Run `run_id`'s row and what it recorded (by id: "the newest run" may be another crawl's).

    `{"row": {...}, "links_listed": int, "failures_by_stage": {stage: n}, "extractor_errors": n,
    "first_failures": [(stage, url, reason), ...]}`, or {} when there is no archive, no
    runs table or no such row (the crawl failed before a pipeline opened the archive).
    """
    path = Path(db_path)
    if not path.exists():
        return {}
    conn = _connect_ro(path)
    try:
        conn.row_factory = sqlite3.Row
        try:
            row = conn.execute("SELECT * FROM runs WHERE id = ?", [run_id]).fetchone()
        except sqlite3.OperationalError:
            return {}
        if row is None:
            return {}
        run_id = row["id"]
        listed = _rows(
            conn,
            "SELECT coalesce(sum(json_array_length(article_urls)), 0) FROM listings"
            " WHERE run_id = ?",
            run_id,
        )
        by_stage = _rows(
            conn, "SELECT stage, count(*) FROM failures WHERE run_id = ? GROUP BY stage", run_id
        )
        empty = _rows(
            conn,
            "SELECT count(*) FROM failures WHERE run_id = ? AND stage = 'validate' AND reason = ?",
            run_id,
            EMPTY_TEMPLATE,
        )
        errors = _rows(
            conn,
            "SELECT count(*) FROM failures WHERE run_id = ? AND stage = 'extract'"
            " AND reason LIKE 'extractor error:%'",
            run_id,
        )
        first = _rows(
            conn,
            "SELECT stage, url, reason FROM failures WHERE run_id = ? ORDER BY id LIMIT 5",
            run_id,
        )
        return {
            "row": dict(row),
            "links_listed": int(listed[0][0] or 0) if listed else 0,
            "failures_by_stage": dict(by_stage),
            "empty_templates": int(empty[0][0]) if empty else 0,
            "extractor_errors": int(errors[0][0]) if errors else 0,
            "first_failures": first,
        }
    finally:
        conn.close()


def _rows(conn: sqlite3.Connection, sql: str, run_id: int, *more: object) -> list[tuple]:
    try:
        return [tuple(r) for r in conn.execute(sql, [run_id, *more]).fetchall()]
    except sqlite3.OperationalError:
        return []


def write_verdict(
    db_path: str | Path,
    run_id: int,
    status: str,
    summary: str,
    *,
    close_reason: str | None = None,
    locked: bool = True,
) -> None:
    """Write the verdict into the run's row (status, close reason, summary), in one transaction.

    Under the archive lock no other crawl can be running, so an earlier run still marked
    `running` was killed: it is marked `interrupted` (its walk covers no completed ground).
    """
    conn = sqlite3.connect(db_path, timeout=_TIMEOUT)
    try:
        with conn:
            conn.execute(
                "UPDATE runs SET status = ?, close_reason = ?, summary = ? WHERE id = ?",
                [status, close_reason, summary, run_id],
            )
            if locked:
                conn.execute(
                    "UPDATE runs SET status = 'interrupted', summary = coalesce(summary,"
                    " 'killed before it finished (found by a later run)')"
                    " WHERE status = 'running' AND id < ?",
                    [run_id],
                )
    finally:
        conn.close()
