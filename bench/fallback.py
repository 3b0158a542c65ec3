"""ehz's fallback path vs trafilatura vs newspaper4k on real article pages from many sites.

`python -m bench.fallback [--pages DIR] [--limit N] [--out FILE]` reads ../shared/peer-pages/
(91 news pages outside the site's template, gzipped, with hand-labelled article text), runs
each tool on each page in this process and prints F1, precision and recall by the
benchmark's own scoring (README there) and ms/page. ehz runs its whole extractor
(`extract_article`), which takes the fallback path on every such page; its text is the
record's `body_text` (headings and paragraphs; captions are not body text).
With `--out`, the table replaces the "Fallback extraction" section of that file.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import json
import os
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.report import Figure, Goal, Section, table

ROOT = Path(__file__).resolve().parent.parent
# CI has a read-only copy of shared/ beside the clone; EHZ_PEER_PAGES points elsewhere.
DEFAULT_PAGES = ROOT.parent / "shared" / "peer-pages"
SECTION_TITLE = "## Fallback extraction: real pages from many sites"
_WORD = re.compile(r"\w+")


def pages_dir() -> Path:
    """Where the peer pages are: $EHZ_PEER_PAGES, else ../shared/peer-pages beside the repo."""
    return Path(os.environ.get("EHZ_PEER_PAGES") or DEFAULT_PAGES)


@dataclass(frozen=True)
class PeerPage:
    key: str
    url: str
    html: bytes
    expected: str


def load_pages(directory: Path, keys: list[str] | None = None) -> list[PeerPage]:
    """The pages of `directory` (all, or those of `keys`), in key order."""
    truth = json.loads((directory / "ground-truth.json").read_text("utf-8"))
    wanted = sorted(truth) if keys is None else keys
    return [
        PeerPage(
            key,
            truth[key]["url"],
            gzip.decompress((directory / "html" / f"{key}.html.gz").read_bytes()),
            truth[key]["articleBody"],
        )
        for key in wanted
    ]


def _shingles(text: str) -> Counter:
    words = _WORD.findall(text or "")
    return Counter(tuple(words[i : i + 4]) for i in range(len(words) - 3))


@dataclass(frozen=True)
class Score:
    f1: float
    precision: float
    recall: float


def score(pairs: list[tuple[str, str]]) -> Score:
    """The benchmark's scoring over (expected, extracted) texts: word 4-shingles with repeats,
    precision and recall averaged over pages, F1 from the two means; a page with nothing
    extracted is left out of precision and counts 0 in recall."""
    precisions: list[float] = []
    recalls: list[float] = []
    for expected, got in pairs:
        want, have = _shingles(expected), _shingles(got)
        tp = sum((want & have).values())
        fp = sum(have.values()) - tp
        fn = sum(want.values()) - tp
        if tp + fp > 0:
            precisions.append(tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(tp / (tp + fn))
    p = statistics.fmean(precisions) if precisions else 0.0
    r = statistics.fmean(recalls) if recalls else 0.0
    return Score(2 * p * r / (p + r) if p + r else 0.0, p, r)


Tool = Callable[[PeerPage], str]


def ehz_fallback() -> tuple[str, Tool]:
    from importlib.metadata import version

    from ehz_scraper.errors import NotAnArticle
    from ehz_scraper.extraction import Page, extract_article

    def run(page: PeerPage) -> str:
        try:
            return extract_article([Page(page.url, page.html)])["body_text"]
        except NotAnArticle:
            return ""

    return f"ehz {version('ehz-scraper')} fallback", run


def plain_trafilatura() -> tuple[str, Tool]:
    import trafilatura

    def run(page: PeerPage) -> str:
        return trafilatura.extract(page.html, url=page.url) or ""

    return f"trafilatura {trafilatura.__version__} `extract` (defaults)", run


def newspaper4k() -> tuple[str, Tool]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "nltk is not installed": NLP is not used here
        import newspaper
        from newspaper import Article

    def run(page: PeerPage) -> str:
        article = Article(page.url, language="en", fetch_images=False)
        article.download(input_html=page.html.decode("utf-8", "replace"))
        article.parse()
        return article.text or ""

    return f"newspaper4k {newspaper.__version__}", run


TOOLS: dict[str, Callable[[], tuple[str, Tool]]] = {
    "ehz": ehz_fallback,
    "trafilatura": plain_trafilatura,
    "newspaper4k": newspaper4k,
}


@dataclass(frozen=True)
class Result:
    name: str
    score: Score | None
    ms_per_page: float | None
    note: str = ""


def run_tool(key: str, pages: list[PeerPage]) -> Result:
    """One tool over `pages`: its score and its mean wall time per page.

    Each tool first reads one page untimed, so no tool's figure holds its imports (ehz imports
    trafilatura on its first fallback page).
    """
    try:
        name, tool = TOOLS[key]()
    except ImportError as exc:
        return Result(key, None, None, f"not installed ({exc})")
    pairs: list[tuple[str, str]] = []
    errors = 0
    with contextlib.suppress(Exception):
        tool(pages[0])
    started = time.perf_counter()
    for page in pages:
        try:
            got = tool(page)
        except Exception:  # a tool failing on a page extracted nothing from it
            got, errors = "", errors + 1
        pairs.append((page.expected, got))
    ms = (time.perf_counter() - started) * 1000 / len(pages)
    return Result(name, score(pairs), ms, f"{errors} pages failed" if errors else "")


def fallback_section(directory: Path | None = None, limit: int | None = None) -> Section:
    """The report's section: the three tools on the peer pages, and the issue's two goals."""
    directory = directory or pages_dir()
    section = Section(SECTION_TITLE.removeprefix("## "))
    if not (directory / "ground-truth.json").is_file():
        section.skipped = f"no peer pages at {directory} (set EHZ_PEER_PAGES)"
        return section
    pages = load_pages(directory)[:limit]
    results = [run_tool(key, pages) for key in TOOLS]
    rows = []
    for r in results:
        if r.score is None:
            rows.append([r.name, "-", "-", "-", "-", r.note])
            continue
        s = r.score
        rows.append(
            [r.name, f"{s.f1:.3f}", f"{s.precision:.3f}", f"{s.recall:.3f}",
             f"{r.ms_per_page:.1f}", r.note]
        )  # fmt: skip
    section.text.append(
        f"`python -m bench.fallback` on {len(pages)} pages of `{directory.name}/` (the "
        "development half of the scrapinghub article-extraction benchmark: news pages from many "
        "sites, outside the site's template), "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Scoring: the benchmark's own (word "
        "4-shingles of the labelled article text and of the extracted text; precision and "
        "recall averaged over pages). ehz's text is its record's `body_text` (`extract_article`, "
        "which takes the fallback path on each of these pages: trafilatura with favor_precision, "
        "htmldate); the others' is their plain text."
    )
    section.text.append(table(["tool", "F1", "precision", "recall", "ms/page", "note"], rows))
    by = {key: r for key, r in zip(TOOLS, results, strict=True)}
    ehz, traf = by["ehz"].score, by["trafilatura"].score
    if ehz is not None:
        section.figures.append(Figure("ehz fallback F1", [ehz.f1], "", Goal(0.95, True, ">= 0.95")))
    if ehz is not None and traf is not None:
        section.figures.append(
            Figure(
                "ehz F1 - trafilatura `extract` F1",
                [round(ehz.f1 - traf.f1, 4)],
                "",
                Goal(0, True, ">= 0"),
            )
        )
    section.notes.append(
        "ms/page: mean wall time per page in this process after one untimed page per tool; the "
        "machine is shared. ehz reads each page twice with trafilatura (without and with images) "
        "and once with htmldate; speed matters little on the rare page off the template."
    )
    return section


def write_section(path: Path, section: str) -> None:
    """Replace the section in `path` (up to the next `## `), or append it."""
    text = path.read_text("utf-8") if path.is_file() else ""
    start = text.find(SECTION_TITLE)
    if start < 0:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    else:
        end = text.find("\n## ", start + len(SECTION_TITLE))
        rest = text[end + 1 :] if end >= 0 else ""
        text = text[:start] + section + ("\n" + rest if rest else "")
    path.write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.fallback", description=__doc__.split("\n")[0])
    p.add_argument(
        "--pages", type=Path, help="the peer-pages folder (default ../shared/peer-pages)"
    )
    p.add_argument("--limit", type=int, help="only the first N pages (by key)")
    p.add_argument("--out", type=Path, help="also write the section into this markdown file")
    args = p.parse_args(argv)
    section = fallback_section(args.pages, args.limit)
    if section.skipped:
        print(f"bench.fallback: {section.skipped}", file=sys.stderr)
        return 2
    text = section.render()
    print(text, end="")
    if args.out:
        write_section(args.out, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
