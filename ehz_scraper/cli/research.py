"""Research commands over the archive: search, show, export, stats, runs, failures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ehz_scraper import settings as ehz_settings
from ehz_scraper.cli import main
from ehz_scraper.cli.archive_db import (
    SQLITE_INT,
    connect_ro,
    date_options,
    db_option,
    find_article,
    human_bytes,
    iso_time,
    json_option,
    print_table,
    utf8_text,
)
from ehz_scraper.cli.output import atomic_path, is_stdout, output_stream
from ehz_scraper.errors import ArchiveError
from ehz_scraper.items import in_record_order
from ehz_scraper.storage import search as search_limits
from ehz_scraper.storage.queries import (
    archive_stats,
    article_image,
    article_record,
    list_failures,
    list_runs,
    version_page_fetch,
    version_state,
)
from ehz_scraper.storage.search import SEARCH_FIELDS, count_matches
from ehz_scraper.storage.search import search as run_search

SEARCH_CSV_FIELDS = ("article_id", "date", "section", "title", "url", "rank", "snippet")


@main.command()
@click.argument("query", callback=utf8_text)
@date_options
@click.option(
    "--section", callback=utf8_text, help="Only articles filed under this section (e.g. Business)."
)
@click.option(
    "--in",
    "field",
    type=click.Choice(list(SEARCH_FIELDS)),
    default="all",
    show_default=True,
    help="Search only titles, bodies or image captions.",
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--timeout",
    default=search_limits.TIMEOUT_SECONDS,
    show_default=True,
    type=click.FloatRange(0, 3600),
    metavar="SECONDS",
    help="Stop a query running longer than this (0: no limit).",
)
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
@db_option
def search(query, since, until, section, field, limit, timeout, as_json, as_csv, db_path):
    """Full-text search of titles, bodies and image captions, best matches first (bm25).

    QUERY is SQLite FTS5 syntax: words, "a phrase", AND / OR / NOT, prefix*; at most
    1000 characters and 50 terms. The table gives each article's id, date, section, title,
    URL and a snippet, then the total count. Exit status 2 for a bad query, 1 when it ran
    past --timeout ("query stopped after 5 s: narrow it").

    Example: ehz search '"West Lake" AND tea' --since 2021-01-01 --limit 5
    """
    if as_json and as_csv:
        raise click.UsageError("give --json or --csv, not both")
    conn = connect_ro(db_path)
    filters = {"since": since, "until": until, "section": section, "field": field}
    hits = run_search(conn, query, limit=limit, timeout=timeout, **filters)
    if as_json:
        click.echo(json.dumps([h.__dict__ for h in hits], ensure_ascii=False, indent=2))
        return
    if as_csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(SEARCH_CSV_FIELDS)
        writer.writerows([getattr(h, f) for f in SEARCH_CSV_FIELDS] for h in hits)
        return
    if not hits:
        click.echo("no matches")
        return
    total = count_matches(conn, query, timeout=timeout, **filters)
    for hit in hits:
        click.echo(f"{hit.article_id}  {hit.date or '-'}  {hit.section or '-'}  {hit.title}")
        click.echo(f"    {hit.url}")
        click.echo(f"    {hit.snippet}")
    noun = "match" if total == 1 else "matches"
    shown = f", the best {len(hits)} shown (--limit)" if total > len(hits) else ""
    click.echo(f"{total} {noun}{shown}")


def _show_json(record: dict, state: dict) -> dict:
    from ehz_scraper.storage.published import published  # w3lib, via site.urls

    shown = in_record_order(record)
    published_date, published_at = published(record.get("date"), record.get("url"))
    shown.update(
        published_date=published_date,
        published_at=published_at,
        complete=state["complete"],
        version=state["version"],
        first_seen=state["first_seen"],
        last_seen=state["last_seen"],
        version_first_seen=state["version_first_seen"],
    )
    return shown


@main.command()
@click.argument("article", metavar="ID|URL|c_<id>")
@click.option(
    "--version", "version", type=SQLITE_INT, help="Show this version (default: the current)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text", "markdown"]),
    default="json",
    show_default=True,
    help="The record as JSON, or the article to read as text or Markdown.",
)
@click.option(
    "--html",
    "page",
    type=SQLITE_INT,
    help="Write the stored raw bytes of page PAGE (of --version) byte-exact to stdout.",
)
@click.option(
    "--image",
    "image",
    type=SQLITE_INT,
    help="Write the stored bytes of the article's image K (1-based, as in the record).",
)
@db_option
def show(article, version, fmt, page, image, db_path):
    """Print an article: its record as JSON, readable text or Markdown, or a page's raw HTML.

    ARTICLE is the article id, c_<id>, or the URL of any of its pages. JSON is the record
    in its field order plus published_date, published_at, complete, version, first_seen,
    last_seen and version_first_seen; text and Markdown give title, date, source, section,
    URL, complete, version, fetch dates, the body with its headings and the image captions.

    Example: ehz show 266285 --format text     |     ehz show 266285 --html 2 --version 1
      ehz show 266285 --image 1 > a.jpg
    """
    conn = connect_ro(db_path)
    if page is not None and image is not None:
        raise click.UsageError("give --html PAGE or --image K, not both")
    article_id = find_article(conn, article)
    state = version_state(conn, article_id, version)
    if state is None:
        raise click.ClickException(f"no version {version} of article {article_id} in the archive")
    digest = None
    if page is not None:
        row = version_page_fetch(conn, article_id, page, state["version"])
        if row is None:
            raise click.ClickException(
                f"no stored page {page} of version {state['version']} of article {article_id}"
            )
        digest = row[2]
    elif image is not None:
        found = article_image(conn, article_id, image)
        if found is None:
            raise click.ClickException(f"article {article_id} has no image {image}")
        if found[1] is None:
            raise click.ClickException(
                f"image {image} of article {article_id} was never fetched: {found[0]}"
            )
        digest = found[1]
    if digest is not None:
        from ehz_scraper.storage.snapshots import SnapshotCodec

        try:
            body = SnapshotCodec(conn).read(digest)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from None
        sys.stdout.flush()
        with output_stream(None, binary=True) as out:
            out.write(body)
        return
    record = article_record(conn, article_id, state["version"])
    if fmt == "json":
        click.echo(json.dumps(_show_json(record, state), ensure_ascii=False, indent=2))
        return
    from ehz_scraper.cli.readable import render

    click.echo(render(record, state, markdown=fmt == "markdown"), nl=False)


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "warc", "wacz"]),
    default="jsonl",
    show_default=True,
)
@date_options
@click.option("--section", callback=utf8_text, help="jsonl/csv: only articles of this section.")
@click.option(
    "--all-versions",
    is_flag=True,
    help="jsonl/csv: every version of each article, not only the current.",
)
@click.option(
    "--excel", is_flag=True, help="csv: for Excel, a UTF-8 byte order mark and CRLF lines."
)
@click.option(
    "--captured-since",
    callback=iso_time,
    metavar="TIME",
    help="warc/wacz: only fetches made at or after TIME (2026-11-26 or 2026-11-26T07:00:00Z).",
)
@click.option("--run", "run_id", type=SQLITE_INT, help="warc/wacz: only the fetches of run RUN.")
@click.option(
    "--cdxj",
    type=click.Path(dir_okay=False),
    help="warc: also write a CDXJ index of FILE for pywb, where a 304 shows its content.",
)
@click.option(
    "--operator",
    default=ehz_settings.EHZ_OPERATOR,
    show_default=True,
    help="warc/wacz: who made the archive, for the warcinfo record.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write here (- or none: stdout)."
)
@click.option("--raw", is_flag=True, help="CSV: write formula-like cells as they are.")
@db_option
def export(
    fmt,
    since,
    until,
    section,
    all_versions,
    excel,
    captured_since,
    run_id,
    cdxj,
    operator,
    output,
    raw,
    db_path,
):
    """Export records (jsonl: full records; csv: flat fields), or every fetch as WARC 1.1
    or as WACZ (WARC, CDXJ index, pages.jsonl, datapackage.json) that pywb replays.

    JSONL and CSV carry published_date, published_at, complete, version, first_seen and
    last_seen with each record (--all-versions: every version, --section: one section).

    WARC: warcinfo first; per fetch a request and a response (the URL's first copy of a body) or
    a revisit (an unchanged re-fetch; a 304 as server-not-modified); a metadata record naming
    the URL fetched from a mirror. Gzipped when FILE ends in .gz. --since/--until filter by
    article date, --captured-since/--run by capture.

    A FILE is written under a temporary name beside it and renamed into place when complete:
    an interrupted export leaves the previous FILE (or none), never a truncated one.

    CSV: a cell starting with = + - @ or a tab or carriage return (a spreadsheet would run it
    as a formula) is written with a leading ' ; --raw writes it as stored.

    Example: ehz export --format csv --excel --section Business -o business.csv
      ehz export --format wacz --captured-since 2026-11-01 -o ehz.wacz
    """
    # warcio, tqdm and the writers load here, not for `ehz --help` (start-up).
    from tqdm import tqdm

    from ehz_scraper.storage import export as exports
    from ehz_scraper.storage import wacz, warc

    conn = connect_ro(db_path)
    output = None if is_stdout(output) else output
    web = fmt in ("warc", "wacz")
    if not web and (captured_since or run_id is not None):
        raise click.UsageError("--captured-since and --run are for --format warc or wacz")
    if web and (section or all_versions):
        raise click.UsageError("--section and --all-versions are for --format jsonl or csv")
    if excel and fmt != "csv":
        raise click.UsageError("--excel is for --format csv")
    if cdxj and (fmt != "warc" or not output):
        raise click.UsageError("--cdxj needs --format warc and -o FILE (it indexes FILE)")
    if fmt == "wacz" and not output:
        raise click.UsageError("--format wacz needs -o FILE.wacz")
    flt = warc.WarcFilter(since, until, captured_since, run_id)
    info = warc.WarcInfo(
        operator=operator,
        user_agent=ehz_settings.USER_AGENT,
        robots="obey" if ehz_settings.ROBOTSTXT_OBEY else "ignore",
        filename=Path(output).name if output else None,
    )
    if web:
        total = warc.count_fetches(conn, flt)
    else:
        total = exports.count_articles(conn, since, until, section, all_versions)
    unit = " fetch" if web else " rec"
    chosen = {"section": section, "all_versions": all_versions}
    with tqdm(total=total, unit=unit, file=sys.stderr, disable=None) as bar:
        if fmt == "wacz":
            with atomic_path(output) as part:
                done = wacz.write_wacz(conn, part, flt, info, progress=bar)
            click.echo(
                f"exported {done.records} WARC records ({done.index_lines} captures,"
                f" {done.pages} pages) as wacz to {output}",
                err=True,
            )
            return
        with output_stream(output, binary=web) as out:
            if fmt == "jsonl":
                n = exports.write_jsonl(conn, out, since, until, bar, **chosen)
            elif fmt == "csv":
                n = exports.write_csv(conn, out, since, until, bar, raw=raw, excel=excel, **chosen)
            else:
                gz = bool(output and output.endswith(".gz"))
                result = warc.write_warc(conn, out, flt, info, gzip=gz, progress=bar)
                n = result.records
        if cdxj:
            assert output is not None
            with output_stream(cdxj, binary=False) as index:
                index.write("".join(wacz.cdxj_lines(result, Path(output).name)))
    what = "WARC records" if web else "versions" if all_versions else "articles"
    click.echo(f"exported {n} {what} as {fmt} to {output or 'stdout'}", err=True)


@main.command()
@json_option
@db_option
def stats(as_json, db_path):
    """Articles by year, month and section, images, snapshot sizes, last runs, open failures.

    Example: ehz stats --db archive/ehangzhou.db
    """
    conn = connect_ro(db_path)
    data = archive_stats(conn)
    articles, incomplete = data["articles"], data["incomplete"]
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    raw, stored = data["snapshot_bytes_raw"], data["snapshot_bytes_stored"]
    share = f" ({stored / raw:.1%})" if raw else ""
    click.echo(f"articles: {articles} ({incomplete} incomplete), versions: {data['versions']}")
    click.echo(f"images: {data['images']}")
    click.echo(f"fetches: {data['fetches']}, snapshots: {data['snapshots']}")
    click.echo(f"snapshots: {human_bytes(raw)} raw, {human_bytes(stored)} stored{share}")
    click.echo(f"open failures: {data['open_failures']}")
    click.echo("by year:")
    for row in data["by_year"]:
        click.echo(f"  {row['year'] or '-'}  {row['articles']}")
    click.echo("by month:")
    for row in data["by_month"]:
        click.echo(f"  {row['month'] or '-'}  {row['articles']}")
    click.echo("by section:")
    for row in data["by_section"]:
        click.echo(f"  {row['section'] or '-'}  {row['articles']}")
    click.echo("last runs:")
    for row in data["last_runs"]:
        click.echo(
            f"  {row['id']}  {row['spider']}  {row['status']}  {row['started']}"
            f"  new {row['new']}, changed {row['changed']}, failed {row['failed']}"
        )


RUN_COLUMNS = (
    "id",
    "spider",
    "status",
    "started",
    "finished",
    "listing_pages",
    "new",
    "changed",
    "unchanged",
    "incomplete",
    "failed",
    "fallback",
)


@main.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 2**63 - 1))
@json_option
@db_option
def runs(limit, as_json, db_path):
    """The crawl runs, newest first, with their status and counts.

    Example: ehz runs --limit 5 --json
    """
    conn = connect_ro(db_path)
    rows = list_runs(conn, limit)
    print_table(rows, RUN_COLUMNS, as_json, "no runs")


@main.command()
@click.option("--all", "show_all", is_flag=True, help="Include resolved failures.")
@json_option
@db_option
def failures(show_all, as_json, db_path):
    """URLs that failed (fetch, extract, validate, store), why, and when each is next due.

    A failed URL is retried by the crawls only once due: 1 hour after the first failure,
    then 6 hours, 1 day, then weekly. A later success resolves it.

    Example: ehz failures --json
    """
    conn = connect_ro(db_path)
    rows = list_failures(conn, include_resolved=show_all)
    columns = ("url", "stage", "reason", "attempts", "last_failed", "next_due")
    print_table(rows, columns, as_json, "no open failures" if not show_all else "no failures")
