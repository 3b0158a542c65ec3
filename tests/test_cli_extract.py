"""`ehz extract` through click's CliRunner: exact output and exit codes 0, 1 and 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ehz_scraper.cli import main

PAGES = Path(__file__).parent / "fixtures" / "pages"
TOWNS = PAGES / "01_three_page_towns"
TOWN_FILES = [str(TOWNS / n) for n in ("c_266285.htm", "c_266285_2.htm", "c_266285_3.htm")]
TOWN_URL = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"


def _expected(case: Path) -> dict:
    return json.loads((case / "expected.json").read_text("utf-8"))


def _json(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"


def run(*args: str):
    return CliRunner().invoke(main, ["extract", *args])


def test_three_pages_with_url() -> None:
    result = run("--url", TOWN_URL, *TOWN_FILES)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == _json(_expected(TOWNS))


def test_url_in_another_form_is_canonicalised() -> None:
    result = run("--url", "http://ehangzhou.gov.cn/2021-05/12/c_266285.htm", *TOWN_FILES)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == _expected(TOWNS)


def test_url_from_a_dated_file_path(tmp_path: Path) -> None:
    folder = tmp_path / "2021-05" / "12"
    folder.mkdir(parents=True)
    files = [shutil.copy(f, folder) for f in TOWN_FILES]
    result = run(*map(str, files))
    assert result.exit_code == 0
    assert result.stdout == _json(_expected(TOWNS))


def test_no_url_anywhere_keeps_the_file_names_id() -> None:
    result = run(TOWN_FILES[0])
    record = json.loads(result.stdout)
    assert result.exit_code == 0
    assert (record["article_id"], record["url"], record["page_urls"]) == (266285, None, [None])
    assert record["extraction"]["warnings"] == [
        "pager announces 3 pages, 1 given",
        "relative image src resolved against the site root",
    ]


def test_canonical_link_gives_the_url() -> None:
    case = PAGES / "30_canonical_link_no_url"
    result = run(str(case / "page.htm"))
    assert (result.exit_code, result.stdout) == (0, _json(_expected(case)))


def test_output_is_utf8_not_ascii_escaped() -> None:
    case = PAGES / "17_gbk_charset_in_header_only"
    meta = json.loads((case / "meta.json").read_text("utf-8"))
    result = run("--url", meta["url"], str(case / "c_266300.htm"))
    assert result.exit_code == 0
    assert "Lingyin Temple (灵隐寺)" in result.stdout_bytes.decode("utf-8")
    assert "\\u" not in result.stdout


def test_not_an_article_exits_1_with_the_reason() -> None:
    result = run(str(PAGES / "22_page_not_found" / "c_266400.htm"))
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        "Error: not an article: page not found\n",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing/c_1.htm"], "Error: cannot read missing/c_1.htm: No such file or directory\n"),
        ([], "Error: give the article's page files: ehz extract [--url URL] FILE...\n"),
        (
            ["--url", "https://example.com/a.htm", TOWN_FILES[0]],
            "Error: --url is not an article URL of the site: https://example.com/a.htm\n",
        ),
        (
            ["--url", "ftp://x/y", TOWN_FILES[0]],
            "Error: --url: not an absolute http(s) URL: 'ftp://x/y'\n",
        ),
    ],
)
def test_unusable_arguments_exit_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)


def test_a_directory_is_not_a_page(tmp_path: Path) -> None:
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == f"Error: cannot read {tmp_path}: Is a directory\n"


def test_help_names_the_command() -> None:
    result = CliRunner().invoke(main, ["extract", "--help"])
    assert result.exit_code == 0
    assert "Usage: main extract [OPTIONS] FILE..." in result.stdout


def test_extract_of_a_file_that_is_not_html_is_refused():
    """Issue 14: `ehz extract README.md` exited 0 with an empty record."""
    result = CliRunner().invoke(main, ["extract", str(Path(__file__).parent.parent / "README.md")])
    assert (result.exit_code, result.stderr) == (1, "Error: not an article: not HTML\n")
