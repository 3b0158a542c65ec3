"""`ehz serve`: the archive in Datasette, with ehz's metadata, ranked search and dashboard."""

from __future__ import annotations

import errno
import json
import socket
from pathlib import Path

import click

from ehz_scraper.cli import main
from ehz_scraper.cli.archive_db import connect_ro, db_option

INSTALL_HINT = "ehz serve needs Datasette: pip install -e '.[serve]'"


@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port."
)
@click.option(
    "--print-metadata",
    is_flag=True,
    help="Print the Datasette metadata for this file as JSON and exit "
    "(for `datasette FILE -m`, without ehz's search, snippet and facet hooks).",
)
def serve(db_path: str, host: str, port: int, print_metadata: bool) -> None:
    """Browse the archive in Datasette (read-only), with search, facets and charts.

    The table and column descriptions and the canned queries apply whatever the file is
    called; the articles search box takes FTS5 syntax and lists the best matches first;
    the dashboard is at /-/dashboards/archive. Ctrl-C stops the server.

    Example: ehz serve --db archive/demo.db --port 8001
    """
    connect_ro(db_path).close()  # one clear line when it is not an archive
    try:
        # Imported here: `ehz --help` and the other commands need no Datasette (nor PyYAML).
        import datasette_dashboards  # noqa: F401  (the dashboard page)
        import uvicorn

        from ehz_scraper.storage.web import database_name, metadata_for
        from ehz_scraper.storage.web.app import make_datasette
    except ImportError:
        raise click.ClickException(INSTALL_HINT) from None
    if print_metadata:
        click.echo(json.dumps(metadata_for(database_name(db_path)), ensure_ascii=False, indent=2))
        return
    _check_port(host, port)
    db = Path(db_path).resolve()
    ds = make_datasette(db)
    base, urls = f"http://{host}:{port}", ds.urls
    name = database_name(db)
    click.echo(f"Serving {db} (read-only) at {base}{urls.database(name)}")
    click.echo(f"  articles:  {base}{urls.table(name, 'articles')}")
    click.echo(f"  search:    {base}{urls.table(name, 'search')}?q=hangzhou")
    click.echo(f"  dashboard: {base}{urls.path('-/dashboards/archive')}")
    click.echo("Ctrl-C stops the server.")
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")


def _check_port(host: str, port: int) -> None:
    """A one-line error when the address is taken or not ours, before Datasette starts."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        why = "is in use (try --port)" if exc.errno == errno.EADDRINUSE else f"failed: {exc}"
        raise click.ClickException(f"listening on {host}:{port} {why}") from None
