"""Splits chat text into tokens and reads the small values in them: numbers, dates, times, zones."""

from __future__ import annotations

import difflib
import functools
import logging
import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, time

log = logging.getLogger(__name__)

_ADDRESS = re.compile(
    r"^\s*(?:<@!?[A-Za-z0-9]+(?:\|[^>\s]{0,80})?>|/hotpapers\b|!hp\b|!hotpapers\b|@hotpapers\b)"
    r"[\s:,]*",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[\"“”](?P<quoted>[^\"“”]*)[\"“”]|(?P<plain>[^\s,]+)")
_LEAD = "([{<'`*_"
_TRAIL = ")]}>'`*_.,;:!?"
_INT = re.compile(r"^[+-]?[0-9]+$")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_CLOCK = re.compile(r"^([0-9]{1,2})(?::([0-9]{2}))?(am|pm)?$")
_HUGE = 10**9

_DAY_NAMES = {
    0: ("mon", "monday", "mondays"),
    1: ("tue", "tues", "tuesday", "tuesdays"),
    2: ("wed", "weds", "wednesday", "wednesdays"),
    3: ("thu", "thur", "thurs", "thursday", "thursdays"),
    4: ("fri", "friday", "fridays"),
    5: ("sat", "saturday", "saturdays"),
    6: ("sun", "sunday", "sundays"),
}
DAY_OF = {name: day for day, names in _DAY_NAMES.items() for name in names}
DAY_SETS = {
    "daily": tuple(range(7)),
    "everyday": tuple(range(7)),
    "weekdays": (0, 1, 2, 3, 4),
    "weekday": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
    "weekend": (5, 6),
}


@dataclass(frozen=True)
class Token:
    raw: str  # as typed, minus surrounding punctuation
    low: str
    quoted: bool = False


def strip_address(text: str) -> tuple[str, bool]:
    """Text without a leading `/hotpapers`, `!hp` or chat mention, and whether there was one."""
    addressed = False
    for _ in range(3):
        match = _ADDRESS.match(text)
        if match is None:
            break
        addressed = True
        text = text[match.end() :]
    return text.strip(), addressed


def tokenize(text: str) -> list[Token]:
    """Whitespace- and comma-separated tokens; "quoted phrases" stay one token."""
    tokens = []
    for match in _TOKEN.finditer(text):
        quoted = match.group("quoted")
        if quoted is not None:
            phrase = " ".join(quoted.split())
            if phrase:
                tokens.append(Token(phrase, phrase.lower(), quoted=True))
            continue
        raw = match.group("plain").lstrip(_LEAD).rstrip(_TRAIL)
        if raw:
            tokens.append(Token(raw, raw.lower()))
    return tokens


def parse_int(low: str) -> int | None:
    """A whole number (sign allowed); absurdly long ones come back as a billion."""
    if not _INT.match(low):
        return None
    digits = low.lstrip("+-")
    value = int(digits) if len(digits) <= 9 else _HUGE
    return -value if low.startswith("-") else value


def looks_like_date(low: str) -> bool:
    return _DATE.match(low) is not None


def parse_date(low: str) -> date | None:
    """A `YYYY-MM-DD` date that exists, else None."""
    match = _DATE.match(low)
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def parse_clock(low: str, *, bare_hour: bool) -> time | None:
    """`09:30`, `21:00`, `9am`, `9:30pm`, `noon`; a bare hour (`9`) only when `bare_hour`."""
    if low == "noon":
        return time(12, 0)
    if low == "midnight":
        return time(0, 0)
    match = _CLOCK.match(low)
    if match is None:
        return None
    hour_text, minute_text, half = match.groups()
    if minute_text is None and half is None and not bare_hour:
        return None
    hour, minute = int(hour_text), int(minute_text or 0)
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def looks_like_clock(low: str) -> bool:
    match = _CLOCK.match(low)
    return match is not None and (match.group(2) is not None or match.group(3) is not None)


def parse_days(low: str) -> tuple[int, ...] | None:
    """`daily`, `weekdays`, `mon`, `friday`, `mon-fri` as weekday numbers (0=Mon), else None."""
    if low in DAY_SETS:
        return DAY_SETS[low]
    if low in DAY_OF:
        return (DAY_OF[low],)
    first, sep, last = low.partition("-")
    if sep and first in DAY_OF and last in DAY_OF:
        start, end = DAY_OF[first], DAY_OF[last]
        span = (end - start) % 7
        return tuple(sorted((start + i) % 7 for i in range(span + 1)))
    return None


@functools.cache
def _zones() -> dict[str, str]:
    try:
        names = zoneinfo.available_timezones()
    except Exception as exc:  # no tz database at all: fall back to asking ZoneInfo directly
        log.warning("no timezone list available: %s", exc)
        names = set()
    return {name.lower(): name for name in names}


def resolve_timezone(raw: str) -> str | None:
    """The IANA name for a zone the user typed, any case (`europe/berlin`, `UTC`), else None."""
    zones = _zones()
    name = zones.get(raw.lower()) if zones else raw
    if name is None or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except Exception:  # not found, or a key ZoneInfo refuses
        return None
    return name


def suggest_timezone(raw: str) -> str | None:
    zones = _zones()
    found = difflib.get_close_matches(raw.lower()[:64], list(zones), n=1, cutoff=0.7)
    return zones[found[0]] if found else None
