"""Every problem report of `ehz verify` on a real archive, each made by one edit of the file."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from ehz_scraper.cli import main
from tests.support.captures import build_archive, capture

TOWNS = 266285  # three pages, four sections, four images


@pytest.fixture
def archive(tmp_path):
    db = tmp_path / "a.db"
    build_archive(db, capture("01_three_page_towns"), capture("31_page_2_soft_404"))
    return db


def edit(db, *statements: str) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = OFF")  # as a damaged or hand-edited file would be
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("statements", "report"),
    [
        (
            [f"DELETE FROM versions WHERE article_id = {TOWNS}"],
            [f"article {TOWNS}: version 1 is missing"],
        ),
        (
            [f"UPDATE articles SET record_hash = 'x' WHERE article_id = {TOWNS}"],
            [f"article {TOWNS}: record hash differs from version 1"],
        ),
        (
            [
                f"INSERT INTO versions (article_id, version, record, record_hash, complete,"
                f" first_seen, run_id) SELECT article_id, 2, record, record_hash, complete,"
                f" first_seen, run_id FROM versions WHERE article_id = {TOWNS}"
            ],
            [f"article {TOWNS}: 2 versions stored, expected 1"],
        ),
        (
            [f"DELETE FROM images WHERE article_id = {TOWNS} AND position = 1"],
            [f"article {TOWNS}: 3 images stored, record has 4"],
        ),
        (
            [f"DELETE FROM fetches WHERE article_id = {TOWNS} AND page = 3"],
            [f"article {TOWNS}: 2 pages fetched, expected 3"],
        ),
        (
            [f"DELETE FROM articles WHERE article_id = {TOWNS}"],
            None,  # foreign key rows, listed by table: checked below
        ),
    ],
    ids=["no-version", "hash-differs", "extra-version", "image-lost", "page-lost", "orphans"],
)
def test_verify_reports_each_problem(archive, statements, report) -> None:
    edit(archive, *statements)
    result = CliRunner().invoke(main, ["verify", "--db", str(archive)])
    lines = result.stdout.splitlines()
    assert result.exit_code == 1
    assert result.stderr == f"{len(lines)} problems found\n"
    if report is not None:
        assert lines == report
    else:
        tables = sorted({line.split(" row ")[0] for line in lines})
        assert tables == ["images", "sections", "versions"]
        assert all(line.endswith(": no matching articles row") for line in lines)
