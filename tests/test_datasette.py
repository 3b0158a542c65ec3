"""Datasette serves a built archive with archive/metadata.yaml over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.captures import build_archive, capture

METADATA = Path(__file__).parent.parent / "archive" / "metadata.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def datasette(tmp_path_factory):
    db = tmp_path_factory.mktemp("ds") / "ehangzhou.db"
    build_archive(db, capture("01_three_page_towns"), capture("31_page_2_soft_404"))
    port = free_port()
    exe = Path(sys.executable).parent / "datasette"
    proc = subprocess.Popen(
        [exe, "serve", str(db), "-h", "127.0.0.1", "-p", str(port), "--metadata", METADATA],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(proc.stdout.read().decode()) from None
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        return response.read().decode()


def test_table_page(datasette):
    html = get(datasette + "/ehangzhou/articles")
    assert "Hangzhou honors nine characteristic towns" in html
    assert "Hangzhou to plant 1 million trees this spring" in html
    assert "One row per article (the current version of its record)." in html
    assert 'name="_search"' in html  # the search box over articles_fts


def test_index_page_shows_the_metadata(datasette):
    html = get(datasette + "/")
    assert "eHangzhou archive" in html
    assert "https://www.ehangzhou.gov.cn/" in html


def test_search_box_result(datasette):
    rows = json.loads(
        get(datasette + "/ehangzhou/articles.json?_search=biopharmaceutical&_shape=array")
    )
    assert [r["article_id"] for r in rows] == [266285]


def test_canned_search_query(datasette):
    rows = json.loads(get(datasette + "/ehangzhou/search.json?q=trees&_shape=array"))
    assert [(r["article_id"], r["title"]) for r in rows] == [
        (279700, "Hangzhou to plant 1 million trees this spring")
    ]
    assert "<b>trees</b>" in rows[0]["snippet"]
    months = json.loads(get(datasette + "/ehangzhou/articles_per_month.json?_shape=array"))
    assert months == [{"month": "2022-02", "articles": 1}, {"month": "2021-05", "articles": 1}]
