"""`ehz serve`: Datasette over HTTP on 127.0.0.1 with the archive's metadata, whatever the file
is called; ranked raw-FTS5 search, safe snippets, facets, links, truncation, read-only."""

from __future__ import annotations

import asyncio
import html
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ehz_scraper.cli import main as ehz
from ehz_scraper.storage.search import search
from ehz_scraper.storage.web.plugin import ranked_search_query
from tests.support.archive_db import query
from tests.support.serving import Served, ehz_serve, status_and_location

# The demo's file name, and another one Datasette must tilde-encode ('.' -> ~2E).
ARCHIVES = [("demo.db", "/demo"), ("ehangzhou-2026.04.db", "/ehangzhou-2026~2E04")]
MARKUP = ' <script>alert("x")</script> & <b>bold</b>'
FORM = "_sort=date&_sort_by_desc=on&_filter_column=&_filter_op=exact&_filter_value="


def copy_archive(source: Path, target: Path) -> Path:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


@pytest.fixture(scope="module", params=ARCHIVES, ids=[name for name, _ in ARCHIVES])
def served(request, latest_archive, tmp_path_factory) -> Iterator[Served]:
    """`ehz serve` on a copy of the crawled fixture archive (what `make demo` builds), with
    markup put into the newest article's title to show that snippets are escaped."""
    name, db_path = request.param
    db = copy_archive(latest_archive, tmp_path_factory.mktemp("serve") / name)
    with sqlite3.connect(db) as conn:  # the FTS trigger re-indexes the title
        conn.execute(
            "UPDATE articles SET title = title || ? WHERE article_id = "
            "(SELECT max(article_id) FROM articles)",
            [MARKUP],
        )
    with ehz_serve(db, db_path) as s:
        yield s


def test_metadata_applies_whatever_the_file_is_called(served):
    assert "<h1>eHangzhou archive</h1>" in served.get("/")
    page = served.get("/{db}/articles")
    assert "One row per article (the current version of its record)." in page
    assert 'data-column-description="The article title."' in page
    assert 'name="_search"' in page
    log = served.log.read_text()
    assert f"  dashboard: {served.base}/-/dashboards/archive\n" in log
    assert f"  articles:  {served.base}{served.db_path}/articles\n" in log


def test_canned_queries_are_listed(served):
    queries = served.json("/{db}.json")["queries"]
    assert [(q["name"], q["title"]) for q in queries] == [
        ("search", "Search articles (ranked, with snippets)"),
        ("articles_per_month", "Articles per month"),
        ("article_snapshots", "Snapshots of an article"),
        ("open_failures", "Open failures"),
    ]
    months = served.json("/{db}/articles_per_month.json?_shape=array")
    assert months == [
        {"month": m, "articles": n}
        for m, n in query(
            served.db,
            "SELECT substr(date, 1, 7) m, count(*) FROM articles GROUP BY m ORDER BY m DESC",
        )
    ]


def test_search_box_takes_raw_fts5_and_finds_what_ehz_search_finds(served):
    conn = sqlite3.connect(f"file:{served.db}?mode=ro", uri=True)
    expected = [hit.article_id for hit in search(conn, "herit*", limit=100)]
    conn.close()
    assert len(expected) == 10
    rows = served.json("/{db}/articles.json?_search=herit*&_col=article_id&_shape=array&_size=max")
    assert sorted(r["article_id"] for r in rows) == sorted(expected)
    ranked = served.json("/{db}/search.json?q=herit*&_shape=array")
    assert [r["article_id"] for r in ranked] == expected  # the same bm25 order


def test_search_box_submission_goes_to_the_ranked_results(served):
    box = served.url("/{db}/articles?_search=herit*&" + FORM)
    assert status_and_location(box) == (302, served.db_path + "/search?q=herit%2A")
    # A filter (or facet, or another sort) keeps Datasette's table view with its facets
    # (Datasette itself redirects the form's fields to a clean table URL).
    status, location = status_and_location(box + "&section=Latest")
    assert (status, location.split("?")[0]) == (302, served.db_path + "/articles")
    assert "section=Latest" in location and "_search=herit" in location
    assert status_and_location(served.url("/{db}/articles?_search=herit*&_searchmode=raw")) == (
        200,
        None,
    )


def test_ranked_search_query_only_for_a_bare_search_box_submission():
    form = [("_sort", "date"), ("_sort_by_desc", "on"), ("_filter_column", "")]
    assert ranked_search_query([("_search", "tea AND museum"), *form]) == "tea AND museum"
    assert ranked_search_query([("_search", "tea")]) == "tea"
    assert ranked_search_query([("_search", "tea"), ("_sort_desc", "date")]) == "tea"
    assert ranked_search_query([("_search", "  ")]) is None
    assert ranked_search_query([("_search", "tea"), ("_sort", "date")]) is None  # ascending
    assert (
        ranked_search_query([("_search", "tea"), ("_sort", "title"), ("_sort_by_desc", "on")])
        is None
    )
    assert ranked_search_query([("_search", "tea"), ("_filter_column", "section")]) is None
    assert ranked_search_query([("_search", "tea"), ("_facet", "byline")]) is None


def test_canned_search_opens_empty_without_an_error(served):
    page = served.get("/{db}/search")
    assert "syntax error" not in page
    assert "message-error" not in page
    assert 'class="rows-and-columns"' not in page
    assert 'name="q"' in page
    assert served.json("/{db}/search.json?q=&_shape=array") == []
    assert served.json("/{db}/search.json?q=%20&_shape=array") == []


