"""Set-up fits its user: `make crawl` installs the runtime alone, the crontab line works when
pasted, an unreachable site ends quickly with the summary and no traceback on the console."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from tests.support.crawling import ROOT
from tests.support.site_server import SiteServer


def make_dry_run(target: str, venv: Path) -> list[str]:
    """The commands `make TARGET` would run on a fresh checkout (no .venv yet)."""
    proc = subprocess.run(
        ["make", "-n", target, f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def installs(lines: list[str]) -> list[str]:
    return [
        line.split("pip install -q -e ", 1)[1]
        for line in lines
        if "pip install" in line and " -e " in line
    ]


@pytest.mark.parametrize(
    ("target", "extras"),
    [
        ("crawl", ["."]),  # a cron host: no pytest, no trafilatura
        ("demo", ["'.[serve]'"]),  # it ends by suggesting `ehz serve`
        ("test", ["'.[test]'"]),
        ("bench", ["'.[test,bench]'"]),
    ],
)
def test_each_make_target_installs_what_it_needs(tmp_path, target, extras):
    assert installs(make_dry_run(target, tmp_path / "venv")) == extras


def crontab_command(server_url: str) -> str:
    """The crawl line of docs/operations.md's crontab as cron hands it to sh, at `server_url`."""
    doc = (ROOT / "docs" / "operations.md").read_text()
    block = re.search(r"```cron\n(.*?)```", doc, flags=re.DOTALL).group(1)
    line = next(entry for entry in block.splitlines() if "scrapy crawl" in entry)
    command = line.split(None, 5)[5].replace("\\%", "%")  # cron's own unescaping of %
    # The only change: the loopback copy of the site instead of the live one, no politeness wait.
    return command.replace(
        "scrapy crawl latest",
        f"scrapy crawl latest -a base_url={server_url} -s DOWNLOAD_DELAY=0"
        " -s AUTOTHROTTLE_ENABLED=False",
    )


def test_crontab_line_works_when_pasted(tmp_path):
    """Regression: nothing created logs/, so the line failed (a raw FileNotFoundError)."""
    home = tmp_path / "srv-ehz"  # /srv/ehz: a checkout with its .venv, no logs/ or archive/ yet
    home.mkdir()
    (home / "scrapy.cfg").symlink_to(ROOT / "scrapy.cfg")
    (home / ".venv").symlink_to(Path(sys.executable).parent.parent)
    with SiteServer() as server:
        command = crontab_command(server.base_url).replace("cd /srv/ehz", f"cd {home}")
        proc = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    summary = (home / "logs" / "summary.log").read_text()
    assert summary.startswith("ehz crawl latest: finished (exit 0)\n")
    log = home / "logs" / f"crawl-{date.today():%Y-%m-%d}.log"
    assert "Spider closed (finished)" in log.read_text()
    assert (home / "archive" / "ehangzhou.db").is_file()


def test_unreachable_site_ends_quickly_with_the_summary(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable, "-m", "scrapy", "crawl", "latest", "-q",
            "--logfile", str(tmp_path / "logs" / "crawl.log"),
            "-a", f"base_url=http://127.0.0.1:{port}/",
            "-s", f"EHZ_DB={tmp_path / 'a.db'}",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    took = time.monotonic() - started
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[:2] == [
        "ehz crawl latest: failed (exit 1)",
        "why: the crawl closed early: home page failed: connection refused after 3 retries",
    ]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "Traceback" in (tmp_path / "logs" / "crawl.log").read_text()  # the full log keeps them
    # robots.txt and the home page, each tried 4 times, waiting 1 + 2 + 4 s
    # (RETRY_BACKOFF_OFFLINE_BASE): 14 s of waits, 15-20 s in all on a busy machine; the
    # default backoff (2 + 4 + 8 s each) waited 28 s.
    assert took < 25, took
