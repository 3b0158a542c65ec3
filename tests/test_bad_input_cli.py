"""Bad input at the `ehz` command line: a clear one-line message and a non-zero exit, never a
traceback, and never a write to the archive."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ehz_scraper.cli import main

FAST = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def archive(latest_archive) -> Path:
    return latest_archive


def digest(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def assert_clean_failure(result, code: int | None = None) -> None:
    """A handled failure: click's own exit, one line of error, no exception escaping."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code != 0 if code is None else result.exit_code == code
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["search", "tea"],
        ["show", "293116"],
        ["export", "--format", "jsonl"],
        ["stats"],
        ["runs"],
        ["failures"],
        ["verify"],
        ["reextract", "--all"],
    ],
    ids=lambda a: a[0],
)
def test_missing_archive_is_one_line(tmp_path: Path, args: list[str]) -> None:
    missing = tmp_path / "nowhere.db"
    result = invoke(*args, "--db", str(missing))
    assert_clean_failure(result)
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert str(missing) in result.output
    assert not missing.exists()  # asking never creates an empty archive


@pytest.mark.parametrize(
    "args",
    [
        ["search", "tea", "--since", "yesterday"],
        ["search", "tea", "--since", "2025-13-45"],
        ["search", "tea", "--limit", "0"],
        ["search", "tea", "--limit", "-5"],
        ["search", "tea", "--limit", "many"],
        ["show", "not-a-number"],
        ["show", "99999999999999999999999"],
        ["show", "-1"],
        ["show", "293116", "--version", "0"],
        ["show", "293116", "--version", "99"],
        ["show", "293116", "--html", "99"],
        ["show", "293116", "--version", "99999999999999999999999"],
        ["show", "293116", "--html", "99999999999999999999999"],
        ["reextract", "--id", "99999999999999999999999"],
        ["runs", "--limit", "99999999999999999999999"],
        ["show", "12345"],
        ["export", "--format", "pdf"],
        ["export", "--format", "csv", "--since", "2025-02-30"],
        ["runs", "--limit", "0"],
        ["reextract", "--id", "abc"],
        ["nosuchcommand"],
    ],
    ids=lambda a: " ".join(a),
)
def test_bad_arguments(archive: Path, args: list[str]) -> None:
    before = digest(archive)
    result = invoke(*args, "--db", str(archive))
    assert_clean_failure(result)
    assert digest(archive) == before


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "tea AND",
        "*",
        "-tea",
        "NEAR(",
        "title:",
        "'); DROP TABLE articles; --",
        "\x00",
        "\u202e",
    ],
)
def test_search_query_syntax_never_breaks(archive: Path, query: str) -> None:
    result = invoke("search", query, "--db", str(archive))
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code in (0, 1, 2), result.output  # 2: "-tea" is read as an option
    assert "Traceback" not in result.output


@FAST
@given(st.text(max_size=40))
def test_any_search_query(archive: Path, query: str) -> None:
    result = invoke("search", query, "--db", str(archive), "--json")
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        query,
        repr(result.exception),
    )
    assert result.exit_code in (0, 1, 2), (query, result.output)
