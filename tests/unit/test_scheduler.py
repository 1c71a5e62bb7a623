"""The scheduler: trigger arithmetic across DST, and downtime inside and beyond the misfire grace."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import apscheduler.executors.base
import apscheduler.schedulers.base
import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent

from adapters.recording import RecordingPublisher
from bot.domain.subscription import Subscription
from bot.scheduler import Scheduler, cron_trigger
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore
from tests.helpers import aggregate, paper


def fires(sub: Subscription, fixed_now: datetime, count: int) -> list[str]:
    """The next `count` fire times in UTC, the way APScheduler walks a trigger."""
    trigger = cron_trigger(sub)
    fire = trigger.get_next_fire_time(None, fixed_now)
    found: list[str] = []
    while fire is not None and len(found) < count:
        found.append(fire.astimezone(UTC).strftime("%a %m-%d %H:%M"))
        fire = trigger.get_next_fire_time(fire, fire.astimezone(UTC) + timedelta(seconds=1))
    return found


def sub_at(zone: str, at: time = time(9, 0), days: tuple[int, ...] | None = None) -> Subscription:
    return Subscription("slack", "C1", ("cs.CV",), 5, at, zone, days)


@pytest.mark.parametrize(
    ("zone", "fixed_now", "expected"),
    [
        # Europe/Berlin: CET (UTC+1) -> CEST (UTC+2) on Sun 2021-03-28, back on Sun 2021-10-31.
        (
            "Europe/Berlin",
            "2021-03-25T00:00+00:00",
            ["Thu 03-25 08:00", "Fri 03-26 08:00", "Mon 03-29 07:00", "Tue 03-30 07:00"],
        ),
        (
            "Europe/Berlin",
            "2021-10-28T00:00+00:00",
            ["Thu 10-28 07:00", "Fri 10-29 07:00", "Mon 11-01 08:00", "Tue 11-02 08:00"],
        ),
        # America/New_York: EST (UTC-5) -> EDT (UTC-4) on Sun 2021-03-14, back on Sun 2021-11-07.
        (
            "America/New_York",
            "2021-03-11T00:00+00:00",
            ["Thu 03-11 14:00", "Fri 03-12 14:00", "Mon 03-15 13:00", "Tue 03-16 13:00"],
        ),
        (
            "America/New_York",
            "2021-11-04T00:00+00:00",
            ["Thu 11-04 13:00", "Fri 11-05 13:00", "Mon 11-08 14:00", "Tue 11-09 14:00"],
        ),
        # Asia/Kolkata has no DST: 09:00 IST is 03:30 UTC on both of Europe's switch weeks.
        (
            "Asia/Kolkata",
            "2021-03-25T00:00+00:00",
            ["Thu 03-25 03:30", "Fri 03-26 03:30", "Mon 03-29 03:30", "Tue 03-30 03:30"],
        ),
        (
            "Asia/Kolkata",
            "2021-10-28T00:00+00:00",
            ["Thu 10-28 03:30", "Fri 10-29 03:30", "Mon 11-01 03:30", "Tue 11-02 03:30"],
        ),
    ],
)
def test_09_00_on_listing_days_across_both_dst_switches(
    zone: str, fixed_now: str, expected: list[str]
) -> None:
    # Listing days only: the Saturdays and Sundays in between (the switch days) get nothing.
    assert fires(sub_at(zone), datetime.fromisoformat(fixed_now), 4) == expected


def test_a_daily_time_inside_the_switch_hour_fires_once_each_day() -> None:
    daily = sub_at("Europe/Berlin", time(2, 30), days=tuple(range(7)))
    # Spring: 02:30 does not exist on 03-28; it fires once, at the first valid instant after it,
    # when the clocks jump to 03:00 CEST (01:00 UTC).
    assert fires(daily, datetime(2021, 3, 27, tzinfo=UTC), 3) == [
        "Sat 03-27 01:30",
        "Sun 03-28 01:00",
        "Mon 03-29 00:30",
    ]
    # Autumn: 02:30 happens twice on 10-31; the digest fires at the first one only.
    assert fires(daily, datetime(2021, 10, 30, tzinfo=UTC), 3) == [
        "Sat 10-30 00:30",
        "Sun 10-31 00:30",
        "Mon 11-01 01:30",
    ]


# -- DST changes at local midnight (issue 15.5) ---------------------------------------------------


def local_fires(sub: Subscription, start: datetime, end: datetime) -> list[datetime]:
    """Every fire time in [start, end), in the subscription's zone."""
    trigger = cron_trigger(sub)
    zone = ZoneInfo(sub.timezone)
    found: list[datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < end:
        found.append(fire.astimezone(zone))
        fire = trigger.get_next_fire_time(fire, fire.astimezone(UTC) + timedelta(seconds=1))
    return found


@pytest.mark.parametrize(
    ("zone", "at", "days", "month", "jump"),
    [
        # Clocks jump 00:00 -> 01:00 on Fri 2026-04-24; back 00:00 -> 23:00 on Fri 2026-10-30.
        ("Africa/Cairo", time(0, 0), None, (2026, 4), date(2026, 4, 24)),
        ("Africa/Cairo", time(0, 30), None, (2026, 4), date(2026, 4, 24)),
        ("Africa/Cairo", time(23, 30), None, (2026, 10), None),  # 23:30 on 10-29 happens twice
        # Clocks jump 00:00 -> 01:00 on Sun 2026-03-08; back 01:00 -> 00:00 on Sun 2026-11-01.
        ("America/Havana", time(0, 15), tuple(range(7)), (2026, 3), date(2026, 3, 8)),
        ("America/Havana", time(0, 15), tuple(range(7)), (2026, 11), None),
        # Clocks jump 00:00 -> 01:00 on Sun 2026-09-06; back 00:00 -> 23:00 on Sun 2026-04-05.
        ("America/Santiago", time(0, 0), tuple(range(7)), (2026, 9), date(2026, 9, 6)),
        ("America/Santiago", time(23, 30), tuple(range(7)), (2026, 4), None),
    ],
)
def test_a_dst_change_at_local_midnight_fires_once_on_every_local_day_of_the_month(
    zone: str, at: time, days: tuple[int, ...] | None, month: tuple[int, int], jump: date | None
) -> None:
    sub = sub_at(zone, at, days)
    tz = ZoneInfo(zone)
    first = date(*month, 1)
    after = date(month[0] + month[1] // 12, month[1] % 12 + 1, 1)
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(after, time.min, tzinfo=tz)

    found = local_fires(sub, start, end)

    wanted_days = [
        first + timedelta(days=i)
        for i in range((after - first).days)
        if (first + timedelta(days=i)).weekday() in sub.run_days
    ]
    assert [f.date() for f in found] == wanted_days  # every local day once, none skipped
    for fire in found:
        expected = time(1, 0) if fire.date() == jump else at  # the jump: when the clocks jump
        assert (fire.hour, fire.minute) == (expected.hour, expected.minute), fire
        assert fire.fold == 0  # a repeated time: its first occurrence


# -- downtime ------------------------------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2021, 4, 5)
RESTART = datetime(2021, 4, 5, 12, 0, tzinfo=BERLIN)  # down from 08:50 to 12:00: 3 h past 09:00


class _FrozenClock(datetime):
    """APScheduler's own `datetime.now`, frozen at the restart time (its misfire logic reads it)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return RESTART.astimezone(tz or UTC)


@pytest.fixture
def frozen_apscheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", _FrozenClock)
    monkeypatch.setattr(apscheduler.executors.base, "datetime", _FrozenClock)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "hotpapers.db"
    store = Store.open(path)
    store.upsert_papers([paper(f"2104.0000{i}", MONDAY, ("cs.CV",)) for i in range(1, 4)])
    store.upsert_observations([aggregate(f"2104.0000{i}", 100 * i, 1) for i in range(1, 4)])
    SubscriptionStore(store).save(
        Subscription(
            "slack",
            "C1",
            ("cs.CV",),
            3,
            time(9, 0),
            "Europe/Berlin",
            created_at=datetime(2021, 4, 1, tzinfo=UTC),
        )
    )
    store.close()
    yield path


async def restart(db: Path, slack: RecordingPublisher, grace: int) -> str:
    """Start the bot at RESTART; wait (on an event, not a timer) for the digest job's verdict."""
    store = Store.open(db)
    clock = lambda: RESTART  # noqa: E731
    delivery = DeliveryService(store, Engine(store, clock=clock), {"slack": slack}, clock=clock)
    scheduler = Scheduler(store, delivery, misfire_grace_seconds=grace)
    verdict: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def done(event: JobEvent) -> None:
        if not verdict.done():
            verdict.set_result("missed" if event.code == EVENT_JOB_MISSED else "ran")

    scheduler.aps.add_listener(done, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
    scheduler.start()
    try:
        if not scheduler.aps.get_jobs()[0].next_run_time < RESTART:
            return "nothing owed"
        return await asyncio.wait_for(verdict, timeout=30)
    finally:
        scheduler.shutdown()
        store.close()


@pytest.mark.usefixtures("frozen_apscheduler")
async def test_three_hours_down_inside_the_grace_gives_one_late_digest(db: Path) -> None:
    slack = RecordingPublisher("slack")

    assert await restart(db, slack, grace=4 * 3600) == "ran"
    assert await restart(db, slack, grace=4 * 3600) == "nothing owed"  # a second restart: no more

    (posted,) = slack.sent
    assert posted.digest.title == "Hot Papers 2021-04-05 · cs.CV"
    assert posted.digest.notes[-1] == "This digest is late (scheduled 09:00, posted 12:00)."


@pytest.mark.usefixtures("frozen_apscheduler")
async def test_three_hours_down_beyond_the_grace_gives_none_and_says_so(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    slack = RecordingPublisher("slack")

    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        assert await restart(db, slack, grace=3600) == "missed"
    assert await restart(db, slack, grace=4 * 3600) == "nothing owed"  # skipped stays skipped

    assert slack.sent == []
    assert "was missed by more than the 3600 s grace: skipped" in caplog.text
