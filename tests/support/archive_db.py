"""Read a crawl's archive file in tests (plain sqlite3, read-only)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


def query(db: Path, sql: str, *params: Any) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def article_rows(db: Path) -> dict[int, dict[str, Any]]:
    """{article_id: {page_count, page_urls, complete, section}} of every archived article."""
    rows = query(db, "SELECT article_id, page_count, page_urls, complete, section FROM articles")
    return {
        r[0]: {"page_count": r[1], "page_urls": json.loads(r[2]), "complete": r[3], "section": r[4]}
        for r in rows
    }


def open_failure_urls(db: Path) -> set[str]:
    return {r[0] for r in query(db, "SELECT url FROM failures WHERE resolved = 0")}
