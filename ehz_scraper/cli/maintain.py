"""Maintenance commands: re-extract stored snapshots with the current extractor, verify the file."""

from __future__ import annotations

import json
import sys

import click
from tqdm import tqdm

from ehz_scraper.cli import main
from ehz_scraper.cli.archive_db import (
    SQLITE_INT,
    check_db,
    connect_ro,
    db_option,
    newest_page_fetch,
)
from ehz_scraper.errors import ArchiveError, NotAnArticle
from ehz_scraper.extraction import Page, extract_article_result
from ehz_scraper.extraction.validate import validation_problem
from ehz_scraper.storage.archive import ArchiveWriter
from ehz_scraper.storage.snapshots import SnapshotCodec, sha256_hex


def _stored_pages(conn, codec: SnapshotCodec, article_id: int, page_count: int) -> list[Page]:
    pages = []
    for page in range(1, page_count + 1):
        row = newest_page_fetch(conn, article_id, page, served_only=True)
        if row is None:
            continue  # a page that never arrived (the article is incomplete)
        url, headers, digest = row
        pages.append(Page(url=url, body=codec.read(digest), headers=json.loads(headers)))
    return pages


@main.command()
@click.option(
    "--id", "ids", type=SQLITE_INT, multiple=True, help="Re-extract this article (repeatable)."
)
@click.option("--all", "all_", is_flag=True, help="Re-extract every article.")
@db_option
def reextract(ids, all_, db_path):
    """Re-run the current extractor over stored snapshots (no network).

    A new version is written only where the record changed; prints how many changed.

    Example: ehz reextract --all     |     ehz reextract --id 266285 --id 279700
    """
    if bool(ids) == all_:
        raise click.UsageError("give --id ID (one or more) or --all")
    check_db(db_path)
    try:
        writer = ArchiveWriter(db_path, batch_size=200)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    conn, codec = writer.conn, writer.codec
    if all_:
        targets = conn.execute(
            "SELECT article_id, page_count, complete FROM articles ORDER BY article_id"
        ).fetchall()
    else:
        targets = []
        for article_id in ids:
            row = conn.execute(
                "SELECT article_id, page_count, complete FROM articles WHERE article_id = ?",
                [article_id],
            ).fetchone()
            if row is None:
                raise click.ClickException(f"no article {article_id} in the archive")
            targets.append(row)
    counts = {"changed": 0, "unchanged": 0, "failed": 0}
    problems = []
    for article_id, page_count, complete in tqdm(
        targets, unit=" art", file=sys.stderr, disable=None
    ):
        pages = _stored_pages(conn, codec, article_id, page_count)
        try:
            result = extract_article_result(pages, url=pages[0].url if pages else None)
        except NotAnArticle as exc:
            counts["failed"] += 1
            problems.append(f"{article_id}: not an article: {exc}")
            continue
        problem = validation_problem(result.record, article_id)
        if problem:
            counts["failed"] += 1
            problems.append(f"{article_id}: {problem}")
            continue
        still_complete = bool(complete) and not result.bad_pages
        outcome = writer.store_reextracted(result.record, still_complete)
        counts[outcome.status] += 1
    writer.close()
    for line in problems:
        click.echo(line, err=True)
    click.echo(
        f"re-extracted {len(targets)} articles: {counts['changed']} changed,"
        f" {counts['unchanged']} unchanged, {counts['failed']} failed"
    )


@main.command()
@db_option
def verify(db_path):
    """Check the archive: SQLite integrity, every snapshot's hash, every fetch's blob,
    every article's versions, pages, sections and images. Exit status 1 on any problem.

    Example: ehz verify --db archive/ehangzhou.db
    """
    conn = connect_ro(db_path)
    problems: list[str] = []
    for (line,) in conn.execute("PRAGMA integrity_check"):
        if line != "ok":
            problems.append(f"integrity_check: {line}")
    for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
        problems.append(f"{table} row {rowid}: no matching {parent} row")
    codec = SnapshotCodec(conn)
    (n_snapshots,) = conn.execute("SELECT count(*) FROM snapshots").fetchone()
    cur = conn.execute("SELECT hash, size, data, dict_id, compression FROM snapshots")
    for digest, size, data, dict_id, compression in tqdm(
        cur, total=n_snapshots, unit=" blob", file=sys.stderr, disable=None
    ):
        try:
            body = codec.decompress(data, dict_id, compression)
        except ArchiveError as exc:
            problems.append(f"snapshot {digest}: {exc}")
            continue
        if sha256_hex(body) != digest or len(body) != size:
            problems.append(f"snapshot {digest}: content does not match its hash")
    for fetch_id, url in conn.execute(
        "SELECT f.id, f.url FROM fetches f LEFT JOIN snapshots s ON s.hash = f.snapshot_hash"
        " WHERE s.hash IS NULL"
    ):
        problems.append(f"fetch {fetch_id} ({url}): its snapshot is missing")
    problems += _article_problems(conn)
    (n_articles,) = conn.execute("SELECT count(*) FROM articles").fetchone()
    (n_fetches,) = conn.execute("SELECT count(*) FROM fetches").fetchone()
    for line in problems:
        click.echo(line)
    if problems:
        click.echo(f"{len(problems)} problems found", err=True)
        sys.exit(1)
    click.echo(f"ok: {n_articles} articles, {n_fetches} fetches, {n_snapshots} snapshots checked")


def _article_problems(conn) -> list[str]:
    problems = []
    rows = conn.execute(
        "SELECT a.article_id, a.version, a.record_hash, a.page_count, a.complete,"
        " v.record, v.record_hash,"
        " (SELECT count(*) FROM sections s WHERE s.article_id = a.article_id),"
        " (SELECT count(*) FROM images i WHERE i.article_id = a.article_id),"
        " (SELECT count(DISTINCT page) FROM fetches f WHERE f.article_id = a.article_id"
        "   AND f.status IN (200, 304)),"
        " (SELECT count(*) FROM versions w WHERE w.article_id = a.article_id)"
        " FROM articles a LEFT JOIN versions v"
        " ON v.article_id = a.article_id AND v.version = a.version"
    )
    for (
        aid,
        version,
        digest,
        page_count,
        complete,
        record,
        vdigest,
        n_sec,
        n_img,
        n_pages,
        n_ver,
    ) in rows:  # noqa: E501
        if record is None:
            problems.append(f"article {aid}: version {version} is missing")
            continue
        if vdigest != digest:
            problems.append(f"article {aid}: record hash differs from version {version}")
        if n_ver != version:
            problems.append(f"article {aid}: {n_ver} versions stored, expected {version}")
        rec = json.loads(record)
        if n_sec != len(rec.get("sections") or []):
            problems.append(
                f"article {aid}: {n_sec} sections stored, record has {len(rec['sections'])}"
            )
        if n_img != len(rec.get("images") or []):
            problems.append(
                f"article {aid}: {n_img} images stored, record has {len(rec['images'])}"
            )
        if n_pages < (page_count if complete else 1):
            problems.append(f"article {aid}: {n_pages} pages fetched, expected {page_count}")
    return problems
