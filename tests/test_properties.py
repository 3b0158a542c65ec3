"""Property-based tests (hypothesis): the URL canonicaliser never breaks its promises."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ehz_scraper.errors import BadURL
from ehz_scraper.urls import canonicalize_url, parse_article_url, to_fetch_url

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
    canon_or_bad(url, base)  # any other exception fails the test


@FAST
@given(st.text(max_size=200))
def test_never_raises_on_bytes_like_garbage_with_a_site_base(url: str) -> None:
    canon_or_bad(url, "https://www.ehangzhou.gov.cn/2021-05/12/c_266285.htm")


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
