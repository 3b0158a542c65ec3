"""The benchmark: `python -m bench.run [--quick|--smoke] [--articles N]` prints and saves a report.

Generates the synthetic site, serves it on 127.0.0.1 (nginx, else a Python server), checks the
server is fast enough, crawls it with a bare Scrapy spider and with `scrapy crawl site` (the full
pipeline into a fresh archive), compares extractors on the same pages, measures the archive, the
research queries and an incremental `latest` run; every figure is min/median/max over repeated
runs with its goal. The report goes to stdout and to `docs/benchmarks.md` (`--out`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import Figure, Goal, Section, fmt, goals_summary, table

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Config:
    """How big and how often: one preset per mode, `--articles`/`--repeats` override."""

    mode: str
    articles: int
    repeats: int
    extract_pages: int
    fallback_pages: int | None  # peer pages for the fallback comparison (None: all)
    extract_repeats: int
    query_articles: int
    queries: int
    load_seconds: float
    concurrency: int = 16
    seed: int = 20261126
    install: bool = True
    server: str = "nginx"  # preferred server; "python" forces the fallback
    prepare_only: bool = False
    workdir: Path = ROOT / "bench" / "out"
    out: Path | None = ROOT / "docs" / "benchmarks.md"


MODES = {
    # The sizes. Bounded to about 10 minutes on 2 cores.
    "full": dict(
        articles=5000,
        repeats=3,
        extract_pages=500,
        fallback_pages=None,  # all of ../shared/peer-pages
        extract_repeats=3,
        query_articles=100_000,
        queries=100,
        load_seconds=3,
    ),
    # Under two minutes: the same steps, small.
    "quick": dict(
        articles=400,
        repeats=2,
        extract_pages=60,
        fallback_pages=None,
        extract_repeats=2,
        query_articles=5_000,
        queries=100,
        load_seconds=2,
    ),
    # The test suite's check that the harness works end to end (under a minute).
    "smoke": dict(
        articles=120,
        repeats=1,
        extract_pages=20,
        fallback_pages=3,
        extract_repeats=1,
        query_articles=1_000,
        queries=20,
        load_seconds=1,
    ),
}


@dataclass
class Context:
    """What the steps share: the config, the site, the server, the crawl's results."""

    cfg: Config
    site: object | None = None
    server: object | None = None
    crawl_rates: list[float] = field(default_factory=list)
    archive_db: Path | None = None
    setup_notes: list[str] = field(default_factory=list)
    log: Callable[[str], None] = print


def _step(title: str, fn: Callable[[], Section], ctx: Context) -> Section:
    """Run one part; a part that cannot run says why instead of stopping the report."""
    started = time.perf_counter()
    ctx.log(f"[bench] {title} ...")
    try:
        section = fn()
    except Exception as exc:  # the report must still come out, saying what was not measured
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1]
        section = Section(title, skipped=detail[:500])
        (ctx.cfg.workdir / "errors.log").open("a").write(traceback.format_exc() + "\n")
    took = time.perf_counter() - started
    ctx.log(f"[bench] {title}: {took:.1f} s")
    section.notes.append(f"This part took {took:.0f} s of the run.")
    return section


# ---------------------------------------------------------------------------------------
# Site and server


def site_section(ctx: Context) -> Section:
    from bench.sitegen import generate_site

    cfg = ctx.cfg
    site = generate_site(
        cfg.workdir / f"site-{cfg.articles}-{cfg.seed}", cfg.articles, seed=cfg.seed
    )
    ctx.site = site
    sizes = sorted(site.page_sizes)
    s = Section("Synthetic site")
    s.text.append(
        table(
            [
                "articles",
                "multi-page",
                "article pages",
                "listing pages",
                "URLs a full crawl fetches",
                "article page size min / median / max",
                "total HTML",
            ],
            [
                [
                    fmt(site.n_articles),
                    f"{site.multi_page_articles} "
                    f"({100 * site.multi_page_articles / site.n_articles:.0f}%)",
                    fmt(site.article_pages),
                    fmt(site.listing_pages),
                    fmt(len(site.urls)),
                    f"{sizes[0] / 1024:.1f} / {statistics.median(sizes) / 1024:.1f} / "
                    f"{sizes[-1] / 1024:.1f} KiB",
                    f"{site.total_bytes / 2**20:.0f} MiB",
                ]
            ],
        )
    )
    how = (
        "reused from an earlier run (same generator, seed and size)"
        if site.reused
        else (f"generated in {site.seconds:.1f} s")
    )
    s.notes.append(
        f"`bench/sitegen.py`, seed {cfg.seed}: {how}. Modelled markup of site-model.md with its "
        "variants (caption, credit, heading and info-line forms, entities, odd spaces, spacers, "
        "scripts, share widgets, `Editor:` trailers); listings of 20 newest first in 7 sections "
        "(every article in `Latest` and in its own section); 30 sidebar links per page to other "
        "articles that spiders must not follow. Text is word salad with Zipf word frequencies."
    )
    return s


