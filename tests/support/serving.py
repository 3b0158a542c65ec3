"""Run the real `ehz serve` in a subprocess on a free loopback port; fetch its pages."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EHZ = Path(sys.executable).parent / "ehz"
START_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    """A running `ehz serve`: its base URL, the database's URL path and its console output."""

    base: str
    db_path: str  # e.g. /demo, or /ehangzhou-2026~2E04 (Datasette tilde-encodes the name)
    log: Path
    db: Path

    def url(self, path: str) -> str:
        return self.base + path.replace("/{db}", self.db_path)

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url(path), timeout=10) as response:
            assert response.status == 200, path
            return response.read().decode()

    def json(self, path: str) -> Any:
        return json.loads(self.get(path))


@contextmanager
def ehz_serve(db: Path, db_path: str) -> Iterator[Served]:
    """`ehz serve --db DB` on 127.0.0.1, until the block ends (then terminated)."""
    port = free_port()
    log = db.with_suffix(".serve.log")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [EHZ, "serve", "--db", str(db), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}", db_path, log, db)
    deadline = time.monotonic() + START_SECONDS
    try:
        while True:
            try:
                urllib.request.urlopen(served.base + "/-/versions.json", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"ehz serve did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield served
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def status_and_location(url: str) -> tuple[int, str | None]:
    """The status and Location of a GET, without following a redirect."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.headers.get("location")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("location")
