"""Search: bm25 order, filters, and the parallel (rowid-sharded) ranking giving the same answer."""

from __future__ import annotations

import random
import sqlite3

import pytest

from ehz_scraper.errors import BadArgument
from ehz_scraper.storage import search as search_module
from ehz_scraper.storage.archive import ArchiveWriter
from ehz_scraper.storage.search import search

WORDS = [
    "hangzhou",
    "city",
    "tea",
    "lake",
    "museum",
    "metro",
    "canal",
    "silk",
    "garden",
    "river",
    "bridge",
    "temple",
]


def _record(article_id: int, rng: random.Random) -> dict:
    body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 80)))
    year = 2010 + article_id * 15 // 60_000
    url = f"https://www.ehangzhou.gov.cn/{year}-01/01/c_{article_id}.htm"
    return {
        "article_id": article_id,
        "url": url,
        "page_urls": [url],
        "page_count": 1,
        "title": " ".join(rng.choice(WORDS) for _ in range(4)),
        "date": f"{year}-01-01",
        "date_text": None,
        "source": None,
        "byline": None,
        "section": rng.choice(["Latest", "Travel"]),
        "breadcrumb": ["Home"],
        "sections": [{"heading": None, "paragraphs": [body]}],
        "images": [],
        "body_text": body,
        "extraction": {"method": "template", "warnings": []},
    }


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    db = tmp_path_factory.mktemp("search") / "s.db"
    writer = ArchiveWriter(db, batch_size=500)
    rng = random.Random(7)
    for article_id in range(150, 60_000, 150):  # ids spread wide enough to be sharded
        writer.store_reextracted(_record(article_id, rng), True)
    writer.close()
    return sqlite3.connect(db)


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        ("hangzhou", {}),
        ("tea AND lake", {}),
        ('"silk garden"', {}),
        ("temple", {"since": "2013-01-01", "until": "2019-12-31"}),
        ("metro", {"section": "travel"}),
    ],
)
def test_sharded_ranking_equals_the_single_query(conn, query, filters, monkeypatch):
    single = search(conn, query, limit=15, workers=1, **filters)
    # Every query counts as slow here, so the sharded path runs.
    monkeypatch.setattr(search_module, "FAST_QUERY_SECONDS", 0.0)
    monkeypatch.setattr(search_module, "PROGRESS_STEPS", 1)
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    fresh = sqlite3.connect(path)  # interrupted even while FTS5 loads its table
    sharded = search(fresh, query, limit=15, workers=3, **filters)
    assert len(single) == 15
    assert sharded == single
    assert [h.rank for h in single] == sorted(h.rank for h in single)


def test_filters_are_exact(conn):
    hits = search(conn, "temple", limit=500, since="2013-01-01", until="2013-12-31", workers=3)
    assert hits and {h.date for h in hits} == {"2013-01-01"}
    travel = search(conn, "metro", limit=500, section="TRAVEL", workers=3)
    assert travel and {h.section for h in travel} == {"Travel"}


def test_bad_syntax_raises_bad_argument(conn):
    with pytest.raises(BadArgument, match="bad search query 'tea OR': fts5: syntax error"):
        search(conn, "tea OR", workers=3)
