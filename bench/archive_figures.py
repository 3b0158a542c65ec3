"""Archive, re-extraction, query and export figures, through the `ehz` CLI and the storage API."""

from __future__ import annotations

import random
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from bench.report import Figure, Goal, Section

ROOT = Path(__file__).resolve().parent.parent


def ehz(*args: str, timeout: float = 1800) -> tuple[subprocess.CompletedProcess, float]:
    """Run the `ehz` CLI (this interpreter's), returning the result and its wall time."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from ehz_scraper.cli import main; main()", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"`ehz {' '.join(args)}` exited {done.returncode}: "
            f"{(done.stderr or done.stdout).strip().splitlines()[-1:]}"
        )
    return done, took


def _q(db: Path, sql: str, params: tuple = ()) -> tuple:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchone()
    finally:
        conn.close()


def snapshot_totals(db: Path) -> dict[str, int]:
    """Snapshot rows, raw bytes, stored bytes (blobs plus the zstd dictionaries they need)."""
    count, raw, stored = _q(
        db, "SELECT count(*), coalesce(sum(size), 0), coalesce(sum(stored_size), 0) FROM snapshots"
    )
    dicts = _q(db, "SELECT coalesce(sum(length(dict)), 0) FROM zstd_dicts")[0]
    fetches = _q(db, "SELECT count(*) FROM fetches")[0]
    versions = _q(db, "SELECT count(*) FROM versions")[0]
    return {
        "snapshots": count,
        "raw": raw,
        "stored": stored + dicts,
        "dicts": dicts,
        "fetches": fetches,
        "versions": versions,
    }


def _checkpoint(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def archive_figures(ctx) -> Section:
    """Size of the crawl's archive, an unchanged re-crawl, and `ehz reextract --all`."""
    from bench.crawl import project_crawl

    cfg, db = ctx.cfg, ctx.archive_db
    if not db.exists():
        raise RuntimeError(f"the full crawl wrote no archive file ({db.name}): no item pipelines?")
    _checkpoint(db)
    articles = _q(db, "SELECT count(*) FROM articles")[0]
    pages = _q(db, "SELECT coalesce(sum(page_count), 0) FROM articles")[0]
    if not articles:
        raise RuntimeError(f"the crawl stored no articles in {db}")
    size = db.stat().st_size
    before = snapshot_totals(db)
    s = Section("Archive")
    s.text.append(
        f"The archive of the last full crawl: {articles:,} articles ({pages:,} article pages; "
        f"the site has {ctx.site.n_articles:,}), {before['snapshots']:,} snapshots, "
        f"file {size / 2**20:.1f} MiB."
    )
    ratio = before["stored"] / before["raw"] if before["raw"] else 0.0
    s.figures += [
        Figure(
            "archive bytes per article",
            [size / articles],
            "bytes",
            note="whole SQLite file / articles",
        ),
        Figure(
            "snapshot bytes stored / raw",
            [100 * ratio],
            "%",
            Goal(25, False, "<= 25%"),
            f"{before['raw'] / 2**20:.0f} MiB raw -> {before['stored'] / 2**20:.1f} MiB stored "
            f"(dictionaries {before['dicts'] / 1024:.0f} KiB included); issue 3 aims at <= 10%",
        ),
    ]
    # The unchanged site crawled again, every known article re-fetched (`refresh`) from a
    # server that ignores conditional GET, so every page comes back whole: new fetch rows,
    # but no snapshot bytes and no versions.
    from bench.server import start_server

    with start_server(
        ctx.site.root, prefer=cfg.server, install=cfg.install, conditional=False
    ) as plain:
        again = project_crawl(
            "site",
            plain.url,
            db,
            cfg.workdir / "work",
            "site-recrawl",
            cfg.concurrency,
            spider_args={"refresh": "true"},
        )
    if not again.ok:
        raise RuntimeError(again.failure())
    after = snapshot_totals(db)
    added = after["stored"] - before["stored"]
    s.figures.append(
        Figure(
            "re-crawl of the unchanged site (`-a refresh=true`, no 304s): snapshot bytes added",
            [added],
            "bytes",
            Goal(0, False, "0"),
            f"{after['fetches'] - before['fetches']:,} fetch rows and "
            f"{after['snapshots'] - before['snapshots']} snapshots added, "
            f"{after['versions'] - before['versions']} versions added; "
            f"{again.pages:,} pages fetched",
        )
    )
    # Re-extraction from snapshots, no network.
    times, changed = [], []
    for _ in range(max(1, min(2, cfg.repeats))):
        done, took = ehz("reextract", "--all", "--db", str(db))
        times.append(took)
        changed.append(done.stdout.strip().splitlines()[-1:] if done.stdout.strip() else "")
    s.figures.append(
        Figure(
            "`ehz reextract --all`",
            [pages / t for t in times],
            "pages/s",
            note=f"{pages:,} pages; wall time of the command, start-up included",
        )
    )
    s.notes.append(f"`ehz reextract --all` said: {changed[-1]}")
    _store_throughput(s, cfg)
    return s


