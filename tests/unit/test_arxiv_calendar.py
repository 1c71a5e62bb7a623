"""arXiv's schedule: cutoffs, weekends, DST and holidays decide a paper's listing date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import (
    DEFAULT_HOLIDAYS,
    is_listing_date,
    latest_listing,
    listing_date_for,
    listing_date_for_day,
    listing_dates_between,
    next_listing,
    previous_listing,
)

ET = ZoneInfo("America/New_York")


def et(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ET)


def test_cutoff_is_14_00_eastern() -> None:
    # Tuesday 2024-04-02: before the cutoff -> Tuesday's announcement -> Wednesday's listing.
    assert listing_date_for(et(2024, 4, 2, 13, 59)) == date(2024, 4, 3)
    assert listing_date_for(et(2024, 4, 2, 14, 1)) == date(2024, 4, 4)
    assert listing_date_for(et(2024, 4, 2, 14, 0)) == date(2024, 4, 4)


def test_utc_input_is_converted_to_eastern() -> None:
    # 18:30 UTC in April is 14:30 EDT: after the cutoff.
    assert listing_date_for(datetime(2024, 4, 2, 18, 30, tzinfo=UTC)) == date(2024, 4, 4)
    # A naive datetime is read as UTC.
    assert listing_date_for(datetime(2024, 4, 2, 17, 30)) == date(2024, 4, 3)


def test_thursday_after_cutoff_is_announced_sunday_and_listed_monday() -> None:
    assert listing_date_for(et(2024, 4, 4, 13, 0)) == date(2024, 4, 5)  # Thu -> Fri listing
    assert listing_date_for(et(2024, 4, 4, 15, 0)) == date(2024, 4, 8)  # Thu late -> Mon


def test_friday_and_saturday_submissions() -> None:
    assert listing_date_for(et(2024, 4, 5, 10, 0)) == date(2024, 4, 8)  # Fri early: Sun -> Mon
    assert listing_date_for(et(2024, 4, 5, 16, 0)) == date(2024, 4, 9)  # Fri late: Mon -> Tue
    assert listing_date_for(et(2024, 4, 6, 12, 0)) == date(2024, 4, 9)  # Sat: Mon -> Tue
    assert listing_date_for(et(2024, 4, 7, 23, 0)) == date(2024, 4, 9)  # Sun: Mon -> Tue
    assert listing_date_for(et(2024, 4, 8, 13, 59)) == date(2024, 4, 9)  # Mon early -> Tue


def test_dst_switch_moves_the_cutoff_in_utc() -> None:
    # 2026-03-08 (Sunday) clocks go forward. 18:30 UTC is 13:30 EST a week before
    # and 14:30 EDT on the Monday after, so the same UTC time falls on either side of the cutoff.
    assert listing_date_for(datetime(2026, 3, 2, 18, 30, tzinfo=UTC)) == date(2026, 3, 3)
    assert listing_date_for(datetime(2026, 3, 9, 18, 30, tzinfo=UTC)) == date(2026, 3, 11)
    # On the switch day itself (a Sunday) everything waits for Monday's cutoff.
    assert listing_date_for(datetime(2026, 3, 8, 7, 30, tzinfo=UTC)) == date(2026, 3, 10)
    # November: clocks go back on 2026-11-01; 19:30 UTC is 14:30 EST on Monday 2026-11-02.
    assert listing_date_for(datetime(2026, 11, 2, 19, 30, tzinfo=UTC)) == date(2026, 11, 4)
    assert listing_date_for(datetime(2026, 11, 2, 18, 30, tzinfo=UTC)) == date(2026, 11, 3)


def test_configured_holiday_rolls_papers_to_the_next_announcement() -> None:
    thanksgiving = frozenset({date(2026, 11, 26)})
    # Wed 2026-11-25 15:00 would be announced Thursday; Thursday is a holiday -> Sunday -> Monday.
    assert listing_date_for(et(2026, 11, 25, 15, 0)) == date(2026, 11, 27)
    assert listing_date_for(et(2026, 11, 25, 15, 0), thanksgiving) == date(2026, 11, 30)
    assert not is_listing_date(date(2026, 11, 27), thanksgiving)
    assert is_listing_date(date(2026, 11, 27))
    assert next_listing(date(2026, 11, 26), thanksgiving) == date(2026, 11, 30)
    assert previous_listing(date(2026, 11, 30), thanksgiving) == date(2026, 11, 26)


def test_default_holidays_are_arxivs_2026_list() -> None:
    assert date(2026, 11, 26) in DEFAULT_HOLIDAYS and len(DEFAULT_HOLIDAYS) == 9
    # Monday 2026-01-19 has no announcement, so there is no listing on Tuesday 2026-01-20.
    assert not is_listing_date(date(2026, 1, 20), DEFAULT_HOLIDAYS)
    assert listing_date_for(et(2026, 1, 19, 10, 0), DEFAULT_HOLIDAYS) == date(2026, 1, 21)


def test_latest_listing_on_a_saturday_is_friday() -> None:
    assert latest_listing(et(2024, 4, 6, 12, 0)) == date(2024, 4, 5)
    assert latest_listing(et(2024, 4, 7, 19, 59)) == date(2024, 4, 5)  # Sunday before 20:00
    assert latest_listing(et(2024, 4, 7, 20, 0)) == date(2024, 4, 8)  # Sunday's announcement
    assert latest_listing(et(2024, 4, 4, 21, 0)) == date(2024, 4, 5)  # Thursday evening
    assert latest_listing(et(2024, 4, 5, 21, 0)) == date(2024, 4, 5)  # no Friday announcement


def test_listing_dates_between_skips_weekends_and_holidays() -> None:
    got = listing_dates_between(
        date(2026, 11, 23), date(2026, 12, 1), frozenset({date(2026, 11, 26)})
    )
    assert got == [
        date(2026, 11, 23),
        date(2026, 11, 24),
        date(2026, 11, 25),
        date(2026, 11, 26),
        date(2026, 11, 30),
        date(2026, 12, 1),
    ]


def test_a_date_alone_gives_the_latest_possible_listing() -> None:
    assert listing_date_for_day(date(2024, 4, 2)) == date(2024, 4, 4)
    assert listing_date_for_day(date(2024, 4, 5)) == date(2024, 4, 9)


moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
holiday_sets = st.frozensets(st.dates(date(2024, 1, 1), date(2024, 12, 31)), max_size=20)


@given(moments, holiday_sets)
def test_every_listing_date_is_a_listing_after_the_submission(
    moment: datetime, holidays: frozenset[date]
) -> None:
    listed = listing_date_for(moment, holidays)
    assert is_listing_date(listed, holidays)
    assert moment < datetime.combine(listed, datetime.min.time(), tzinfo=ET) + timedelta(days=1)
    assert listed - moment.astimezone(ET).date() <= timedelta(days=30)
    assert latest_listing(moment, holidays) <= listing_date_for(moment, holidays)


@given(st.dates(date(2000, 1, 1), date(2035, 12, 31)), holiday_sets)
def test_next_and_previous_are_neighbours(day: date, holidays: frozenset[date]) -> None:
    after = next_listing(day, holidays)
    before = previous_listing(day, holidays)
    assert before < day < after
    assert listing_dates_between(before, after, holidays)[0] == before
    assert listing_dates_between(
        before + timedelta(days=1), after - timedelta(days=1), holidays
    ) == ([day] if is_listing_date(day, holidays) else [])
