"""Property-based tests (hypothesis): the URL canonicaliser and the date parser keep promises."""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ehz_scraper.errors import BadURL
from ehz_scraper.extraction.dates import date_from_url, find_date, parse_date
from ehz_scraper.site.urls import canonicalize_url, parse_article_url, to_fetch_url

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

segment = st.text(
    alphabet=string.ascii_letters + string.digits + "-._~%!$&'()*+,;=:@ 中文é",
    min_size=1,
    max_size=12,
)
paths = st.lists(segment, min_size=0, max_size=4).map(lambda parts: "/" + "/".join(parts))
queries = st.one_of(
    st.just(""),
    st.lists(
        st.tuples(
            st.text(string.ascii_lowercase, min_size=1, max_size=3),
            st.text(string.digits, max_size=3),
        ),
        max_size=3,
    ).map(lambda kv: "&".join(f"{k}={v}" for k, v in kv)),
)
article_paths = st.builds(
    lambda y, m, d, i, k: f"/{y:04d}-{m:02d}/{d:02d}/c_{i}{'' if k == 1 else f'_{k}'}.htm",
    st.integers(2000, 2030),
    st.integers(1, 12),
    st.integers(1, 31),
    st.integers(1, 10**9),
    st.integers(1, 30),
)
hosts = st.sampled_from(
    ["www.ehangzhou.gov.cn", "ehangzhou.gov.cn", "WWW.EHANGZHOU.GOV.CN", "Ehangzhou.Gov.Cn"]
)


def canon_or_bad(url: str, base: str | None = None, mirror: str | None = None) -> str | None:
    try:
        return canonicalize_url(url, base, mirror=mirror)
    except BadURL:
        return None


@FAST
@given(st.text(max_size=200), st.one_of(st.none(), st.text(max_size=80)))
@example("http://[::1", None)
@example("http://a.b:99999/", None)
@example("//", "http://www.ehangzhou.gov.cn/")
@example("\udcff", None)
@example("https://www.ehangzhou.gov.cn/%", None)
def test_never_raises_anything_but_badurl(url: str, base: str | None) -> None:
    # Any other exception fails the test; what comes out is a canonical URL or BadURL.
    assert_canonical_or_none(canon_or_bad(url, base))


SITE_PAGE = "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm"


@FAST
@given(st.text(max_size=200))
def test_never_raises_on_bytes_like_garbage_with_a_site_base(url: str) -> None:
    result = canon_or_bad(url, SITE_PAGE)
    assert_canonical_or_none(result)
    written = url.strip().replace("\\", "/")  # as canonicalize_url reads it
    if result is not None and "://" not in written and not written.startswith("//"):
        # A relative reference stays on the site.
        assert result.startswith("https://www.ehangzhou.gov.cn/"), (url, result)


def assert_canonical_or_none(result: str | None) -> None:
    if result is None:
        return
    parts = urlsplit(result)
    assert parts.scheme in ("http", "https") and parts.hostname
    assert "#" not in result
    assert canon_or_bad(result) == result  # canonical: a second pass changes nothing


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("http://[::1", None, None),
        ("http://a.b:99999/", None, None),
        ("\udcff", None, None),
        ("//", "http://www.ehangzhou.gov.cn/", "https://www.ehangzhou.gov.cn/"),
        ("https://www.ehangzhou.gov.cn/%", None, "https://www.ehangzhou.gov.cn/%"),
        ("x#frag", SITE_PAGE, "https://www.ehangzhou.gov.cn/2021-05/12/x"),
    ],
)
def test_garbage_urls_have_known_outcomes(url: str, base: str | None, expected: str | None):
    assert canon_or_bad(url, base) == expected


@FAST
@given(
    st.one_of(
        st.text(max_size=120),
        st.builds(lambda h, p, q: f"http://{h}{p}?{q}", hosts, paths, queries),
    )
)
def test_idempotent(url: str) -> None:
    once = canon_or_bad(url)
    if once is not None:
        assert canonicalize_url(once) == once