def _store_throughput(s: Section, cfg) -> None:
    """Extract -> validate -> store of whole captures of this site, no network, no Scrapy engine:
    what the crawl's pipelines cost."""
    import tempfile

    captures = {"smoke": 50, "quick": 300}.get(cfg.mode, 2000)
    runs = []
    for _ in range(max(1, min(2, cfg.repeats))):
        with tempfile.TemporaryDirectory(dir=cfg.workdir) as tmp:
            runs.append(pipeline_throughput(Path(tmp) / "throughput.db", captures, cfg.seed))
    s.figures += [
        Figure(
            "pipelines alone (extract, validate, store), wall",
            [r.per_s for r in runs],
            "articles/s",
            Goal(400, True, ">= 400 (issue 3)"),
            f"`bench.archive_figures.pipeline_throughput`, {captures:,} captures of this site",
        ),
        Figure("pipelines alone, per CPU second", [r.cpu_per_s for r in runs], "articles/s"),
    ]


@dataclass
class Throughput:
    """Captures through the pipelines: wall and CPU rates, and the writer's counts."""

    captures: int
    seconds: float
    per_s: float
    cpu_per_s: float
    counts: dict[str, int]


class _BenchSpider(Spider):
    name = "bench"


def pipeline_crawler(db: Path) -> Crawler:
    """A real (unstarted) crawler with the project's EHZ_* settings, as the pipelines see one
    during a crawl (components read them with no default of their own)."""
    from ehz_scraper import settings as project

    ehz = {k: v for k, v in vars(project).items() if k.startswith("EHZ_")}
    crawler = get_crawler(_BenchSpider, {**ehz, "EHZ_DB": str(db), "EHZ_BATCH_SIZE": 50})
    crawler.crawling = True  # read at close_spider to tell finished from interrupted
    crawler.spider = _BenchSpider.from_crawler(crawler)  # open_spider names the run after it
    return crawler


def pipeline_throughput(db: Path, captures: int, seed: int) -> Throughput:
    """The first `captures` articles of the site through the real Extract -> Validate -> Store
    pipelines into a fresh archive at `db`, batch size 50."""
    from bench.sitegen import iter_articles, to_capture
    from ehz_scraper.pipelines import ExtractPipeline, StorePipeline, ValidatePipeline

    items = [to_capture(article) for article in iter_articles(captures, seed)]
    extract, validate = ExtractPipeline(str(db)), ValidatePipeline()
    store = StorePipeline.from_crawler(pipeline_crawler(db))
    extract.open_spider()
    store.open_spider()
    # CPU time of this process as well as wall time: the machine may be shared, and the
    # goal is about one core's worth of work.
    t0, c0 = time.perf_counter(), time.process_time()
    for item in items:
        store.process_item(validate.process_item(extract.process_item(item)))
    store.writer.commit()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    counts = dict(store.writer.counts)
    store.close_spider()
    return Throughput(captures, elapsed, captures / elapsed, captures / cpu, counts)


# ---------------------------------------------------------------------------------------
# Queries on a large synthetic archive


def build_query_archive(cfg) -> tuple[Path, str, float]:
    """The query archive for `cfg` (built, or reused when cached): path, how, seconds."""
    db = cfg.workdir / f"query-archive-{cfg.query_articles}-{cfg.seed}.db"
    how, took = _build_query_archive(db, cfg.query_articles, cfg.seed)
    return db, how, took


