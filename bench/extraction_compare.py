"""ehz's extractor vs trafilatura vs newspaper4k on the same pages: speed and field accuracy.

Each tool gets one page's HTML (no download) and its URL, in this process. Accuracy is scored
against the generator's ground truth for that page: title, date (the day), body paragraphs
(in order; headings and captions are not body paragraphs) and captions (caption text without the
credit bracket). The scoring is lenient to the general-purpose tools: their text is split into
lines, whitespace is normalised the same way for every tool, and lines equal to a true heading
are dropped (they have no notion of a heading); they have no caption field, so a page with
captions counts as wrong for them and a page without as right.
"""

from __future__ import annotations

import re
import statistics
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

FIELDS = ("title", "date", "paragraphs", "captions")
_WS = re.compile(r"\s+")


def _norm(text: str | None) -> str:
    return _WS.sub(" ", (text or "").replace("\u00a0", " ").replace("\u3000", " ")).strip()


@dataclass
class SamplePage:
    """One page to extract and what it should give."""

    url: str
    body: bytes
    title: str
    date: str  # YYYY-MM-DD
    paragraphs: list[str]
    headings: list[str]
    captions: list[str]


@dataclass
class ToolResult:
    """One tool over the sample, over repeats: timings and the fields it got."""

    name: str
    version: str
    ms_median: list[float] = field(default_factory=list)  # one per repeat
    ms_p95: list[float] = field(default_factory=list)
    correct: Counter = field(default_factory=Counter)  # field -> pages exactly right
    para_f1: float = 0.0  # mean paragraph F1 (a softer view than exact lists)
    pages: int = 0
    errors: int = 0
    error_example: str = ""

    def accuracy(self, name: str) -> float:
        return 100.0 * self.correct[name] / self.pages if self.pages else 0.0


Extracted = dict  # {"title", "date", "paragraphs", "captions"}


def _ehz() -> tuple[str, Callable[[SamplePage], Extracted]]:
    from ehz_scraper.extraction import Page, extract_article

    headers = [("Content-Type", "text/html; charset=utf-8")]

    def run(p: SamplePage) -> Extracted:
        rec = extract_article([Page(p.url, p.body, headers)])
        return {
            "title": rec["title"],
            "date": (rec["date"] or "")[:10],
            "paragraphs": [q for s in rec["sections"] for q in s["paragraphs"]],
            "headings": [s["heading"] for s in rec["sections"] if s["heading"]],
            "captions": [i["caption"] for i in rec["images"] if i["caption"]],
        }

    try:
        from importlib.metadata import version

        name = f"ehz {version('ehz-scraper')}"
    except Exception:
        name = "ehz"
    return name, run


def _trafilatura() -> tuple[str, Callable[[SamplePage], Extracted]]:
    import trafilatura

    def run(p: SamplePage) -> Extracted:
        doc = trafilatura.bare_extraction(p.body, url=p.url, with_metadata=True)
        if doc is None:
            return {"title": None, "date": "", "paragraphs": [], "captions": None}
        text = doc.text if hasattr(doc, "text") else doc.get("text")
        title = doc.title if hasattr(doc, "title") else doc.get("title")
        date = doc.date if hasattr(doc, "date") else doc.get("date")
        return {
            "title": title,
            "date": (date or "")[:10],
            "lines": (text or "").split("\n"),
            "captions": None,
        }

    return f"trafilatura {trafilatura.__version__}", run


