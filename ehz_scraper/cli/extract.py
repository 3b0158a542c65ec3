"""`ehz extract`: the record of one article from its saved pages, as JSON on stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from ehz_scraper.cli import main
from ehz_scraper.errors import BadURL, NotAnArticle
from ehz_scraper.extraction import Page, extract_article
from ehz_scraper.site.urls import (
    article_id_from_filename,
    article_page_url,
    article_url_from_filename,
    canonicalize_url,
    parse_article_url,
)


class UsageProblem(click.ClickException):
    """Unusable arguments: one line on stderr, exit status 2 (as for click's own usage errors)."""

    exit_code = 2


def page1_url_from_arg(url: str) -> str:
    """The canonical page-1 URL of a --url value; UsageProblem when it is not an article URL."""
    try:
        ref = parse_article_url(canonicalize_url(url))
    except BadURL as exc:
        raise UsageProblem(f"--url: {exc}") from None
    if ref is None:
        raise UsageProblem(f"--url is not an article URL of the site: {url}")
    return ref.page1_url


def load_pages(paths: Sequence[str], url: str | None = None) -> tuple[list[Page], dict]:
    """The pages stored in `paths` (in order) and the extract_article keyword arguments for them.

    With `url` (page 1's URL), page k is `article_page_url(url, k)`. Without it the page's own
    canonical link is preferred by the extractor, then a `YYYY-MM/DD/c_<id>.htm` file path.
    """
    pages: list[Page] = []
    for path in paths:
        try:
            body = Path(path).read_bytes()
        except OSError as exc:
            raise UsageProblem(f"cannot read {path}: {exc.strerror or exc}") from None
        pages.append(Page(url=None, body=body))
    if url is not None:
        page1 = page1_url_from_arg(url)
        pages = [Page(article_page_url(page1, k), p.body) for k, p in enumerate(pages, start=1)]
        return pages, {"url": page1}
    hint = article_url_from_filename(paths[0]) if paths else None
    ids = article_id_from_filename(paths[0]) if paths else None
    return pages, {"url_hint": hint, "article_id_hint": ids[0] if ids else None}


@main.command("extract")
@click.option("--url", metavar="URL_OF_PAGE_1", help="URL of the article's page 1.")
@click.argument("files", nargs=-1, metavar="FILE...")
def extract_command(url: str | None, files: tuple[str, ...]) -> None:
    """Print the record of one article, whose pages are FILE... in order, as JSON.

    Without --url the URL is the page's canonical link, else a file path ending in
    YYYY-MM/DD/c_<id>.htm gives it; else it is null.

    Exit status: 0 record printed; 1 the first page is not an article (reason on stderr);
    2 unusable arguments (a file that cannot be read, a --url that is not an article URL).

    \b
    Example: ehz extract 2021-05/12/c_266285.htm 2021-05/12/c_266285_2.htm > record.json
      ehz extract --url https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm page1.htm
    """
    if not files:
        raise UsageProblem("give the article's page files: ehz extract [--url URL] FILE...")
    pages, kwargs = load_pages(files, url)
    try:
        record = extract_article(pages, **kwargs)
    except NotAnArticle as exc:
        raise click.ClickException(f"not an article: {exc}") from None
    # UTF-8 bytes whatever the locale says: the record is not ASCII-escaped.
    out = sys.stdout.buffer
    out.write(json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
    out.flush()
