"""`scrapy parse`: Scrapy's, leaving the archive alone (see run/readonly.py)."""

from __future__ import annotations

import argparse

from scrapy.commands.parse import Command as ScrapyParse

from ehz_scraper.run.readonly import leave_archive_alone


class Command(ScrapyParse):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        leave_archive_alone(self.settings, keep_pipelines=opts.pipelines)
