"""Start-up of the `ehz` command, side by side with `sqlite-utils` (issue 14: within 1.5 times).

    python -m bench.startup [--runs N] [--out docs/benchmarks.md] [--no-out]

Measures wall time of `ehz --help` and `sqlite-utils --help` (alternating, so a busy moment
hits both), `ehz search` on a small archive, and which heavy packages `ehz --help` and
`ehz search` import (`python -X importtime`). Standalone it prints the section and puts it in
place of the report's "Start-up" section (the rest of the report is left as it is);
`python -m bench.run` runs it as one of its parts.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Figure, Goal, Section, fmt, table

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Start-up"
RATIO_GOAL = Goal(1.5, higher_is_better=False, text="<= 1.5")
HEAVY = ("scrapy", "twisted", "lxml", "sqlite_utils", "warcio", "tqdm")
DEMO_ARTICLE = "tests/fixtures/pages/01_three_page_towns"


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _wall(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - started


def _small_archive(workdir: Path) -> Path:
    """A one-article archive (the three-page fixture), built by the real writer."""
    from tests.support.captures import build_archive, capture

    db = workdir / "startup.db"
    if not db.exists():
        build_archive(db, capture(Path(DEMO_ARTICLE).name))
    return db


def heavy_imports(args: list[str]) -> list[str]:
    """The HEAVY packages `ehz ARGS` imports, from `python -X importtime`."""
    code = "import sys; from ehz_scraper.cli import main; main(sys.argv[1:], prog_name='ehz')"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    names = set(re.findall(r"\|\s+([A-Za-z_][\w]*)(?:\.|\s*$)", proc.stderr, re.MULTILINE))
    return sorted(n for n in HEAVY if n in names)


def startup_section(runs: int = 15, workdir: Path | None = None) -> Section:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    load = os.getloadavg()[0]
    ehz, sqlite_utils = _bin("ehz"), _bin("sqlite-utils")
    with tempfile.TemporaryDirectory() as tmp:
        db = _small_archive(Path(workdir or tmp))
        search = [ehz, "search", "towns", "--db", str(db)]
        for argv in ([ehz, "--help"], [sqlite_utils, "--help"], search):
            _wall(argv, env)  # warm the page cache and .pyc files first
        ehz_s, su_s, ratios, search_s = [], [], [], []
        for _ in range(runs):
            a = _wall([ehz, "--help"], env)
            b = _wall([sqlite_utils, "--help"], env)
            ehz_s.append(a)
            su_s.append(b)
            ratios.append(a / b)
            search_s.append(_wall(search, env))
        imported = {
            "ehz --help": heavy_imports(["--help"]),
            "ehz search": heavy_imports(["search", "towns", "--db", str(db)]),
        }
    s = Section(TITLE)
    s.figures = [
        Figure("`ehz --help`", [1000 * v for v in ehz_s], "ms"),
        Figure("`sqlite-utils --help`", [1000 * v for v in su_s], "ms"),
        Figure(
            "`ehz --help` / `sqlite-utils --help`",
            ratios,
            goal=RATIO_GOAL,
            note="each run's pair, measured back to back",
        ),
        Figure("`ehz search towns` (one-article archive)", [1000 * v for v in search_s], "ms"),
    ]
    s.text.append(
        table(
            ["command", "heavy packages imported (of " + ", ".join(HEAVY) + ")"],
            [[f"`{cmd}`", ", ".join(found) or "none"] for cmd, found in imported.items()],
        )
    )
    s.notes.append(
        f"{runs} runs of each, alternating; wall time of the console scripts in "
        f"`{Path(sys.executable).parent}` as a shell runs them (`python -m bench.startup`). "
        f"Median ratio {fmt(Figure('', ratios).median)}; 1-minute load average {load:.1f} "
        f"on {os.cpu_count()} CPUs at the start (a shared machine is slower in both columns)."
    )
    return s


def splice(report: str, section: str) -> str:
    """`report` with its Start-up section replaced by `section` (or put before Goals)."""
    pattern = re.compile(rf"^## {TITLE}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(report):
        return pattern.sub(lambda _m: section.rstrip("\n") + "\n\n", report, count=1)
    goals = re.search(r"^## Goals\n", report, re.MULTILINE)
    at = goals.start() if goals else len(report)
    return report[:at] + section.rstrip("\n") + "\n\n" + report[at:]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    p.add_argument("--no-out", action="store_true", help="print only, write no file")
    args = p.parse_args(argv)
    section = startup_section(args.runs).render()
    print(section)
    if not args.no_out:
        old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        args.out.write_text(splice(old, section), encoding="utf-8")
        print(f"[bench] Start-up section written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
