"""Fixtures shared by the whole suite: the loopback copy of the site and a crawled archive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crawling import crawl
from tests.support.fault_server import FaultServer
from tests.support.site_server import SiteServer


@pytest.fixture
def server() -> Iterator[SiteServer]:
    """The fixture site (tests/fixtures/site) served on 127.0.0.1, fresh for each test."""
    with SiteServer() as s:
        yield s


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """The fixture site behind the fault-injecting server (faults switchable per URL path)."""
    with FaultServer() as s:
        yield s


@pytest.fixture(scope="session")
def latest_archive(tmp_path_factory) -> Path:
    """An archive made by one clean `scrapy crawl latest` of the fixture site. Read it only:
    tests that change an archive copy this file first."""
    db = tmp_path_factory.mktemp("latest-archive") / "archive.db"
    with SiteServer() as s:
        result = crawl("latest", s.base_url, db)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return db
