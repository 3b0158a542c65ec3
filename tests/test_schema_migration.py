"""Migration by code: an archive an older ehz wrote (schema 1) gains published_date,
published_at and searchable captions the first time it is opened, read-only commands included."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from ehz_scraper.cli import main
from ehz_scraper.storage import schema
from ehz_scraper.storage.archive import record_json
from tests.support.captures import PAGES

T0 = "2026-11-26T07:00:00Z"


def _record(case: str, **changes) -> dict:
    return {**json.loads((PAGES / case / "expected.json").read_text()), **changes}


def write_v1_archive(path: Path, monkeypatch: pytest.MonkeyPatch, records: list[dict]) -> None:
    """An archive as ehz 0.1 (schema 1) wrote it: the v1 tables, rows inserted as it did."""
    with monkeypatch.context() as m:
        m.setattr(schema, "SCHEMA_VERSION", 1)
        db = schema.open_archive(path)
    conn = db.conn
    conn.execute(
        "INSERT INTO runs (id, spider, started, status) VALUES (1, 'latest', ?, 'finished')", [T0]
    )
    for r in records:
        conn.execute(
            "INSERT INTO articles (article_id, url, title, date, section, page_count, body_text,"
            " image_count, version, extraction_method, record_hash, first_seen, last_seen,"
            " last_changed) VALUES (?,?,?,?,?,?,?,?,1,'template','h',?,?,?)",
            [r["article_id"], r["url"], r["title"], r["date"], r["section"], r["page_count"],
             r["body_text"], len(r["images"]), T0, T0, T0],
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO images (article_id, position, page, src, caption, credit)"
            " VALUES (?,?,?,?,?,?)",
            [
                (r["article_id"], k, i.get("page"), i["src"], i.get("caption"), i.get("credit"))
                for k, i in enumerate(r["images"], start=1)
            ],
        )
        conn.execute(
            "INSERT INTO versions (article_id, version, record, record_hash, complete,"
            " first_seen, run_id) VALUES (?, 1, ?, 'h', 1, ?, 1)",
            [r["article_id"], record_json(r), T0],
        )
    conn.close()


def version_of(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    finally:
        conn.close()


def test_v1_archive_is_migrated_on_first_read(tmp_path, monkeypatch):
    db = tmp_path / "old.db"
    undated = _record("09_info_date_time", date=None)  # a v1 record without a date
    write_v1_archive(db, monkeypatch, [_record("01_three_page_towns"), undated])
    assert version_of(db) == "1"
    conn = sqlite3.connect(db)
    assert "published_date" not in {row[1] for row in conn.execute("PRAGMA table_info(articles)")}
    conn.close()

    result = CliRunner().invoke(main, ["search", "--in", "captions", "Fintech", "--db", str(db)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("266285  2021-05-12  Latest  ")
    assert version_of(db) == str(schema.SCHEMA_VERSION)
    conn = sqlite3.connect(db)
    assert conn.execute(
        "SELECT article_id, published_date, published_at, captions FROM articles ORDER BY 1"
    ).fetchall() == [
        (
            266285,
            "2021-05-12",
            None,
            "The Binjiang Internet of Things Town.\n"
            "Young entrepreneurs at work in Dream Town, Yuhang district.\n"
            "Hangzhou Fintech Town.\nTea gardens in Longwu Tea Town, Xihu district.",
        ),
        # No date in the record: the URL's date folder gives the day.
        (284100, "2023-03-24", None, ""),
    ]
    # The rebuilt index still finds titles and bodies, ranked, and follows updates.
    body = CliRunner().invoke(main, ["search", "biopharm*", "--json", "--db", str(db)])
    assert [h["article_id"] for h in json.loads(body.stdout)] == [266285]
    conn.execute("UPDATE articles SET captions = 'a kingfisher' WHERE article_id = 284100")
    conn.commit()
    assert conn.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'captions : kingfisher'"
    ).fetchall() == [(284100,)]
    conn.close()
