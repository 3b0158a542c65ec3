"""Spider arguments: a bad `-a` value fails before any request, with one line naming it."""

from __future__ import annotations

import pytest

from ehz_scraper.errors import BadArgument
from ehz_scraper.spiders.args import ArticleArgs, Mode, SectionArgs, SiteArgs, WalkArgs, parse_args
from tests.support.crawling import crawl


@pytest.mark.parametrize(
    ("spider", "args", "message"),
    [
        (
            "latest",
            ["max_pages=0"],
            "argument 'max_pages': Input should be greater than or equal to 1 (got '0')",
        ),
        (
            "latest",
            ["max_pages=ten"],
            "argument 'max_pages': Input should be a valid integer, unable to parse string as an "
            "integer (got 'ten')",
        ),
        (
            "latest",
            ["mode=fast"],
            "argument 'mode': Input should be 'incremental' or 'full' (got 'fast')",
        ),
        (
            "latest",
            ["refresh=maybe"],
            "argument 'refresh': Input should be a valid boolean, unable to interpret input "
            "(got 'maybe')",
        ),
        (
            "latest",
            ["maxpages=3"],
            "unknown argument 'maxpages' (allowed: base_url, refresh, max_pages, mode)",
        ),
        ("section", [], "argument 'name' is required"),
        ("article", [], "give exactly one of -a url=URL[,URL...] or -a urls_file=PATH"),
        (
            "article",
            ["url=https://www.ehangzhou.gov.cn/node_7040.htm"],
            "argument 'url': not an article URL (…/YYYY-MM/DD/c_<id>.htm): "
            "https://www.ehangzhou.gov.cn/node_7040.htm",
        ),
        (
            "article",
            ["urls_file=/nonexistent/urls.txt"],
            "argument 'urls_file': no such file: /nonexistent/urls.txt",
        ),
    ],
)
def test_bad_argument_fails_before_any_request(server, tmp_path, spider, args, message):
    server.clear_log()
    result = crawl(spider, server.base_url, tmp_path / "a.db", *args)
    assert result.returncode == 2
    assert result.stderr.rstrip("\n").splitlines()[-1] == f"Error: scrapy crawl {spider}: {message}"
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 2  # Scrapy's "started" line, then the message
    assert server.paths() == []
    assert not (tmp_path / "a.db").exists()


def test_bad_base_url_fails_at_once(tmp_path):
    result = crawl("latest", "ftp://127.0.0.1/", tmp_path / "a.db")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: scrapy crawl latest: argument 'base_url': must be an absolute http(s) URL such as "
        "https://www.ehangzhou.gov.cn/ (got 'ftp://127.0.0.1/')"
    )


def test_defaults():
    walk = parse_args(WalkArgs, {})
    assert (walk.base_url, walk.max_pages, walk.mode, walk.refresh, walk.mirror) == (
        "https://www.ehangzhou.gov.cn/",
        None,
        Mode.incremental,
        False,
        None,
    )
    assert parse_args(SiteArgs, {}).mode is Mode.full
    assert parse_args(SectionArgs, {"name": "  Business "}).name == "Business"


def test_values_are_typed():
    walk = parse_args(
        WalkArgs,
        {"base_url": "http://127.0.0.1:8765", "max_pages": "3", "mode": "full", "refresh": "yes"},
    )
    assert (walk.base_url, walk.max_pages, walk.mode, walk.refresh, walk.mirror) == (
        "http://127.0.0.1:8765/",
        3,
        Mode.full,
        True,
        "http://127.0.0.1:8765/",
    )
    assert parse_args(WalkArgs, {"base_url": "https://ehangzhou.gov.cn/"}).mirror is None


def test_article_urls_are_canonical_page_one_urls():
    args = parse_args(
        ArticleArgs,
        {
            "base_url": "http://127.0.0.1:8765/",
            "url": "http://127.0.0.1:8765/2025-01/07/c_292700_2.htm,"
            "//ehangzhou.gov.cn/2025-01/07/c_292700.htm, 2025-03/19/c_293018.htm",
        },
    )
    assert args.article_urls == [
        "https://www.ehangzhou.gov.cn/2025-01/07/c_292700.htm",
        "https://www.ehangzhou.gov.cn/2025-03/19/c_293018.htm",
    ]


def test_bad_argument_is_a_named_error():
    with pytest.raises(BadArgument, match=r"^argument 'max_pages': "):
        parse_args(WalkArgs, {"max_pages": "-1"})


@pytest.mark.parametrize(
    ("given", "base_url", "mirror"),
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/", "http://127.0.0.1:8765/"),
        (
            "http://127.0.0.1:8765/copy",
            "http://127.0.0.1:8765/copy/",
            "http://127.0.0.1:8765/copy/",
        ),
        (
            "http://127.0.0.1:8765/index.htm",
            "http://127.0.0.1:8765/index.htm",
            "http://127.0.0.1:8765/",
        ),
        (
            "http://127.0.0.1:8765/copy/index.html",
            "http://127.0.0.1:8765/copy/index.html",
            "http://127.0.0.1:8765/copy/",
        ),
        ("https://www.ehangzhou.gov.cn/index.htm", "https://www.ehangzhou.gov.cn/index.htm", None),
    ],
)
def test_base_url_may_name_the_home_page_file(given, base_url, mirror):
    args = parse_args(WalkArgs, {"base_url": given})
    assert (args.base_url, args.mirror) == (base_url, mirror)
