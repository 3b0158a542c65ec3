"""`ehz show --format text|markdown`, `history`, `diff`, `cite`, and the research options of
`search` and `export`, on an archive where one article changed between two runs."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from ehz_scraper.cli import main
from tests.support.captures import build_archive, capture, case_files

URL = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"
T0 = "2026-11-26T07:00:00Z"
T1 = "2026-11-28T07:00:00Z"
OLD_TITLE = b"Hangzhou honors nine characteristic towns"
NEW_TITLE = b"Hangzhou honours nine characteristic towns"


def _changed(page: int) -> bytes:
    body = case_files("01_three_page_towns")[page - 1].read_bytes().replace(OLD_TITLE, NEW_TITLE)
    if page == 1:
        body = body.replace(b"36 such towns", b"37 such towns")
    return body


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """Run 1 stores the towns article (3 pages) and a dated one; run 2 a changed towns."""
    db = tmp_path_factory.mktemp("history") / "h.db"
    build_archive(db, capture("01_three_page_towns", fetched_at=T0), capture("09_info_date_time"))
    bodies = {n: _changed(n) for n in (1, 2, 3)}
    build_archive(db, capture("01_three_page_towns", fetched_at=T1, bodies=bodies))
    return db


def ehz(db: Path, *args: str, code: int = 0):
    result = CliRunner().invoke(main, [*args, "--db", str(db)])
    assert result.exit_code == code, result.output + result.stderr
    return result


def test_history_names_what_changed(archive):
    assert ehz(archive, "history", "266285").stdout == (
        "version  first_seen            run  complete  changed\n"
        "1        2026-11-26T07:00:00Z  1    yes       first archived\n"
        "2        2026-11-28T07:00:00Z  2    yes       title, body\n"
    )


def test_diff_of_the_last_two_versions(archive):
    out = ehz(archive, "diff", URL).stdout
    assert out.splitlines()[:7] == [
        "--- 266285 version 1 (2026-11-26T07:00:00Z)",
        "+++ 266285 version 2 (2026-11-28T07:00:00Z)",
        "@@ -1,5 +1,5 @@",
        "-Hangzhou honors nine characteristic towns",
        "-=========================================",
        "+Hangzhou honours nine characteristic towns",
        "+==========================================",
    ]
    assert [line[:40] for line in out.splitlines() if line[:1] in "+-"][6:] == [
        "-The characteristic town project, which ",
        "+The characteristic town project, which ",
    ]
    assert ehz(archive, "diff", "c_266285", "1", "2").stdout == out


def test_word_diff_marks_words(archive):
    out = ehz(archive, "diff", "266285", "--word").stdout
    assert out.splitlines()[:3] == [
        "@@ -1,2 +1,2 @@",
        "Hangzhou [-honors-]{+honours+} nine characteristic towns",
        "[-=========================================-]{+==========================================+}",
    ]
    assert "establishment of [-36-]{+37+} such towns" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diff", "284100"], "Error: article 284100 has only one version\n"),
        (["diff", "266285", "1", "5"], "Error: no version 5 of article 266285 (it has 1 to 2)\n"),
        (["show", "999"], "Error: no article 999 in the archive\n"),
        (
            ["history", "not-an-id"],
            "Error: 'not-an-id' is not an article id, c_<id> or article URL\n",
        ),
    ],
)
def test_bad_version_or_article_is_one_line(archive, args, message):
    assert ehz(archive, *args, code=1).stderr == message


def test_show_text_is_the_readable_article(archive):
    text = ehz(archive, "show", URL.replace(".htm", "_3.htm"), "--format", "text").stdout
    lines = text.splitlines()
    assert lines[:13] == [
        "Hangzhou honours nine characteristic towns",
        "==========================================",
        "",
        "Date: 2021-05-12 (Updated: May 12, 2021)",
        "Source: www.ehangzhou.gov.cn",
        "Section: Latest",
        f"URL: {URL}",
        "Pages: 3",
        "Complete: yes",
        "Version: 2 of 2",
        "First fetched: 2026-11-26T07:00:00Z",
        "Last fetched: 2026-11-28T07:00:00Z",
        "",
    ]
    heading = lines.index("Three characteristic towns honored with most industrial strength")
    assert lines[heading + 1] == "-" * 64
    images = lines[lines.index("Images") :]
    assert images[7:9] == [
        "[3] Hangzhou Fintech Town. (credit: Photo by Zhang Yi/hangzhou.com.cn) [page 2]",
        "    https://www.ehangzhou.gov.cn/img/attachement/jpg/site48/20210512/1620800000003.jpg",
    ]


def test_show_markdown(archive):
    md = ehz(archive, "show", "266285", "--format", "markdown", "--version", "1").stdout
    lines = md.splitlines()
    assert lines[:3] == [
        "# Hangzhou honors nine characteristic towns",
        "",
        "- **Date:** 2021-05-12 (Updated: May 12, 2021)",
    ]
    assert "- **Version:** 1 of 2" in lines
    assert "## Three characteristic towns honored as most dynamic" in lines
    assert "## Images" in lines


@pytest.mark.parametrize(("version", "title"), [("1", OLD_TITLE), ("2", NEW_TITLE)])
def test_show_html_of_a_version_is_that_versions_page(archive, version, title):
    """Regression: --html N --version V printed the newest fetch whatever V was."""
    body = ehz(archive, "show", "266285", "--html", "1", "--version", version).stdout_bytes
    expected = _changed(1) if version == "2" else case_files("01_three_page_towns")[0].read_bytes()
    assert body == expected
    assert title in body


def test_show_json_of_an_old_version(archive):
    shown = json.loads(ehz(archive, "show", "266285", "--version", "1").stdout)
    assert (shown["title"], shown["version"], shown["last_seen"], shown["version_first_seen"]) == (
        "Hangzhou honors nine characteristic towns",
        1,
        T0,
        T0,
    )


def test_cite_text_and_bibtex(archive):
    assert ehz(archive, "cite", "266285").stdout == (
        '"Hangzhou honours nine characteristic towns." eHangzhou, Hangzhou Municipal'
        f" People's Government, 2021-05-12. {URL}. Archived on 2026-11-28"
        " (ehz archive, article 266285, version 2).\n"
    )
    assert ehz(archive, "cite", "266285", "--style", "bibtex", "--version", "1").stdout == (
        "@online{ehz266285v1,\n"
        "  title = {Hangzhou honors nine characteristic towns},\n"
        "  organization = {eHangzhou (Hangzhou Municipal People's Government)},\n"
        "  publisher = {Hangzhou Municipal People's Government},\n"
        "  date = {2021-05-12},\n"
        "  year = {2021},\n"
        f"  url = {{{URL}}},\n"
        "  urldate = {2026-11-26},\n"
        "  note = {Archived on 2026-11-26 by ehz: article 266285, archive version 1}\n"
        "}\n"
    )


def test_export_all_versions_section_and_excel(archive, tmp_path):
    lines = ehz(archive, "export", "--all-versions").stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert [(r["article_id"], r["version"], r["title"][:20], r["last_seen"]) for r in rows] == [
        (266285, 1, "Hangzhou honors nine", T0),
        (266285, 2, "Hangzhou honours nin", T1),
        (284100, 1, "Hangzhou opens 30 ne", T0),
    ]
    living = ehz(archive, "export", "--section", "living").stdout.splitlines()
    assert [json.loads(line)["article_id"] for line in living] == [284100]
    out = tmp_path / "x.csv"
    ehz(archive, "export", "--format", "csv", "--excel", "-o", str(out))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfarticle_id,url,title,date,published_date,")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r[0], r[4], r[5]) for r in table[1:]] == [
        ("266285", "2021-05-12", ""),
        ("284100", "2023-03-24", "2023-03-24T10:31:00+08:00"),
    ]
    assert raw.count(b"\r\n") >= 3  # Excel's line ends
    usage = ehz(archive, "export", "--format", "jsonl", "--excel", code=2)
    assert usage.stderr.endswith("Error: --excel is for --format csv\n")


def test_search_csv_total_and_captions(archive):
    captions = ehz(archive, "search", "--in", "captions", "Fintech", "--csv").stdout
    assert list(csv.reader(io.StringIO(captions))) == [
        ["article_id", "date", "section", "title", "url", "rank", "snippet"],
        [
            "266285",
            "2021-05-12",
            "Latest",
            "Hangzhou honours nine characteristic towns",
            URL,
            captions.splitlines()[1].split(",")[5],
            # The captions are one text: the snippet runs on into the next one.
            "…Hangzhou **Fintech** Town. Tea gardens in Longwu Tea Town, Xihu district.",
        ],
    ]
    assert ehz(archive, "search", "--in", "title", "Fintech").stdout == "no matches\n"
    assert ehz(archive, "search", "Hangzhou", "--limit", "1").stdout.splitlines()[-1] == (
        "2 matches, the best 1 shown (--limit)"
    )


def test_db_on_the_group_and_in_the_environment(archive, tmp_path):
    runner = CliRunner()
    group = runner.invoke(main, ["--db", str(archive), "history", "284100"])
    assert group.exit_code == 0 and group.stdout.splitlines()[1].startswith("1  ")
    env = runner.invoke(main, ["cite", "284100"], env={"EHZ_DB": str(archive)})
    assert env.exit_code == 0 and "article 284100, version 1" in env.stdout
    # The subcommand's --db wins over the group's, which wins over $EHZ_DB.
    missing = tmp_path / "none.db"
    both = runner.invoke(
        main,
        ["--db", str(archive), "cite", "284100", "--db", str(missing)],
        env={"EHZ_DB": str(archive)},
    )
    assert both.stderr == f"Error: no archive at {missing} (run a crawl first, or pass --db)\n"
    group_over_env = runner.invoke(
        main, ["--db", str(missing), "cite", "284100"], env={"EHZ_DB": str(archive)}
    )
    assert group_over_env.exit_code == 1


def test_published_columns_in_articles(archive):
    conn = sqlite3.connect(archive)
    assert conn.execute(
        "SELECT article_id, date, published_date, published_at FROM articles ORDER BY 1"
    ).fetchall() == [
        (266285, "2021-05-12", "2021-05-12", None),
        (284100, "2023-03-24T10:31:00+08:00", "2023-03-24", "2023-03-24T10:31:00+08:00"),
    ]
