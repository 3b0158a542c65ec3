"""A Scrapy stats collector that also writes the final stats to a JSON file (for the bench)."""

from __future__ import annotations

import json
from pathlib import Path

from scrapy.statscollectors import MemoryStatsCollector


class JsonFileStatsCollector(MemoryStatsCollector):
    """Keeps stats in memory like Scrapy's default, and dumps them to `BENCH_STATS_FILE` on close.

    Used with `-s STATS_CLASS=bench.scrapystats.JsonFileStatsCollector` so the bench reads the
    exact request and response counts of a crawl it did not write (the `site` spider).
    """

    # Scrapy changed this hook's signature (spider argument dropped in 2.13); accept both.
    def _persist_stats(self, stats, *args) -> None:
        super()._persist_stats(stats, *args)
        target = self._crawler.settings.get("BENCH_STATS_FILE")
        if target:
            Path(target).write_text(json.dumps(stats, default=str, sort_keys=True))
