"""What every archive command shares: the --db option, opening the file, printing tables."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from ehz_scraper.cli.failures import DB_KEY
from ehz_scraper.errors import ArchiveError
from ehz_scraper.settings import EHZ_DB as DEFAULT_DB  # the one default
from ehz_scraper.storage.queries import (
    DamagedArchive,
    NoArchive,
    NoSuchArticle,
    open_readonly,
    resolve_article,
)


def _remember_db(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    # The error path names the archive in its messages ("the archive X is damaged ...").
    ctx.meta[DB_KEY] = value
    return value


DB_ENVVAR = "EHZ_DB"

# `ehz --db X cmd` and `ehz cmd --db X` both work (sqlite-utils and Datasette users type
# either); the subcommand's wins, then the group's, then $EHZ_DB, then the default.
group_db_option = click.option(
    "--db",
    "db_path",
    default=DEFAULT_DB,
    show_default=True,
    envvar=DB_ENVVAR,
    show_envvar=True,
    type=click.Path(dir_okay=False),
    callback=_remember_db,
    is_eager=True,
    help="The archive file.",
)


def _db_from_group(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    if value is None:
        value = ctx.find_root().params.get("db_path") or DEFAULT_DB
    return _remember_db(ctx, param, value)


db_option = click.option(
    "--db",
    "db_path",
    default=None,
    callback=_db_from_group,
    is_eager=True,
    type=click.Path(dir_okay=False),
    help=f"The archive file (default: ehz --db, else ${DB_ENVVAR}, else {DEFAULT_DB}).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
# Ids and numbers that reach SQLite: a bigger one would be an OverflowError traceback.
SQLITE_INT = click.IntRange(0, 2**63 - 1)


def check_db(path: str) -> Path:
    """The archive path, or a one-line error when there is no archive there."""
    db = Path(path)
    if not db.is_file():
        raise click.ClickException(str(NoArchive.at(path)))
    return db


def connect_ro(path: str) -> sqlite3.Connection:
    """A read-only connection to an existing, current archive, or a one-line error."""
    try:
        return open_readonly(path)
    except DamagedArchive as exc:
        raise click.ClickException(f"{exc} (`ehz verify` lists what it can)") from None
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None


def print_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], as_json: bool, empty: str
) -> None:
    """Rows as aligned columns (or a JSON list); `empty` is printed when there are none."""
    if as_json:
        click.echo(json.dumps(list(rows), ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(empty)
        return
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for r in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def utf8_text(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A text argument as given, or a usage error when it holds bytes that are not UTF-8.

    The archive's text is UTF-8: an argument the locale could not decode (its bytes kept as
    surrogate escapes, e.g. `$'\\xff'`) can match nothing, and SQLite cannot even take it.
    """
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise click.BadParameter(f"'{shown}' is not valid UTF-8 text") from None
    return value


def iso_date(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A YYYY-MM-DD option value, or a usage error naming the option."""
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2021-05-12") from None


def iso_time(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A YYYY-MM-DD or ISO 8601 time option value as UTC ISO 8601 with a Z."""
    if value is None:
        return None
    from ehz_scraper.storage.timeutil import normalize_ts

    try:
        return normalize_ts(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time like 2026-11-26T07:00:00Z") from None


date_options: Callable = lambda f: click.option(  # noqa: E731
    "--since", callback=iso_date, metavar="DATE", help="Only articles dated on or after DATE."
)(click.option("--until", callback=iso_date, metavar="DATE", help="Only up to DATE.")(f))


def find_article(conn: sqlite3.Connection, ref: str) -> int:
    """The article id `ref` (id, c_<id> or page URL) names, or a one-line error."""
    try:
        return resolve_article(conn, ref)
    except NoSuchArticle as exc:
        raise click.ClickException(str(exc)) from None


def human_bytes(size: int) -> str:
    """A byte count as people read it: 512 B, 14.2 kB, 3.1 MB (powers of 1000, as `du --si`)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")
