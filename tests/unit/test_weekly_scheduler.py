"""Weekly and monthly triggers: the right local day and time, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.daily import MonthStart
from bot.domain.subscription import Subscription
from bot.scheduler import cron_trigger, previous_fire_time


def weekly(zone: str, day: int, at: time = time(9, 0)) -> Subscription:
    return Subscription("slack", "C1", ("cs.LG",), 10, at, zone, (day,), cadence="weekly")


def local_fires(sub: Subscription, start: datetime, count: int) -> list[datetime]:
    """The next `count` fires from `start`, walked the way APScheduler walks a trigger."""
    trigger = cron_trigger(sub)
    zone = ZoneInfo(sub.timezone)
    found: list[datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and len(found) < count:
        found.append(fire.astimezone(zone))
        fire = trigger.get_next_fire_time(fire, fire.astimezone(UTC) + timedelta(seconds=1))
    return found


def utc(fires: list[datetime]) -> list[str]:
    return [f.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M") for f in fires]


@pytest.mark.parametrize(
    ("zone", "start", "expected"),
    [
        # Europe/Berlin: CEST (UTC+2) -> CET (UTC+1) on Sun 2026-10-25.
        (
            "Europe/Berlin",
            datetime(2026, 10, 13, tzinfo=UTC),
            ["Mon 2026-10-19 07:00", "Mon 2026-10-26 08:00", "Mon 2026-11-02 08:00"],
        ),
        # Europe/Berlin: CET -> CEST on Sun 2026-03-29.
        (
            "Europe/Berlin",
            datetime(2026, 3, 17, tzinfo=UTC),
            ["Mon 2026-03-23 08:00", "Mon 2026-03-30 07:00", "Mon 2026-04-06 07:00"],
        ),
        # America/Santiago: UTC-3 -> UTC-4 on Sun 2026-04-05; back to UTC-3 on Sun 2026-09-06.
        (
            "America/Santiago",
            datetime(2026, 3, 24, tzinfo=UTC),
            ["Mon 2026-03-30 12:00", "Mon 2026-04-06 13:00", "Mon 2026-04-13 13:00"],
        ),
        (
            "America/Santiago",
            datetime(2026, 8, 25, tzinfo=UTC),
            ["Mon 2026-08-31 13:00", "Mon 2026-09-07 12:00", "Mon 2026-09-14 12:00"],
        ),
    ],
)
def test_weekly_fires_on_its_local_day_at_its_local_time_across_dst(
    zone: str, start: datetime, expected: list[str]
) -> None:
    found = local_fires(weekly(zone, 0), start, 3)
    assert utc(found) == expected
    assert all(f.weekday() == 0 and (f.hour, f.minute) == (9, 0) for f in found)


def test_weekly_at_a_time_the_clocks_skip_fires_once_that_day_when_they_jump() -> None:
    # America/Santiago jumps 00:00 -> 01:00 on Sun 2026-09-06.
    found = local_fires(
        weekly("America/Santiago", 6, time(0, 0)), datetime(2026, 8, 25, tzinfo=UTC), 3
    )
    assert [(f.date(), f.hour) for f in found] == [
        (date(2026, 8, 30), 0),
        (date(2026, 9, 6), 1),
        (date(2026, 9, 13), 0),
    ]


def test_weekly_at_a_repeated_time_fires_once_at_its_first_occurrence() -> None:
    # America/Santiago repeats 23:00-24:00 on Sat 2026-04-04.
    found = local_fires(
        weekly("America/Santiago", 5, time(23, 30)), datetime(2026, 3, 25, tzinfo=UTC), 3
    )
    assert [f.date() for f in found] == [date(2026, 3, 28), date(2026, 4, 4), date(2026, 4, 11)]
    assert [f.fold for f in found] == [0, 0, 0]
    assert utc(found)[1] == "Sun 2026-04-05 02:30"  # 23:30 at UTC-3, the first of the two


def test_monthly_fires_on_the_first_listing_day_of_each_month() -> None:
    sub = Subscription(
        "slack", "C1", ("cs.LG",), 10, time(9, 0), "Europe/Berlin", cadence="monthly"
    )
    found = local_fires(sub, datetime(2026, 9, 15, tzinfo=UTC), 5)
    # Thu 10-01, Mon 11-02 (the 1st is a Sunday), Tue 12-01, Fri 2027-01-01, Mon 2027-02-01.
    assert [f.date() for f in found] == [
        date(2026, 10, 1),
        date(2026, 11, 2),
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]
    assert utc(found)[:2] == ["Thu 2026-10-01 07:00", "Mon 2026-11-02 08:00"]  # across DST
    # The latest fire looks back a month, not a week.
    latest = previous_fire_time(cron_trigger(sub), datetime(2026, 11, 30, tzinfo=UTC))
    assert latest is not None and latest.astimezone(UTC) == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_month_start_is_the_first_weekday() -> None:
    rule = MonthStart()
    assert [d.day for d in (date(2026, 8, 3), date(2026, 11, 2)) if rule.includes(d)] == [3, 2]
    assert not rule.includes(date(2026, 8, 4)) and not rule.includes(date(2026, 11, 1))
