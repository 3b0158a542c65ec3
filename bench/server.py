"""A loopback static server for the synthetic site (nginx, else a Python one) and a load check.

nginx from Debian is preferred: it serves tens of thousands of requests a second on loopback, so
the server never limits a crawl. When nginx is missing the bench installs it with apt-get (as
root) and says so; when that is not possible it falls back to a small asyncio server (run in its
own process) and the report says which one served. `measure_throughput` loads the server with
`wrk` (or, without wrk, a small asyncio load generator) over the site's own URLs.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def apt_install(package: str) -> str | None:
    """Install a Debian package (as root): a one-line note of what was done, or None."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-qq", package]
    for attempt in range(2):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        if done.returncode == 0:
            return f"installed `{package}` with apt-get"
        if attempt == 0:  # the package lists may be missing on a fresh machine
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=300)
    return None


def find_tool(name: str, package: str, install: bool) -> tuple[str | None, str]:
    """Path of `name` (installing `package` when allowed) and a note for the report."""
    path = shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
    )
    if path:
        return path, f"`{name}` was already installed"
    if install:
        note = apt_install(package)
        path = shutil.which(name) or (
            f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
        )
        if path and note:
            return path, f"{note} (it was missing)"
    return None, f"`{name}` missing" + ("" if install else " (install not allowed)")


def _nginx_version(path: str) -> str:
    out = subprocess.run([path, "-v"], capture_output=True, text=True).stderr
    m = re.search(r"nginx/(\S+)", out)
    return m.group(1) if m else "?"


NGINX_CONF = """\
worker_processes {workers};
daemon off;
master_process on;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
{user}
events {{ worker_connections 2048; }}
http {{
    types {{ text/html html htm; text/plain txt; application/json json; image/jpeg jpg; }}
    default_type application/octet-stream;
    charset utf-8;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    keepalive_timeout 65;
    open_file_cache max=50000 inactive=120s;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    {conditional}
    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
    }}
}}
"""


@dataclass
class StaticServer:
    """A running server: its base URL, what it is, and how it came to be there."""

    url: str
    kind: str
    note: str
    proc: subprocess.Popen
    workdir: Path
    pid_extra: list[int] = field(default_factory=list)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> StaticServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} before serving")
        try:
            with urllib.request.urlopen(url + "robots.txt", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server at {url} not ready after {timeout:.0f} s")


def start_server(
    root: Path,
    *,
    prefer: str = "nginx",
    install: bool = True,
    workers: int = 1,
    conditional: bool = True,
) -> StaticServer:
    """Serve `root` on 127.0.0.1 (a free port): nginx when possible, else the Python server.

    `conditional=False` makes a server that ignores If-None-Match / If-Modified-Since (sends
    no ETag, answers 200 with the full body), as many CMSs do: a refresh then re-downloads
    every page, which is what shows that unchanged content adds no snapshot bytes.
    """
    root = Path(root).resolve()
    note = ""
    if prefer == "nginx":
        nginx, note = find_tool("nginx", "nginx-light", install)
        if nginx:
            return _start_nginx(nginx, root, note, workers, conditional)
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="ehz-bench-srv-"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.server", "--root", str(root), "--port", str(port)]
        + ([] if conditional else ["--no-conditional"]),
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "server.log").open("wb"),
    )
    url = f"http://127.0.0.1:{port}/"
    _wait_ready(url, proc)
    why = note if note else "the Python server was asked for (`--server python`)"
    return StaticServer(url, "Python asyncio static server (fallback)", why, proc, workdir)


