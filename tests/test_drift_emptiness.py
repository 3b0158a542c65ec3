"""The drift alarm sees emptiness: a redesign that empties the template, a listing rendered by
script, markup nested deeper than lxml's default limit. Real `scrapy crawl latest` runs
against edited copies of the fixture site, each into a real archive file.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.support import archive_check as ac
from tests.support.crawling import MANIFEST, crawl
from tests.support.site_server import SITE_DIR, SiteServer

LATEST = "https://www.ehangzhou.gov.cn/node_7040.htm"


def site_copy(tmp_path: Path, edit) -> Path:
    """A copy of the fixture site with `edit(path, html) -> html` applied to every page."""
    root = tmp_path / "site"
    shutil.copytree(SITE_DIR, root)
    for page in root.rglob("*.htm"):
        text = page.read_text(encoding="utf-8")
        edited = edit(page.relative_to(root).as_posix(), text)
        if edited != text:
            page.write_text(edited, encoding="utf-8")
    return root


def run_latest(root: Path, db: Path):
    with SiteServer(root) as server:
        return crawl("latest", server.base_url, db, "mode=full", "max_pages=1")


def summary(result) -> list[str]:
    return result.stdout.splitlines()[:2]


def body_moved(path: str, html: str) -> str:
    # The redesign of the issue: an empty #Content, the text in a new container after it.
    return html.replace('<div id="Content">', '<div id="Content"></div><div class="article-body">')


def listing_by_script(path: str, html: str) -> str:
    if not path.startswith("node_7040"):
        return html
    emptied = re.sub(r'<ul class="list">.*?</ul>', '<ul class="list"></ul>', html, flags=re.S)
    return emptied.replace("</body>", '<script src="list.js"></script></body>')


def latest_on_page_1() -> set[int]:
    return {
        i
        for i in MANIFEST["sections"]["Latest"]["article_ids"][:10]
        if MANIFEST["articles"][str(i)]["kind"] != "notfound"
    }


def test_template_emptied_by_a_redesign_is_degraded_not_stored_empty(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    result = run_latest(site_copy(tmp_path, body_moved), db)
    assert result.returncode == 3, result.stdout + result.stderr[-2000:]
    assert summary(result) == [
        "ehz crawl latest: degraded (exit 3)",
        "why: listing pages yielded 10 links but none of the 10 articles fetched could be"
        " extracted (0 not an article, 10 missing a required field, 10 with a template title"
        " but no body text, image or video player): has the site been redesigned?",
    ]
    # Nothing stored empty: each is a validate failure, retried on a later run.
    assert ac.records(db) == {}
    reasons = set(ac.failures(db).values())
    assert reasons == {
        ("validate", "record has a template title but no body text, no image and no video player")
    }


def test_video_only_article_is_recognised_by_its_player(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with SiteServer() as server:
        result = crawl("article", server.base_url, db,
                       "url=https://www.ehangzhou.gov.cn/2025-01/15/c_292736.htm")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    record = ac.records(db)[292736]
    assert (record["body_text"], record["images"], record["extraction"]["method"]) == (
        "",
        [],
        "template",
    )


def test_listing_rendered_by_script_on_the_first_run_is_failed(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    result = run_latest(site_copy(tmp_path, listing_by_script), db)
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    assert summary(result) == [
        "ehz crawl latest: failed (exit 1)",
        f"why: the first listing page of Latest ({LATEST}) yielded no article links and no"
        " earlier walk found any (a listing rendered by script?)",
    ]
    assert ac.records(db) == {}
    assert ac.runs(db)[-1]["status"] == "failed"


def test_listing_emptied_after_earlier_walks_found_links_is_degraded(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    first = run_latest(SITE_DIR, db)
    assert first.returncode == 0, first.stdout + first.stderr[-2000:]
    stored = set(ac.records(db))
    assert stored >= latest_on_page_1() - {292818}
    result = run_latest(site_copy(tmp_path, listing_by_script), db)
    assert result.returncode == 3, result.stdout + result.stderr[-2000:]
    assert summary(result) == [
        "ehz crawl latest: degraded (exit 3)",
        f"why: failed listing: page 1 of Latest ({LATEST}) yielded no article links where"
        " earlier walks found 10",
    ]
    assert set(ac.records(db)) == stored  # nothing lost, nothing new
    assert [r["status"] for r in ac.runs(db)] == ["finished", "degraded"]


def deep_site(tmp_path: Path, depth: int, listing_depth: int) -> Path:
    target = MANIFEST["articles"]["293060"]["page_urls"][0].split("/", 3)[3]

    def deep(path: str, html: str) -> str:
        if path == target:
            # Unclosed <font> tags after the first paragraph: the rest nests that deep.
            return html.replace("</p>", "</p>" + "<font>" * depth, 1)
        if path == "node_7040.htm":
            return html.replace('<ul class="list">', "<div>" * listing_depth + '<ul class="list">')
        return html

    return site_copy(tmp_path, deep)


def test_markup_nested_deeper_than_256_keeps_its_text(tmp_path: Path) -> None:
    db, clean_db = tmp_path / "archive.db", tmp_path / "clean.db"
    clean = run_latest(SITE_DIR, clean_db)
    result = run_latest(deep_site(tmp_path, 300, 300), db)
    assert (clean.returncode, result.returncode) == (0, 0), result.stdout + result.stderr[-2000:]
    assert summary(result)[1] == "why: all went well"
    records, reference = ac.records(db), ac.records(clean_db)
    assert set(records) == set(reference)
    assert records[293060]["body_text"] == reference[293060]["body_text"]
    assert records[293060]["extraction"]["warnings"] == reference[293060]["extraction"]["warnings"]


def test_markup_still_too_deep_is_a_warning_the_alarm_counts(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    result = run_latest(deep_site(tmp_path, 3000, 300), db)
    assert result.returncode == 3, result.stdout + result.stderr[-2000:]
    assert summary(result) == [
        "ehz crawl latest: degraded (exit 3)",
        "why: 1 page cut by markup nested deeper than the parser's limit (2048 levels): text"
        " and links past that point are missing",
    ]
    record = ac.records(db)[293060]
    assert record["extraction"]["warnings"][-1] == (
        "markup nested too deep: the page was cut at the parser's depth limit"
    )
