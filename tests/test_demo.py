"""The offline demo: serves the fixture site, crawls `latest` into an archive, prints stats."""

from __future__ import annotations

import subprocess
import sys

from tests.support.archive_db import article_rows
from tests.support.crawling import ROOT, section_ids

NOT_FOUND = 292854


def test_demo_crawls_the_fixture_site_offline(tmp_path):
    db = tmp_path / "demo.db"
    proc = subprocess.run(
        [sys.executable, "-m", "ehz_scraper.demo", "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ScrapyDeprecationWarning" not in proc.stderr  # the crawl's log goes to stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Serving the fixture site at http://127.0.0.1:")
    assert f"ehz stats --db {db}" in lines
    assert "articles: 26 (1 incomplete), versions: 26" in lines
    # It ends with what to try next, naming a three-page article of the demo archive.
    assert lines[-6:] == [
        "Next, try (`source .venv/bin/activate` puts ehz on PATH; or type .venv/bin/ehz):",
        f"  export EHZ_DB={db}",
        "  ehz serve                      # browse it in Datasette, with charts",
        "  ehz search tea                 # ranked full-text search",
        "  ehz show 293018 --format text  # an article to read",
        "  ehz history 293018             # its versions",
    ]
    assert set(article_rows(db)) == section_ids("Latest") - {NOT_FOUND}
