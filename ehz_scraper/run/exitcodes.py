"""Exit statuses of `scrapy crawl` and what each means (documented in docs/operations.md)."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """The process exit status of a crawl, one per outcome a cron job must tell apart."""

    FINISHED = 0  # the run finished; per-URL failures (if any) are recorded in `failures`
    FAILED = 1  # the run failed: the start page could not be fetched, an error closed it, ...
    USAGE = 2  # a bad spider argument or option: nothing was fetched (Scrapy's own code)
    DEGRADED = 3  # drift alarm: the run finished but its records cannot be trusted
    INTERRUPTED = 4  # stopped by SIGINT/SIGTERM before the end; resume with the same JOBDIR
    LOCKED = 75  # another crawl holds the archive's lock (EX_TEMPFAIL: try again later)


# The `runs.status` each exit status stands for.
STATUS_EXIT = {
    "finished": ExitStatus.FINISHED,
    "failed": ExitStatus.FAILED,
    "degraded": ExitStatus.DEGRADED,
    "interrupted": ExitStatus.INTERRUPTED,
}