def test_snippets_render_only_ehz_highlights_and_escape_the_rest(served):
    title = query(served.db, "SELECT title FROM articles ORDER BY article_id DESC LIMIT 1")[0][0]
    assert title == "Xiaoshan welcomes Liangzhu heritage exhibition" + MARKUP
    page = served.get("/{db}/search?q=alert")
    cells = re.findall(r'<td class="col-snippet[^"]*">(.*?)</td>', page, re.S)
    assert cells == [
        "Xiaoshan welcomes Liangzhu heritage exhibition &lt;script&gt;<mark>alert</mark>"
        "(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
    ]
    assert "<script>alert" not in page
    rows = served.json("/{db}/search.json?q=alert&_shape=array")
    assert rows[0]["snippet"] == title.replace("alert", "\x02alert\x03")


def test_facets_on_section_year_and_source(served):
    facets = served.json("/{db}/articles.json?_size=0")["facet_results"]
    counts = {
        name: {r["value"]: r["count"] for r in facet["results"]} for name, facet in facets.items()
    }
    assert counts == {
        "section": dict(
            query(
                served.db,
                "SELECT section, count(*) FROM articles WHERE section IS NOT NULL GROUP BY section",
            )
        ),
        "source": dict(
            query(
                served.db,
                "SELECT source, count(*) FROM articles WHERE source IS NOT NULL GROUP BY source",
            )
        ),
        "year": {"2025": 26},
    }
    picked = served.json("/{db}/articles.json?date__startswith=2025&_size=0")
    assert picked["filtered_table_rows_count"] == 26
    assert picked["facet_results"]["year"]["results"][0]["selected"] is True


def test_each_article_links_to_its_page_versions_and_snapshots(served):
    article_id, url, pages = query(
        served.db, "SELECT article_id, url, page_count FROM articles WHERE page_count = 3"
    )[0]
    page = served.get(f"/{{db}}/articles?article_id={article_id}")
    cell = re.findall(r'<td class="col-url[^"]*">(.*?)</td>', page, re.S)
    assert cell == [
        f'<a href="{url}">{url}</a><br>'
        f'<a href="{served.db_path}/versions?article_id={article_id}">versions (1)</a> · '
        f'<a href="{served.db_path}/article_snapshots?article_id={article_id}">snapshots</a>'
    ]
    versions = served.json(f"/{{db}}/versions.json?article_id={article_id}&_shape=array")
    assert [v["version"] for v in versions] == [1]
    snapshots = served.json(f"/{{db}}/article_snapshots.json?article_id={article_id}&_shape=array")
    assert [s["page"] for s in snapshots] == [1, 2, 3] == list(range(1, pages + 1))
    hashes = {s["snapshot_hash"] for s in snapshots}
    assert hashes == {
        r[0]
        for r in query(
            served.db, "SELECT snapshot_hash FROM fetches WHERE article_id = ?", article_id
        )
    }


def test_long_text_is_truncated_in_table_views(served):
    page = served.get("/{db}/articles?_size=50")
    cells = [
        html.unescape(c)
        for c in re.findall(r'<td class="col-body_text[^"]*">(.*?)</td>', page, re.S)
    ]
    longest = query(served.db, "SELECT max(length(body_text)) FROM articles")[0][0]
    assert len(cells) == 26 and longest > 1000
    assert max(len(c) for c in cells) == 201  # 200 characters and the ellipsis
    assert all(len(c) <= 200 or c.endswith("…") for c in cells)


def test_dashboard_page_serves_its_scripts_locally(served):
    page = served.get("/-/dashboards/archive")
    for chart in (
        "articles-per-month",
        "articles-per-section",
        "runs-by-status",
        "failures-per-week",
    ):
        assert f'id="chart-{chart}"' in page
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', page)
    assert scripts and all(src.startswith("/") for src in scripts), scripts


def test_serve_cannot_write_the_archive(latest_archive, tmp_path):
    """Even a write through Datasette's own write connection is refused (query_only)."""
    from ehz_scraper.storage.web.app import make_datasette

    db = copy_archive(latest_archive, tmp_path / "ro.db")
    ds = make_datasette(db)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        asyncio.run(ds.get_database("ro").execute_write("DELETE FROM failures"))
    assert query(db, "SELECT count(*) FROM failures") == [(2,)]


def test_help_imports_no_datasette():
    code = (
        "import sys\n"
        "from ehz_scraper.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('datasette', 'uvicorn', 'yaml')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "[]"


def test_serve_refuses_a_missing_archive_in_one_line(tmp_path):
    result = CliRunner().invoke(ehz, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Error: no archive at {tmp_path / 'none.db'} (run a crawl first, or pass --db)\n"
    )


def test_serve_refuses_a_port_in_use_in_one_line(latest_archive):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            ehz, ["serve", "--db", str(latest_archive), "--port", str(port)]
        )
    assert result.exit_code == 1
    assert result.stderr == f"Error: listening on 127.0.0.1:{port} is in use (try --port)\n"


def test_print_metadata_is_keyed_to_the_file_name(latest_archive):
    import json

    result = CliRunner().invoke(ehz, ["serve", "--db", str(latest_archive), "--print-metadata"])
    assert result.exit_code == 0
    meta = json.loads(result.stdout)
    assert list(meta["databases"]) == ["archive"]
    assert meta["databases"]["archive"]["tables"]["articles"]["searchmode"] == "raw"
    charts = meta["plugins"]["datasette-dashboards"]["archive"]["charts"]
    assert {c["db"] for c in charts.values()} == {"archive"}


def test_table_page_does_not_probe_every_column_for_facet_suggestions(served):
    # Datasette's suggestions took 1.6 s of a 1.7 s articles page on 20,000 articles.
    assert served.json("/{db}/articles.json?_size=0")["suggested_facets"] == []
