"""The dates and times in archive posts: file names, front matter stamps, embeds' dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

# `2021-04-05` at the start of a file name (or the whole of a markdown quote's date).
LEADING_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_STAMP = re.compile(
    r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]*)?Z?\s*$",
    re.ASCII,
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}


def checked_date(year: int, month: int, day: int) -> date | None:
    """The date, or None when there is no such day."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_stamp(value: str) -> datetime | None:
    """``2021-04-06 09:19:02`` or ``2021-04-06T09:19:02.5Z`` as UTC; None when unreadable."""
    m = _STAMP.match(value)
    if not m:
        return None
    try:
        year, month, day, hh, mm, ss = (int(g) for g in m.groups())
        return datetime(year, month, day, hh, mm, ss, tzinfo=UTC)
    except ValueError:
        return None


def parse_posted(value: str) -> date | None:
    """``April 5, 2021`` (Twitter's embed) or ``2021-04-05`` (the markdown quote)."""
    value = value.strip()
    iso = LEADING_DATE.match(value)
    if iso and len(value) == 10:
        return checked_date(int(iso[1]), int(iso[2]), int(iso[3]))
    month, _, rest = value.partition(" ")
    day, _, year = rest.partition(",")
    number = _MONTHS.get(month.lower())
    day, year = day.strip(), year.strip()
    digits = day.isascii() and day.isdigit() and year.isascii() and year.isdigit()
    if number and digits and len(day) <= 2 and len(year) == 4:
        return checked_date(int(year), number, int(day))
    return None