def server_section(ctx: Context) -> Section:
    from bench.server import measure_throughput, start_server

    cfg, site = ctx.cfg, ctx.site
    ctx.server = start_server(site.root, prefer=cfg.server, install=cfg.install)
    paths = [u for u in site.urls if u]
    runs = [
        measure_throughput(ctx.server.url, paths, seconds=cfg.load_seconds, install=cfg.install)
        for _ in range(max(2, cfg.repeats))
    ]
    s = Section("Server")
    s.text.append(
        f"Served by **{ctx.server.kind}** on 127.0.0.1 ({ctx.server.note}); "
        f"load tool: {runs[0].tool}, cycling over all {len(paths):,} page URLs, "
        f"{cfg.load_seconds:g} s per run."
    )
    s.figures.append(Figure("server throughput", [r.requests_per_s for r in runs], "req/s"))
    errors = sum(r.errors for r in runs)
    if errors:
        s.notes.append(f"{errors} failed requests during the load check.")
    s._load = runs  # type: ignore[attr-defined]  # the crawl step adds the 5x check
    return s


def server_check(ctx: Context, server: Section) -> None:
    runs = getattr(server, "_load", None)
    if not runs or not ctx.crawl_rates:
        return
    rate = statistics.median([r.requests_per_s for r in runs])
    fastest = max(ctx.crawl_rates)
    server.figures.append(
        Figure(
            "server throughput / fastest crawl",
            [rate / fastest],
            "x",
            Goal(5, True, ">= 5"),
            f"fastest crawl {fmt(fastest)} pages/s",
        )
    )


# ---------------------------------------------------------------------------------------
# Crawl


def crawl_section(ctx: Context) -> Section:
    from bench.crawl import bare_crawl, project_crawl

    cfg, site = ctx.cfg, ctx.site
    work = cfg.workdir / "work"
    urls_file = site.root / "urls.txt"
    bare, full = [], []
    for r in range(cfg.repeats):
        b = bare_crawl(ctx.server.url, urls_file, work, f"bare-{r + 1}", cfg.concurrency)
        if not b.ok:
            raise RuntimeError(b.failure())
        bare.append(b)
        db = work / f"crawl-{r + 1}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        f = project_crawl("site", ctx.server.url, db, work, f"site-{r + 1}", cfg.concurrency)
        if not f.ok:
            raise RuntimeError(f.failure())
        full.append(f)
        ctx.archive_db = db
    ctx.crawl_rates = [c.pages_per_s for c in bare + full]
    ratio = [f.pages_per_s / b.pages_per_s for b, f in zip(bare, full, strict=True)]
    s = Section("Crawl: bare Scrapy (a) vs `scrapy crawl site`, full pipeline (b)")
    s.text.append(
        f"Same {cfg.concurrency} concurrent requests, no download delay, AutoThrottle off, "
        "robots.txt off, both against the same server; (b) writes a fresh archive each run. "
        "pages/s = responses / Scrapy's `elapsed_time_seconds`; CPU = user+system seconds of "
        "the whole process (start-up included); peak RSS sampled with psutil every 50 ms."
    )
    s.figures += [
        Figure("(a) bare: pages/s", [c.pages_per_s for c in bare], "pages/s"),
        Figure("(b) full: pages/s", [c.pages_per_s for c in full], "pages/s"),
        Figure("ratio b/a", ratio, "", Goal(0.85, True, ">= 0.85")),
        Figure("(a) bare: CPU s per 1,000 pages", [c.cpu_per_1000 for c in bare], "s"),
        Figure("(b) full: CPU s per 1,000 pages", [c.cpu_per_1000 for c in full], "s"),
        Figure("(a) bare: peak RSS", [c.proc.peak_rss_mb for c in bare], "MB"),
        Figure(
            "(b) full: peak RSS",
            [c.proc.peak_rss_mb for c in full],
            "MB",
            Goal(250, False, "< 250 MB at 5,000 articles", strict=True),
            "" if cfg.articles == 5000 else f"at {cfg.articles:,} articles",
        ),
    ]
    stored = [_articles_in(work / f"crawl-{r + 1}.db") for r in range(cfg.repeats)]
    s.notes.append(
        f"Articles in the archive after each (b) run: {stored} of {site.n_articles:,} "
        "(every article, or the full pipeline is not doing its job)."
    )
    pages_a = {c.pages for c in bare}
    pages_b = {c.pages for c in full}
    s.notes.append(
        f"Pages fetched per run: (a) {sorted(pages_a)}, (b) {sorted(pages_b)}; "
        f"the site has {len(site.urls):,} URLs (home, listings, article pages)."
    )
    if pages_a != pages_b:
        s.notes.append(
            "**(a) and (b) fetched different numbers of pages**: the full crawl "
            "does not fetch exactly the site's URLs (see the crawl logs in "
            "`bench/out/work/`)."
        )
    s.notes.append(
        "Kernel peak RSS (wait4) of (b): "
        + ", ".join(f"{c.proc.maxrss_mb:.0f}" for c in full)
        + " MB."
    )
    empty = work / "empty-urls.txt"
    empty.write_text("")
    idle = bare_crawl(ctx.server.url, empty, work, "bare-empty", cfg.concurrency)
    if idle.proc.returncode == 0:
        s.notes.append(
            f"Start-up alone (the bare spider with no URLs) costs {idle.proc.cpu_s:.2f} CPU s and "
            f"{idle.proc.wall_s:.1f} s wall; it is inside the CPU figures above, so they fall "
            "with the site's size."
        )
    if statistics.median(ratio) < 0.85 and cfg.mode != "smoke":
        _why_slow(ctx, s, min(600, len(site.urls)))
    for c in full:
        extra = {
            k: v
            for k, v in c.stats.items()
            if k.startswith(("item_scraped", "item_dropped", "log_count/ERROR"))
        }
        if extra:
            s.notes.append(f"{c.label}: " + ", ".join(f"{k}={v}" for k, v in sorted(extra.items())))
            break
    return s


