"""The `ehz` command line: extraction, research queries and archive maintenance."""

from __future__ import annotations

import click

from ehz_scraper import __version__
from ehz_scraper.cli.archive_db import group_db_option
from ehz_scraper.cli.failures import EhzGroup


@click.group(cls=EhzGroup)
@click.version_option(__version__, prog_name="ehz")
@click.option(
    "--debug", is_flag=True, help="On an error, print the full traceback before the one line."
)
@group_db_option
def main(debug: bool, db_path: str) -> None:
    """ehz: the archive of www.ehangzhou.gov.cn.

    The archive is --db PATH, given before or after the command, else $EHZ_DB, else
    archive/ehangzhou.db. An error is one line on stderr and an exit status: 0 ok, 1 failed,
    2 bad arguments, 3 some articles failed (reextract), 70 a bug, 73 cannot create the
    output, 74 cannot write it (disk full), 75 archive locked or busy, 130 Ctrl-C, 141 broken
    pipe, 143 SIGTERM (docs/cli.md).

    Example: ehz --db archive/demo.db search tea
    """


# Command modules register themselves on `main` when imported.
from ehz_scraper.cli import (  # noqa: E402
    extract,  # noqa: F401
    maintain,  # noqa: F401
    research,  # noqa: F401
    serve,  # noqa: F401
    versions,  # noqa: F401
)
