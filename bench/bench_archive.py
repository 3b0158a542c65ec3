"""Archive benchmarks: snapshot compression, search latency, extract+validate+store throughput.

Prints a markdown report. `python -m bench.bench_archive` (about 4 minutes on one core);
`--quick` for a smaller run (about 40 s). Goals from issue 3: snapshots <= 10% of raw bytes,
`ehz search` p95 < 50 ms on 100,000 articles, >= 400 articles/s through the pipelines.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import zstandard
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from bench.synthetic import VOCAB, capture, record
from ehz_scraper.items import ArticleCapture
from ehz_scraper.pipelines import ExtractPipeline, StorePipeline, ValidatePipeline
from ehz_scraper.storage.archive import ArchiveWriter
from ehz_scraper.storage.schema import open_archive
from ehz_scraper.storage.search import search


def bench_compression(tmp: Path, pages: int) -> dict:
    """Store `pages` synthetic pages through the writer; compare with plain zstd level 3."""
    rng = random.Random(1)
    writer = ArchiveWriter(tmp / "compression.db", batch_size=50)
    writer.start_run("bench")
    raw = plain = 0
    plain_ctx = zstandard.ZstdCompressor(level=3)
    for article_id in range(1, pages + 1):
        cap, _ = capture(article_id, rng)
        body = cap.pages[0].body
        raw += len(body)
        plain += len(plain_ctx.compress(body))
        with writer._item():  # the writer's own per-article transaction
            writer._store_fetch(cap.pages[0], article_id)
    writer.close()
    conn = open_archive(tmp / "compression.db").conn
    total_raw, total_stored = conn.execute(
        "SELECT sum(size), sum(stored_size) FROM snapshots"
    ).fetchone()
    dict_raw, dict_stored = conn.execute(
        "SELECT sum(size), sum(stored_size) FROM snapshots WHERE dict_id IS NOT NULL"
    ).fetchone()
    dicts = conn.execute("SELECT count(*), sum(size) FROM zstd_dicts").fetchone()
    newest_raw, newest_stored = conn.execute(
        "SELECT sum(size), sum(stored_size) FROM snapshots"
        " WHERE dict_id = (SELECT max(id) FROM zstd_dicts)"
    ).fetchone()
    conn.close()
    return {
        "pages": pages,
        "mean_page_kb": raw / pages / 1024,
        "plain_zstd3": plain / raw,
        "archive_all": total_stored / total_raw,
        "archive_with_dict": (dict_stored / dict_raw) if dict_raw else None,
        "archive_with_dict_incl_dicts": ((total_stored + (dicts[1] or 0)) / total_raw),
        "dicts": dicts[0],
        "newest_dict": (newest_stored / newest_raw) if newest_raw else None,
    }


def build_search_archive(path: Path, articles: int) -> None:
    """`articles` synthetic records (about 500 words each) in the archive's schema.

    Rows go in with plain INSERTs (the FTS triggers index them as in a crawl); versions and
    snapshots are left out because search never reads them and they would only slow the build.
    """
    db = open_archive(path)
    conn = db.conn
    rng = random.Random(2)
    conn.execute("BEGIN")
    for article_id in range(1, articles + 1):
        rec = record(article_id, rng)
        conn.execute(
            "INSERT INTO articles (article_id, url, title, date, section, page_count, body_text,"
            " version, extraction_method, record_hash, first_seen, last_seen, last_changed)"
            " VALUES (?,?,?,?,?,1,?,1,'template','',?,?,?)",
            [
                article_id,
                rec["url"],
                rec["title"],
                rec["date"],
                rec["section"],
                rec["body_text"],
                *["2026-11-26T07:00:00Z"] * 3,
            ],
        )
        if article_id % 5000 == 0:
            conn.execute("COMMIT")
            conn.execute("BEGIN")
    conn.execute("COMMIT")
    conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
    conn.close()


COMMON = {w.lower() for w in VOCAB[:80]}


def query_mix(n: int, articles: int) -> list[tuple[str, str, dict]]:
    """(group, query, filters): from rare names to the site's commonest words."""
    rng = random.Random(3)
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.45:
            group, q = "topic word", rng.choice(VOCAB[80:3000])
        elif r < 0.70:
            group, q = "two words", f"{rng.choice(VOCAB[30:1000])} {rng.choice(VOCAB[30:1000])}"
        elif r < 0.85:
            # Two adjacent words as an article has them, neither among the commonest (names,
            # topics: "West Lake", "Asian Games").
            words = record(rng.randrange(1, articles), random.Random(i))["body_text"].split()
            words = [w.strip(".,").lower() for w in words]
            pairs = [
                (a, b)
                for a, b in zip(words, words[1:], strict=False)
                if a not in COMMON and b not in COMMON
            ] or [(words[0], words[1])]
            first, second = rng.choice(pairs)
            group, q = "phrase", f'"{first} {second}"'
        elif r < 0.90:
            # A word with its ending cut off to catch its inflections ("hospit*", "econom*").
            word = rng.choice(VOCAB[100:3000])
            group, q = "prefix", word[: max(4, len(word) - 2)] + "*"
        else:
            group, q = "very common word", rng.choice(VOCAB[23:80])
        filters = {}
        if rng.random() < 0.15:
            year = rng.randint(2004, 2025)
            filters = {"since": f"{year}-01-01", "until": f"{year}-12-31"}
        elif rng.random() < 0.1:
            filters = {"section": rng.choice(["Travel", "Business", "Culture"])}
        out.append((group, q, filters))
    return out


