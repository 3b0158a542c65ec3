"""Date parsing for info lines, meta tags and URL paths; times come out in Beijing time (+08:00)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from ehz_scraper.site.urls import ARTICLE_URL_DATE_RE

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11,
    "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
# Digits are written [0-9] throughout: `\d` also matches other scripts' digits ("٣", "²").
# A time and an optional zone: "10:31", "10:31:05", "10:31 AM", "02:31Z", "10:31 UTC+8".
_TIME = (
    r"(?:(?:[T\s]+|\s*,\s*)(?P<hh>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<ss>[0-9]{2})(?:\.[0-9]+)?)?"
    r"(?:\s*(?P<ampm>[ap]\.?m\.?)(?![a-z]))?"
    r"(?:\s*\(?(?P<tz>Z(?![a-z])|[+-][0-9]{2}:?[0-9]{2}"
    r"|(?:UTC|GMT)(?:\s*[+-]\s*[0-9]{1,2}(?::?[0-9]{2})?)?"
    r"|CST|BJT|Beijing\s+time)\)?)?)?"
)
_NUMERIC = re.compile(
    r"(?<![0-9])(?P<y>[0-9]{4})\s*[-/.年]\s*(?P<m>[0-9]{1,2})\s*[-/.月]\s*"
    r"(?P<d>[0-9]{1,2})(?![0-9])日?" + _TIME,
    re.I,
)
_MONTH_FIRST = re.compile(
    r"(?<![a-z])" + _MONTH + r"\s+(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?,?\s+"
    r"(?P<y>[0-9]{4})(?![0-9])" + _TIME,
    re.I,
)
_DAY_FIRST = re.compile(
    r"(?<![0-9])(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?\s+"
    + _MONTH
    + r",?\s+(?P<y>[0-9]{4})(?![0-9])"
    + _TIME,
    re.I,
)
_COMPACT = re.compile(
    r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})(?:(?P<hh>[0-9]{2})(?P<mi>[0-9]{2})(?P<ss>[0-9]{2})?)?$"
)
_TZ_OFFSET = re.compile(r"([+-])\s*([0-9]{1,2})(?::?([0-9]{2}))?$")


@dataclass(frozen=True)
class FoundDate:
    """A date found in a text: its ISO form and where it was printed."""

    iso: str  # "2021-05-12" or "2021-05-12T10:31:00+08:00"
    start: int
    end: int


def _zone(tz: str | None) -> timezone:
    if not tz:
        return BEIJING  # the site prints Beijing time without saying so
    tz = tz.strip().upper()
    if tz in ("CST", "BJT") or tz.startswith("BEIJING"):
        return BEIJING  # CST on a Chinese site is China Standard Time
    if tz == "Z" or tz in ("UTC", "GMT"):
        return UTC
    match = _TZ_OFFSET.search(tz)
    if match is None:
        return BEIJING
    sign = -1 if match[1] == "-" else 1
    hours, minutes = int(match[2]), int(match[3] or 0)
    if hours > 14 or minutes > 59:
        return BEIJING
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _build(groups: dict[str, str | None], month: int) -> str | None:
    try:
        year, day = int(groups["y"]), int(groups["d"])
        if not 1900 <= year <= 2100:
            return None
        if groups.get("hh") is None:
            return datetime(year, month, day).date().isoformat()
        hour, minute = int(groups["hh"]), int(groups["mi"])
        second = int(groups["ss"] or 0)
        ampm = (groups.get("ampm") or "").replace(".", "").lower()
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        moment = datetime(year, month, day, hour, minute, second, tzinfo=_zone(groups.get("tz")))
    except ValueError:
        return None
    return moment.astimezone(BEIJING).isoformat(timespec="seconds")


def _from_match(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    month = _MONTHS[groups["mon"].lower().rstrip(".")] if groups.get("mon") else int(groups["m"])
    return _build(groups, month)


def find_date(text: str, *, at_start: bool = False) -> FoundDate | None:
    """The first valid date printed in `text` (only at its start when `at_start`), else None."""
    best: FoundDate | None = None
    for pattern in (_NUMERIC, _MONTH_FIRST, _DAY_FIRST):
        match = pattern.match(text) if at_start else pattern.search(text)
        while match is not None:
            iso = _from_match(match)
            if iso is not None:
                found = FoundDate(iso, match.start(), match.end())
                if best is None or found.start < best.start:
                    best = found
                break
            match = None if at_start else pattern.search(text, match.start() + 1)
    return best


def parse_date(text: str) -> str | None:
    """The ISO form of a date such as `May 12, 2021`, `2021-05-12 10:31` or an ISO 8601 stamp."""
    text = text.strip()
    compact = _COMPACT.match(text)
    if compact is not None:
        return _build(compact.groupdict(), int(compact["m"]))
    found = find_date(text)
    return found.iso if found is not None else None


def date_from_url(url: str | None) -> str | None:
    """`YYYY-MM-DD` from an article URL's `/YYYY-MM/DD/c_<id>.htm` path, else None."""
    if not url:
        return None
    match = ARTICLE_URL_DATE_RE.search(url)
    if match is None:
        return None
    try:
        day = datetime(int(match["year"]), int(match["month"]), int(match["day"]))
        return day.date().isoformat()
    except ValueError:
        return None
