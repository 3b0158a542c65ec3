"""The offline demo: crawl the fixture site on 127.0.0.1 into archive/demo.db, print ehz stats.

    python -m ehz_scraper.demo [--db archive/demo.db] [--keep]

No network beyond the loopback interface: the fixture site (tests/fixtures/site/) is served
by a throwaway HTTP server on a free port, `scrapy crawl latest` runs against it exactly as
cron runs it against the live site, and `ehz stats` prints what the archive now holds.
"""

from __future__ import annotations

import argparse
import functools
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ehz_scraper.run.crawl import crawl_argv

ROOT = Path(__file__).resolve().parents[1]
SITE_DIR = ROOT / "tests" / "fixtures" / "site"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def serve(directory: Path) -> ThreadingHTTPServer:
    """Serve `directory` on 127.0.0.1 at a free port, in a daemon thread."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ehz_scraper.demo", description=__doc__)
    parser.add_argument("--db", default="archive/demo.db", help="archive file to crawl into")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep an existing demo archive "
        "(a second run shows the incremental stop: nothing new, 3 requests)",
    )
    opts = parser.parse_args(argv)
    if not (SITE_DIR / "index.html").is_file():
        print(f"error: the fixture site is missing: {SITE_DIR}", file=sys.stderr)
        return 1
    db = Path(opts.db).resolve()
    if not opts.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    httpd = serve(SITE_DIR)
    base_url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        print(f"Serving the fixture site at {base_url}")
        print(f"scrapy crawl latest -a base_url={base_url} -s EHZ_DB={db}")
        settings = {
            "EHZ_DB": str(db),
            "DOWNLOAD_DELAY": "0",
            "AUTOTHROTTLE_ENABLED": "False",
            "LOG_LEVEL": "WARNING",
        }
        crawl = subprocess.run(crawl_argv("latest", settings, f"base_url={base_url}"), cwd=ROOT)
    finally:
        httpd.shutdown()
        httpd.server_close()
    if crawl.returncode != 0:
        print(f"error: the crawl exited with status {crawl.returncode}", file=sys.stderr)
        return crawl.returncode
    print(f"\nehz stats --db {db}")
    from ehz_scraper.cli import main as ehz

    return ehz.main(["stats", "--db", str(db)], prog_name="ehz", standalone_mode=False) or 0


if __name__ == "__main__":
    sys.exit(main())
