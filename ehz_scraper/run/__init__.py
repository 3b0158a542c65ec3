"""The life of one crawl: the archive lock, the verdict, the report, the record feed, and the
project's Scrapy commands.

Also Scrapy's COMMANDS_MODULE: `run/crawl.py` (exit statuses, `-q`), `run/parse.py` and
`run/shell.py` (which leave the archive alone) replace Scrapy's own commands.
"""
