"""Crawls as measured subprocesses: the bare spider and the project's own `scrapy crawl`."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.measure import ProcRun, run_measured

ROOT = Path(__file__).resolve().parent.parent


# The same engine settings for every measured crawl: loopback, no politeness delays.
def crawl_settings(concurrency: int, *, robots: bool = False) -> dict[str, str]:
    """Settings that make a crawl measure cost, not politeness (overriding the project's)."""
    return {
        "CONCURRENT_REQUESTS": str(concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency),
        "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "False",
        "ROBOTSTXT_OBEY": str(robots),
        "HTTPCACHE_ENABLED": "False",
        "TELNETCONSOLE_ENABLED": "False",
        "LOG_LEVEL": "INFO",
        # The bare crawl it is compared with fetches the pages only (the synthetic site
        # serves no images).
        "EHZ_IMAGES": "False",
        "STATS_CLASS": "bench.scrapystats.JsonFileStatsCollector",
    }


@dataclass
class CrawlRun:
    """One crawl: process costs and Scrapy's own counts."""

    label: str
    proc: ProcRun
    stats: dict

    @property
    def ok(self) -> bool:
        return self.proc.returncode == 0 and bool(self.stats)

    @property
    def pages(self) -> int:
        return int(self.stats.get("response_received_count", 0))

    @property
    def requests(self) -> int:
        return int(self.stats.get("downloader/request_count", 0))

    @property
    def elapsed_s(self) -> float:
        return float(self.stats.get("elapsed_time_seconds") or self.proc.wall_s)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def cpu_per_1000(self) -> float:
        return 1000 * self.proc.cpu_s / self.pages if self.pages else 0.0

    def failure(self) -> str:
        """One line: the crawl's last error (a traceback's last line, else the log's last line)."""
        lines = [ln for ln in self.proc.log_tail(60).splitlines() if ln.strip()]
        errors = [
            ln
            for ln in lines
            if not ln.startswith((" ", "\t"))
            and ("Error" in ln or "Exception" in ln or " ERROR:" in ln or "CRITICAL" in ln)
        ]
        last = (errors or lines or ["no output"])[-1].strip()
        return (
            f"`{self.label}` exited {self.proc.returncode}: {last[-300:]} "
            f"(log: {self.proc.log_path})"
        )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return env


def _run(label: str, argv: list[str], settings: dict[str, str], workdir: Path) -> CrawlRun:
    workdir.mkdir(parents=True, exist_ok=True)
    stats_file = workdir / f"{label}.stats.json"
    stats_file.unlink(missing_ok=True)
    settings = {**settings, "BENCH_STATS_FILE": str(stats_file)}
    for key, value in settings.items():
        argv += ["-s", f"{key}={value}"]
    proc = run_measured(argv, cwd=ROOT, env=_env(), log_path=workdir / f"{label}.log")
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    return CrawlRun(label, proc, stats)


def bare_crawl(
    base_url: str, urls_file: Path, workdir: Path, label: str, concurrency: int = 16
) -> CrawlRun:
    """The bare spider over exactly the URLs of `urls_file`."""
    argv = [
        sys.executable,
        "-m",
        "scrapy",
        "runspider",
        str(ROOT / "bench" / "bare_spider.py"),
        "-a",
        f"base_url={base_url}",
        "-a",
        f"urls_file={urls_file}",
    ]
    return _run(label, argv, crawl_settings(concurrency), workdir)


def project_crawl(
    spider: str,
    base_url: str,
    db: Path,
    workdir: Path,
    label: str,
    concurrency: int = 16,
    robots: bool = False,
    spider_args: dict[str, str] | None = None,
) -> CrawlRun:
    """`scrapy crawl SPIDER -a base_url=...` with the project's pipelines into archive `db`."""
    argv = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"base_url={base_url}"]
    for key, value in (spider_args or {}).items():
        argv += ["-a", f"{key}={value}"]
    settings = {**crawl_settings(concurrency, robots=robots), "EHZ_DB": str(db)}
    return _run(label, argv, settings, workdir)


@dataclass
class ProfileRow:
    """One function of a profiled crawl."""

    function: str
    calls: int
    self_s: float
    cumulative_s: float


def profile_crawl(
    spider: str, base_url: str, db: Path, workdir: Path, *, max_pages: int, concurrency: int = 16
) -> tuple[float, list[ProfileRow], list[ProfileRow]]:
    """`scrapy crawl SPIDER` under cProfile, stopped after `max_pages` responses.

    Returns the profiled wall time, the project's own functions by cumulative time, and every
    function by self time: where a slow crawl spends its CPU.
    """
    import pstats

    workdir.mkdir(parents=True, exist_ok=True)
    prof = workdir / f"{spider}.prof"
    argv = [
        sys.executable,
        "-m",
        "cProfile",
        "-o",
        str(prof),
        "-m",
        "scrapy",
        "crawl",
        spider,
        "-a",
        f"base_url={base_url}",
    ]
    settings = {
        **crawl_settings(concurrency),
        "EHZ_DB": str(db),
        "CLOSESPIDER_PAGECOUNT": str(max_pages),
        "LOG_LEVEL": "WARNING",
    }
    run = _run(f"{spider}-profile", argv, settings, workdir)
    if run.proc.returncode != 0 or not prof.exists():
        raise RuntimeError(run.failure())
    stats = pstats.Stats(str(prof))
    rows = []
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        short = filename.replace(str(ROOT) + "/", "").split("/site-packages/")[-1]
        if "/lib/python3" in short:  # the standard library: python3.11/urllib/parse.py
            short = "python3" + short.split("/lib/python3", 1)[1]
        rows.append(ProfileRow(f"{short}:{line}({name})", ncalls, tottime, cumtime))
    own = sorted(
        (r for r in rows if "ehz_scraper/" in r.function),
        key=lambda r: r.cumulative_s,
        reverse=True,
    )
    by_self = sorted(rows, key=lambda r: r.self_s, reverse=True)
    return run.proc.wall_s, own, by_self
