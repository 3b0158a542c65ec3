"""Extraction speed on the hand-made fixture pages (tests/fixtures/pages): ehz vs trafilatura.

Each fixture page that is an article is timed as a one-page article (decode, parse, every
record field), padded with about 40 KB of header/footer chrome, the size of a live page
(~47 KB), since the hand-made fixtures are smaller than what the crawler downloads. A note of
the extraction section of `python -m bench.run` (not in `--smoke`).
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ehz_scraper.errors import NotAnArticle
from ehz_scraper.extraction import Page, extract_article
from ehz_scraper.site.urls import article_page_url, canonicalize_url

PAGES_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages"
CHROME_LINK = '<li><a href="../../node_{n}.htm">Section {n} of the portal navigation</a></li>\n'


def pad_to_live_size(body: bytes) -> bytes:
    """The page with a realistic amount of navigation and footer chrome around its content."""
    nav = "".join(CHROME_LINK.format(n=n) for n in range(300)).encode()
    footer = b'<div class="footer"><ul>' + nav + b"</ul><p>Copyright ICP 0000</p></div>"
    header = b'<div class="header"><ul>' + nav + b"</ul></div>"
    head, sep, rest = body.partition(b"<body>")
    if not sep:
        return body
    return head + sep + header + rest.replace(b"</body>", footer + b"</body>")


def fixture_pages(pages_dir: Path = PAGES_DIR) -> list[Page]:
    """Every fixture page that is an article, with its URL when its case has one (as in a crawl)."""
    pages = []
    for path in sorted(pages_dir.glob("*/*.htm")):
        meta = path.parent / "meta.json"
        url = json.loads(meta.read_text("utf-8")).get("url") if meta.is_file() else None
        if url is not None:
            number = re.search(r"_(\d+)\.htm$", path.name)
            url = article_page_url(canonicalize_url(url), int(number[1]) if number else 1)
        page = Page(url=url, body=path.read_bytes())
        try:
            extract_article([page])
        except NotAnArticle:
            continue  # refusals are cheaper; time real articles only
        pages.append(page)
    return pages


def median_ms_per_item(fn: Callable, items: Iterable, repeat: int) -> list[float]:
    """Per item, the median of `repeat` runs of `fn(item)`, in ms."""
    per_item = []
    for item in items:
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn(item)
            runs.append((time.perf_counter() - start) * 1000)
        per_item.append(statistics.median(runs))
    return per_item


def fixture_pages_speed(repeat: int = 5) -> str:
    """One line for the report: ehz and trafilatura ms/page on the padded fixture pages."""
    import trafilatura  # the bench extra

    pages = [Page(url=p.url, body=pad_to_live_size(p.body)) for p in fixture_pages()]
    ehz_ms = median_ms_per_item(lambda p: extract_article([p]), pages, repeat)
    texts = [p.body.decode("utf-8", "replace") for p in pages]
    traf_ms = median_ms_per_item(
        lambda t: trafilatura.bare_extraction(t, with_metadata=True), texts, max(2, repeat // 2)
    )
    e, t = statistics.median(ehz_ms), statistics.median(traf_ms)
    return (
        f"The hand-made fixture pages (`bench/fixture_pages.py`: {len(pages)} pages of "
        f"tests/fixtures/pages padded to real size, median of {repeat} runs per page): "
        f"ehz {e:.2f} ms/page, trafilatura {t:.1f} ms/page, {t / e:.0f}x."
    )
