"""Timestamps as the archive writes them: ISO 8601 UTC with a Z, second precision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utcnow() -> str:
    """Now, as the archive writes timestamps ("2026-11-26T07:01:02Z")."""
    return format_ts(datetime.now(UTC))


def format_ts(moment: datetime) -> str:
    """An aware datetime in the archive's timestamp format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(text: str) -> datetime:
    """A timestamp from the archive or a spider (Z or +00:00 suffix; naive means UTC)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def normalize_ts(value: str | datetime | None) -> str:
    """Any accepted timestamp (or None for now) in the archive's format."""
    if value is None:
        return utcnow()
    if isinstance(value, datetime):
        return format_ts(value if value.tzinfo else value.replace(tzinfo=UTC))
    return format_ts(parse_ts(value))


# Retry schedule for a failed URL: after the 1st failure 1 hour, then 6 hours, 1 day, then weekly.
BACKOFF = (timedelta(hours=1), timedelta(hours=6), timedelta(days=1), timedelta(days=7))


def next_due(failed_at: str, attempts: int) -> str:
    """When a URL that has failed `attempts` times may be tried again."""
    step = BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]
    return format_ts(parse_ts(failed_at) + step)
