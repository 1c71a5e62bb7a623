"""The breakout-alert check: once per paper, the per-day cap, "why now", and exactly once across
a crash between the claim and the post."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from adapters.recording import RecordingPublisher, SimulatedCrash
from bot.domain.alerts import Alert
from bot.domain.models import Paper
from bot.domain.topics import TextFilter
from bot.render.text import render_digest_text
from bot.services.alert_check import AlertChecker
from bot.services.engine import Engine
from bot.store import Store
from bot.store.alerts import AlertStore
from tests.helpers import post

MONDAY = date(2021, 4, 5)
NOW = datetime(2021, 4, 6, 12, 0, tzinfo=UTC)
EARLY = NOW - timedelta(hours=20)  # before the 6 hours "why now" looks at
LATE = NOW - timedelta(hours=2)


def paper(arxiv_id: str, title: str, cat: str = "cs.CV", listed: date = MONDAY) -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        authors=("Ada Lovelace",),
        abstract="A long abstract.",
        primary_category=cat,
        categories=(cat,),
        listing_date=listed,
    )


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store() -> Store:
    store = Store.memory()
    store.upsert_papers(
        [
            paper("2104.00001", "Splatting everything"),
            paper("2104.00002", "Protein folding at scale", "q-bio.BM"),
            paper("2104.00003", "Quiet segmentation"),
            paper("2104.00004", "Old news", listed=MONDAY - timedelta(days=10)),
            paper("2104.00005", "Another splat"),
        ]
    )
    store.upsert_observations(
        [
            post("2104.00001", "a1", "alice", 0, 100, when=EARLY),  # 100 before, +280 since
            post("2104.00001", "a2", "bob", 0, 280, when=LATE),
            post("2104.00002", "b1", "carol", 0, 150, when=LATE),
            post("2104.00003", "c1", "dave", 0, 50, when=LATE),  # below every threshold
            post("2104.00004", "d1", "erin", 0, 900, when=LATE),  # listed too long ago
            post("2104.00005", "e1", "frank", 0, 320, when=EARLY),  # no change in 6 hours
        ]
    )
    return store


def checker(
    store: Store, publisher: RecordingPublisher, clock: Clock, per_day: int = 5
) -> AlertChecker:
    async def no_sleep(_seconds: float) -> None:
        return None

    engine = Engine(store, clock=clock)
    return AlertChecker(
        store,
        engine,
        {"slack": publisher},
        per_day=per_day,
        clock=clock,
        sleep=no_sleep,
        lease=timedelta(seconds=60),
    )


def add(store: Store, threshold: float, *filters: str, channel: str = "C1", **text: str) -> Alert:
    about = (tuple(text["about"].split()),) if "about" in text else ()
    alert = Alert("slack", channel, threshold, filters, TextFilter(about, text.get("by", "")))
    return AlertStore(store).save(alert)[0]


async def test_a_paper_over_the_threshold_is_posted_once_with_why_now(store: Store) -> None:
    add(store, 300, "cs.CV")
    publisher, clock = RecordingPublisher("slack"), Clock()
    posts = await checker(store, publisher, clock).check()

    assert [p.paper_id for p in posts] == ["2104.00001", "2104.00005"]
    first, second = publisher.posts_to("C1")
    assert first.digest.title == "Breakout · cs.CV: 380 — up 280 in the last 6 hours"
    assert second.digest.title == "Breakout · cs.CV: 320 — no change in the last 6 hours"
    text = render_digest_text(first.digest)
    assert "Splatting everything" in text and "https://arxiv.org/abs/2104.00001" in text
    assert "Your alert: cs.CV above 300" in text
    assert "A long abstract." not in text  # the short card
    assert len(first.digest.items) == 1

    clock.now += timedelta(hours=1)
    assert await checker(store, publisher, clock).check() == []
    assert len(publisher.sent) == 2


async def test_topics_authors_and_channels_each_get_theirs(store: Store) -> None:
    add(store, 100, about="protein folding", channel="bio")
    add(store, 300, "cs.CV", by="Ada Lovelace", channel="vision")
    add(store, 300, channel="vision")  # matches 2104.00001 too: posted there once
    publisher = RecordingPublisher("slack")
    await checker(store, publisher, Clock()).check()

    bio = [p.digest.items[0].paper.arxiv_id for p in publisher.posts_to("bio")]
    vision = [p.digest.items[0].paper.arxiv_id for p in publisher.posts_to("vision")]
    assert bio == ["2104.00002"]
    assert vision == ["2104.00001", "2104.00005"]
    assert publisher.posts_to("bio")[0].digest.title.startswith(
        "Breakout · about protein folding: 150 — up 150"
    )


async def test_at_most_per_day_a_channel_and_the_rest_wait_for_the_next_day(store: Store) -> None:
    add(store, 100)
    publisher, clock = RecordingPublisher("slack"), Clock()
    await checker(store, publisher, clock, per_day=2).check()
    assert [p.digest.items[0].paper.arxiv_id for p in publisher.sent] == [
        "2104.00001",  # 380
        "2104.00005",  # 320
    ]
    clock.now += timedelta(hours=3)
    assert await checker(store, publisher, clock, per_day=2).check() == []

    clock.now = NOW + timedelta(days=1)
    later = await checker(store, publisher, clock, per_day=2).check()
    assert [p.paper_id for p in later] == ["2104.00002"]  # 150, waited a day
    assert len(publisher.sent) == 3


async def test_a_paper_listed_more_than_7_days_ago_never_alerts(store: Store) -> None:
    add(store, 100)
    clock = Clock()
    clock.now = datetime(2021, 4, 13, 12, 0, tzinfo=UTC)  # the listing is 8 days old
    publisher = RecordingPublisher("slack")
    assert await checker(store, publisher, clock).check() == []


async def test_a_crash_after_posting_is_not_posted_again_after_a_restart(store: Store) -> None:
    add(store, 350, "cs.CV")
    publisher, clock = RecordingPublisher("slack"), Clock()
    publisher.crash_after_send()
    with pytest.raises(SimulatedCrash):
        await checker(store, publisher, clock).check()
    assert len(publisher.sent) == 1  # it landed; the bot died before recording it

    clock.now += timedelta(minutes=5)  # the dead process's lease has run out
    restarted = RecordingPublisher("slack", sent=publisher.sent)
    assert await checker(store, restarted, clock).check() == []
    assert len(restarted.sent) == 1
    delivery = store.deliveries.get(
        "slack", "C1", f"alert:{AlertStore(store).all()[0].id}:2104.00001"
    )
    assert delivery is not None and delivery.status == "sent"


async def test_a_crash_between_the_claim_and_the_post_posts_it_once_after_a_restart(
    store: Store,
) -> None:
    add(store, 350, "cs.CV")
    publisher, clock = RecordingPublisher("slack"), Clock()
    publisher.crash_before_send()
    with pytest.raises(SimulatedCrash):
        await checker(store, publisher, clock).check()
    assert publisher.sent == []

    clock.now += timedelta(minutes=5)
    restarted = RecordingPublisher("slack", sent=publisher.sent)
    posts = await checker(store, restarted, clock).check()
    assert [p.paper_id for p in posts] == ["2104.00001"]
    assert await checker(store, restarted, clock).check() == []
    assert len(restarted.sent) == 1


async def test_a_failed_post_is_tried_again_at_the_next_check(store: Store) -> None:
    add(store, 350, "cs.CV")
    publisher, clock = RecordingPublisher("slack"), Clock()
    publisher.fail_transient()
    assert await checker(store, publisher, clock).check() == []
    clock.now += timedelta(hours=1)
    assert [p.paper_id for p in await checker(store, publisher, clock).check()] == ["2104.00001"]
    assert len(publisher.sent) == 1


async def test_no_publisher_for_the_platform_claims_nothing(store: Store) -> None:
    add(store, 350, "cs.CV")
    clock = Clock()
    engine = Engine(store, clock=clock)
    assert await AlertChecker(store, engine, {}, clock=clock).check() == []
    publisher = RecordingPublisher("slack")
    assert len(await checker(store, publisher, clock).check()) == 1
