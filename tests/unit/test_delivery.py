"""Deliveries: one digest per key, across crashes and restarts; weekends; `3` in a digest's thread."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.recording import RecordingPublisher, SimulatedCrash
from bot.domain import delivery as d
from bot.domain.models import Request
from bot.domain.subscription import Subscription
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore
from tests.helpers import aggregate, paper

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2021, 4, 5)
MONDAY_9 = datetime(2021, 4, 5, 9, 0, tzinfo=BERLIN)
SATURDAY_9 = datetime(2021, 4, 10, 9, 0, tzinfo=BERLIN)
IDS = ["2104.00001", "2104.00002", "2104.00003", "2104.00004"]


def seed(store: Store) -> None:
    store.upsert_papers([paper(pid, MONDAY, ("cs.CV",)) for pid in IDS])
    store.upsert_papers([paper("2104.00009", date(2021, 4, 2), ("cs.CV",))])
    store.upsert_observations(
        [aggregate(pid, 100 * (i + 1), 10) for i, pid in enumerate(IDS)]
        + [aggregate("2104.00009", 5, 5)]
    )


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "hotpapers.db"
    store = Store.open(path)
    seed(store)
    store.close()
    yield path


def subscribe(store: Store, **changes: object) -> Subscription:
    sub = Subscription(
        platform="slack",
        channel="C1",
        filters=("cs.CV",),
        n=3,
        at=time(9, 0),
        timezone="Europe/Berlin",
        created_at=datetime(2021, 4, 1, tzinfo=UTC),
    )
    return SubscriptionStore(store).save(Subscription(**{**sub.__dict__, **changes}))


def service(
    store: Store, publisher: RecordingPublisher, now: datetime, sleeps: list[float] | None = None
) -> DeliveryService:
    async def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    return DeliveryService(
        store,
        Engine(store, clock=lambda: now),
        {publisher.platform: publisher},
        clock=lambda: now,
        sleep=sleep,
    )


async def test_the_same_key_twice_posts_once(db: Path) -> None:
    store = Store.open(db)
    sub = subscribe(store)
    slack = RecordingPublisher("slack")
    delivery = service(store, slack, MONDAY_9)

    together = await delivery.fan_out([sub, sub], MONDAY_9)  # two runs at once
    later = await delivery.deliver(sub, scheduled_for=MONDAY_9)  # and once more afterwards

    assert [o.status for o in together] == [d.SENT, d.IN_PROGRESS]
    assert together[0].key == "digest:2021-04-05:cs.CV:3"
    assert later.status == d.ALREADY_SENT
    assert len(slack.sent) == 1
    titles = [item.paper.arxiv_id for item in slack.sent[0].digest.items]
    assert titles == ["2104.00004", "2104.00003", "2104.00002"]


@pytest.mark.parametrize("crash_after_send", [True, False])
async def test_a_crash_before_recording_never_posts_twice_after_restart(
    db: Path, crash_after_send: bool
) -> None:
    store = Store.open(db)
    sub = subscribe(store)
    slack = RecordingPublisher("slack")
    if crash_after_send:
        slack.crash_after_send()  # the platform has the digest; the bot dies before recording
    else:
        slack.crash_before_send()  # ...or dies after recording the intent, before sending
    with pytest.raises(SimulatedCrash):
        await service(store, slack, MONDAY_9).deliver(sub, scheduled_for=MONDAY_9)
    store.close()

    # Restart: a new process, a new store connection, a new service; the channel is the same.
    restarted_slack = RecordingPublisher("slack", sent=slack.sent)
    store = Store.open(db)
    outcome = await service(store, restarted_slack, MONDAY_9).deliver(sub, scheduled_for=MONDAY_9)

    assert len(restarted_slack.sent) == 1  # exactly one digest in the channel
    record = store.deliveries.get("slack", "C1", "digest:2021-04-05:cs.CV:3")
    assert record is not None and record.status == "sent"
    assert record.message_ids == restarted_slack.sent[0].sent.message_ids
    assert outcome.status == (d.RECOVERED if crash_after_send else d.SENT)


async def test_saturday_gives_no_digest_by_default(db: Path) -> None:
    store = Store.open(db)
    slack = RecordingPublisher("slack")
    default = subscribe(store, days=tuple(range(7)))  # even when asked for every day
    skipped = await service(store, slack, SATURDAY_9).deliver(default, scheduled_for=SATURDAY_9)

    assert skipped.status == d.SKIPPED
    assert skipped.reason == "no new listing on 2021-04-10"
    assert slack.sent == []

    noted = subscribe(store, channel="C2", days=tuple(range(7)), on_empty="note")
    note = await service(store, slack, SATURDAY_9).deliver(noted, scheduled_for=SATURDAY_9)

    assert note.status == d.NOTED  # unless they asked for a "no new listing" note
    (posted,) = slack.sent
    assert posted.digest.items == ()
    assert posted.digest.notes == (
        "No new arXiv listing for Saturday 2021-04-10, so no digest today.",
    )


async def test_a_thread_reply_3_days_later_returns_item_3(db: Path) -> None:
    store = Store.open(db)
    sub = subscribe(store)
    slack = RecordingPublisher("slack")
    late = datetime(2021, 4, 5, 11, 42, tzinfo=BERLIN)
    sent = await service(store, slack, late).deliver(sub, scheduled_for=MONDAY_9)
    store.close()

    assert slack.sent[0].digest.notes[-1] == "This digest is late (scheduled 09:00, posted 11:42)."
    assert sent.thread is not None

    store = Store.open(db)
    engine = Engine(store, clock=lambda: datetime(2021, 4, 9, 15, tzinfo=UTC))
    reply = engine.handle(
        Request("3", channel="C1", platform="slack", thread=sent.thread, addressed=True)
    )

    assert reply is not None and reply.paper is not None
    assert reply.paper.paper.arxiv_id == "2104.00002"  # item 3 of that digest
    assert reply.paper.rank == 3


async def test_transient_errors_retry_and_permanent_ones_pause(db: Path) -> None:
    store = Store.open(db)
    sub = subscribe(store)
    slack = RecordingPublisher("slack")
    sleeps: list[float] = []
    slack.fail_transient(2, retry_after=7.0)

    outcome = await service(store, slack, MONDAY_9, sleeps).deliver(sub, scheduled_for=MONDAY_9)

    assert (outcome.status, outcome.attempts, sleeps, len(slack.sent)) == (d.SENT, 3, [7.0, 7.0], 1)

    gone = subscribe(store, channel="C-gone")
    slack.fail_permanently("channel_not_found")
    paused = await service(store, slack, MONDAY_9).deliver(gone, scheduled_for=MONDAY_9)

    assert paused.status == d.PAUSED
    stored = SubscriptionStore(store).get(gone.id or 0)
    assert stored is not None and stored.status == "paused"
    ((channel, text),) = slack.notices
    assert channel == "C-gone" and "paused" in text and "channel_not_found" in text


# -- the newest listing a channel has not had yet (issue 15.4) -----------------------------------

LISTINGS = [date(2026, 12, d) for d in (1, 2, 3, 4, 7, 8)]  # Tue..Fri, Mon, Tue


def announced(listing: date) -> datetime:
    """arXiv makes a listing public at 20:00 US Eastern the evening before its date."""
    eve = datetime.combine(listing - timedelta(days=1), time(20, 0))
    return eve.replace(tzinfo=ZoneInfo("America/New_York"))


def publish_listings_until(store: Store, moment: datetime) -> None:
    """Ingest as the real bot would: a listing is in the store once arXiv has announced it."""
    for listing in LISTINGS:
        if announced(listing) <= moment:
            pid = f"2612.{listing.day:03d}01"
            store.upsert_papers([paper(pid, listing, ("cs.CV",))])
            store.upsert_observations([aggregate(pid, 50, 5)])


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # Ahead of US Eastern: 09:00 comes before that date's listing exists.
        ("Asia/Tokyo", ["2026-12-02", "2026-12-03", "2026-12-04", "2026-12-07"]),
        ("Pacific/Kiritimati", ["2026-12-02", "2026-12-03", "2026-12-04", "2026-12-07"]),
        # At or behind Europe: the same day's listing, as before.
        ("Europe/Berlin", ["2026-12-03", "2026-12-04", "2026-12-07", "2026-12-08"]),
        ("America/New_York", ["2026-12-03", "2026-12-04", "2026-12-07", "2026-12-08"]),
    ],
)
async def test_every_zone_gets_the_newest_listing_it_has_not_had_once(
    tmp_path: Path, zone: str, expected: list[str]
) -> None:
    from bot.scheduler import cron_trigger

    store = Store.open(tmp_path / "hotpapers.db")
    sub = subscribe(store, timezone=zone, created_at=datetime(2026, 12, 2, 15, tzinfo=UTC))
    slack = RecordingPublisher("slack")
    trigger = cron_trigger(sub)
    fire = trigger.get_next_fire_time(None, datetime(2026, 12, 2, 15, tzinfo=UTC))
    statuses = []
    while fire is not None and fire < datetime(2026, 12, 8, 15, tzinfo=UTC):
        publish_listings_until(store, fire)
        for _run in range(2):  # the same run twice (a restart, a second process) posts once
            outcome = await service(store, slack, fire).deliver(sub, scheduled_for=fire)
            statuses.append(outcome.status)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))

    posted = [p.digest.date.isoformat() for p in slack.sent if p.digest.date]
    assert posted == expected
    assert statuses == [d.SENT, d.ALREADY_SENT] * 4
