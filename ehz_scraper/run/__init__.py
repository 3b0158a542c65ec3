"""The life of one crawl: the archive lock, the verdict, the report and the `crawl` command.

Also Scrapy's COMMANDS_MODULE: the `crawl` command in `run/crawl.py` replaces Scrapy's own.
"""