def _newspaper() -> tuple[str, Callable[[SamplePage], Extracted]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "nltk is not installed": NLP is not used here
        import newspaper
        from newspaper import Article

    def run(p: SamplePage) -> Extracted:
        art = Article(p.url, language="en", fetch_images=False)
        art.download(input_html=p.body.decode("utf-8"))
        art.parse()
        date = art.publish_date.date().isoformat() if art.publish_date else ""
        return {"title": art.title, "date": date, "lines": art.text.split("\n"), "captions": None}

    return f"newspaper4k {newspaper.__version__}", run


def _lxml_parse() -> tuple[str, Callable[[SamplePage], Extracted | None]]:
    import lxml
    from lxml import etree

    parser = etree.HTMLParser()

    def run(p: SamplePage) -> None:
        etree.fromstring(p.body, parser)  # the floor: parsing alone, no extraction
        return None

    return f"lxml {lxml.__version__} (parse only)", run


TOOLS: dict[str, Callable[[], tuple[str, Callable[[SamplePage], Extracted]]]] = {
    "lxml parse": _lxml_parse,
    "ehz": _ehz,
    "trafilatura": _trafilatura,
    "newspaper4k": _newspaper,
}


def _score(page: SamplePage, got: Extracted) -> tuple[dict[str, bool], float]:
    if "lines" in got:
        heads = {_norm(h) for h in page.headings}
        paras = [q for q in (_norm(x) for x in got["lines"]) if q and q not in heads]
    else:
        paras = [_norm(q) for q in got["paragraphs"]]
    want = [_norm(q) for q in page.paragraphs]
    caps = got["captions"] or []
    ok = {
        "title": _norm(got["title"]) == _norm(page.title),
        "date": got["date"] == page.date,
        "paragraphs": paras == want,
        "captions": [_norm(c) for c in caps] == [_norm(c) for c in page.captions],
    }
    common = sum((Counter(paras) & Counter(want)).values())
    f1 = 2 * common / (len(paras) + len(want)) if paras or want else 1.0
    return ok, f1


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def compare(
    pages: list[SamplePage],
    repeats: int = 3,
    tools: tuple[str, ...] = ("lxml parse", "ehz", "trafilatura", "newspaper4k"),
) -> list[ToolResult]:
    """Run every tool over `pages` `repeats` times; accuracy from the first repeat."""
    results = []
    for key in tools:
        try:
            version, fn = TOOLS[key]()
        except ImportError as exc:
            results.append(ToolResult(key, f"not installed ({exc})"))
            continue
        res = ToolResult(key, version, pages=len(pages))
        f1s: list[float] = []
        for rep in range(repeats):
            times: list[float] = []
            for page in pages:
                started = time.perf_counter()
                try:
                    got = fn(page)
                except Exception as exc:  # a tool failing on a page counts as wrong on every field
                    times.append((time.perf_counter() - started) * 1000)
                    if rep == 0:
                        res.errors += 1
                        res.error_example = (
                            res.error_example or f"{type(exc).__name__}: {exc}"[:160]
                        )
                        f1s.append(0.0)
                    continue
                times.append((time.perf_counter() - started) * 1000)
                if rep == 0 and got is not None:
                    ok, f1 = _score(page, got)
                    f1s.append(f1)
                    for name, right in ok.items():
                        res.correct[name] += int(right)
            res.ms_median.append(statistics.median(times))
            res.ms_p95.append(_p95(times))
        res.para_f1 = 100.0 * statistics.fmean(f1s) if f1s else 0.0
        if not f1s:
            res.pages = 0  # a reference timing, not an extractor: no accuracy
        results.append(res)
    return results


def sample_from_site(site, count: int) -> list[SamplePage]:
    """`count` article pages spread over a generated site, with their truth."""
    from bench.sitegen import pick_pages

    out = []
    for path, truth in pick_pages(site, count):
        out.append(
            SamplePage(
                url=truth["url"],
                body=(site.root / path).read_bytes(),
                title=truth["title"],
                date=truth["date"][:10],
                paragraphs=truth["paragraphs"],
                headings=truth["headings"],
                captions=truth["captions"],
            )
        )
    return out


RECORD_FIELDS = (
    "article_id",
    "url",
    "page_urls",
    "page_count",
    "title",
    "date",
    "date_text",
    "source",
    "byline",
    "section",
    "breadcrumb",
    "sections",
    "images",
    "body_text",
)


def ehz_full_records(site, count: int) -> tuple[int, dict[str, int], str]:
    """ehz on whole articles (all pages in order): (articles, field -> exact count, a miss).

    Every field of the record contract except `extraction` is compared exactly with the
    generator's expected record.
    """
    from ehz_scraper.extraction import Page, extract_article

    truth = list(site.load_truth().values())
    step = max(1, len(truth) // count)
    chosen = truth[::step][:count]
    right = dict.fromkeys(RECORD_FIELDS, 0)
    example = ""
    headers = [("Content-Type", "text/html; charset=utf-8")]
    for rec in chosen:
        pages = [
            Page(url, (site.root / url.split("/", 3)[3]).read_bytes(), headers)
            for url in rec["page_urls"]
        ]
        try:
            got = extract_article(pages)
        except Exception as exc:
            example = example or f"{rec['url']}: {type(exc).__name__}: {exc}"[:200]
            continue
        for name in RECORD_FIELDS:
            if got.get(name) == rec[name]:
                right[name] += 1
            elif not example:
                example = f"{rec['url']} {name}: got {str(got.get(name))[:80]!r}"
    return len(chosen), right, example
