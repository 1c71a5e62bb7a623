"""The team's reactions through the real Slack SDKs: a scheduled digest's thread items and a paper
card get reaction_added/reaction_removed and thread replies over the fake Socket Mode."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.slack.config import SlackConfig
from adapters.slack.publisher import SlackPublisher
from adapters.slack.run import make_client, run_slack
from bot.domain import delivery as d
from bot.domain.subscription import Subscription
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine
from bot.services.subscriptions import SubscriptionService
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore
from tests.adapters.test_slack import (
    ALICE,
    CHANNEL,
    IDS,
    NOW,
    event_callback,
    seeded_store,
    slash_payload,
    thread_message,
    visible_text,
)
from tests.fakes.slack_fake import BOT_USER, FakeSlack
from tests.helpers import until

BOB, CAROL = "U0BOB0002", "U0CAROL03"
BERLIN_9 = datetime(2021, 4, 5, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def store() -> Iterator[Store]:
    s = seeded_store()
    yield s
    s.close()


@pytest.fixture
def engine(store: Store) -> Engine:
    return Engine(store, clock=lambda: NOW, subscriptions=SubscriptionService(store))


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = await FakeSlack().start()
    yield slack
    await slack.close()


@pytest.fixture
def client(fake: FakeSlack) -> Any:
    return make_client("xoxb-test-token", base_url=fake.api_url)


def reaction(kind: str, user: str, ts: str, emoji: str = "thumbsup") -> dict[str, Any]:
    """A reaction_added / reaction_removed event as Slack's Events API sends it."""
    return event_callback(
        f"{kind}.json",  # no captured sample: the documented shape
        {
            "type": kind,
            "user": user,
            "reaction": emoji,
            "item_user": BOT_USER,
            "item": {"type": "message", "channel": CHANNEL, "ts": ts},
            "event_ts": "1617634900.000100",
        },
    )


def team_count(engine: Engine, paper_id: str) -> int:
    return engine.team.counts("slack", CHANNEL, [paper_id]).get(paper_id, 0)


async def test_reactions_and_thread_replies_on_digest_items_and_cards(
    store: Store, engine: Engine, fake: FakeSlack, client: Any
) -> None:
    # a scheduled digest: its root (all items) and a thread message per item
    sub = SubscriptionStore(store).save(
        Subscription(platform="slack", channel=CHANNEL, n=3, timezone="Europe/Berlin")
    )
    delivery = DeliveryService(
        store, engine, {"slack": SlackPublisher(client)}, clock=lambda: BERLIN_9
    )
    assert (await delivery.deliver(sub, scheduled_for=BERLIN_9)).status == d.SENT
    [root] = [m for m in fake.posted(CHANNEL) if "thread_ts" not in m]
    items = [m["ts"] for m in fake.posted(CHANNEL) if m.get("thread_ts") == root["ts"]]
    assert len(items) == 3

    stop = asyncio.Event()
    env = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_APP_TOKEN": "xapp-test-token"}
    runner = asyncio.create_task(
        run_slack(engine, SlackConfig(mode="socket"), env, client=client, stop=stop)
    )
    try:
        # item 2 gets two members' reactions (one with two emoji); the root, which holds every
        # item, and the bot's own reaction count for nothing
        for event in (
            reaction("reaction_added", ALICE, items[1]),
            reaction("reaction_added", ALICE, items[1], "tada"),
            reaction("reaction_added", BOB, items[1]),
            reaction("reaction_added", CAROL, root["ts"]),
            reaction("reaction_added", BOT_USER, items[0]),
        ):
            await fake.send_envelope("events_api", event)
        await until(lambda: team_count(engine, IDS[1]) == 2)
        assert engine.team.counts("slack", CHANNEL, IDS) == {IDS[1]: 2}

        # ALICE takes one emoji back (another is left: still counted); BOB his only one
        await fake.send_envelope("events_api", reaction("reaction_removed", ALICE, items[1]))
        await fake.send_envelope("events_api", reaction("reaction_removed", BOB, items[1]))
        await until(lambda: team_count(engine, IDS[1]) == 1)

        # `/hotpapers paper ...` in the channel: the card says so, and is itself reactable
        await fake.send_envelope("slash_commands", slash_payload("paper 2104.00002"))
        [card] = await fake.wait_for(
            lambda: [
                m
                for m in fake.posted(CHANNEL)
                if "thread_ts" not in m and "2104.00002" in m["text"]
            ]
        )
        assert "1 of your team reacted" in visible_text(card["blocks"])
        await fake.send_envelope("events_api", reaction("reaction_added", CAROL, card["ts"]))
        await until(lambda: team_count(engine, IDS[1]) == 2)

        # talk in the card's thread counts once per member; a command there does not
        await fake.send_envelope(
            "events_api", thread_message("what a result", "1617635000.000100", card["ts"], BOB)
        )
        await until(lambda: team_count(engine, IDS[1]) == 3)
        await fake.send_envelope(
            "events_api", thread_message("top 5", "1617635000.000200", card["ts"], "U0DAVE004")
        )

        # `team week` lists it; the next digest of this channel shows the count on the item
        await fake.send_envelope("slash_commands", slash_payload("team week"))
        listed = await fake.wait_for(
            lambda: [m for m in fake.posted(CHANNEL) if "What your team" in m["text"]]
        )
        shown = visible_text(listed[0]["blocks"])
        assert "arxiv.org/abs/2104.00002" in shown
        assert "3 of your team reacted" in shown
        assert team_count(engine, IDS[1]) == 3
    finally:
        stop.set()
        await runner

    # nothing that names a person is stored
    dump = " ".join(
        str(v)
        for table in ("team_reactions", "team_messages")
        for row in store.conn.execute(f"SELECT * FROM {table}")
        for v in row
    )
    for user in (ALICE, BOB, CAROL, "thumbsup", "tada", "what a result"):
        assert user not in dump


def test_the_team_line_shows_in_every_renderer_only_when_someone_reacted() -> None:
    from dataclasses import replace

    from adapters.discord.render import render_digest_messages, render_paper_message
    from adapters.slack.render import digest_messages, paper_card
    from bot.domain.models import Digest
    from bot.render.text import render_digest_text, render_paper_text

    store = seeded_store()
    engine = Engine(store, clock=lambda: NOW)
    digest = engine.digest(n=2)
    assert isinstance(digest, Digest)
    reacted = replace(digest, items=(replace(digest.items[0], team=3), digest.items[1]))
    renders = {
        "text": (render_digest_text, render_paper_text),
        "slack": (
            lambda d: visible_text([m.payload() for m in digest_messages(d)]),
            lambda i: visible_text([m.payload() for m in paper_card(i)]),
        ),
        "discord": (
            lambda d: str(render_digest_messages(d)),
            lambda i: str(render_paper_message(i)),
        ),
    }
    for name, (of_digest, of_paper) in renders.items():
        assert of_digest(reacted).count("3 of your team reacted") == 1, name
        assert "of your team" not in of_digest(digest), name
        assert "3 of your team reacted" in of_paper(reacted.items[0]), name
        assert "of your team" not in of_paper(digest.items[0]), name
    store.close()
