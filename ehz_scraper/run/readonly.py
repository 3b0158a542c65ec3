"""`scrapy parse` and `scrapy shell` as a look at pages, never a run of the archive.

Scrapy's own commands open the project's pipelines and extensions like a crawl: each look
would add a run row (`failed`, `interrupted`) to the archive and take its lock. Here they
leave both alone; `scrapy parse --pipelines` still stores what it parses, as asked.
"""

from __future__ import annotations

from scrapy.settings import Settings

# The extensions that make a crawl a run of the archive (lock and verdict).
_RUN_EXTENSIONS = ("ehz_scraper.run.lock.RunLockExtension", "ehz_scraper.run.report.RunReport")


def leave_archive_alone(settings: Settings, *, keep_pipelines: bool = False) -> None:
    """No run row, no lock: the pipelines off (unless kept) and the run extensions off."""
    if not keep_pipelines:
        settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    extensions = {**settings.getdict("EXTENSIONS"), **dict.fromkeys(_RUN_EXTENSIONS)}
    settings.set("EXTENSIONS", extensions, priority="cmdline")
