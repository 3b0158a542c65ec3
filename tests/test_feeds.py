"""Scrapy's own conventions: `scrapy crawl latest -o FILE` gets the records the run stored, and
`scrapy parse` works on an article URL with the project's settings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ehz_scraper.extraction.record import Record
from ehz_scraper.run.crawl import crawl_argv
from tests.support.archive_db import article_rows
from tests.support.crawling import FAST, ROOT
from tests.support.site_server import SiteServer


@pytest.fixture(scope="module")
def server():
    with SiteServer() as s:
        yield s


def test_feed_has_one_record_per_stored_article(server, tmp_path):
    """Regression: `-o new.jsonl` wrote only the listing-page items."""
    db, feed = tmp_path / "a.db", tmp_path / "new.jsonl"
    settings = {**FAST, "EHZ_DB": str(db), "LOG_LEVEL": "WARNING"}
    cmd = crawl_argv("latest", settings, f"base_url={server.base_url}", options=["-o", str(feed)])
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    items = [json.loads(line) for line in feed.read_text().splitlines()]
    stored = article_rows(db)
    assert sorted(i["article_id"] for i in items) == sorted(stored)
    assert len(items) == 26
    for item in items:
        assert list(item) == [*Record.__annotations__, "complete", "version", "archive_status"]
        assert (item["complete"], item["version"], item["archive_status"]) == (
            bool(stored[item["article_id"]]["complete"]),
            1,
            "new",
        )
    assert sum(not i["complete"] for i in items) == 1


def test_listing_items_only_when_asked_for(server, tmp_path):
    db, feed = tmp_path / "a.db", tmp_path / "all.jsonl"
    settings = {**FAST, "EHZ_DB": str(db), "LOG_LEVEL": "WARNING", "EHZ_FEED_LISTINGS": "1"}
    cmd = crawl_argv("latest", settings, f"base_url={server.base_url}", options=["-o", str(feed)])
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    items = [json.loads(line) for line in feed.read_text().splitlines()]
    listings = [i for i in items if i.get("item_type") == "listing"]
    assert [(i["section"], i["page"]) for i in listings] == [
        ("Latest", 1),
        ("Latest", 2),
        ("Latest", 3),
    ]
    assert len(items) - len(listings) == 26


def test_scrapy_parse_of_an_article_url(server, tmp_path):
    db = tmp_path / "a.db"
    url = f"{server.base_url}2025-01/19/c_292756_2.htm"
    cmd = [
        sys.executable, "-m", "scrapy", "parse", "--spider", "site", "--nolog",
        "-a", f"base_url={server.base_url}", "-s", f"EHZ_DB={db}", url,
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # Regression: each `scrapy parse` added a failed run row (and took the lock).
    assert not db.exists() and not Path(f"{db}.lock").exists()
    assert "# Scraped Items" in proc.stdout
    assert "'article_id': 292756," in proc.stdout
    assert "'title': 'Yuhang rolls out riverside greenway'," in proc.stdout
    assert "'url': 'https://www.ehangzhou.gov.cn/2025-01/19/c_292756.htm'}]" in proc.stdout


def test_scrapy_shell_uses_the_project_settings(server, tmp_path):
    db = tmp_path / "a.db"
    url = f"{server.base_url}2025-01/19/c_292756.htm"
    code = "print(response.status, response.request.headers['User-Agent'].decode()[:12])"
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "shell",
        url,
        "--nolog",
        "-s",
        f"EHZ_DB={db}",
        "-c",
        code,
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.stdout.splitlines()[:1] == ["200 ehz-scraper/"], proc.stderr[-2000:]
    assert not db.exists()  # a look at a page is not a run of the archive
