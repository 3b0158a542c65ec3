"""How an article changed and how to cite it: `ehz history`, `ehz diff`, `ehz cite`."""

from __future__ import annotations

import difflib
import re
from typing import Any

import click

from ehz_scraper.cli import main
from ehz_scraper.cli.archive_db import SQLITE_INT, connect_ro, db_option, find_article, print_table
from ehz_scraper.cli.readable import render
from ehz_scraper.site import PUBLISHER, SITE_NAME
from ehz_scraper.storage.queries import article_versions, version_state

# What `ehz history` names as changed, and the record fields each name covers.
CHANGE_PARTS = {
    "title": ("title",),
    "date": ("date", "date_text"),
    "body": ("sections", "body_text"),
    "images": ("images",),
    "pages": ("page_urls", "page_count"),
}


def changed_parts(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The parts (CHANGE_PARTS, then "other") in which record `new` differs from `old`."""
    parts = [
        name
        for name, fields in CHANGE_PARTS.items()
        if any(old.get(f) != new.get(f) for f in fields)
    ]
    covered = {f for fields in CHANGE_PARTS.values() for f in fields}
    if any(old.get(k) != new.get(k) for k in (old.keys() | new.keys()) - covered):
        parts.append("other")
    return parts


@main.command()
@click.argument("article", metavar="ID|URL|c_<id>")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@db_option
def history(article, as_json, db_path):
    """One line per stored version of an article: when first seen, by which run, what changed.

    What changed is named by part: title, date, body, images, pages (or other fields);
    `complete` says whether the version had all its pages.

    Example: ehz history 266285
    """
    conn = connect_ro(db_path)
    article_id = find_article(conn, article)
    rows, previous = [], None
    for v in article_versions(conn, article_id):
        if previous is None:
            changes = "first archived"
        else:
            changes = ", ".join(changed_parts(previous, v["record"])) or "nothing in the record"
        rows.append(
            {
                "version": v["version"],
                "first_seen": v["first_seen"],
                "run": v["run_id"] if v["run_id"] is not None else "reextract",
                "complete": "yes" if v["complete"] else "no",
                "changed": changes,
            }
        )
        previous = v["record"]
    print_table(rows, ("version", "first_seen", "run", "complete", "changed"), as_json, "")


_WORDS = re.compile(r"\S+|\s+")


def word_diff(old: str, new: str) -> str:
    """The changed lines of `new` against `old`, words removed as [-...-] and added as {+...+}.

    Like `git diff --word-diff=plain`: one `@@ -a,b +c,d @@` hunk per run of changed lines.
    """
    old_lines, new_lines = old.splitlines(), new.splitlines()
    out = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        out.append(f"@@ -{i1 + 1},{i2 - i1} +{j1 + 1},{j2 - j1} @@")
        a = _WORDS.findall("\n".join(old_lines[i1:i2]))
        b = _WORDS.findall("\n".join(new_lines[j1:j2]))
        text = []
        words = difflib.SequenceMatcher(None, a, b, autojunk=False)
        for wtag, a1, a2, b1, b2 in words.get_opcodes():
            if wtag == "equal":
                text.append("".join(a[a1:a2]))
                continue
            if a2 > a1:
                text.append("[-" + "".join(a[a1:a2]) + "-]")
            if b2 > b1:
                text.append("{+" + "".join(b[b1:b2]) + "+}")
        out.append("".join(text))
    return "\n".join(out) + ("\n" if out else "")


@main.command()
@click.argument("article", metavar="ID|URL|c_<id>")
@click.argument("v1", type=SQLITE_INT, required=False)
@click.argument("v2", type=SQLITE_INT, required=False)
@click.option("--word", is_flag=True, help="Mark changed words, not whole lines.")
@db_option
def diff(article, v1, v2, word, db_path):
    """A unified diff of the readable text of two versions of an article.

    Default: the last two versions; with V1 alone, V1 against the current version. Exit
    status 0 whether or not they differ; 1 when a version does not exist (or there is one).

    Example: ehz diff 266285     |     ehz diff 266285 1 3 --word
    """
    conn = connect_ro(db_path)
    article_id = find_article(conn, article)
    versions = {v["version"]: v for v in article_versions(conn, article_id)}
    newest = max(versions)
    if v1 is None:
        if newest < 2:
            raise click.ClickException(f"article {article_id} has only one version")
        v1, v2 = newest - 1, newest
    elif v2 is None:
        v2 = newest
    for v in (v1, v2):
        if v not in versions:
            raise click.ClickException(
                f"no version {v} of article {article_id} (it has 1 to {newest})"
            )
    old, new = (render(versions[v]["record"]) for v in (v1, v2))
    if word:
        click.echo(word_diff(old, new), nl=False)
        return
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"{article_id} version {v1} ({versions[v1]['first_seen']})",
        tofile=f"{article_id} version {v2} ({versions[v2]['first_seen']})",
    )
    click.echo("".join(lines), nl=False)


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", text).replace("~", r"\~{}").replace("^", r"\^{}")


def citation(record: dict[str, Any], state: dict[str, Any], style: str) -> str:
    """A citation of the archived article: title, publisher, date, URL, archived on, version."""
    from ehz_scraper.storage.published import published  # w3lib, via site.urls

    article_id = record["article_id"]
    published_date = published(record.get("date"), record.get("url"))[0]
    date = published_date or "n.d."
    archived = (state["version_first_seen"] or "")[:10]
    title = record.get("title") or "(no title)"
    if style == "bibtex":
        fields = [
            ("title", title),
            ("author", record.get("byline")),
            ("organization", f"{SITE_NAME} ({PUBLISHER})"),
            ("publisher", PUBLISHER),
            ("date", published_date),
            ("year", (published_date or "")[:4] or None),
            ("url", record.get("url")),
            ("urldate", archived),
            (
                "note",
                f"Archived on {archived} by ehz: article {article_id},"
                f" archive version {state['version']}",
            ),
        ]
        body = ",\n".join(
            f"  {k} = {{{v if k == 'url' else _bibtex_escape(str(v))}}}" for k, v in fields if v
        )
        return f"@online{{ehz{article_id}v{state['version']},\n{body}\n}}\n"
    byline = f"{record['byline']}. " if record.get("byline") else ""
    return (
        f'{byline}"{title}." {SITE_NAME}, {PUBLISHER}, {date}. {record.get("url")}.'
        f" Archived on {archived} (ehz archive, article {article_id},"
        f" version {state['version']}).\n"
    )


@main.command()
@click.argument("article", metavar="ID|URL|c_<id>")
@click.option("--style", type=click.Choice(["text", "bibtex"]), default="text", show_default=True)
@click.option("--version", type=SQLITE_INT, help="Cite this version (default: the current).")
@db_option
def cite(article, style, version, db_path):
    """A citation of an archived article: title, publisher, date, URL, archived-on date, version.

    The archived-on date is when the cited version was first fetched.

    Example: ehz cite 266285 --style bibtex >> refs.bib
    """
    from ehz_scraper.storage.queries import article_record

    conn = connect_ro(db_path)
    article_id = find_article(conn, article)
    state = version_state(conn, article_id, version)
    if state is None:
        raise click.ClickException(f"no version {version} of article {article_id} in the archive")
    record = article_record(conn, article_id, state["version"])
    click.echo(citation(record, state, style), nl=False)