def _fixture_pages_speed() -> str:
    """ehz vs trafilatura on the hand-made fixture pages; a failure is a note, not a stop."""
    try:
        from bench.fixture_pages import fixture_pages_speed

        return fixture_pages_speed(repeat=5)
    except Exception as exc:
        return f"Fixture pages (`bench/fixture_pages.py`) not measured: {type(exc).__name__}: {exc}"


def _articles_in(db: Path) -> int | str:
    import sqlite3

    if not db.exists():
        return "no archive file"
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.Error as exc:
        return f"unreadable ({exc})"
    finally:
        conn.close()


def _why_slow(ctx: Context, s: Section, pages: int) -> None:
    """Profile the full crawl (first `pages` responses) and show where its time goes."""
    from bench.crawl import profile_crawl

    db = ctx.cfg.workdir / "work" / "profile.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    wall, own, by_self = profile_crawl(
        "site",
        ctx.server.url,
        db,
        ctx.cfg.workdir / "work",
        max_pages=pages,
        concurrency=ctx.cfg.concurrency,
    )

    def row(r, label: str = "") -> list[str]:
        share = f"{100 * r.cumulative_s / wall:.0f}%"
        return [
            f"`{r.function}`{label}",
            fmt(r.calls),
            f"{r.cumulative_s:.2f}",
            share,
            f"{r.self_s:.2f}",
        ]

    rows = [row(r) for r in own[:8]] + [["...", "", "", "", ""]]
    rows += [row(r, " (by self time)") for r in by_self[:6]]
    s.text.append(
        f"**Why (b) is slower**: `scrapy crawl site` under cProfile for its first {pages:,} "
        f"responses ({wall:.1f} s wall, profiler overhead included). The project's functions by "
        "cumulative time, then the hottest functions by self time:\n\n"
        + table(["function", "calls", "cumulative s", "% of wall", "self s"], rows)
    )


# ---------------------------------------------------------------------------------------
# Extraction


def fallback_section(ctx: Context) -> Section:
    """ehz's fallback path vs trafilatura vs newspaper4k on real pages (bench/fallback.py)."""
    from bench.fallback import fallback_section as measure

    return measure(limit=ctx.cfg.fallback_pages)


