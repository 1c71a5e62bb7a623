"""Weekly, monthly and topic digests: which days they cover, their titles, and each delivered
exactly once per subscription and period."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from adapters.recording import RecordingPublisher
from bot.domain import delivery as d
from bot.domain.subscription import Subscription
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore
from tests.helpers import aggregate, paper

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)
NEXT_MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)
TUESDAY_9 = datetime(2026, 12, 1, 9, 0, tzinfo=BERLIN)  # the first listing day of December
CHRISTMAS_9 = datetime(2026, 12, 25, 9, 0, tzinfo=BERLIN)  # a Friday without a listing

# (id, listing date, title, attention)
PAPERS = [
    ("2611.00001", date(2026, 11, 20), "Diffusion models before the week", 900),
    ("2611.00002", date(2026, 11, 23), "Diffusion on the Monday before", 800),
    ("2611.00003", date(2026, 11, 24), "Diffusion for graphs", 300),
    ("2611.00004", date(2026, 11, 25), "Transformers that count", 500),
    ("2611.00005", date(2026, 11, 27), "Latent diffusion, smaller", 400),
    ("2611.00006", date(2026, 11, 30), "Transformers for tables", 100),
    ("2611.00007", date(2026, 11, 30), "Diffusion at scale", 200),
    ("2612.00001", date(2026, 12, 21), "Diffusion in December", 50),
    ("2612.00002", date(2026, 12, 24), "Transformers in December", 70),
]


@pytest.fixture
def store() -> Store:
    found = Store.memory()
    found.upsert_papers([paper(pid, day, ("cs.LG",), title=t) for pid, day, t, _ in PAPERS])
    found.upsert_observations([aggregate(pid, score, 0) for pid, _, _, score in PAPERS])
    return found


def subscribe(store: Store, **changes: object) -> Subscription:
    base: dict[str, object] = {
        "platform": "slack",
        "channel": "C1",
        "filters": ("cs.LG",),
        "n": 10,
        "at": time(9, 0),
        "timezone": "Europe/Berlin",
        "created_at": datetime(2026, 11, 1, tzinfo=UTC),
    }
    return SubscriptionStore(store).save(Subscription(**{**base, **changes}))  # type: ignore[arg-type]


def service(store: Store, publisher: RecordingPublisher, now: datetime) -> DeliveryService:
    return DeliveryService(
        store, Engine(store, clock=lambda: now), {"slack": publisher}, clock=lambda: now
    )


def ids(published: RecordingPublisher, index: int = -1) -> list[str]:
    return [item.paper.arxiv_id for item in published.sent[index].digest.items]


async def test_a_weekly_digest_is_the_top_of_the_last_seven_days_once_per_week(
    store: Store,
) -> None:
    sub = subscribe(store, cadence="weekly", days=(0,))
    slack = RecordingPublisher("slack")

    first = await service(store, slack, MONDAY_9).deliver(sub, scheduled_for=MONDAY_9)
    again = await service(store, slack, MONDAY_9).deliver(sub, scheduled_for=MONDAY_9)

    assert first.status == d.SENT and again.status == d.ALREADY_SENT
    assert first.key == "digest:2026-11-30:cs.LG weekly:10"
    (posted,) = slack.sent
    assert posted.digest.title == "Hot Papers week of 2026-11-24 – 2026-11-30 · cs.LG"
    # 2026-11-24 to 2026-11-30, by attention; the 20th and 23rd are before the week.
    assert ids(slack) == ["2611.00004", "2611.00005", "2611.00003", "2611.00007", "2611.00006"]

    later = await service(store, slack, NEXT_MONDAY_9).deliver(sub, scheduled_for=NEXT_MONDAY_9)
    assert later.status == d.SKIPPED  # a new week, and nothing listed in it: nothing to post
    assert later.reason == "nothing with attention in the week of 2026-12-01 – 2026-12-07"
    assert len(slack.sent) == 1


async def test_a_weekly_digest_on_a_holiday_still_posts_the_weeks_top(store: Store) -> None:
    assert store.latest_listing_date(on_or_before=date(2026, 12, 25)) == date(2026, 12, 24)
    sub = subscribe(store, cadence="weekly", days=(4,))
    slack = RecordingPublisher("slack")

    outcome = await service(store, slack, CHRISTMAS_9).deliver(sub, scheduled_for=CHRISTMAS_9)

    assert outcome.status == d.SENT
    assert slack.sent[0].digest.title == "Hot Papers week of 2026-12-19 – 2026-12-25 · cs.LG"
    assert ids(slack) == ["2612.00002", "2612.00001"]


async def test_a_monthly_digest_covers_the_last_thirty_days(store: Store) -> None:
    sub = subscribe(store, cadence="monthly", n=3)
    slack = RecordingPublisher("slack")

    outcome = await service(store, slack, TUESDAY_9).deliver(sub, scheduled_for=TUESDAY_9)

    assert outcome.key == "digest:2026-12-01:cs.LG monthly:3"
    assert slack.sent[0].digest.title == "Hot Papers month of 2026-11-02 – 2026-12-01 · cs.LG"
    assert ids(slack) == ["2611.00001", "2611.00002", "2611.00004"]


async def test_two_subscriptions_differing_only_in_topic_are_two_digests_each_once(
    store: Store,
) -> None:
    diffusion = subscribe(store, about=(("diffusion",),))
    transformers = subscribe(store, about=(("transformers",),))
    plain_weekly = subscribe(store, cadence="weekly", days=(0,))
    plain = subscribe(store)
    assert len(SubscriptionStore(store).all()) == 4
    slack = RecordingPublisher("slack")
    delivery = service(store, slack, MONDAY_9)

    outcomes = await delivery.fan_out([diffusion, transformers, plain_weekly, plain], MONDAY_9)
    again = await delivery.fan_out([diffusion, transformers, plain_weekly, plain], MONDAY_9)

    assert [o.status for o in outcomes] == [d.SENT] * 4
    assert [o.status for o in again] == [d.ALREADY_SENT] * 4
    assert [o.key for o in outcomes] == [
        "digest:2026-11-30:cs.LG about diffusion:10",
        "digest:2026-11-30:cs.LG about transformers:10",
        "digest:2026-11-30:cs.LG weekly:10",
        "digest:2026-11-30:cs.LG:10",
    ]
    titles = [p.digest.title for p in slack.sent]
    assert titles == [
        "Hot Papers 2026-11-30 · cs.LG · about diffusion",
        "Hot Papers 2026-11-30 · cs.LG · about transformers",
        "Hot Papers week of 2026-11-24 – 2026-11-30 · cs.LG",
        "Hot Papers 2026-11-30 · cs.LG",
    ]
    assert ids(slack, 0) == ["2611.00007"]
    assert ids(slack, 1) == ["2611.00006"]
    assert ids(slack, 3) == ["2611.00007", "2611.00006"]


async def test_an_author_subscription_keeps_that_authors_papers(store: Store) -> None:
    sub = subscribe(store, by="Ada Lovelace", filters=())
    nobody = subscribe(store, by="Grace Hopper", filters=())
    slack = RecordingPublisher("slack")

    found = await service(store, slack, MONDAY_9).fan_out([sub, nobody], MONDAY_9)

    assert [o.status for o in found] == [d.SENT, d.SKIPPED]
    assert slack.sent[0].digest.title == 'Hot Papers 2026-11-30 · by "Ada Lovelace"'


async def test_an_empty_topic_day_follows_on_empty(store: Store) -> None:
    skip = subscribe(store, about=(("quantum gravity",),))
    note = subscribe(store, channel="C2", about=(("quantum gravity",),), on_empty="note")
    weekly_note = subscribe(
        store, channel="C3", about=(("quantum gravity",),), on_empty="note", cadence="weekly"
    )
    slack = RecordingPublisher("slack")
    delivery = service(store, slack, MONDAY_9)

    skipped, noted, weekly = await delivery.fan_out([skip, note, weekly_note], MONDAY_9)
    again = await delivery.fan_out([skip, note, weekly_note], MONDAY_9)

    assert (skipped.status, noted.status, weekly.status) == (d.SKIPPED, d.NOTED, d.NOTED)
    assert [o.status for o in again] == [d.SKIPPED, d.ALREADY_SENT, d.ALREADY_SENT]
    assert [p.channel for p in slack.sent] == ["C2", "C3"]
    day, week = (p.digest for p in slack.sent)
    assert day.title == 'Hot Papers 2026-11-30 · cs.LG · about "quantum gravity"'
    assert day.notes == (
        'Nothing in cs.LG about "quantum gravity" has enough attention in the 2026-11-30 '
        "listing yet.",
    )
    assert (
        week.title == 'Hot Papers week of 2026-11-24 – 2026-11-30 · cs.LG · about "quantum gravity"'
    )
    assert week.notes == (
        'Nothing in cs.LG about "quantum gravity" had enough attention in the week of '
        "2026-11-24 – 2026-11-30.",
    )
