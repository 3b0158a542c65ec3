"""Run the real `scrapy crawl` in a subprocess against a loopback server; read what it did."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ehz_scraper.run.crawl import crawl_argv

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((ROOT / "tests/fixtures/site/manifest.json").read_text(encoding="utf-8"))

# Fast and deterministic for a loopback server; every other setting is the project's own.
# Images are off here: the navigation tests count the page requests exactly; the fidelity
# tests (tests/test_fidelity_*.py) crawl with them on, as the default is.
FAST = {
    "EHZ_IMAGES": "False",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "RETRY_BACKOFF_BASE": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "INFO",
}


@dataclass
class CrawlResult:
    """What one `scrapy crawl` did: exit status, output, items and requests it logged."""

    returncode: int
    stdout: str
    stderr: str
    entries: list[dict[str, Any]] = field(default_factory=list)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["type"] == kind]

    @property
    def articles(self) -> dict[int, dict[str, Any]]:
        return {e["article_id"]: e for e in self.of_type("article")}

    @property
    def listings(self) -> list[dict[str, Any]]:
        return self.of_type("listing")

    @property
    def requested(self) -> list[str]:
        return [e["url"] for e in self.of_type("request")]

    @property
    def stats(self) -> dict[str, Any]:
        found = self.of_type("stats")
        return found[0]["stats"] if found else {}


def crawl(
    spider: str,
    base_url: str,
    db: Path,
    *args: str,
    settings: dict[str, str] | None = None,
    timeout: float = 120,
) -> CrawlResult:
    """`scrapy crawl SPIDER -a base_url=... -a ARG...` into archive `db`, with the item log on."""
    log = db.with_suffix(f".{spider}.{len(list(db.parent.glob('*.jsonl')))}.jsonl")
    merged = {
        **FAST,
        "EHZ_DB": str(db),
        "EXTENSIONS": json.dumps({"tests.support.item_log.ItemLog": 0}),
        "EHZ_ITEM_LOG": str(log),
        **(settings or {}),
    }
    cmd = crawl_argv(spider, merged, f"base_url={base_url}", *args)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    entries = []
    if log.exists():
        entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return CrawlResult(proc.returncode, proc.stdout, proc.stderr, entries)


def section_ids(name: str) -> set[int]:
    """Article ids (including non-articles) the fixture site lists in section `name`."""
    return set(MANIFEST["sections"][name]["article_ids"])


def article(article_id: int) -> dict[str, Any]:
    return MANIFEST["articles"][str(article_id)]


def page_paths(article_id: int) -> list[str]:
    """Server paths of every page of an article that the site serves."""
    return ["/" + u.split("/", 3)[3] for u in article(article_id)["page_urls"]]
