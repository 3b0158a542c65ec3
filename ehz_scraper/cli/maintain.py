"""Maintenance commands: re-extract stored snapshots, verify the file, import WARCs."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from ehz_scraper.cli import main
from ehz_scraper.cli.archive_db import SQLITE_INT, check_db, db_option
from ehz_scraper.cli.failures import CliStatus
from ehz_scraper.errors import ArchiveError, ArchiveLocked, NotAnArticle
from ehz_scraper.run.exitcodes import ExitStatus
from ehz_scraper.storage.queries import (
    article_state,
    article_targets,
    newest_page_fetch,
    open_readonly,
)

LOCK_POLL_SECONDS = 1.0  # how often `reextract --wait` looks at the lock again
# The extractor, the writer, the lock (a Scrapy extension), warcio and tqdm are imported by
# the commands that use them: `ehz --help` and `ehz search` must not pay for them (issue 14).


def _stored_pages(conn, codec, article_id: int, page_count: int) -> list:
    from ehz_scraper.extraction import Page

    pages = []
    for page in range(1, page_count + 1):
        row = newest_page_fetch(conn, article_id, page, served_only=True)
        if row is None:
            continue  # a page that never arrived (the article is incomplete)
        url, headers, digest = row
        pages.append(Page(url=url, body=codec.read(digest), headers=json.loads(headers)))
    return pages


class Locked(click.ClickException):
    """The archive's lock is held (by a crawl): exit status 75, as for `scrapy crawl`."""

    exit_code = int(ExitStatus.LOCKED)


def _take_lock(db_path: str, wait: bool):
    from ehz_scraper.run.lock import RunLock, lock_path_for  # a Scrapy extension module

    lock = RunLock(lock_path_for(db_path), command="ehz reextract")
    while True:
        try:
            lock.acquire()
            return lock
        except ArchiveLocked as exc:
            if not wait:
                raise Locked(f"{exc} (try again later, or use --wait)") from None
        time.sleep(LOCK_POLL_SECONDS)


@main.command()
@click.option(
    "--id", "ids", type=SQLITE_INT, multiple=True, help="Re-extract this article (repeatable)."
)
@click.option("--all", "all_", is_flag=True, help="Re-extract every article.")
@click.option("--wait", is_flag=True, help="Wait while a crawl holds the archive's lock.")
@db_option
def reextract(ids, all_, wait, db_path):
    """Re-run the current extractor over stored snapshots (no network).

    A new version is written only where the record changed, and only if no crawl stored a
    newer version meanwhile; prints how many changed. Takes the archive's lock: exit status
    75 when a crawl holds it (or, with --wait, waits for it). An article that cannot be
    re-extracted (not an article, an unreadable snapshot, an extractor error) is listed on
    stderr and the rest go on; exit status 3 when any failed.

    Example: ehz reextract --all     |     ehz reextract --id 266285 --id 279700
    """
    if bool(ids) == all_:
        raise click.UsageError("give --id ID (one or more) or --all")
    check_db(db_path)
    lock = _take_lock(db_path, wait)
    try:
        _reextract(ids, all_, db_path)
    finally:
        lock.release()


