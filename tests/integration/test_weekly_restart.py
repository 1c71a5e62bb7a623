"""A weekly digest missed while the bot was down: posted once, late, when it comes back within
the week (whatever the daily misfire grace), and never again on a further restart."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import apscheduler.executors.base
import apscheduler.schedulers.base
import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent

from adapters.recording import RecordingPublisher
from bot.domain.subscription import Subscription
from bot.scheduler import Scheduler
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore
from tests.helpers import aggregate, paper

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY_NOON = datetime(2026, 12, 2, 12, 0, tzinfo=BERLIN)  # down since Monday 08:50
NEXT_TUESDAY = datetime(2026, 12, 8, 12, 0, tzinfo=BERLIN)  # down over the next Monday too


class _Clock:
    now = WEDNESDAY_NOON


class _FrozenClock(datetime):
    """APScheduler's own `datetime.now`, frozen at the restart (its misfire logic reads it)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return _Clock.now.astimezone(tz or UTC)


@pytest.fixture(autouse=True)
def frozen_apscheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", _FrozenClock)
    monkeypatch.setattr(apscheduler.executors.base, "datetime", _FrozenClock)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "hotpapers.db"
    store = Store.open(path)
    days = [date(2026, 11, 24), date(2026, 11, 26), date(2026, 11, 30), date(2026, 12, 3)]
    store.upsert_papers(
        [paper(f"2611.0000{i}", day, ("cs.LG",)) for i, day in enumerate(days, start=1)]
    )
    store.upsert_observations([aggregate(f"2611.0000{i}", 100 * i, 0) for i in range(1, 5)])
    SubscriptionStore(store).save(
        Subscription(
            "slack",
            "C1",
            ("cs.LG",),
            10,
            time(9, 0),
            "Europe/Berlin",
            (0,),
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
            cadence="weekly",
        )
    )
    store.close()
    yield path


async def restart(db: Path, slack: RecordingPublisher, at: datetime) -> str:
    """Start the bot at `at` with the daily one-hour grace; wait on the digest job's verdict."""
    _Clock.now = at
    store = Store.open(db)
    clock = lambda: at  # noqa: E731
    delivery = DeliveryService(store, Engine(store, clock=clock), {"slack": slack}, clock=clock)
    scheduler = Scheduler(store, delivery, misfire_grace_seconds=3600)
    verdict: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def done(event: JobEvent) -> None:
        if not verdict.done():
            verdict.set_result("missed" if event.code == EVENT_JOB_MISSED else "ran")

    scheduler.aps.add_listener(done, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
    scheduler.start()
    try:
        if not scheduler.aps.get_jobs()[0].next_run_time < at:
            return "nothing owed"
        return await asyncio.wait_for(verdict, timeout=30)
    finally:
        scheduler.shutdown()
        store.close()


async def test_a_weekly_digest_missed_in_downtime_is_posted_once_within_the_week(
    db: Path,
) -> None:
    slack = RecordingPublisher("slack")

    assert await restart(db, slack, WEDNESDAY_NOON) == "ran"
    assert await restart(db, slack, WEDNESDAY_NOON) == "nothing owed"

    (posted,) = slack.sent
    assert posted.digest.title == "Hot Papers week of 2026-11-24 – 2026-11-30 · cs.LG"
    assert [i.paper.arxiv_id for i in posted.digest.items] == [
        "2611.00003",
        "2611.00002",
        "2611.00001",
    ]
    assert posted.digest.notes[-1] == (
        "This digest is late (scheduled 2026-11-30 09:00, posted 2026-12-02 12:00)."
    )

    # Down again over the next Monday: that week's digest, once; the first one never again.
    assert await restart(db, slack, NEXT_TUESDAY) == "ran"
    assert await restart(db, slack, NEXT_TUESDAY) == "nothing owed"
    assert [p.digest.title for p in slack.sent] == [
        "Hot Papers week of 2026-11-24 – 2026-11-30 · cs.LG",
        "Hot Papers week of 2026-12-01 – 2026-12-07 · cs.LG",
    ]
    store = Store.open(db)
    keys = [r[0] for r in store.conn.execute("SELECT key FROM deliveries ORDER BY id")]
    store.close()
    assert keys == ["digest:2026-11-30:cs.LG weekly:10", "digest:2026-12-07:cs.LG weekly:10"]