def extraction_section(ctx: Context) -> Section:
    from bench.extraction_compare import FIELDS, compare, ehz_full_records, sample_from_site

    cfg = ctx.cfg
    pages = sample_from_site(ctx.site, cfg.extract_pages)
    results = compare(pages, repeats=cfg.extract_repeats)
    s = Section(f"Extraction: the same {len(pages)} pages, in-process")
    rows = []
    for r in results:
        if not r.ms_median:
            rows.append([r.name, r.version, "-", "-"] + ["-"] * (len(FIELDS) + 1))
            continue
        rows.append(
            [
                f"**{r.name}**",
                r.version,
                f"{fmt(min(r.ms_median))} / **{fmt(statistics.median(r.ms_median))}** / "
                f"{fmt(max(r.ms_median))}",
                f"{fmt(min(r.ms_p95))} / **{fmt(statistics.median(r.ms_p95))}** / "
                f"{fmt(max(r.ms_p95))}",
            ]
            + (
                [f"{r.accuracy(f):.1f}%" for f in FIELDS] + [f"{r.para_f1:.1f}%"]
                if r.pages
                else ["-"] * (len(FIELDS) + 1)
            )
        )
    s.text.append(
        table(
            [
                "tool",
                "version",
                "ms/page median (min/**med**/max)",
                "ms/page p95",
                *[f"{f} exact" for f in FIELDS],
                "paragraph F1",
            ],
            rows,
        )
    )
    by = {r.name: r for r in results}
    ehz, traf = by.get("ehz"), by.get("trafilatura")
    if ehz and traf and ehz.ms_median and traf.ms_median:
        speedups = [t / e for t, e in zip(traf.ms_median, ehz.ms_median, strict=True)]
        s.figures.append(
            Figure(
                "ehz speed-up over trafilatura (median ms/page)",
                speedups,
                "x",
                Goal(20, True, ">= 20"),
            )
        )
    if ehz and ehz.ms_median:
        s.figures.append(
            Figure("ehz ms/page (median)", ehz.ms_median, "ms", note="issue 2 aims at about 1 ms")
        )
        exact = min(ehz.accuracy(f) for f in FIELDS)
        s.figures.append(Figure("ehz: worst field accuracy", [exact], "%", Goal(100, True, "100%")))
        others = [r for r in results if r is not ehz and r.pages]
        beaten = [f for f in FIELDS if any(o.accuracy(f) < 100 for o in others)]
        s.notes.append(
            "Fields where another tool is not exact: "
            + (", ".join(beaten) or "none")
            + "; ehz on those: "
            + ", ".join(f"{f} {ehz.accuracy(f):.1f}%" for f in beaten)
            + "."
        )
        if ehz.errors:
            s.notes.append(f"ehz raised on {ehz.errors} pages, e.g. {ehz.error_example}")
        n, right, miss = ehz_full_records(ctx.site, max(20, cfg.extract_pages // 2))
        worst = min(right.values())
        s.figures.append(
            Figure(
                f"ehz: whole records exact ({n} articles)",
                [100 * worst / n],
                "%",
                Goal(100, True, "100%"),
                "worst of all 14 record fields, all pages of each article",
            )
        )
        if miss:
            s.notes.append(f"First whole-record miss: {miss}")
    fixture = _fixture_pages_speed() if cfg.mode != "smoke" else ""
    if fixture:
        s.notes.append(fixture)
    for r in results:
        if r.errors and r.name != "ehz":
            s.notes.append(f"{r.name} raised on {r.errors} pages, e.g. {r.error_example}")
    s.notes.append(
        "Sample: every k-th article page of the synthetic site (pages 2+ of multi-page articles "
        "included, each extracted alone). Each tool gets one page's HTML and URL, no download; "
        "accuracy from the first repeat. Scoring is lenient to the general tools: whitespace "
        "normalised, their text split into lines, lines equal to a true heading dropped; they "
        "have no caption field, so they are right on captions only where a page has none. "
        "Paragraph F1: overlap of the paragraph multisets, a softer view than exact lists."
    )
    return s


# ---------------------------------------------------------------------------------------
# Archive, queries, incremental: the archive branch's CLI and the spiders' `latest`


def archive_section(ctx: Context) -> Section:
    from bench.archive_figures import archive_figures

    if ctx.archive_db is None:
        raise RuntimeError("no archive: the crawl step did not run")
    return archive_figures(ctx)


def queries_section(ctx: Context) -> Section:
    from bench.archive_figures import query_figures

    return query_figures(ctx)


def incremental_section(ctx: Context) -> Section:
    from bench.crawl import project_crawl

    cfg = ctx.cfg
    if ctx.archive_db is None:
        raise RuntimeError("no archive: the crawl step did not run")
    work = cfg.workdir / "work"
    stored = _articles_in(ctx.archive_db)
    if not isinstance(stored, int) or not stored:
        raise RuntimeError(f"the full crawl left no archive to be incremental on ({stored})")
    # A first `latest` run records a completed walk of Latest; the measured runs find nothing new.
    prime = project_crawl(
        "latest", ctx.server.url, ctx.archive_db, work, "latest-prime", cfg.concurrency, robots=True
    )
    if not prime.ok:
        raise RuntimeError(prime.failure())
    runs = []
    for r in range(max(2, cfg.repeats)):
        run = project_crawl(
            "latest",
            ctx.server.url,
            ctx.archive_db,
            work,
            f"latest-{r + 1}",
            cfg.concurrency,
            robots=True,
        )
        if not run.ok:
            raise RuntimeError(run.failure())
        runs.append(run)
    s = Section("Incremental: `scrapy crawl latest` with nothing new")
    s.text.append(
        "Against the archive of the full crawl, robots.txt obeyed (as on the live site), "
        "no delays; one priming run first "
        f"({prime.requests} requests, {prime.pages} responses)."
    )
    s.figures += [
        Figure("requests made", [float(r.requests) for r in runs], "", Goal(3, False, "<= 3")),
        Figure("wall time (process)", [r.proc.wall_s for r in runs], "s"),
        Figure("crawl time (Scrapy elapsed)", [r.elapsed_s for r in runs], "s"),
    ]
    items = [int(r.stats.get("item_scraped_count", 0)) for r in runs]
    s.notes.append(f"Items yielded by the measured runs (listing pages and articles): {items}.")
    return s


# ---------------------------------------------------------------------------------------


def setup_section(cfg: Config, started: dt.datetime, total_s: float, ctx: Context) -> Section:
    import lxml
    import scrapy

    def version(mod: str) -> str:
        try:
            return __import__(mod).__version__
        except Exception:
            return "not installed"

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except Exception:
        load = "?"
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        or "?"
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    s = Section("Setup")
    s.text.append(
        table(
            ["", ""],
            [
                ["date (UTC)", started.strftime("%Y-%m-%d %H:%M")],
                ["command", "`python -m bench.run " + " ".join(sys.argv[1:]) + "`"],
                [
                    "mode",
                    f"{cfg.mode}: {cfg.articles:,} articles, {cfg.repeats} crawl repeats, "
                    f"{cfg.extract_pages} extraction pages x {cfg.extract_repeats}, "
                    f"{cfg.query_articles:,}-article query archive, {cfg.queries} queries",
                ],
                ["machine", f"{cpu}; {os.cpu_count()} cores; {mem} RAM; {platform.platform()}"],
                ["load average at the end", load],
                ["Python", platform.python_version()],
                [
                    "versions",
                    f"Scrapy {scrapy.__version__}, lxml {lxml.__version__}, trafilatura "
                    f"{version('trafilatura')}, newspaper4k {version('newspaper')}",
                ],
                ["commit", commit + (" (with uncommitted changes)" if dirty else "")],
                ["total time", f"{total_s:.0f} s"],
            ],
        )
    )
    if cfg.mode != "full":
        s.notes.append(
            "**Not the full run**: goals are set for the full sizes (5,000-article "
            "site, 500 extraction pages, 100,000-article query archive); figures at "
            "these sizes are indicative only."
        )
    s.notes.append(
        "The machine is shared with other work; each figure's min/median/max over "
        "repeats shows how much that moved it."
    )
    s.notes += ctx.setup_notes
    return s


def parse_args(argv: list[str] | None) -> Config:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes, under two minutes")
    size.add_argument("--smoke", action="store_true", help="tiny sizes (the test suite's check)")
    p.add_argument("--articles", type=int, help="articles in the synthetic site")
    p.add_argument("--repeats", type=int, help="repeats of each crawl (and query run)")
    p.add_argument("--extract-repeats", type=int, help="repeats of the extraction comparison")
    p.add_argument("--query-articles", type=int, help="articles in the synthetic query archive")
    p.add_argument(
        "--out",
        type=Path,
        default=ROOT / "docs" / "benchmarks.md",
        help="where to write the report (default docs/benchmarks.md)",
    )
    p.add_argument("--no-out", action="store_true", help="print only, write no file")
    p.add_argument(
        "--workdir",
        type=Path,
        default=ROOT / "bench" / "out",
        help="generated sites, archives and logs (default bench/out)",
    )
    p.add_argument(
        "--no-install",
        action="store_true",
        help="never apt-get install nginx or wrk (fall back to Python instead)",
    )
    p.add_argument(
        "--prepare",
        action="store_true",
        help="only generate the site and build the query archive (cached for later)",
    )
    p.add_argument(
        "--server",
        choices=["nginx", "python"],
        default="nginx",
        help="the loopback server (default nginx, falling back to python)",
    )
    args = p.parse_args(argv)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    preset = dict(MODES[mode])
    if args.articles:
        preset["articles"] = args.articles
    if args.repeats:
        preset["repeats"] = args.repeats
    if args.extract_repeats:
        preset["extract_repeats"] = args.extract_repeats
    if args.query_articles:
        preset["query_articles"] = args.query_articles
    return Config(
        mode=mode,
        install=not args.no_install,
        server=args.server,
        prepare_only=args.prepare,
        workdir=args.workdir.resolve(),
        out=None if args.no_out else args.out,
        **preset,
    )


def prepare(ctx: Context) -> int:
    """Generate the site and build the query archive (both cached), measuring nothing."""
    from bench.archive_figures import build_query_archive
    from bench.sitegen import generate_site

    cfg = ctx.cfg
    site = generate_site(
        cfg.workdir / f"site-{cfg.articles}-{cfg.seed}", cfg.articles, seed=cfg.seed
    )
    ctx.log(
        f"[bench] site: {site.n_articles:,} articles in {site.root} "
        f"({'reused' if site.reused else f'generated in {site.seconds:.0f} s'})"
    )
    db, how, took = build_query_archive(cfg)
    ctx.log(f"[bench] query archive: {db} ({how})")
    return 0


ORDER = [
    "Synthetic site",
    "Server",
    "Crawl",
    "Extraction",
    "Fallback extraction",
    "Archive",
    "Queries",
    "Incremental",
]


def render(
    cfg: Config,
    ctx: Context,
    sections: list[Section],
    started: dt.datetime,
    total: float,
    partial: str | None = None,
) -> str:
    """The whole report; `partial` names the step still running when it is an interim one."""
    ordered = sorted(
        sections,
        key=lambda s: next((i for i, o in enumerate(ORDER) if s.title.startswith(o)), len(ORDER)),
    )
    head = setup_section(cfg, started, total, ctx)
    intro = [
        "# ehz benchmarks",
        "",
        "Produced by `python -m bench.run` (`make bench`; `make bench-quick` for the quick "
        "mode). Each figure is min / **median** / max over repeated runs; a goal is judged on "
        "the median.",
        "",
    ]
    if partial:
        intro += [
            f"**Partial report**: written while the run was at `{partial}`; the parts "
            "not listed below had not run yet.",
            "",
        ]
    return "\n".join(intro + [s.render() for s in [head, *ordered, goals_summary(ordered)]])


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    cfg.workdir.mkdir(parents=True, exist_ok=True)
    (cfg.workdir / "errors.log").unlink(missing_ok=True)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    ctx = Context(cfg, log=lambda msg: print(msg, file=sys.stderr, flush=True))
    if cfg.prepare_only:
        return prepare(ctx)
    sections: list[Section] = []

    def step(title: str, fn: Callable[[], Section]) -> Section:
        # After each part, an interim report: a run stopped later still leaves its figures.
        section = _step(title, fn, ctx)
        sections.append(section)
        if cfg.out is not None:
            cfg.out.parent.mkdir(parents=True, exist_ok=True)
            interim = render(cfg, ctx, sections, started, time.perf_counter() - t0, title)
            cfg.out.write_text(interim + "\n", encoding="utf-8")
        return section

    step("Synthetic site", lambda: site_section(ctx))
    try:
        if ctx.site is not None:
            server = step("Server", lambda: server_section(ctx))
            if ctx.server is not None:
                step("Crawl", lambda: crawl_section(ctx))
                server_check(ctx, server)
                step("Archive", lambda: archive_section(ctx))
                step("Incremental", lambda: incremental_section(ctx))
            step("Extraction", lambda: extraction_section(ctx))
        step("Fallback extraction", lambda: fallback_section(ctx))
        step("Queries", lambda: queries_section(ctx))
    finally:
        if ctx.server is not None:
            ctx.server.stop()
    report = render(cfg, ctx, sections, started, time.perf_counter() - t0)
    print(report)
    if cfg.out is not None:
        cfg.out.write_text(report + "\n", encoding="utf-8")
        print(f"[bench] report written to {cfg.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
