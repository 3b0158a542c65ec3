"""`ehz verify` and `ehz reextract` on a real archive built from fixture captures."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
import zstandard
from click.testing import CliRunner

from ehz_scraper.cli import main
from tests.support.captures import build_archive, capture


@pytest.fixture
def archive(tmp_path):
    db = tmp_path / "a.db"
    build_archive(
        db,
        capture("01_three_page_towns"),
        capture("31_page_2_soft_404"),
        capture("22_page_not_found"),
    )
    return db


def ehz(db, *args):
    return CliRunner().invoke(main, [*args, "--db", str(db)])


def sql(db, statement, *params):
    conn = sqlite3.connect(db)
    conn.execute(statement, params)
    conn.commit()
    conn.close()


def test_verify_passes_on_a_sound_archive(archive):
    result = ehz(archive, "verify")
    assert (result.exit_code, result.stdout) == (
        0,
        "ok: 2 articles, 6 fetches, 5 snapshots checked\n",
    )


def test_verify_fails_after_a_blob_is_corrupted(archive):
    page2 = ("https://www.ehangzhou.gov.cn/2021-05/12/c_266285_2.htm",)
    conn = sqlite3.connect(archive)
    (digest,) = conn.execute("SELECT snapshot_hash FROM fetches WHERE url = ?", page2).fetchone()
    conn.close()
    # A valid zstd frame of other bytes: decompresses, but the hash no longer matches.
    sql(
        archive,
        "UPDATE snapshots SET data = ?, dict_id = NULL WHERE hash = ?",
        zstandard.ZstdCompressor().compress(b"<html>tampered</html>"),
        digest,
    )
    result = ehz(archive, "verify")
    assert result.exit_code == 1
    assert result.stdout == f"snapshot {digest}: content does not match its hash\n"
    assert result.stderr == "1 problems found\n"


def test_verify_reports_undecodable_blobs_and_missing_ones(archive):
    conn = sqlite3.connect(archive)
    hashes = [r[0] for r in conn.execute("SELECT hash FROM snapshots ORDER BY hash")]
    conn.close()
    sql(archive, "UPDATE snapshots SET data = x'00112233' WHERE hash = ?", hashes[0])
    sql(archive, "DELETE FROM snapshots WHERE hash = ?", hashes[1])
    result = ehz(archive, "verify")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("fetches row ") and lines[0].endswith(": no matching snapshots row")
    assert any(
        line.startswith(f"snapshot {hashes[0]}: cannot decompress snapshot:") for line in lines
    )
    assert any(line.endswith("): its snapshot is missing") for line in lines)


def test_verify_reports_an_article_without_its_sections(archive):
    sql(archive, "DELETE FROM sections WHERE article_id = 266285 AND position = 4")
    result = ehz(archive, "verify")
    assert (result.exit_code, result.stdout) == (
        1,
        "article 266285: 3 sections stored, record has 4\n",
    )


def test_reextract_writes_versions_only_where_the_record_changed(archive):
    # As if an older extractor had produced a different title for 266285.
    conn = sqlite3.connect(archive)
    conn.execute(
        "UPDATE versions SET record = json_set(record, '$.title', 'Old title'),"
        " record_hash = 'old' WHERE article_id = 266285"
    )
    conn.execute(
        "UPDATE articles SET title = 'Old title', record_hash = 'old' WHERE article_id = 266285"
    )
    conn.commit()
    conn.close()
    result = ehz(archive, "reextract", "--all")
    assert result.exit_code == 0
    assert result.stdout == "re-extracted 2 articles: 1 changed, 1 unchanged, 0 failed\n"
    conn = sqlite3.connect(archive)
    rows = conn.execute(
        "SELECT version, json_extract(record, '$.title') FROM versions"
        " WHERE article_id = 266285 ORDER BY version"
    ).fetchall()
    assert rows == [(1, "Old title"), (2, "Hangzhou honors nine characteristic towns")]
    # The soft-404 article stays incomplete; its record is unchanged.
    assert conn.execute(
        "SELECT version, complete FROM articles WHERE article_id = 279700"
    ).fetchone() == (1, 0)
    record = json.loads(conn.execute("SELECT record FROM versions WHERE version = 2").fetchone()[0])
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert conn.execute(
        "SELECT record_hash FROM articles WHERE article_id = 266285"
    ).fetchone() == (hashlib.sha256(text.encode()).hexdigest(),)
    assert ehz(archive, "reextract", "--id", "266285").stdout == (
        "re-extracted 1 articles: 0 changed, 1 unchanged, 0 failed\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["reextract"], "Error: give --id ID (one or more) or --all\n"),
        (["reextract", "--all", "--id", "1"], "Error: give --id ID (one or more) or --all\n"),
        (["reextract", "--id", "5"], "Error: no article 5 in the archive\n"),
    ],
)
def test_reextract_bad_arguments(archive, args, message):
    result = ehz(archive, *args)
    assert result.exit_code in (1, 2)
    assert result.stderr.splitlines()[-1] + "\n" == message
