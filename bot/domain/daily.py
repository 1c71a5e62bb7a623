"""A daily time in a timezone: the one instant it names on each local day, DST gaps and folds included.

Each chosen local day fires exactly once:
- a time that the clocks skip (spring forward: 00:15 America/Havana on 2026-03-08) fires at the
  first valid instant after it, the moment the clocks jump (01:00 local);
- a time that happens twice (fall back) fires at its first occurrence only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

_ONE_DAY = timedelta(days=1)
_SEARCH_DAYS = 8  # any weekday set repeats within a week
_MONTH_SEARCH_DAYS = 40  # the first weekday of the next month is at most ~35 days away


@dataclass(frozen=True)
class MonthStart:
    """The first of `weekdays` in each month: a monthly digest's day (the first listing day)."""

    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)

    def includes(self, day: date) -> bool:
        if day.weekday() not in self.weekdays:
            return False
        first = day.replace(day=1)
        while first.weekday() not in self.weekdays:
            first += _ONE_DAY
        return first == day


Days = Collection[int] | MonthStart


def _runs(days: Days, day: date) -> bool:
    return days.includes(day) if isinstance(days, MonthStart) else day.weekday() in days


def _horizon(days: Days) -> int:
    return _MONTH_SEARCH_DAYS if isinstance(days, MonthStart) else _SEARCH_DAYS + 2


def _wall(moment: datetime, zone: tzinfo) -> datetime:
    # Through UTC: astimezone() to the datetime's own tzinfo returns it unchanged, gap or not.
    return moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None)


def fire_on(day: date, at: time, zone: tzinfo) -> datetime:
    """The instant (in `zone`) that `at` on local `day` names; see the module doc for DST."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0)
    if _wall(first, zone) == wall:
        return first.astimezone(UTC).astimezone(
            zone
        )  # exists (fold=0: the first of two, in a repeated hour)
    # Inside a gap: fold=0 reads it with the offset before the jump, fold=1 with the one after.
    # The jump lies between them; find it to the second (the first instant with a later wall).
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first.astimezone(UTC)
    if low > high:
        low, high = high, low
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _wall(middle, zone) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0).astimezone(zone)


def next_fire(
    days: Days,
    at: time,
    zone: tzinfo,
    start: datetime,
    after_day: date | None = None,
) -> datetime | None:
    """The first fire at or after `start` on a local day in `days` (0=Mon) later than `after_day`."""
    if not isinstance(days, MonthStart) and not days:
        return None
    day = start.astimezone(zone).date() - _ONE_DAY
    for _ in range(_horizon(days)):
        if _runs(days, day) and (after_day is None or day > after_day):
            fire = fire_on(day, at, zone)
            if fire >= start:
                return fire
        day += _ONE_DAY
    return None


def previous_fire(days: Days, at: time, zone: tzinfo, before: datetime) -> datetime | None:
    """The latest fire strictly before `before`."""
    if not isinstance(days, MonthStart) and not days:
        return None
    day = before.astimezone(zone).date() + _ONE_DAY
    for _ in range(_horizon(days)):
        if _runs(days, day):
            fire = fire_on(day, at, zone)
            if fire < before:
                return fire
        day -= _ONE_DAY
    return None