def bench_search(tmp: Path, articles: int, queries: int) -> dict:
    path = tmp / "search.db"
    t0 = time.perf_counter()
    build_search_archive(path, articles)
    build_s = time.perf_counter() - t0
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    mix = query_mix(queries, articles)
    for _, q, f in mix[:20]:  # warm the page cache as a running system would be
        search(conn, q, limit=20, **f)
    times: dict[str, list[float]] = {}
    all_ms, cpu_ms = [], []
    for group, q, f in mix:
        t, c = time.perf_counter(), time.process_time()
        search(conn, q, limit=20, **f)
        ms = (time.perf_counter() - t) * 1000
        cpu_ms.append((time.process_time() - c) * 1000)  # all threads
        times.setdefault(group, []).append(ms)
        all_ms.append(ms)
    worst = {}
    for q in ("Hangzhou", "city", "the"):
        t = time.perf_counter()
        search(conn, q, limit=20)
        worst[q] = (time.perf_counter() - t) * 1000
    conn.close()
    return {
        "articles": articles,
        "queries": queries,
        "build_s": build_s,
        "p50": _pct(all_ms, 50),
        "p95": _pct(all_ms, 95),
        "max": max(all_ms),
        "cpu_p50": _pct(cpu_ms, 50),
        "cpu_p95": _pct(cpu_ms, 95),
        "groups": {g: (len(v), _pct(v, 50), _pct(v, 95)) for g, v in times.items()},
        "single": worst,
    }


def _pct(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class _Spider(Spider):
    name = "bench"


def _crawler(db: Path) -> Crawler:
    """A real (unstarted) crawler, as the pipelines see one during a crawl."""
    crawler = get_crawler(_Spider, {"EHZ_DB": str(db), "EHZ_BATCH_SIZE": 50})
    crawler.crawling = True  # read at close_spider to tell finished from interrupted
    crawler.spider = _Spider.from_crawler(crawler)  # open_spider names the run after it
    return crawler


def bench_throughput(tmp: Path, captures: int) -> dict:
    """Captures through the real Extract -> Validate -> Store pipelines, batch size 50."""
    rng = random.Random(4)
    items: list[ArticleCapture] = [capture(i, rng)[0] for i in range(1, captures + 1)]
    db = tmp / "throughput.db"
    extract, validate = ExtractPipeline(str(db)), ValidatePipeline()
    store = StorePipeline.from_crawler(_crawler(db))
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
    return {
        "captures": captures,
        "seconds": elapsed,
        "per_s": captures / elapsed,
        "cpu_per_s": captures / cpu,
        "counts": counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, about 40 s")
    args = parser.parse_args()
    sizes = (
        {"pages": 300, "articles": 20_000, "queries": 100, "captures": 1_000}
        if args.quick
        else {"pages": 1_000, "articles": 100_000, "queries": 300, "captures": 5_000}
    )
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        comp = bench_compression(tmp, sizes["pages"])
        thr = bench_throughput(tmp, sizes["captures"])
        srch = bench_search(tmp, sizes["articles"], sizes["queries"])
    print("# Archive benchmark" + (" (--quick)" if args.quick else ""))
    print()
    print(f"## Snapshot compression ({comp['pages']} pages, mean {comp['mean_page_kb']:.1f} KB)")
    print()
    print("| storage | share of raw bytes |")
    print("| --- | --- |")
    print(f"| plain zstd level 3 | {comp['plain_zstd3']:.1%} |")
    print(
        f"| archive, pages compressed with a trained dictionary | {comp['archive_with_dict']:.1%} |"
    )
    print(f"| archive, pages compressed with the newest dictionary | {comp['newest_dict']:.1%} |")
    print(
        f"| archive, all pages (the first 48 have no dictionary yet) | {comp['archive_all']:.1%} |"
    )
    print(
        f"| archive, all pages + the {comp['dicts']} dictionaries stored |"
        f" {comp['archive_with_dict_incl_dicts']:.1%} |"
    )
    print()
    print(f"## Search ({srch['articles']:,} articles, {srch['queries']} queries, limit 20)")
    print()
    print(
        f"Archive built in {srch['build_s']:.0f} s. All queries, wall time: p50 {srch['p50']:.1f}"
        f" ms, p95 {srch['p95']:.1f} ms, max {srch['max']:.1f} ms; CPU time: p50"
        f" {srch['cpu_p50']:.1f} ms, p95 {srch['cpu_p95']:.1f} ms."
    )
    print()
    print("| query group | queries | p50 ms | p95 ms |")
    print("| --- | --- | --- | --- |")
    for group, (n, p50, p95) in sorted(srch["groups"].items()):
        print(f"| {group} | {n} | {p50:.1f} | {p95:.1f} |")
    print()
    print(
        "Single queries matching most articles: "
        + ", ".join(f"`{q}` {ms:.1f} ms" for q, ms in srch["single"].items())
    )
    print()
    print(f"## Extract + validate + store ({thr['captures']:,} captures, batch 50)")
    print()
    print(
        f"{thr['per_s']:.0f} articles/s wall ({thr['seconds']:.1f} s),"
        f" {thr['cpu_per_s']:.0f} articles per CPU-second; counts {thr['counts']}"
    )


if __name__ == "__main__":
    main()
