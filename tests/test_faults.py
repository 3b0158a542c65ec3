"""Faults at the loopback site, one test per fault: what the archive holds after each.

Four real `scrapy crawl latest -a mode=full` runs against tests/support/fault_server.py: a
clean one (the reference), one with a different fault on each of fourteen Latest articles
(and a listing page), one with robots.txt disallowing a section, one with a listing pager
that never ends. Each test checks one fault: the affected URL is in `failures` with a reason
a person understands (or recovers and is archived as in the clean crawl), retries are bounded
(requests to the faulted path), and everything else is archived exactly as in the clean crawl;
the run's status and counts say what happened, and the archive is whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import archive_check as ac
from tests.support.crawling import MANIFEST, CrawlResult, crawl
from tests.support.fault_server import Fault, FaultServer

SITE = "https://www.ehangzhou.gov.cn"
SITE_DIR = Path(__file__).parent / "fixtures" / "site"
# Fast: a short timeout and no backoff; RETRY_TIMES=3 and DOWNLOAD_MAXSIZE (8 MiB) as in
# production. (A 1 s timeout made a loaded CI box retry healthy pages now and then.)
SETTINGS = {"DOWNLOAD_TIMEOUT": "2", "RETRY_BACKOFF_BASE": "0", "EHZ_MAX_LISTING_PAGES": "5"}


def path_of(article_id: int, page: int = 1) -> str:
    return "/" + url_of(article_id, page).split("/", 3)[3]


def url_of(article_id: int, page: int = 1) -> str:
    return MANIFEST["articles"][str(article_id)]["page_urls"][page - 1]


@dataclass(frozen=True)
class Case:
    """One fault on one path, and what the archive must hold for it afterwards."""

    article: int | None  # the article it hits (None: a listing page)
    path: str
    fault: Callable[[int], Fault]  # from the server's port
    failure: Callable[[int], tuple[str, str]] | None  # (stage, reason); None: it recovers
    hits: int  # requests the path receives: retries are bounded
    archived: str = "no"  # "no", "same" (as in the clean crawl), "incomplete", "as received"


def _fixture(path: str) -> bytes:
    return (SITE_DIR / path.lstrip("/")).read_bytes()


# Malformed links among the real ones on listing page 3: none may break the walk.
BAD_LINKS = b"".join(
    b'<li><a href="' + href + b'">bad link</a></li>'
    for href in (
        b"http://[::1/2025-01/01/c_1.htm",
        b"javascript:void(0)",
        b"http://www.ehangzhou.gov.cn:99999/2025-01/01/c_2.htm",
        b"2025-01/01/c_3\x00.htm",
        b"//" + b"a" * 5000 + b".htm",
        b"2025-13/45/c_99999999999999999999999999.htm",
        b"mailto:someone@example.org",
        b"2025-01/01/c_" + b"9" * 5000 + b".htm",  # int() refuses 4,300 digits or more
        b"2025-01/01/c_1234567890123.htm",  # 13 digits: no article id
        "2025-01/01/c_\u0663\u0663.htm".encode(),  # Arabic-Indic digits: int() reads 33
    )
)
LISTING_3 = _fixture("/node_7040_3.htm").replace(
    b'<ul class="list">', b'<ul class="list">' + BAD_LINKS
)
NUL_PAGE = _fixture(path_of(292828)).replace(b"<p>", b"<p>\x00", 3)
BAD_UTF8_PAGE = _fixture(path_of(292808)).replace(b"<p>", b"<p>\xff\xfe\xc3\x28", 3)
LONG_TITLE = ("Hangzhou " * 20000).strip()
LONG_TITLE_PAGE = _fixture(path_of(292792)).replace(
    MANIFEST["articles"]["292792"]["title"].encode(), LONG_TITLE.encode()
)

# A pager with a superscript digit (isdigit() but not int()) and junk-number links in the
# pager and the related box: the article is archived as in the clean crawl.
NINES = b"9" * 5000
ODD_NUMBERS_PAGE = (
    _fixture(path_of(292844))
    .replace(
        b'href="c_292844_2.htm">&gt;</a></div>',
        b'href="c_292844_2.htm">&gt;</a> <span>\xc2\xb2</span> <b>\xd9\xa3</b>'
        b' <a href="c_292844_' + NINES + b'.htm">9</a></div>',
    )
    .replace(
        b'<div class="related"><h3>Related</h3><ul>',
        b'<div class="related"><h3>Related</h3><ul><li><a href="c_' + NINES + b'.htm">x</a></li>',
    )
)
assert ODD_NUMBERS_PAGE.count(NINES) == 2


def _offsite(port: int) -> str:
    return f"http://localhost:{port}{path_of(292962)}"


# One Latest article (or listing page) per fault, so all run in one crawl.
CASES: dict[str, Case] = {
    "503-burst-then-recovery": Case(
        293116, path_of(293116), lambda p: Fault("status", status=503, times=2), None, 3, "same"
    ),
    "500-forever": Case(
        293090,
        path_of(293090),
        lambda p: Fault("status", status=500),
        lambda p: ("fetch", "HTTP 500 after 3 retries"),
        4,
    ),
    "listing-page-503-burst": Case(
        None, "/node_7040_2.htm", lambda p: Fault("status", status=503, times=3), None, 4
    ),
    "hang-past-download-timeout": Case(
        293060,
        path_of(293060),
        lambda p: Fault("hang", seconds=4),
        lambda p: ("fetch", "timeout after 3 retries"),
        4,
    ),
    "connection-dropped-mid-body": Case(
        293044,
        path_of(293044),
        lambda p: Fault("drop"),
        lambda p: ("fetch", "connection dropped mid-body after 3 retries"),
        4,
    ),
    "page-3-of-7-dropped": Case(
        293018,
        path_of(293018, 3),
        lambda p: Fault("drop"),
        lambda p: ("fetch", "connection dropped mid-body after 3 retries"),
        4,
        "incomplete",
    ),
    "10-MB-page": Case(
        293008,
        path_of(293008),
        lambda p: Fault("huge", size=10 * 1024 * 1024),
        lambda p: ("fetch", "exceeded DOWNLOAD_MAXSIZE (8388608 bytes)"),
        1,
    ),
    "gzip-bomb": Case(
        292998,
        path_of(292998),
        lambda p: Fault("gzip_bomb", size=20 * 1024 * 1024),
        lambda p: ("fetch", "exceeded DOWNLOAD_MAXSIZE (8388608 bytes) when decompressed"),
        1,
    ),
    "redirect-loop": Case(
        292972,
        path_of(292972),
        lambda p: Fault("loop"),
        lambda p: ("fetch", "too many redirects: 21 (a redirect loop)"),
        21,
    ),
    "redirect-to-another-host": Case(
        292962,
        path_of(292962),
        lambda p: Fault("redirect", location=_offsite(p)),
        lambda p: ("fetch", f"redirect offsite to {_offsite(p)}"),
        1,
    ),
    "page-not-found-with-status-200": Case(
        292916,
        path_of(292916),
        lambda p: Fault("soft404"),
        lambda p: ("extract", "not an article: page not found"),
        1,
    ),
    "429-retry-after-then-recovery": Case(
        292900,
        path_of(292900),
        lambda p: Fault("status", status=429, headers={"Retry-After": "1"}, times=2),
        None,
        3,
        "same",
    ),
    "429-forever": Case(
        292880,
        path_of(292880),
        lambda p: Fault("status", status=429, headers={"Retry-After": "1"}),
        lambda p: ("fetch", "HTTP 429 after 3 retries (Retry-After: 1)"),
        4,
    ),
    "truncated-html": Case(
        292864, path_of(292864), lambda p: Fault("truncate", fraction=0.6), None, 1, "as received"
    ),
    "wrong-charset-header": Case(
        293080,
        path_of(293080),
        lambda p: Fault("charset", charset="iso-8859-1"),
        None,
        1,
        "same",
    ),
    "malformed-links-on-a-listing-page": Case(
        None, "/node_7040_3.htm", lambda p: Fault("body", body=LISTING_3), None, 1
    ),
    "nul-bytes-in-a-page": Case(
        292828, path_of(292828), lambda p: Fault("body", body=NUL_PAGE), None, 1, "cleaned"
    ),
    "invalid-utf-8-in-a-page": Case(
        292808, path_of(292808), lambda p: Fault("body", body=BAD_UTF8_PAGE), None, 1, "cleaned"
    ),
    "absurdly-long-title": Case(
        292792,
        path_of(292792),
        lambda p: Fault("body", body=LONG_TITLE_PAGE),
        None,
        1,
        "long title",
    ),
    "charset-base64-in-the-header": Case(
        292720,
        path_of(292720),
        lambda p: Fault("charset", charset="base64"),
        None,
        1,
        "charset ignored",
    ),
    "odd-numbers-in-pager-and-related-box": Case(
        292844, path_of(292844), lambda p: Fault("body", body=ODD_NUMBERS_PAGE), None, 1, "same"
    ),
    "503-with-retry-after-superscript-two": Case(
        292700,
        path_of(292700),
        lambda p: Fault("status", status=503, headers={"Retry-After": "\u00b2"}, times=1),
        None,
        2,
        "same",
    ),
}
AFFECTED = {c.article for c in CASES.values() if c.article and c.archived != "same"}


@dataclass
class Crawl:
    server: FaultServer
    db: Path
    result: CrawlResult

    @property
    def run(self) -> dict[str, Any]:
        return ac.last_run(self.db)


def _crawl(tmp: Path, faults: dict[str, Callable[[int], Fault]], robots: str | None = None):
    db = tmp / "archive.db"
    server = FaultServer()
    server.robots = robots
    with server:
        for path, fault in faults.items():
            server.set_fault(path, fault(server.port))
        result = crawl("latest", server.base_url, db, "mode=full", settings=SETTINGS)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return Crawl(server, db, result)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Crawl:
    """The reference: the same crawl with no fault."""
    done = _crawl(tmp_path_factory.mktemp("clean"), {})
    assert done.result.returncode == 0, done.result.stdout + done.result.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def faulty(tmp_path_factory) -> Crawl:
    """One crawl with every fault of CASES, each on its own path."""
    return _crawl(tmp_path_factory.mktemp("faults"), {c.path: c.fault for c in CASES.values()})


@pytest.mark.parametrize("name", list(CASES))
def test_fault(name: str, clean: Crawl, faulty: Crawl) -> None:
    case = CASES[name]
    port = faulty.server.port
    failures = ac.failures(faulty.db)
    failed_url = SITE + case.path
    if case.failure is None:
        assert failed_url not in failures
    else:
        assert failures[failed_url] == case.failure(port)
    assert faulty.server.hits(case.path) == case.hits
    if case.article is None:
        return
    records, reference = ac.records(faulty.db), ac.records(clean.db)
    if case.archived == "no":
        assert case.article not in records
    elif case.archived == "same":
        assert records[case.article] == reference[case.article]
    elif case.archived == "incomplete":
        row = ac.article_row(faulty.db, case.article)
        assert (row["complete"], row["page_count"]) == (0, 6)
        assert records[case.article]["page_urls"] == [
            u for k, u in enumerate(reference[case.article]["page_urls"], 1) if k != 3
        ]
    elif case.archived == "cleaned":
        # Stored byte-exact; the record is the clean one, but for the junk bytes' traces.
        assert ac.snapshot_bytes(faulty.db, failed_url) == case.fault(port).body
        record, ref = records[case.article], reference[case.article]
        assert record["title"] == ref["title"]
        assert "\x00" not in record["body_text"]
        assert len(record["sections"]) == len(ref["sections"])
    elif case.archived == "long title":
        assert records[case.article]["title"] == LONG_TITLE
        assert ac.article_row(faulty.db, case.article)["title"] == LONG_TITLE
    elif case.archived == "charset ignored":
        # No LookupError: the declaration counts as none, the bytes (UTF-8) decide.
        record, ref = records[case.article], reference[case.article]
        assert {**record, "extraction": None} == {**ref, "extraction": None}
        assert record["extraction"]["warnings"] == [
            *ref["extraction"]["warnings"],
            "declared charset base64 ignored: unknown or not a text encoding",
        ]
        assert ac.snapshot_encoding(faulty.db, failed_url) == "utf-8"
    elif case.archived == "as received":
        page = (SITE_DIR / case.path.lstrip("/")).read_bytes()
        assert ac.snapshot_bytes(faulty.db, failed_url) == page[: int(len(page) * 0.6)]
        assert records[case.article]["title"] == reference[case.article]["title"]


def test_everything_unaffected_is_archived_as_in_a_clean_crawl(clean: Crawl, faulty: Crawl):
    records, reference = ac.records(faulty.db), ac.records(clean.db)
    unaffected = set(reference) - AFFECTED
    assert unaffected <= set(records)
    assert {i: records[i] for i in unaffected} == {i: reference[i] for i in unaffected}
    # The clean crawl's own failures (the fixture's soft 404 and missing page) are the same.
    assert set(ac.failures(clean.db)) <= set(ac.failures(faulty.db))


def test_the_run_says_what_happened(clean: Crawl, faulty: Crawl) -> None:
    assert faulty.result.returncode == 0, faulty.result.stdout + faulty.result.stderr[-3000:]
    run, ref = faulty.run, clean.run
    lost = sum(1 for c in CASES.values() if c.article and c.archived == "no")  # 9 not archived
    assert (ref["status"], ref["listing_pages"], ref["articles_new"]) == ("finished", 3, 26)
    assert (ref["articles_incomplete"], ref["articles_failed"]) == (1, 1)
    assert (run["status"], run["listing_pages"]) == ("finished", 3)
    assert run["articles_new"] == ref["articles_new"] - lost
    assert run["articles_incomplete"] == ref["articles_incomplete"] + 1  # page 3 of 7
    assert run["articles_failed"] == ref["articles_failed"] + lost
    # Nothing else failed: the malformed links were skipped, the odd bytes extracted.
    port = faulty.server.port
    expected = {SITE + c.path: c.failure(port) for c in CASES.values() if c.failure}
    assert ac.failures(faulty.db) == {**ac.failures(clean.db), **expected}
    lines = faulty.result.stdout.splitlines()
    assert lines[0] == "ehz crawl latest: finished (exit 0)"
    assert ac.problems(faulty.db) == []
    assert ac.problems(clean.db) == []


def test_offsite_redirect_is_never_followed(faulty: Crawl) -> None:
    assert {r.headers.get("Host") for r in faulty.server.requests} == {
        f"127.0.0.1:{faulty.server.port}"
    }


def test_429_waits_for_retry_after(faulty: Crawl) -> None:
    path = CASES["429-retry-after-then-recovery"].path
    times = [r.at for r in faulty.server.requests if r.path == path]
    assert len(times) == 3
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.95


def test_robots_txt_disallowing_a_section(clean: Crawl, tmp_path: Path) -> None:
    done = _crawl(tmp_path, {}, robots="User-agent: *\nDisallow: /2025-04/\n")
    disallowed = {293080, 293090, 293116}
    assert ac.failures(done.db) == {
        **ac.failures(clean.db),
        **{url_of(i): ("fetch", "disallowed by robots.txt") for i in disallowed},
    }
    assert all(done.server.hits(path_of(i)) == 0 for i in disallowed)
    reference = ac.records(clean.db)
    assert ac.records(done.db) == {i: r for i, r in reference.items() if i not in disallowed}
    assert done.result.returncode == 0
    assert ac.problems(done.db) == []


def test_listing_pager_that_never_ends(tmp_path: Path) -> None:
    done = _crawl(tmp_path, {"/node_7040.htm": lambda p: Fault("pager")})
    walk = ac.listings(done.db, done.run["id"])
    assert [(u.rsplit("/", 1)[1], page, stop) for u, page, stop in walk] == [
        ("node_7040.htm", 1, None),
        ("node_7040_2.htm", 2, None),
        ("node_7040_3.htm", 3, None),
        ("node_7040_4.htm", 4, None),
        ("node_7040_5.htm", 5, "listing page cap"),
    ]
    assert done.server.hits("/node_7040_6.htm") == 0
    # Every invented page lists page 1's articles again: each is fetched and archived once.
    first_page = MANIFEST["sections"]["Latest"]["listing_pages"][0]
    assert set(ac.records(done.db)) == set(first_page)
    assert all(done.server.hits(path_of(i)) == 1 for i in first_page)
    assert (done.run["status"], done.result.returncode) == ("degraded", 3)
    assert "why: listing walk of Latest cut at page 5: listing page cap" in done.result.stdout
    assert ac.problems(done.db) == []