def _build_query_archive(path: Path, n: int, seed: int) -> tuple[str, float]:
    """Build (or reuse) an archive of `n` synthetic articles; (how it was built, seconds)."""
    from bench.sitegen import source_hash

    marker = path.with_suffix(".done")
    key = f"{n}:{seed}:{source_hash()}:writer"
    if path.exists() and marker.exists() and marker.read_text().startswith(key + "\n"):
        how, took = marker.read_text().split("\n")[1:3]
        return f"{how} in {float(took):.0f} s (reused from an earlier run)", 0.0
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    marker.unlink(missing_ok=True)
    started = time.perf_counter()
    how = _build_with_writer(path, n, seed)
    _checkpoint(path)
    took = time.perf_counter() - started
    marker.write_text(f"{key}\n{how}\n{took:.1f}\n")
    return f"{how} in {took:.0f} s", took


def _build_with_writer(path: Path, n: int, seed: int) -> str:
    """Records from the site generator, stored through the archive's writer (no snapshots)."""
    from bench.sitegen import iter_records
    from ehz_scraper.storage.archive import ArchiveWriter

    writer = ArchiveWriter(path, batch_size=2000)
    try:
        for record in iter_records(n, seed):
            writer.store_reextracted(record, True)
    finally:
        writer.close()
    return "`bench.sitegen.iter_records` stored with `ArchiveWriter.store_reextracted`"


def query_kind(query: str, filters: dict) -> str:
    """The group a query of `query_mix` belongs to (for the report's breakdown)."""
    kind = (
        "phrase"
        if query.startswith('"')
        else "prefix"
        if query.endswith("*")
        else "two words"
        if " " in query
        else "one word"
    )
    return kind + (" + filter" if filters else "")


def query_mix(db: Path, count: int, seed: int = 7) -> list[tuple[str, dict]]:
    """`count` varied (query, filters) pairs drawn from the archive's own vocabulary.

    In these proportions: topic words across the frequency range (log-spaced
    down to the rarest), two-word AND queries (a common and a rarer word), quoted two-word
    phrases from titles, prefix queries, and the very commonest words (the hard case for
    ranked search). About one in six has a date range or a section filter.
    """
    rng = random.Random(seed)
    conn = sqlite3.connect(db)
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, articles_fts, 'row')")
        terms = [
            t
            for (t,) in conn.execute(
                "SELECT term FROM temp.vocab WHERE length(term) > 2 AND term GLOB '[a-z]*' "
                "ORDER BY doc DESC"
            )
        ]
        titles = [t for (t,) in conn.execute("SELECT title FROM articles LIMIT 2000")]
        first, last = conn.execute("SELECT min(date), max(date) FROM articles").fetchone()
        sections = [x for (x,) in conn.execute("SELECT DISTINCT section FROM articles LIMIT 20")]
    finally:
        conn.close()
    if len(terms) < 50:
        raise RuntimeError("query archive has too few distinct terms")
    n = len(terms)
    # 45% topic words, 25% two words, 15% phrases, 5% prefixes, 10% very common words.
    share = {
        k: max(1, round(count * f))
        for k, f in (("word", 0.45), ("two", 0.25), ("phrase", 0.15), ("prefix", 0.05))
    }
    # Topic words at log-spaced ranks: as many rare words as common ones.
    out: list[str] = [
        terms[min(n - 1, int(60 * (n / 60) ** (i / max(1, share["word"] - 1))))]
        for i in range(share["word"])
    ]
    out += [
        f"{rng.choice(terms[:200])} {rng.choice(terms[200:] or terms)}" for _ in range(share["two"])
    ]
    for _ in range(share["phrase"]):
        words = rng.choice(titles).split()
        i = rng.randrange(max(1, len(words) - 1))
        out.append('"' + " ".join(w.strip('",.') for w in words[i : i + 2]) + '"')
    out += [rng.choice(terms[60 : min(n, 3000)])[:4] + "*" for _ in range(share["prefix"])]
    # The rest: the very common words (the hard case for ranked search), the commonest first.
    out += terms[: max(0, count - len(out))]
    years = (int(first[:4]), int(last[:4])) if first and last else None
    mix = []
    for q in out[:count]:
        roll, filters = rng.random(), {}
        if roll < 0.1 and years:
            year = rng.randint(*years)
            filters = {"since": f"{year}-01-01", "until": f"{year}-12-31"}
        elif roll < 0.17 and sections:
            filters = {"section": rng.choice(sections)}
        mix.append((q, filters))
    return mix


