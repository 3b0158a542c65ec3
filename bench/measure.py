"""Run a command as a measured subprocess: wall time, CPU seconds, peak RSS (psutil sampling)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass
class ProcRun:
    """What one subprocess cost."""

    argv: list[str]
    returncode: int
    wall_s: float
    cpu_s: float  # user + system, from the kernel's accounting of the child (wait4)
    peak_rss_mb: float  # highest RSS seen by sampling every `interval` seconds (psutil)
    maxrss_mb: float  # the kernel's own peak (ru_maxrss), a cross-check of the sampling
    log_path: Path | None

    def log_tail(self, lines: int = 15) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def run_measured(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
    interval: float = 0.05,
    timeout: float = 1800.0,
) -> ProcRun:
    """Run `argv` to completion, sampling its RSS (with any children) every `interval` seconds."""
    log = log_path.open("wb") if log_path else subprocess.DEVNULL
    started = time.perf_counter()
    proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        try:
            ps = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not done.is_set():
            try:
                rss = ps.memory_info().rss
                for child in ps.children(recursive=True):
                    with contextlib.suppress(psutil.NoSuchProcess):
                        rss += child.memory_info().rss
                peak[0] = max(peak[0], rss)
            except psutil.NoSuchProcess:
                return
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    deadline = started + timeout
    # wait4 gives the child's own CPU and peak RSS; poll it so a hung crawl is still bounded.
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if log_path:
        log.close()
    return ProcRun(
        argv=list(argv),
        returncode=proc.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=peak[0] / 2**20,
        maxrss_mb=usage.ru_maxrss / 1024,
        log_path=log_path,
    )
