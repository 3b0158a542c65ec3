"""`ehz --help` and `ehz search` start without Scrapy or Twisted (issue 14: start-up), and the
benchmark's Start-up part puts its section into an existing report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.startup import splice
from tests.support.captures import build_archive, capture

ROOT = Path(__file__).parent.parent
# Runs the CLI as the console script does, then lists what it imported.
PROBE = """
import json, sys
from ehz_scraper.cli import main
try:
    main(sys.argv[1:], prog_name="ehz")
except SystemExit as exc:
    code = exc.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"scrapy", "twisted", "lxml"})
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("startup") / "s.db"
    build_archive(path, capture("01_three_page_towns"))
    return path


@pytest.mark.parametrize(
    "args",
    [["--help"], ["search", "towns"], ["show", "266285", "--format", "text"], ["stats"]],
)
def test_cli_starts_without_scrapy_or_twisted(db, args):
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "--db", str(db), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    probe = json.loads(proc.stderr.strip().splitlines()[-1])
    assert probe == {"code": 0, "heavy": []}, proc.stderr


def test_extract_still_loads_the_extractor(db):
    page = ROOT / "tests/fixtures/pages/01_three_page_towns/c_266285.htm"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "extract", str(page)], capture_output=True, text=True
    )
    # The probe itself is not vacuous: a command that needs lxml does import it.
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == {"code": 0, "heavy": ["lxml"]}


def test_startup_part_replaces_only_its_section():
    report = "# ehz benchmarks\n\n## Queries\n\nq\n\n## Start-up\n\nold\n\n## Goals\n\ng\n"
    new = "## Start-up\n\nnew figures\n"
    assert splice(report, new) == (
        "# ehz benchmarks\n\n## Queries\n\nq\n\n## Start-up\n\nnew figures\n\n## Goals\n\ng\n"
    )
    assert (
        splice("# r\n\n## Goals\n\ng\n", new)
        == "# r\n\n## Start-up\n\nnew figures\n\n## Goals\n\ng\n"
    )
