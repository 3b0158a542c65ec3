"""The `ehz` command line: extraction, research queries and archive maintenance."""

from __future__ import annotations

import click

from ehz_scraper import __version__
from ehz_scraper.cli.archive_db import group_db_option


@click.group()
@click.version_option(__version__, prog_name="ehz")
@group_db_option
def main(db_path: str) -> None:
    """ehz: the archive of www.ehangzhou.gov.cn.

    The archive is --db PATH, given before or after the command, else $EHZ_DB, else
    archive/ehangzhou.db.

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
