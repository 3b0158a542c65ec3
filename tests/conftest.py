"""Fixtures shared by the whole suite: the loopback copy of the site and a crawled archive."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from ehz_scraper.cli import main as cli_main
from tests.support.crawling import CrawlResult, crawl
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


# --- Archive fidelity (issue 12): one crawl with images and a refresh, its exports, one pywb ---


@dataclass(frozen=True)
class FidelityArchive:
    """`scrapy crawl latest` of the fixture site with images on (the default), then a refresh
    crawl (`-a refresh=true`), into one archive; the server is gone afterwards."""

    db: Path
    base_url: str  # the loopback mirror the crawls fetched from
    first: CrawlResult
    refresh: CrawlResult


@pytest.fixture(scope="session")
def fidelity_archive(tmp_path_factory) -> FidelityArchive:
    """Read it only: a test that changes it copies it first."""
    db = tmp_path_factory.mktemp("fidelity") / "archive.db"
    with SiteServer() as s:
        first = crawl("latest", s.base_url, db, settings={"EHZ_IMAGES": "True"})
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        time.sleep(1.0)  # captures are timed to the second: the refresh must be later
        refresh = crawl("latest", s.base_url, db, "refresh=true", settings={"EHZ_IMAGES": "True"})
        assert refresh.returncode == 0, refresh.stdout + refresh.stderr[-3000:]
        base_url = s.base_url
    return FidelityArchive(db, base_url, first, refresh)


@dataclass(frozen=True)
class FidelityExports:
    """The fidelity archive exported once: WARC (gzipped) with its CDXJ, and a WACZ."""

    warc: Path
    cdxj: Path
    wacz: Path


def _ehz(*args: str) -> None:
    result = CliRunner().invoke(cli_main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output + result.stderr


@pytest.fixture(scope="session")
def fidelity_exports(fidelity_archive, tmp_path_factory) -> FidelityExports:
    out = tmp_path_factory.mktemp("fidelity-exports")
    db = str(fidelity_archive.db)
    warc, cdxj, wacz = out / "ehz.warc.gz", out / "ehz.cdxj", out / "ehz.wacz"
    _ehz("export", "--db", db, "--format", "warc", "-o", str(warc), "--cdxj", str(cdxj))
    _ehz("export", "--db", db, "--format", "wacz", "-o", str(wacz))
    return FidelityExports(warc, cdxj, wacz)


@pytest.fixture(scope="session")
def pywb(fidelity_exports, tmp_path_factory) -> Iterator[str]:
    """pywb's `wayback` on 127.0.0.1 replaying the WACZ (`wb-manager add --unpack-wacz`), once
    a session; yields its collection URL (`http://127.0.0.1:PORT/ehz/`)."""
    root = tmp_path_factory.mktemp("pywb")
    bin_dir = Path(sys.executable).parent
    run = {"cwd": root, "capture_output": True, "text": True, "timeout": 120, "check": True}
    subprocess.run([str(bin_dir / "wb-manager"), "init", "ehz"], **run)
    wacz = str(fidelity_exports.wacz)
    subprocess.run([str(bin_dir / "wb-manager"), "add", "--unpack-wacz", "ehz", wacz], **run)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [str(bin_dir / "wayback"), "-b", "127.0.0.1", "-p", str(port), "-d", str(root)]
    log = (root / "wayback.log").open("wb")  # a file: a full pipe would stall the server
    proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/ehz/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = (root / "wayback.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"pywb did not start: {tail}") from None
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
