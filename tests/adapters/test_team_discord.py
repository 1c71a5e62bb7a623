"""The team's reactions through discord.py: MESSAGE_REACTION_ADD/REMOVE over the fake gateway on a
scheduled digest's thread items and on a paper card, and talk in a card's thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time
from typing import Any

import pytest

from adapters.discord.config import DiscordConfig
from bot.domain.subscription import Subscription
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine, EngineSettings
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore
from tests.adapters.test_discord import (
    IDS,
    NOW,
    all_text,
    mention,
    replies_to,
    seed,
    start_bot,
    stop_bot,
)
from tests.fakes.discord_fake import FakeDiscord, pointed_at
from tests.helpers import until

ANN, BEN, CAT, DAN = (
    "2000000000000000001",
    "2000000000000000002",
    "2000000000000000003",
    "2000000000000000004",
)
REACTIONS_INTENT = 1 << 10  # GUILD_MESSAGE_REACTIONS


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with pointed_at(FakeDiscord(), monkeypatch) as server:
        yield server


@pytest.fixture
def store() -> Store:
    s = Store.memory()
    seed(s)
    return s


@pytest.fixture
def engine(store: Store) -> Engine:
    return Engine(store, EngineSettings(timezone="UTC"), clock=lambda: NOW)


def reaction(
    fake: FakeDiscord, user: str, channel: str, message: str, emoji: str
) -> dict[str, Any]:
    """A MESSAGE_REACTION_ADD/REMOVE payload as the gateway sends it (v10)."""
    return {
        "user_id": user,
        "channel_id": channel,
        "message_id": message,
        "guild_id": fake.world.guild_id,
        "emoji": {"id": None, "name": emoji},
        "type": 0,
        "burst": False,
    }


def count(engine: Engine, channel: str, paper_id: str) -> int:
    return engine.team.counts("discord", channel, [paper_id]).get(paper_id, 0)


async def test_reactions_and_thread_talk_on_digest_items_and_cards(
    fake: FakeDiscord, store: Store, engine: Engine
) -> None:
    bot, task = await start_bot(fake, engine, DiscordConfig(sync=fake.world.guild_id))
    channel = fake.world.channel_id
    try:
        identify = next(f for f in fake.gateway_frames if f["op"] == 2)
        assert identify["d"]["intents"] & REACTIONS_INTENT  # reactions asked for, not privileged

        # a scheduled digest: its thread has one message per paper
        sub = SubscriptionStore(store).save(
            Subscription(platform="discord", channel=channel, n=3, at=time(9), timezone="UTC")
        )
        nine = datetime(2021, 4, 5, 9, tzinfo=UTC)
        service = DeliveryService(store, engine, {"discord": bot.publisher}, clock=lambda: nine)
        outcome = await service.deliver(sub, scheduled_for=nine)
        assert outcome.status == "sent", outcome
        root = outcome.thread
        items = [m["id"] for m in fake.messages[root]]
        assert len(items) == 3

        for user, message, emoji in (
            (ANN, items[1], "👍"),
            (ANN, items[1], "🎉"),
            (BEN, items[1], "👍"),
            (CAT, root, "👍"),  # the digest itself holds every paper: no one paper to count
            (fake.world.bot_id, items[0], "👍"),  # the bot's own
        ):
            where = channel if message == root else root
            await fake.dispatch("MESSAGE_REACTION_ADD", reaction(fake, user, where, message, emoji))
        await until(lambda: count(engine, channel, IDS[1]) == 2)
        await fake.dispatch("MESSAGE_REACTION_REMOVE", reaction(fake, ANN, root, items[1], "👍"))
        await fake.dispatch("MESSAGE_REACTION_REMOVE", reaction(fake, BEN, root, items[1], "👍"))
        await until(lambda: count(engine, channel, IDS[1]) == 1)  # ANN still has 🎉
        assert engine.team.counts("discord", channel, IDS) == {IDS[1]: 1}

        # `paper ...` in the channel: the card shows the count, and takes reactions itself
        asked = await mention(fake, f"<@{fake.world.bot_id}> paper {IDS[1]}")
        [answer] = replies_to(fake, asked["id"])
        assert "1 of your team reacted" in all_text(answer)
        card = fake.messages[channel][-1]["id"]
        await fake.dispatch("MESSAGE_REACTION_ADD", reaction(fake, CAT, channel, card, "👀"))
        await until(lambda: count(engine, channel, IDS[1]) == 2)

        # talk in a thread started on the card (the thread takes the card's id): once per member
        talk = fake.user_message("this one is great", channel=card, mention_bot=False)
        talk["author"]["id"] = DAN
        await fake.dispatch("MESSAGE_CREATE", talk)
        await until(lambda: count(engine, channel, IDS[1]) == 3)

        # `team week` in the channel lists it with the count
        asked = await mention(fake, f"<@{fake.world.bot_id}> team week")
        [answer] = replies_to(fake, asked["id"])
        assert answer["content"].startswith("What your team reacted to, this week")
        assert "3 of your team reacted" in all_text(answer)
    finally:
        await stop_bot(bot, task)

    dump = " ".join(
        str(v)
        for table in ("team_reactions", "team_messages")
        for row in store.conn.execute(f"SELECT * FROM {table}")
        for v in row
    )
    for secret in (ANN, BEN, CAT, DAN, "👍", "🎉", "this one is great"):
        assert secret not in dump