def _reextract(ids, all_, db_path) -> None:
    from tqdm import tqdm

    from ehz_scraper.extraction import extract_article_result
    from ehz_scraper.extraction.validate import validation_problem
    from ehz_scraper.storage.archive import ArchiveWriter

    try:
        writer = ArchiveWriter(db_path, batch_size=200)
        targets = article_targets(writer.conn, None if all_ else list(ids))
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    conn, codec = writer.conn, writer.codec
    counts = {"changed": 0, "unchanged": 0, "failed": 0, "stale": 0}
    problems = []
    for article_id, _, _ in tqdm(targets, unit=" art", file=sys.stderr, disable=None):
        # Read now, with the pages: the write below happens only if this is still current.
        state = article_state(conn, article_id)
        if state is None:
            counts["stale"] += 1
            continue
        version, page_count, complete = state
        try:
            pages = _stored_pages(conn, codec, article_id, page_count)
            result = extract_article_result(pages, url=pages[0].url if pages else None)
        except NotAnArticle as exc:
            counts["failed"] += 1
            problems.append(f"{article_id}: not an article: {exc}")
            continue
        except ArchiveError as exc:  # a blob that cannot be read: the others still can
            counts["failed"] += 1
            problems.append(f"{article_id}: {exc}")
            continue
        except Exception as exc:  # an extractor bug on one article must not stop the rest
            counts["failed"] += 1
            problems.append(f"{article_id}: extractor error: {type(exc).__name__}: {exc}")
            continue
        problem = validation_problem(result.record, article_id, video_players=result.video_players)
        if problem:
            counts["failed"] += 1
            problems.append(f"{article_id}: {problem}")
            continue
        still_complete = bool(complete) and not result.bad_pages
        outcome = writer.store_reextracted(result.record, still_complete, version)
        counts[outcome.status] += 1
    writer.close()
    for line in problems:
        click.echo(line, err=True)
    stale = f", {counts['stale']} skipped (changed meanwhile)" if counts["stale"] else ""
    click.echo(
        f"re-extracted {len(targets)} articles: {counts['changed']} changed,"
        f" {counts['unchanged']} unchanged, {counts['failed']} failed{stale}"
    )
    if counts["failed"]:
        sys.exit(CliStatus.PARTIAL)


@main.command()
@db_option
def verify(db_path):
    """Check the archive: SQLite integrity, every snapshot's hash, every fetch's blob,
    every article's versions, pages, sections and images. Exit status 1 on any problem.

    A damaged file gets every finding the checks can collect (each check goes on past
    what it cannot read), then exit status 1.

    Example: ehz verify --db archive/ehangzhou.db
    """
    from tqdm import tqdm

    from ehz_scraper.storage.verify import open_damaged, verify_archive

    check_db(db_path)
    opened: list[str] = []
    try:
        conn = open_readonly(db_path)
    except ArchiveError as exc:
        # Not readable as a current archive (its meta table may be what is damaged): check
        # what can be read all the same, and say why it would not open.
        opened.append(str(exc))
        conn = open_damaged(db_path)

    def progress(rows, total):
        return tqdm(rows, total=total, unit=" blob", file=sys.stderr, disable=None)

    report = verify_archive(conn, progress)
    report.problems[:0] = opened
    for line in report.problems:
        click.echo(line)
    if report.problems:
        click.echo(f"{len(report.problems)} problems found", err=True)
        sys.exit(1)
    click.echo(
        f"ok: {report.articles} articles, {report.fetches} fetches,"
        f" {report.snapshots} snapshots checked"
    )


@main.command(name="import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@db_option
def import_warcs(files, db_path):
    """Read WARC files into the archive (created when missing), articles extracted as if crawled.

    Every response and revisit of www.ehangzhou.gov.cn becomes a fetch with its snapshot (its
    WARC file and record id kept); records of other sites are left out. Exit status 1 when a
    revisit names content that none of the files (nor the archive) holds, 75 when a crawl
    holds the archive's lock.

    Example: ehz import ehz-2026.warc.gz heritrix-2019-*.warc.gz --db archive/ehangzhou.db
    """
    from tqdm import tqdm

    from ehz_scraper.run.lock import RunLock, lock_path_for
    from ehz_scraper.warc_import import WarcImporter

    total = sum(path.stat().st_size for path in files)
    try:
        with RunLock(lock_path_for(db_path), command="ehz import"):
            importer = WarcImporter(db_path)
            with tqdm(total=total, unit="B", unit_scale=True, file=sys.stderr, disable=None) as bar:
                report = importer.run(files, progress=bar.update)
    except ArchiveLocked as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(ExitStatus.LOCKED)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(importer.summary())
    for reason, n in sorted(report.skipped.items()):
        click.echo(f"left out: {n} records ({reason})")
    if report.unresolved:
        for line in report.unresolved[:10]:
            click.echo(f"revisit without its content: {line}", err=True)
        click.echo(
            f"{len(report.unresolved)} revisits not imported: their content is in none of"
            " the files given nor in the archive",
            err=True,
        )
        sys.exit(1)