def _start_nginx(
    nginx: str, root: Path, note: str, workers: int, conditional: bool = True
) -> StaticServer:
    for _ in range(5):
        port = free_port()
        workdir = Path(tempfile.mkdtemp(prefix="ehz-bench-nginx-"))
        conf = workdir / "nginx.conf"
        user = "user root root;" if os.geteuid() == 0 else ""
        conf.write_text(
            NGINX_CONF.format(
                workers=workers,
                work=workdir,
                user=user,
                port=port,
                root=root,
                conditional="" if conditional else "etag off;\n    if_modified_since off;",
            )
        )
        proc = subprocess.Popen(
            [nginx, "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            _wait_ready(url, proc)
        except RuntimeError:
            proc.kill()
            proc.wait()
            shutil.rmtree(workdir, ignore_errors=True)
            continue  # most likely the port was taken between probing and binding
        kind = f"nginx {_nginx_version(nginx)} ({workers} worker{'s' if workers > 1 else ''})"
        return StaticServer(url, kind, note, proc, workdir)
    raise RuntimeError("nginx did not start on a free loopback port in 5 tries")


# ---------------------------------------------------------------------------------------
# Load check


@dataclass
class LoadResult:
    """Requests per second a load tool got from the server."""

    tool: str
    requests_per_s: float
    requests: int
    errors: int
    seconds: float


WRK_SCRIPT = """\
local paths = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = "/" .. line end
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def measure_throughput(
    base_url: str,
    paths: list[str],
    *,
    seconds: float = 3.0,
    connections: int = 16,
    install: bool = True,
) -> LoadResult:
    """Load `base_url` over `paths` (cycled) for `seconds` with wrk, else a Python generator."""
    wrk, _ = find_tool("wrk", "wrk", install)
    if wrk:
        return _wrk(wrk, base_url, paths, seconds, connections)
    return asyncio.run(py_load(base_url, paths, seconds, connections))


def _wrk(wrk: str, base_url: str, paths: list[str], seconds: float, connections: int) -> LoadResult:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "paths.lua"
        script.write_text(WRK_SCRIPT)
        listing = Path(tmp) / "paths.txt"
        listing.write_text("\n".join(paths) + "\n")
        out = subprocess.run(
            [
                wrk,
                "-t2",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "-s",
                str(script),
                base_url.rstrip("/"),
                "--",
                str(listing),
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
        ).stdout
    rate = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errs += sum(int(g) for g in m.groups())
    return LoadResult(f"wrk (2 threads, {connections} connections)", rate, total, errs, seconds)


async def py_load(base_url: str, paths: list[str], seconds: float, connections: int) -> LoadResult:
    host, port = re.match(r"http://([^:/]+):(\d+)", base_url).groups()
    deadline = time.perf_counter() + seconds
    counts = [0, 0]

    async def worker(offset: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        i = offset
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += connections
            writer.write(f"GET /{path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
            await reader.readexactly(length)
            counts[0 if head.startswith(b"HTTP/1.1 200") else 1] += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(connections)))
    took = time.perf_counter() - started
    total = counts[0] + counts[1]
    return LoadResult(
        f"Python asyncio load generator ({connections} connections; wrk missing, so a lower bound)",
        total / took,
        total,
        counts[1],
        took,
    )


# ---------------------------------------------------------------------------------------
# The fallback server itself (`python -m bench.server --root DIR --port N`)

_TYPES = {
    ".htm": "text/html; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}


async def _serve_client(
    root: Path,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    conditional: bool = True,
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, target = line.split(" ")[:2]
            path = target.split("?", 1)[0].lstrip("/") or "index.html"
            file = (root / path).resolve()
            inm = conditional and re.search(rb"(?i)\r\nif-none-match:\s*([^\r]+)", head)
            if root not in file.parents or not file.is_file():
                body, status, extra = b"Not Found", "404 Not Found", ""
            else:
                st = file.stat()
                etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
                lm = email.utils.formatdate(st.st_mtime, usegmt=True)
                extra = f"ETag: {etag}\r\nLast-Modified: {lm}\r\n" if conditional else ""
                ctype = _TYPES.get(file.suffix, "application/octet-stream")
                extra += f"Content-Type: {ctype}\r\n"
                if inm and inm.group(1).decode().strip() == etag:
                    body, status = b"", "304 Not Modified"
                else:
                    body, status = file.read_bytes(), "200 OK"
            payload = b"" if method == "HEAD" else body
            writer.write(
                f"HTTP/1.1 {status}\r\nServer: ehz-bench\r\n{extra}"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


def serve_forever(root: Path, port: int, conditional: bool = True) -> None:
    """Run the fallback static server until killed."""
    root = Path(root).resolve()

    async def main() -> None:
        server = await asyncio.start_server(
            lambda r, w: _serve_client(root, r, w, conditional), "127.0.0.1", port, backlog=1024
        )
        async with server:
            await server.serve_forever()

    asyncio.run(main())


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Serve a folder on 127.0.0.1 (bench fallback).")
    parser.add_argument("--root", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-conditional", action="store_true", help="no ETag, never 304")
    args = parser.parse_args()
    serve_forever(Path(args.root), args.port, conditional=not args.no_conditional)
