"""The benchmark harness runs end to end (tiny sizes) and writes a report with every section.

Not a timed test: it checks that `python -m bench.run --smoke` works, not how fast anything is.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import Figure, Goal
from bench.sitegen import SITE, build_article, generate_site, iter_records

ROOT = Path(__file__).resolve().parent.parent

SECTIONS = [
    "Setup",
    "Synthetic site",
    "Server",
    "Crawl",
    "Extraction",
    "Fallback extraction",
    "Archive",
    "Queries",
    "Incremental",
    "Goals",
]


def _spiders() -> set[str]:
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    try:
        return set(SpiderLoader.from_settings(get_project_settings()).list())
    except Exception:
        return set()


def _expected_measured() -> set[str]:
    """The sections whose prerequisites are on this branch (all of them once merged)."""
    from scrapy.utils.project import get_project_settings

    have_storage = importlib.util.find_spec("ehz_scraper.storage") is not None
    pipelines = bool(get_project_settings().getdict("ITEM_PIPELINES"))
    spiders = _spiders()
    out = {"Synthetic site", "Server", "Extraction"}
    from bench.fallback import pages_dir

    if (pages_dir() / "ground-truth.json").is_file():
        out.add("Fallback extraction")  # the real pages beside the clone (CI has them)
    if "site" in spiders:
        out.add("Crawl")
    if "site" in spiders and have_storage and pipelines:
        out.add("Archive")
    if {"site", "latest"} <= spiders and have_storage and pipelines:
        out.add("Incremental")
    if have_storage:
        out.add("Queries")
    return out


@pytest.fixture(scope="module")
def smoke_report(tmp_path_factory) -> str:
    work = tmp_path_factory.mktemp("bench")
    out = work / "report.md"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--smoke",
            "--no-install",
            # The same server on every machine (nginx may or may not be installed).
            "--server",
            "python",
            "--workdir",
            str(work),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    assert text.strip() in done.stdout  # printed and written: the same report
    return text


def test_report_has_every_section(smoke_report: str) -> None:
    titles = re.findall(r"^## (.+)$", smoke_report, flags=re.M)
    assert [next(s for s in SECTIONS if t.startswith(s)) for t in titles] == SECTIONS


@pytest.mark.parametrize("section", sorted(_expected_measured()))
def test_section_was_measured(smoke_report: str, section: str) -> None:
    body = re.search(rf"^## {re.escape(section)}.*?(?=^## |\Z)", smoke_report, flags=re.M | re.S)
    assert body is not None
    assert "**Not measured:**" not in body.group(0), body.group(0)[:600]


def test_setup_names_machine_and_mode(smoke_report: str) -> None:
    assert "| mode | smoke: 120 articles" in smoke_report
    assert "Served by **Python asyncio static server (fallback)**" in smoke_report
    assert "| machine |" in smoke_report
    assert "**Not the full run**" in smoke_report


def test_site_is_deterministic_and_sized(tmp_path: Path) -> None:
    a = generate_site(tmp_path / "a", 30, seed=5)
    b = generate_site(tmp_path / "b", 30, seed=5)
    assert a.urls == b.urls
    for path in a.urls[1:40]:
        assert (a.root / path).read_bytes() == (b.root / path).read_bytes()
    assert a.multi_page_articles == 6  # 20% of 30
    assert a.n_articles == 30 and len(a.load_truth()) == 30
    assert min(a.page_sizes) >= 35_000 and max(a.page_sizes) <= 60_000
    again = generate_site(tmp_path / "a", 30, seed=5)
    assert again.reused and again.urls == a.urls


def test_truth_agrees_between_html_and_record_only_paths() -> None:
    art = build_article(7, seed=11, total=20)
    rec = next(r for r in iter_records(8, seed=11) if r["article_id"] == art.truth["article_id"])
    for key in (
        "article_id",
        "url",
        "page_urls",
        "title",
        "date",
        "date_text",
        "sections",
        "body_text",
    ):
        assert rec[key] == art.truth[key], key
    assert rec["url"].startswith(SITE + "/")
    assert json.dumps(art.truth, ensure_ascii=False)  # serialisable as written to truth.jsonl


def test_goal_verdicts() -> None:
    assert Figure("r", [0.8, 0.9, 0.95], goal=Goal(0.85, True, ">= 0.85")).cells()[3] == "met"
    short = Figure("r", [0.7, 0.74, 0.8], goal=Goal(0.85, True, ">= 0.85")).cells()[3]
    assert short == "**short by 0.110, 13%**"
    assert Goal(250, False, "< 250", strict=True).met(250) is False


def test_python_fallback_server_serves_the_site_byte_exact(tmp_path: Path) -> None:
    import urllib.request

    from bench.server import measure_throughput, py_load, start_server

    site = generate_site(tmp_path / "site", 12, seed=3)
    page = site.urls[1]
    with start_server(site.root, prefer="python", install=False) as srv:
        assert srv.kind == "Python asyncio static server (fallback)"
        with urllib.request.urlopen(srv.url + page) as resp:
            assert resp.read() == (site.root / page).read_bytes()
            assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
            etag = resp.headers["ETag"]
        req = urllib.request.Request(srv.url + page, headers={"If-None-Match": etag})
        try:
            urllib.request.urlopen(req)
            raise AssertionError("expected 304")
        except urllib.error.HTTPError as exc:
            assert exc.code == 304
        load = measure_throughput(srv.url, site.urls[1:], seconds=0.5, install=False)
        assert load.errors == 0 and load.requests > 0
        # The Python load generator (what runs where wrk is missing).
        py = asyncio.run(py_load(srv.url, site.urls[1:], 0.5, 4))
        assert py.errors == 0 and py.requests > 0 and py.tool.startswith("Python asyncio")


def test_pipeline_throughput_stores_every_capture_of_the_site(tmp_path: Path) -> None:
    """The archive figure's own measure (it replaced bench_archive.py, which patched sitegen)."""
    from bench.archive_figures import pipeline_throughput

    run = pipeline_throughput(tmp_path / "t.db", 6, seed=3)
    assert run.captures == 6
    assert run.counts == {"articles_new": 6}  # none failed, none incomplete


def test_pipeline_crawler_has_the_project_defaults(tmp_path: Path) -> None:
    """Without them the store pipeline would commit after every article (EHZ_BATCH_SECONDS 0)."""
    from bench.archive_figures import pipeline_crawler
    from ehz_scraper import settings as project

    settings = pipeline_crawler(tmp_path / "t.db").settings
    assert settings.getfloat("EHZ_BATCH_SECONDS") == project.EHZ_BATCH_SECONDS == 2.0
    assert settings.getfloat("EHZ_DRIFT_THRESHOLD") == project.EHZ_DRIFT_THRESHOLD
    assert settings.getint("EHZ_BATCH_SIZE") == 50
    assert settings["EHZ_DB"] == str(tmp_path / "t.db")


def test_committed_test_site_is_what_build_site_renders(tmp_path: Path) -> None:
    """tests/fixtures/site/ is regenerated after a change to its templates (here or in sitegen)."""
    from tests.fixtures.site import build_site

    site = ROOT / "tests" / "fixtures" / "site"
    (tmp_path / "out").mkdir()
    manifest = build_site.build(tmp_path / "out")
    assert manifest == json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    written = sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*.htm*"))
    committed = sorted(p.relative_to(site) for p in site.rglob("*.htm*"))
    assert written == committed
    for path in written:
        assert (tmp_path / "out" / path).read_bytes() == (site / path).read_bytes(), path
