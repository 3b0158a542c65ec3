"""The `ehz serve` dashboard in a real browser: Debian's Chromium driven by Playwright.

Every chart must draw one SVG mark per row of its query, from scripts served by ehz itself
(no request leaves 127.0.0.1). The screenshot is kept in test-artifacts/ (EHZ_TEST_ARTIFACTS
to change), and docs/dashboard.png is a copy of one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ehz_scraper.storage.web import DASHBOARD, metadata_for
from tests.support.archive_db import query
from tests.support.crawling import ROOT
from tests.support.serving import ehz_serve

ARTIFACTS = Path(os.environ.get("EHZ_TEST_ARTIFACTS", ROOT / "test-artifacts"))
CHROMIUM_NAMES = ("chromium", "chromium-browser")
RENDER_TIMEOUT_MS = 20_000


def chromium() -> str:
    """Debian's Chromium, or a skip that says loudly what was not checked."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip(
            "NOT CHECKED IN A BROWSER: playwright is not installed (pip install -e '.[test]')"
        )
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "NOT CHECKED IN A BROWSER: no Chromium on PATH (apt-get install chromium); "
        "the dashboard's charts were not rendered"
    )


def test_dashboard_charts_draw_a_mark_per_row_offline(latest_archive, tmp_path):
    from playwright.sync_api import sync_playwright

    executable = chromium()
    db = tmp_path / "demo.db"
    with sqlite3.connect(latest_archive) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    charts = metadata_for("demo")["plugins"]["datasette-dashboards"][DASHBOARD]["charts"]
    expected = {slug: query(db, chart["query"]) for slug, chart in charts.items()}
    assert {slug: len(rows) for slug, rows in expected.items()} == {
        "articles-per-month": 4,
        "articles-per-section": 10,
        "runs-by-status": 1,
        "failures-per-week": 2,
    }
    hosts, errors = set(), []
    with ehz_serve(db, "/demo") as served, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.goto(served.url(f"/-/dashboards/{DASHBOARD}"))
            marks = {}
            for slug, rows in expected.items():
                selector = f"#chart-{slug} svg g.mark-rect path"
                page.wait_for_function(
                    f"document.querySelectorAll({selector!r}).length >= {len(rows)}",
                    timeout=RENDER_TIMEOUT_MS,
                )
                marks[slug] = [
                    p.get_attribute("aria-label") for p in page.query_selector_all(selector)
                ]
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert hosts == {urlsplit(served.base).netloc}  # every script and style served by ehz
    assert {slug: len(labels) for slug, labels in marks.items()} == {
        slug: len(rows) for slug, rows in expected.items()
    }
    # The marks carry the data (Vega's aria-label: "field: value; ...").
    fields = {
        slug: [dict(part.split(": ", 1) for part in label.split("; ")) for label in labels]
        for slug, labels in marks.items()
    }
    assert [m["articles"] for m in fields["articles-per-month"]] == [
        str(n) for _, n in expected["articles-per-month"]
    ]
    assert [(m["stage"], m["failures"]) for m in fields["failures-per-week"]] == [
        (stage, str(n)) for _, _, stage, n in expected["failures-per-week"]
    ]
    assert [(m["status"], m["runs"]) for m in fields["runs-by-status"]] == [("finished", "1")]
