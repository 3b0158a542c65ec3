"""Redirects and origins: no page is stored under an id it does not belong to, no request
leaves the crawl's origin (another port on the same host included), every refusal recorded.

Two real `scrapy crawl latest -a mode=full` runs against tests/support/fault_server.py (a
clean one for reference, one with a redirect fault on each of five Latest pages) and a
second server on another port of 127.0.0.1 that must never be asked for anything.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ehz_scraper.middlewares import OriginPolicy
from tests.support import archive_check as ac
from tests.support.crawling import MANIFEST, crawl
from tests.support.fault_server import Fault, FaultServer

SITE = "https://www.ehangzhou.gov.cn"
SETTINGS = {"DOWNLOAD_TIMEOUT": "5", "EHZ_MAX_LISTING_PAGES": "5"}


def url_of(article_id: int, page: int = 1) -> str:
    return MANIFEST["articles"][str(article_id)]["page_urls"][page - 1]


def path_of(article_id: int, page: int = 1) -> str:
    return "/" + url_of(article_id, page).split("/", 3)[3]


@pytest.fixture(scope="module")
def crawls(tmp_path_factory) -> dict:
    with FaultServer() as other:
        with FaultServer() as server:
            clean_db = tmp_path_factory.mktemp("clean") / "archive.db"
            clean = crawl("latest", server.base_url, clean_db, "mode=full", settings=SETTINGS)
            secret = f"http://127.0.0.1:{other.port}/secret.htm"
            faults = {
                path_of(293080): Fault("redirect", location=path_of(293060)),
                path_of(293090): Fault("redirect", location="/node_7040.htm"),
                path_of(292998): Fault("redirect", location=secret),
                path_of(292910, 2): Fault("redirect", location=path_of(292900)),
                # To itself once, then served: the final URL is the article's own page.
                path_of(293116): Fault("redirect", location=path_of(293116), times=1),
            }
            for path, fault in faults.items():
                server.set_fault(path, fault)
            db = tmp_path_factory.mktemp("redirects") / "archive.db"
            result = crawl("latest", server.base_url, db, "mode=full", settings=SETTINGS)
        other_hits = len(other.requests)
    assert clean.returncode == 0, clean.stdout + clean.stderr[-2000:]
    return {"clean": clean_db, "db": db, "result": result, "secret": secret, "other": other_hits}


def test_redirect_to_another_article_is_not_stored_under_the_first_id(crawls) -> None:
    db = crawls["db"]
    records = ac.records(db)
    assert 293080 not in records
    assert ac.failures(db)[url_of(293080)] == ("fetch", "redirected to c_293060")
    # The article redirected to is archived as itself, exactly as in the clean crawl.
    assert records[293060] == ac.records(crawls["clean"])[293060]


def test_redirect_to_a_non_article_is_a_failure(crawls) -> None:
    assert 293090 not in ac.records(crawls["db"])
    assert ac.failures(crawls["db"])[url_of(293090)] == (
        "fetch",
        f"not an article: redirected to {SITE}/node_7040.htm",
    )


def test_redirect_to_another_port_of_the_same_host_is_refused(crawls) -> None:
    assert crawls["other"] == 0  # not one request reached the other port
    assert 292998 not in ac.records(crawls["db"])
    assert ac.failures(crawls["db"])[url_of(292998)] == (
        "fetch",
        f"redirect offsite to {crawls['secret']}",
    )


def test_later_page_redirected_to_another_article_leaves_the_article_incomplete(crawls) -> None:
    db, clean = crawls["db"], crawls["clean"]
    assert ac.failures(db)[url_of(292910, 2)] == ("fetch", "redirected to c_292900")
    record = ac.records(db)[292910]
    assert (record["title"], ac.article_row(db, 292910)["complete"]) == (
        ac.records(clean)[292910]["title"],
        0,
    )
    assert ac.records(db)[292900] == ac.records(clean)[292900]


def test_everything_else_is_archived_as_in_the_clean_crawl(crawls) -> None:
    db, clean = crawls["db"], crawls["clean"]
    records, reference = ac.records(db), ac.records(clean)
    assert set(records) == set(reference) - {293080, 293090, 292998}
    for article_id in set(records) - {292910}:
        assert records[article_id] == reference[article_id], article_id
    assert crawls["result"].returncode == 0
    assert ac.problems(db) == []


@pytest.mark.parametrize(
    ("base", "live", "url", "why"),
    [
        ("http://127.0.0.1:8000/", False, "http://127.0.0.1:8000/a.htm", None),
        ("http://127.0.0.1:8000/", False, "http://127.0.0.1:8001/a.htm",
         "http://127.0.0.1:8001/a.htm is outside the crawl's origins"),
        ("http://127.0.0.1:8000/", False, "https://127.0.0.1:8000/a.htm",
         "https://127.0.0.1:8000/a.htm is outside the crawl's origins"),
        ("http://127.0.0.1:8000/", False, "http://localhost:8000/a.htm",
         "http://localhost:8000/a.htm is outside the crawl's origins"),
        (f"{SITE}/", True, "http://www.ehangzhou.gov.cn/a.htm", None),
        (f"{SITE}/", True, "https://www.ehangzhou.gov.cn:8443/a.htm",
         "https://www.ehangzhou.gov.cn:8443/a.htm is outside the crawl's origins"),
        (f"{SITE}/", True, "https://mail.ehangzhou.gov.cn/a.htm",
         "https://mail.ehangzhou.gov.cn/a.htm is outside the crawl's origins"),
        (f"{SITE}/", True, "https://img.ehangzhou.gov.cn/1.jpg", None),
        (f"{SITE}/", True, "https://rebound.ehangzhou.gov.cn/1.jpg",
         "https://rebound.ehangzhou.gov.cn/1.jpg resolves to an internal address (10.1.2.3)"),
        (f"{SITE}/", True, "http://169.254.169.254/latest/meta-data/",
         "http://169.254.169.254/latest/meta-data/ is outside the crawl's origins"),
        ("ftp://x/", False, "", "not an http(s) base URL: ftp://x/"),
    ],
)  # fmt: skip
def test_origin_policy(base: str, live: bool, url: str, why: str | None) -> None:
    addresses = {
        "www.ehangzhou.gov.cn": ["120.55.10.7"],
        "img.ehangzhou.gov.cn": ["120.55.10.8"],
        "rebound.ehangzhou.gov.cn": ["120.55.10.9", "10.1.2.3"],  # DNS rebinding
    }
    hosts = ("img.ehangzhou.gov.cn", "rebound.ehangzhou.gov.cn")
    if base.startswith("ftp"):
        with pytest.raises(ValueError, match=re.escape(why)):
            OriginPolicy(base, live=live)
        return
    policy = OriginPolicy(base, live=live, image_hosts=hosts, resolve=addresses.__getitem__)
    assert policy.refusal(url) == why


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "169.254.169.254",
                                     "100.100.100.200", "::1", "::ffff:192.168.1.1"])  # fmt: skip
def test_live_site_resolving_inward_is_refused(address: str) -> None:
    policy = OriginPolicy(f"{SITE}/", live=True, resolve=lambda host: [address])
    assert policy.refusal(f"{SITE}/a.htm") == (
        f"{SITE}/a.htm resolves to an internal address ({address})"
    )


def test_loopback_base_allows_only_its_own_port(tmp_path: Path) -> None:
    policy = OriginPolicy("http://localhost:8000/", live=False, resolve=lambda h: ["127.0.0.1"])
    assert policy.refusal("http://localhost:8000/x.htm") is None
    assert policy.refusal("http://localhost:8001/x.htm") == (
        "http://localhost:8001/x.htm is outside the crawl's origins"
    )