@FAST
@given(
    st.one_of(article_paths, paths),
    queries,
    st.sampled_from(["http", "https"]),
    hosts,
    st.sampled_from(["", "#top", "#"]),
)
def test_every_site_form_maps_to_one_key(
    path: str, query: str, scheme: str, host: str, fragment: str
) -> None:
    reference = canon_or_bad(f"https://www.ehangzhou.gov.cn{path}" + (f"?{query}" if query else ""))
    if reference is None:
        return
    tail = path + (f"?{query}" if query else "") + fragment
    forms = [
        f"{scheme}://{host}{tail}",
        f"//{host}{tail}",
        f"  {scheme}://{host}{tail}  ",
    ]
    for form in forms:
        assert canonicalize_url(form) == reference, form
    # Relative to any page of the site, and on a loopback mirror of it.
    assert canonicalize_url(tail, f"{scheme}://{host}/node_7040.htm") == reference
    mirror = "http://127.0.0.1:8765/"
    assert canonicalize_url(f"http://127.0.0.1:8765{tail}", mirror=mirror) == reference
    assert canonicalize_url(to_fetch_url(reference, mirror), mirror=mirror) == reference
    assert reference.startswith("https://www.ehangzhou.gov.cn/")


@FAST
@given(article_paths, hosts, st.sampled_from(["http", "https"]))
def test_article_urls_keep_their_id_and_page(path: str, host: str, scheme: str) -> None:
    canon = canonicalize_url(f"{scheme}://{host}{path}")
    ref = parse_article_url(canon)
    assert ref is not None
    name = path.rsplit("/", 1)[1].removesuffix(".htm").removeprefix("c_")
    article_id, _, page = name.partition("_")
    assert (ref.article_id, ref.page) == (int(article_id), int(page or 1))
    assert parse_article_url(ref.page1_url).page == 1


# --- The date parser (extraction/dates.py) --------------------------------------------------

MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
BEIJING = timezone(timedelta(hours=8))
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


def _valid_iso(value: str) -> bool:
    if len(value) == 10:
        date.fromisoformat(value)
        return True
    moment = datetime.fromisoformat(value)
    return moment.utcoffset() == timedelta(hours=8)


@FAST
@given(st.text(max_size=120))
@example("Updated: 2021-02-30")
@example("Updated: 2021-05-12 25:61")
@example("May 12, 99999999999999999999")
@example("2021-05-12 10:31 UTC+99")
def test_date_parser_never_raises_and_returns_iso_or_none(text: str) -> None:
    for result in (parse_date(text), getattr(find_date(text), "iso", None)):
        assert result is None or _valid_iso(result)


@FAST
@given(st.text(max_size=120))
def test_date_parser_is_idempotent(text: str) -> None:
    once = parse_date(text)
    if once is not None:
        assert parse_date(once) == once


@FAST
@given(
    dates,
    st.sampled_from(["{b} {d}, {y}", "{y}-{m:02d}-{d:02d}", "{d} {b} {y}", "{b_short}. {d}, {y}"]),
    st.sampled_from(
        ["", "Updated: ", "www.ehangzhou.gov.cn| Updated: ", "By Zhang Yi | Xinhua | "]
    ),
    st.sampled_from(["", " L M S", "\u00a0", " | chinadaily.com.cn"]),
)
def test_printed_dates_parse_to_their_day(day: date, fmt: str, prefix: str, suffix: str) -> None:
    printed = fmt.format(
        b=MONTH_NAMES[day.month - 1],
        b_short=MONTH_NAMES[day.month - 1][:3],
        d=day.day,
        m=day.month,
        y=day.year,
    )
    assert parse_date(prefix + printed + suffix) == day.isoformat()


@FAST
@given(dates, st.integers(0, 23), st.integers(0, 59))
def test_printed_times_are_beijing_time(day: date, hour: int, minute: int) -> None:
    text = f"Updated: {day.isoformat()} {hour:02d}:{minute:02d}"
    expected = datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)
    assert parse_date(text) == expected.isoformat(timespec="seconds")


@FAST
@given(st.text(max_size=80), dates, st.integers(1, 10**9), st.integers(1, 20))
def test_date_from_url(junk: str, day: date, article_id: int, page: int) -> None:
    date_from_url(junk)  # never raises
    suffix = "" if page == 1 else f"_{page}"
    url = f"https://www.ehangzhou.gov.cn/{day.year:04d}-{day.month:02d}/{day.day:02d}/c_{article_id}{suffix}.htm"
    assert date_from_url(url) == day.isoformat()


@FAST
@given(st.integers(2**63, 10**40), st.integers(1, 10**30))
def test_article_ids_beyond_sqlite_are_not_articles(article_id: int, page: int) -> None:
    url = f"https://www.ehangzhou.gov.cn/2025-01/01/c_{article_id}.htm"
    assert parse_article_url(url) is None
    assert (
        parse_article_url(f"https://www.ehangzhou.gov.cn/2025-01/01/c_1_{article_id}.htm") is None
    )
