"""The `ehz` command line: extraction, research queries and archive maintenance."""

from __future__ import annotations

import click

from ehz_scraper import __version__


@click.group()
@click.version_option(__version__, prog_name="ehz")
def main() -> None:
    """ehz: the archive of www.ehangzhou.gov.cn.

    Every command that reads the archive takes --db PATH (default archive/ehangzhou.db).
    """


# Command modules register themselves on `main` when imported.
from ehz_scraper.cli import (  # noqa: E402
    extract,  # noqa: F401
    maintain,  # noqa: F401
    research,  # noqa: F401
    serve,  # noqa: F401
)
