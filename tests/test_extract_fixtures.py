"""The extractor on the hand-made pages of tests/fixtures/pages: every record field, exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ehz_scraper.errors import NotAnArticle
from ehz_scraper.extraction import Page, extract_article
from ehz_scraper.site.urls import article_page_url, canonicalize_url, parse_article_url

PAGES_DIR = Path(__file__).parent / "fixtures" / "pages"
CASES = sorted(p for p in PAGES_DIR.iterdir() if (p / "expected.json").is_file())
_PAGE_FILE = re.compile(r"^(?:c_\d+(?:_(\d+))?|page)\.html?$")


def _page_number(path: Path) -> int:
    match = _PAGE_FILE.match(path.name)
    assert match is not None, path
    return int(match[1] or 1)


def load_case(case: Path) -> tuple[list[Page], str | None]:
    """The pages of a case folder as the fixtures README says to pass them, and the url keyword."""
    meta_path = case / "meta.json"
    meta = json.loads(meta_path.read_text("utf-8")) if meta_path.is_file() else {}
    files = sorted((p for p in case.iterdir() if _PAGE_FILE.match(p.name)), key=_page_number)
    url = meta.get("url")
    page1 = None
    if url is not None:
        ref = parse_article_url(canonicalize_url(url))
        page1 = ref.page1_url if ref else canonicalize_url(url)
    headers = meta.get("headers", {})
    pages = [
        Page(
            url=article_page_url(page1, k) if page1 else None,
            body=path.read_bytes(),
            headers=headers.get(path.name),
        )
        for k, path in enumerate(files, start=1)
    ]
    return pages, url


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Path) -> None:
    expected = json.loads((case / "expected.json").read_text("utf-8"))
    pages, url = load_case(case)
    if expected.get("error") == "NotAnArticle":
        with pytest.raises(NotAnArticle) as info:
            extract_article(pages, url=url)
        assert str(info.value) == expected["reason"]
        return
    record = extract_article(pages, url=url)
    assert list(record) == list(expected)  # every field, in the contract's order
    for key in expected:
        assert record[key] == expected[key], key