def query_figures(ctx) -> Section:
    """`ehz search` p50/p95 over varied queries and `ehz export --format jsonl` throughput."""
    from ehz_scraper.storage.search import search

    cfg = ctx.cfg
    db, how, _ = build_query_archive(cfg)
    articles = _q(db, "SELECT count(*) FROM articles")[0]
    mix = query_mix(db, cfg.queries)
    queries = [q for q, _ in mix]
    s = Section(f"Queries: a {articles:,}-article synthetic archive")
    s.text.append(
        f"Archive built by {how}; {db.stat().st_size / 2**20:.0f} MiB. {len(queries)} queries "
        "from the archive's own vocabulary (`query_mix`: 45% topic words from common to "
        "rarest, 25% two words, 15% quoted phrases, 5% prefixes, 10% the very commonest words; "
        "about one in six filtered by a year or a "
        "section), ranked (bm25) with snippets, limit 20, through "
        "`ehz_scraper.storage.search.search` (what `ehz search` runs), each query timed once "
        "per repeat after 5 warm-up queries."
    )
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    p50s, p95s, worst = [], [], []
    try:
        for q, filters in mix[:5]:  # warm the page cache as a researcher's second query would
            search(conn, q, limit=20, **filters)
        for _ in range(cfg.repeats):
            times = []
            for q, filters in mix:
                started = time.perf_counter()
                search(conn, q, limit=20, **filters)
                times.append((time.perf_counter() - started) * 1000)
            times_sorted = sorted(times)
            p50s.append(statistics.median(times))
            p95s.append(times_sorted[min(len(times) - 1, round(0.95 * (len(times) - 1)))])
            worst = sorted(zip(times, queries, strict=True), reverse=True)[:5]
            last_times = times
        segments = conn.execute("SELECT count(DISTINCT segid) FROM articles_fts_idx").fetchone()[0]
    finally:
        conn.close()
    groups: dict[str, list[float]] = {}
    for (q, filters), ms in zip(mix, last_times, strict=True):
        groups.setdefault(query_kind(q, filters), []).append(ms)
    s.text.append(
        "By kind of query (last repeat): "
        + "; ".join(
            f"{kind} ({len(v)}): median {statistics.median(v):.1f} ms, max {max(v):.1f} ms"
            for kind, v in sorted(groups.items())
        )
        + f". The full-text index has {segments} segments, as the writer left it (no FTS5 "
        "`optimize`, which a crawl never runs)."
    )
    s.figures += [
        Figure("search p50", p50s, "ms"),
        Figure("search p95", p95s, "ms", Goal(50, False, "< 50 ms", strict=True)),
    ]
    s.notes.append(
        "Slowest queries (last repeat): " + ", ".join(f"`{q}` {ms:.1f} ms" for ms, q in worst) + "."
    )
    # The command itself, start-up included, for a feel of what a researcher waits.
    try:
        cli = [ehz("search", q, "--db", str(db), "--limit", "20")[1] * 1000 for q in queries[:3]]
        s.figures.append(
            Figure(
                "`ehz search` command, wall time",
                cli,
                "ms",
                note="3 queries; Python start-up included",
            )
        )
    except RuntimeError as exc:
        s.notes.append(f"**`ehz search` command not measured:** {exc}")
    try:
        _export(s, cfg, db, articles)
    except RuntimeError as exc:
        s.notes.append(f"**`ehz export` not measured:** {exc}")
    return s


def _export(s: Section, cfg, db: Path, articles: int) -> None:
    out = cfg.workdir / "export.jsonl"
    rates, mb = [], 0.0
    for _ in range(max(1, min(2, cfg.repeats))):
        out.unlink(missing_ok=True)
        _, took = ehz("export", "--format", "jsonl", "--db", str(db), "-o", str(out))
        lines = sum(1 for _ in out.open("rb"))
        if lines != articles:
            raise RuntimeError(f"export wrote {lines} lines for {articles} articles")
        mb = out.stat().st_size / 2**20
        rates.append(articles / took)
    s.figures.append(
        Figure(
            "`ehz export --format jsonl`",
            rates,
            "articles/s",
            note=f"{mb:.0f} MiB written; wall time, start-up included",
        )
    )
    out.unlink(missing_ok=True)


__all__ = [
    "Throughput",
    "archive_figures",
    "build_query_archive",
    "ehz",
    "pipeline_crawler",
    "pipeline_throughput",
    "query_figures",
    "query_mix",
    "snapshot_totals",
]
