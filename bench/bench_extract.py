"""Extraction speed: ms/page (median, p95) of ehz's extractor vs trafilatura on the fixture pages.

Run: .venv/bin/python bench/bench_extract.py [--repeat N]
Each fixture page is timed as a one-page article (decode, parse, every record field). The
"real-size" rows pad each page with ~40 KB of header/footer chrome, the size of a live page
(~47 KB), since the hand-made fixtures are smaller than what the crawler downloads.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
import warnings
from pathlib import Path

from lxml import etree

from ehz_scraper.errors import NotAnArticle
from ehz_scraper.extraction import Page, extract_article
from ehz_scraper.site.urls import article_page_url, canonicalize_url

PAGES_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages"
CHROME_LINK = '<li><a href="../../node_{n}.htm">Section {n} of the portal navigation</a></li>\n'


def _pad(body: bytes) -> bytes:
    """The page with a realistic amount of navigation and footer chrome around its content."""
    nav = "".join(CHROME_LINK.format(n=n) for n in range(300)).encode()
    footer = b'<div class="footer"><ul>' + nav + b"</ul><p>Copyright ICP 0000</p></div>"
    header = b'<div class="header"><ul>' + nav + b"</ul></div>"
    head, sep, rest = body.partition(b"<body>")
    if not sep:
        return body
    return head + sep + header + rest.replace(b"</body>", footer + b"</body>")


def _pages() -> list[Page]:
    """Every fixture page that is an article, with its URL when its case has one (as in a crawl)."""
    pages = []
    for path in sorted(PAGES_DIR.glob("*/*.htm")):
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


def _time(fn, items, repeat: int) -> list[float]:
    """Per item, the median of `repeat` runs, in ms."""
    per_item = []
    for item in items:
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn(item)
            runs.append((time.perf_counter() - start) * 1000)
        per_item.append(statistics.median(runs))
    return per_item


def _row(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"{name:<34} {statistics.median(ms):8.3f} {p95:8.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per page (median kept)")
    args = parser.parse_args()
    import trafilatura  # the bench extra

    warnings.filterwarnings("ignore")
    html_parser = etree.HTMLParser()
    pages = _pages()
    padded = [Page(url=p.url, body=_pad(p.body)) for p in pages]
    sizes = sorted(len(p.body) for p in padded)
    print(f"{len(pages)} fixture pages; real-size copies {sizes[0] // 1024}-{sizes[-1] // 1024} KB")
    print(f"{'ms/page':<34} {'median':>8} {'p95':>8}")
    for label, items in (("fixture", pages), ("real-size", padded)):
        texts = [p.body.decode("utf-8", "replace") for p in items]
        ehz = _time(lambda p: extract_article([p]), items, args.repeat)
        bare = _time(lambda p: etree.fromstring(p.body, html_parser), items, args.repeat)
        traf = _time(
            lambda t: trafilatura.bare_extraction(t, with_metadata=True),
            texts,
            max(3, args.repeat // 5),
        )
        print(_row(f"{label}: ehz extract_article", ehz))
        print(_row(f"{label}: bare lxml parse", bare))
        print(_row(f"{label}: trafilatura.bare_extraction", traf))
        ratio = statistics.median(traf) / statistics.median(ehz)
        print(f"{label}: ehz is {ratio:.0f}x faster than trafilatura (median)")


if __name__ == "__main__":
    main()
