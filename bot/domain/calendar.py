"""arXiv's announcement schedule: submission cutoffs, announcements and the listing dates they make.

Submissions received before 14:00 US Eastern on a weekday are announced at 20:00 ET that day
(Monday to Thursday) or on Sunday (for Friday's cutoff). A listing is dated the day after its
announcement, so listings fall on Monday to Friday. A holiday is a date on which arXiv makes no
announcement; its papers roll to the next announcement (a Friday or Saturday holiday changes nothing).
Naive datetimes are taken to be UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
CUTOFF = time(14, 0)
ANNOUNCE = time(20, 0)

# Deferred mailings announced by arXiv for 2026 (help/availability). Config may add more.
DEFAULT_HOLIDAYS: frozenset[date] = frozenset(
    {
        date(2026, 1, 1),
        date(2026, 1, 19),
        date(2026, 6, 19),
        date(2026, 7, 3),
        date(2026, 9, 7),
        date(2026, 11, 26),
        date(2026, 12, 25),
        date(2026, 12, 29),
        date(2026, 12, 31),
    }
)

_ONE_DAY = timedelta(days=1)
_SUNDAY = 6
_FRIDAY = 4


def to_eastern(moment: datetime) -> datetime:
    """`moment` in US Eastern time (a naive datetime is read as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(EASTERN)


def _announces(d: date, holidays: frozenset[date]) -> bool:
    """True when arXiv announces at 20:00 ET on `d` (Sunday to Thursday, not a holiday)."""
    return (d.weekday() == _SUNDAY or d.weekday() < _FRIDAY) and d not in holidays


def _next_announcement(d: date, holidays: frozenset[date]) -> date:
    """The first announcement day on or after `d`."""
    while not _announces(d, holidays):
        d += _ONE_DAY
    return d


def announcement_for(submitted: datetime, holidays: frozenset[date] = frozenset()) -> date:
    """The ET date of the 20:00 announcement that makes a submission public."""
    local = to_eastern(submitted)
    deadline = local.date()
    if deadline.weekday() > _FRIDAY or local.time() >= CUTOFF:
        deadline += _ONE_DAY
        while deadline.weekday() > _FRIDAY:
            deadline += _ONE_DAY
    # Monday..Thursday cutoffs are announced the same evening, Friday's on Sunday.
    announce = deadline + timedelta(days=2) if deadline.weekday() == _FRIDAY else deadline
    return _next_announcement(announce, holidays)


def listing_date_for(submitted: datetime, holidays: frozenset[date] = frozenset()) -> date:
    """The listing date (the day after the announcement) of a paper submitted at `submitted`."""
    return announcement_for(submitted, holidays) + _ONE_DAY


def is_listing_date(d: date, holidays: frozenset[date] = frozenset()) -> bool:
    """True when a listing is dated `d` (Monday to Friday, its announcement not a holiday)."""
    return _announces(d - _ONE_DAY, holidays)


def next_listing(d: date, holidays: frozenset[date] = frozenset()) -> date:
    """The first listing date strictly after `d`."""
    return _next_announcement(d, holidays) + _ONE_DAY


def previous_listing(d: date, holidays: frozenset[date] = frozenset()) -> date:
    """The last listing date strictly before `d`."""
    d -= _ONE_DAY
    while not is_listing_date(d, holidays):
        d -= _ONE_DAY
    return d


def latest_listing(now: datetime, holidays: frozenset[date] = frozenset()) -> date:
    """The newest listing already announced at `now` (its announcement was at or before `now`)."""
    local = to_eastern(now)
    candidate = local.date() + _ONE_DAY if local.time() >= ANNOUNCE else local.date()
    if is_listing_date(candidate, holidays):
        return candidate
    return previous_listing(candidate, holidays)


def latest_listing_on(day: date, holidays: frozenset[date] = frozenset()) -> date:
    """The newest listing dated on or before `day`."""
    if is_listing_date(day, holidays):
        return day
    return previous_listing(day, holidays)


def listing_dates_between(
    start: date, end: date, holidays: frozenset[date] = frozenset()
) -> list[date]:
    """Every listing date from `start` to `end`, both included, oldest first."""
    found: list[date] = []
    d = start
    while d <= end:
        if is_listing_date(d, holidays):
            found.append(d)
        d += _ONE_DAY
    return found


def listing_date_for_day(day: date, holidays: frozenset[date] = frozenset()) -> date:
    """A listing date from a submission *date* alone (no time): the latest it can be.

    Assumes the paper came in after that day's cutoff, so the estimate is never too early; the
    store keeps the earliest listing date it hears of, and a better source can only correct it.
    """
    end_of_day = datetime.combine(day, time(23, 59, 59), tzinfo=EASTERN)
    return listing_date_for(end_of_day, holidays)
