"""`ehz search/show/export/stats/runs/failures` on a real archive built from fixture captures."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ehz_scraper.cli import main
from ehz_scraper.items import ARCHIVE_FIELDS
from tests.support.captures import PAGES, build_archive, capture, case_files, listing

TOWNS_URL = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"
T1 = "2026-11-27T07:00:00Z"


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """Run 1: three articles (one incomplete), a non-article, a listing; run 2: a re-fetch."""
    db = tmp_path_factory.mktemp("cli") / "a.db"
    build_archive(
        db,
        listing([TOWNS_URL], last=True),
        capture("01_three_page_towns"),
        capture("22_page_not_found"),
        capture("31_page_2_soft_404"),
        capture("09_info_date_time"),
    )
    build_archive(db, capture("01_three_page_towns", fetched_at=T1))
    # Fix the run times so the expected output below is exact.
    conn = sqlite3.connect(db)
    conn.execute(
        "UPDATE runs SET started = '2026-11-26T07:00:00Z', finished = '2026-11-26T07:05:00Z'"
    )
    conn.commit()
    conn.close()
    return db


def ehz(db: Path, *args: str) -> object:
    return CliRunner().invoke(main, [*args, "--db", str(db)], catch_exceptions=False)


def test_search_ranked_with_snippets(archive):
    result = ehz(archive, "search", "towns")
    assert result.exit_code == 0
    assert result.stdout == (
        "266285  2021-05-12  Latest  Hangzhou honors nine characteristic towns\n"
        "    https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm\n"
        "    Hangzhou in East China's Zhejiang province on May 12 awarded nine characteristic"
        " **towns** with honorary…\n"
        "1 match\n"
    )


def test_search_json_and_filters(archive):
    hits = json.loads(ehz(archive, "search", "Hangzhou", "--json").stdout)
    # Hangzhou is in every article, so the scores nearly tie: bm25 over three columns
    # (captions indexed since schema 3) puts 284100 a hair before 279700.
    assert [h["article_id"] for h in hits] == [284100, 279700, 266285]
    assert set(hits[0]) == {"article_id", "title", "date", "section", "url", "rank", "snippet"}
    since = json.loads(ehz(archive, "search", "Hangzhou", "--since", "2022-01-01", "--json").stdout)
    assert [h["article_id"] for h in since] == [284100, 279700]
    # --until includes the whole day, also for dates with a time (2023-03-24T10:31:00+08:00).
    until = json.loads(ehz(archive, "search", "Hangzhou", "--until", "2023-03-24", "--json").stdout)
    assert [h["article_id"] for h in until] == [284100, 279700, 266285]
    living = json.loads(ehz(archive, "search", "Hangzhou", "--section", "living", "--json").stdout)
    assert [h["article_id"] for h in living] == [284100]
    none = ehz(archive, "search", "Hangzhou", "--section", "Business")
    assert none.stdout == "no matches\n"


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ('"nine characteristic towns"', [266285]),
        ("biopharm*", [266285]),
        ("trees NOT towns", [279700]),
    ],
)
def test_search_fts_syntax(archive, query, ids):
    hits = json.loads(ehz(archive, "search", query, "--json").stdout)
    assert [h["article_id"] for h in hits] == ids


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "towns AND",
            "Error: bad search query 'towns AND': fts5: syntax error near \"\""
            " (put words with punctuation in double quotes)\n",
        ),
        (
            "high-tech",
            "Error: bad search query 'high-tech': no such column: tech\n",
        ),
        (
            '"unbalanced',
            "Error: bad search query '\"unbalanced': unterminated string\n",
        ),
        ("   ", "Error: empty search query\n"),
    ],
)
def test_search_bad_syntax_is_one_line(archive, query, message):
    result = CliRunner().invoke(main, ["search", query, "--db", str(archive)])
    assert result.exit_code == 2  # a bad argument
    assert result.stderr == message


def test_show_prints_the_record_and_versions(archive):
    expected = json.loads((PAGES / "01_three_page_towns" / "expected.json").read_text())
    result = ehz(archive, "show", "266285")
    shown = json.loads(result.stdout)
    # The record's fields in the extractor's order, then what the archive knows of it.
    assert list(shown) == [*expected, *ARCHIVE_FIELDS]
    assert {k: shown[k] for k in expected} == expected
    assert {k: shown[k] for k in ARCHIVE_FIELDS} == {
        "published_date": "2021-05-12",
        "published_at": None,
        "complete": True,
        "version": 1,
        "first_seen": "2026-11-26T07:00:00Z",
        "last_seen": "2026-11-27T07:00:00Z",
        "version_first_seen": "2026-11-26T07:00:00Z",
    }
    assert json.loads(ehz(archive, "show", "266285", "--version", "1").stdout) == shown
    missing = CliRunner().invoke(main, ["show", "266285", "--version", "2", "--db", str(archive)])
    assert (missing.exit_code, missing.stderr) == (
        1,
        "Error: no version 2 of article 266285 in the archive\n",
    )


@pytest.mark.parametrize("page", [1, 2, 3])
def test_show_html_is_byte_exact(archive, page):
    result = ehz(archive, "show", "266285", "--html", str(page))
    assert result.stdout_bytes == case_files("01_three_page_towns")[page - 1].read_bytes()


def test_export_jsonl_and_csv(archive, tmp_path):
    out = tmp_path / "a.jsonl"
    result = ehz(archive, "export", "--format", "jsonl", "-o", str(out))
    assert result.stderr == f"exported 3 articles as jsonl to {out}\n"
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["article_id"] for r in records] == [266285, 279700, 284100]
    expected = json.loads((PAGES / "01_three_page_towns" / "expected.json").read_text())
    assert list(records[0]) == [*expected, *ARCHIVE_FIELDS]
    assert {k: records[0][k] for k in expected} == expected
    # The incomplete article says so (issue 14: it used to look complete).
    assert [(r["complete"], r["version"], r["first_seen"]) for r in records] == [
        (True, 1, "2026-11-26T07:00:00Z"),
        (False, 1, "2026-11-26T07:00:00Z"),
        (True, 1, "2026-11-26T07:00:00Z"),
    ]
    assert [(r["published_date"], r["published_at"]) for r in records] == [
        ("2021-05-12", None),
        ("2022-02-26", None),
        ("2023-03-24", "2023-03-24T10:31:00+08:00"),
    ]
    csv_text = ehz(archive, "export", "--format", "csv", "--since", "2022-01-01").stdout
    assert csv_text.splitlines()[0] == (
        "article_id,url,title,date,published_date,published_at,date_text,source,byline,section,"
        "page_count,image_count,complete,version,first_seen,last_seen,last_changed,"
        "extraction_method,body_text"
    )
    assert csv_text.splitlines()[1].startswith(
        "279700,https://www.ehangzhou.gov.cn/2022-02/26/c_279700.htm,"
        "Hangzhou to plant 1 million trees this spring,2022-02-26,2022-02-26,,"
        "Updated: 2022-02-26,www.ehangzhou.gov.cn,,Latest,2,1,0,1,"
    )


def test_export_warc_passes_warcio_check_and_index(archive, tmp_path):
    out = tmp_path / "a.warc.gz"
    result = ehz(archive, "export", "--format", "warc", "-o", str(out))
    # warcinfo, then a request beside each of the 10 fetches' response or revisit.
    assert result.stderr == f"exported 21 WARC records as warc to {out}\n"
    warcio = Path(sys.executable).parent / "warcio"
    check = subprocess.run([warcio, "check", "-v", out], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    index = subprocess.run(
        [warcio, "index", "-f", "warc-type,warc-target-uri,http:status", out],
        capture_output=True,
        text=True,
        check=True,
    )
    every = [json.loads(line) for line in index.stdout.splitlines()]
    assert [e["warc-type"] for e in every[:3]] == ["warcinfo", "response", "request"]
    assert sum(e["warc-type"] == "request" for e in every) == 10
    entries = [e for e in every if e["warc-type"] in ("response", "revisit")]
    kinds = [(e["warc-type"], e["warc-target-uri"].rsplit("/", 1)[1]) for e in entries]
    assert kinds == [
        ("response", "c_266285.htm"),
        ("response", "c_266285_2.htm"),
        ("response", "c_266285_3.htm"),
        ("response", "c_266400.htm"),
        ("response", "c_279700.htm"),
        # The soft 404 page 2 is byte-identical to the not-found page: one blob, but another
        # URL, so a response of its own (revisits stay within a URL, as pywb looks them up).
        ("response", "c_279700_2.htm"),
        ("response", "c_284100.htm"),
        ("revisit", "c_266285.htm"),
        ("revisit", "c_266285_2.htm"),
        ("revisit", "c_266285_3.htm"),
    ]
    assert {e["http:status"] for e in entries} == {"200"}


def test_stats(archive):
    conn = sqlite3.connect(archive)
    raw, stored = conn.execute("SELECT sum(size), sum(stored_size) FROM snapshots").fetchone()
    assert (round(raw / 100), round(stored / 100)) == (407, 140)  # what the kB figures round
    assert ehz(archive, "stats").stdout == (
        "articles: 3 (1 incomplete), versions: 3\n"
        "images: 5\n"
        "fetches: 10, snapshots: 6\n"
        f"snapshots: 40.7 kB raw, 14.0 kB stored ({stored / raw:.1%})\n"
        "open failures: 2\n"
        "by year:\n"
        "  2021  1\n"
        "  2022  1\n"
        "  2023  1\n"
        "by month:\n"
        "  2021-05  1\n"
        "  2022-02  1\n"
        "  2023-03  1\n"
        "by section:\n"
        "  Latest  2\n"
        "  Living  1\n"
        "last runs:\n"
        "  2  fixture  finished  2026-11-26T07:00:00Z  new 0, changed 0, failed 0\n"
        "  1  fixture  finished  2026-11-26T07:00:00Z  new 3, changed 0, failed 1\n"
    )
    data = json.loads(ehz(archive, "stats", "--json").stdout)
    assert data["by_year"] == [
        {"year": "2021", "articles": 1},
        {"year": "2022", "articles": 1},
        {"year": "2023", "articles": 1},
    ]


def test_runs(archive):
    assert ehz(archive, "runs").stdout == (
        "id  spider   status    started               finished              listing_pages"
        "  new  changed  unchanged  incomplete  failed  fallback\n"
        "2   fixture  finished  2026-11-26T07:00:00Z  2026-11-26T07:05:00Z  0              0"
        "    0        1          0           0       0\n"
        "1   fixture  finished  2026-11-26T07:00:00Z  2026-11-26T07:05:00Z  1              3"
        "    0        0          1           1       0\n"
    )
    runs = json.loads(ehz(archive, "runs", "--json").stdout)
    assert runs[1]["arguments"] == {"mode": "full"}
    # The summary the run's verdict wrote (RunReport), its first lines exactly.
    assert runs[1]["summary"].split("\n")[:6] == [
        "ehz crawl fixture: finished (exit 0)",
        "why: all went well",
        f"archive: {archive}, run 1",
        "articles: 3 new, 0 changed, 0 unchanged, 1 incomplete, 1 failed",
        "extraction: 0 fallback, 0 missing a required field, 2 not an article",
        "listing pages: 1 (1 links)",
    ]


def test_failures_show_next_due(archive):
    assert ehz(archive, "failures").stdout == (
        "url                                                     stage    reason"
        "                                 attempts  last_failed           next_due\n"
        "https://www.ehangzhou.gov.cn/2021-05/20/c_266400.htm    extract  not an article:"
        " page not found         1         2026-11-26T07:00:00Z  2026-11-26T08:00:00Z\n"
        "https://www.ehangzhou.gov.cn/2022-02/26/c_279700_2.htm  extract  page 2 not an"
        " article: page not found  1         2026-11-26T07:00:00Z  2026-11-26T08:00:00Z\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["search", "x"],
        ["show", "1"],
        ["export"],
        ["stats"],
        ["runs"],
        ["failures"],
        ["verify"],
        ["reextract", "--all"],
    ],
)
def test_missing_archive_is_a_one_line_error(tmp_path, args):
    db = tmp_path / "none.db"
    result = CliRunner().invoke(main, [*args, "--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: no archive at {db} (run a crawl first, or pass --db)\n"
    assert not db.exists()


def test_warc_export_of_a_304_refetch_is_a_revisit(tmp_path):
    from dataclasses import replace

    db = tmp_path / "a.db"
    build_archive(db, capture("09_info_date_time"))
    again = capture("09_info_date_time", fetched_at=T1)
    again.pages[0] = replace(again.pages[0], status=304, body=b"")
    build_archive(db, again)
    out = tmp_path / "a.warc"
    assert ehz(db, "export", "--format", "warc", "-o", str(out)).exit_code == 0
    warcio = Path(sys.executable).parent / "warcio"
    subprocess.run([warcio, "check", out], check=True, capture_output=True)
    index = subprocess.run(
        [warcio, "index", "-f", "warc-type,http:status,warc-profile,warc-payload-digest", out],
        capture_output=True,
        text=True,
        check=True,
    )
    entries = [json.loads(line) for line in index.stdout.splitlines()]
    first, second = (e for e in entries if e["warc-type"] in ("response", "revisit"))
    assert (first["warc-type"], first["http:status"]) == ("response", "200")
    assert (second["warc-type"], second["http:status"], second["warc-profile"]) == (
        "revisit",
        "304",
        "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
    )
    assert second["warc-payload-digest"] == first["warc-payload-digest"]
