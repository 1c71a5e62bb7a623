"""The Discord adapter: a real discord.py client against a fake gateway and REST API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.bot import DiscordBot, category_choices, command_text
from adapters.discord.commands import slash_text
from adapters.discord.config import DiscordConfig
from adapters.discord.publisher import DiscordPublisher, delivery_error, reference
from adapters.discord.render import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL,
    EMBEDS_PER_MESSAGE,
    FIELD_VALUE_LIMIT,
    TITLE_LIMIT,
    embed_length,
    escape_discord,
    render_digest_messages,
    render_paper_message,
    render_text_messages,
    render_thread_messages,
)
from adapters.discord.run import run_discord
from bot.commands.registry import BY_NAME, REGISTRY
from bot.domain.archive import archive_post_to_digest, parse_archive_post
from bot.domain.errors import ConfigError
from bot.domain.models import Digest, DigestItem, Observation, Paper, Post, Score, SourceScore
from bot.domain.subscription import Subscription
from bot.ports import DeliveryError
from bot.services.alerts import AlertService
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine, EngineSettings
from bot.services.subscriptions import SubscriptionService
from bot.store import Store
from bot.store.alerts import AlertStore
from bot.store.subscriptions import SubscriptionStore
from tests.conftest import ARCHIVE
from tests.fakes.discord_fake import Call, FakeDiscord, pointed_at
from tests.helpers import aggregate, paper

MONDAY = date(2021, 4, 5)
NOW = datetime(2021, 4, 5, 15, 0, tzinfo=UTC)
EVIL_TITLE = "@everyone look: <@123> [arxiv.org](http://evil.example) **now**"
IDS = [f"2104.{i:05d}" for i in range(1, 13)]
ALL_PERMISSIONS = "2147483647"  # the fixture member's: includes Manage Channels
MEMBER_PERMISSIONS = "68608"  # view, send, read history: no Manage Channels


def seed(store: Store) -> None:
    papers = [
        paper(
            pid,
            MONDAY,
            ("cs.CV", "cs.LG") if i % 2 else ("math.OC",),
            abstract=f"Abstract of {pid}. " + "We study things carefully. " * 40,
        )
        for i, pid in enumerate(IDS)
    ]
    papers[0] = paper(IDS[0], MONDAY, ("cs.CV",), title=EVIL_TITLE, abstract="@here *bold* claim")
    store.upsert_papers(papers)
    store.upsert_observations(
        [aggregate(pid, 1000 - 10 * i, 50) for i, pid in enumerate(IDS)]
        + [
            Observation(
                source="bluesky",
                key=f"post-{pid}",
                arxiv_id=pid,
                observed_at=NOW,
                account="ada",
                reposts=3,
                likes=7,
                post=Post(
                    source="bluesky",
                    url=f"https://bsky.app/profile/ada/post/{i}",
                    author_name="Ada <@&999>",
                    author_handle="ada",
                    text="Read this! @everyone",
                ),
            )
            for i, pid in enumerate(IDS)
        ]
    )


@dataclass
class Harness:
    fake: FakeDiscord
    bot: DiscordBot
    store: Store
    engine: Engine

    @property
    def channel(self) -> str:
        return self.fake.world.channel_id


async def start_bot(
    fake: FakeDiscord, engine: Engine, config: DiscordConfig
) -> tuple[DiscordBot, asyncio.Task[None]]:
    bot = DiscordBot(engine, config, guild_ready_timeout=0.1)
    task = asyncio.create_task(bot.client.start("fake-token"))
    await asyncio.wait_for(bot.client.wait_until_ready(), 15)
    return bot, task


async def stop_bot(bot: DiscordBot, task: asyncio.Task[None]) -> None:
    await bot.client.close()
    try:
        await asyncio.wait_for(task, 5)
    except (asyncio.CancelledError, Exception):
        task.cancel()


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
    return Engine(
        store,
        EngineSettings(timezone="UTC"),
        clock=lambda: NOW,
        subscriptions=SubscriptionService(store, clock=lambda: NOW),
        alerts=AlertService(store, clock=lambda: NOW),
    )


@pytest.fixture
async def harness(fake: FakeDiscord, store: Store, engine: Engine) -> AsyncIterator[Harness]:
    config = DiscordConfig(sync=fake.world.guild_id, manager_role="Paper Curators")
    bot, task = await start_bot(fake, engine, config)
    yield Harness(fake, bot, store, engine)
    await stop_bot(bot, task)


def option(name: str, value: Any, kind: int = 3, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "value": value, **extra}


def callback_for(fake: FakeDiscord, interaction: dict[str, Any]) -> Call | None:
    path = f"/interactions/{interaction['id']}/{interaction['token']}/callback"
    found = [c for c in fake.calls if c.method == "POST" and c.path == path]
    return found[0] if found else None


async def answered(fake: FakeDiscord, interaction: dict[str, Any]) -> Call:
    await fake.send_interaction(interaction)
    return await fake.wait_for(lambda: callback_for(fake, interaction))


def all_text(body: dict[str, Any]) -> str:
    """Everything a person could read in a message body."""
    parts = [body.get("content") or ""]
    for e in body.get("embeds") or []:
        parts += [e.get("title", ""), e.get("description", ""), e.get("footer", {}).get("text", "")]
        for f in e.get("fields", []):
            parts += [f["name"], f["value"]]
    return "\n".join(parts)


def assert_within_limits(body: dict[str, Any]) -> None:
    assert len(body.get("content") or "") <= CONTENT_LIMIT
    embeds = body.get("embeds") or []
    assert len(embeds) <= EMBEDS_PER_MESSAGE
    assert sum(embed_length(e) for e in embeds) <= EMBED_TOTAL
    for e in embeds:
        assert len(e.get("title", "")) <= TITLE_LIMIT
        assert len(e.get("description", "")) <= DESCRIPTION_LIMIT
        assert all(len(f["value"]) <= FIELD_VALUE_LIMIT for f in e.get("fields", []))


def assert_no_mentions(body: dict[str, Any]) -> None:
    assert body.get("allowed_mentions") == {"parse": [], "replied_user": False} or body.get(
        "allowed_mentions"
    ) == {"parse": []}, body.get("allowed_mentions")


# -- slash commands -----------------------------------------------------------------------------


async def test_slash_commands_are_synced_to_the_test_guild_with_typed_options(
    harness: Harness,
) -> None:
    commands = {c["name"]: c for c in harness.fake.commands[harness.fake.world.guild_id]}
    assert set(commands) >= {
        "top",
        "trending",
        "paper",
        "search",
        "details",
        "subscribe",
        "unsubscribe",
        "subscriptions",
        "categories",
        "help",
    }
    top = {o["name"]: o for o in commands["top"]["options"]}
    assert top["count"]["type"] == 4 and top["count"]["max_value"] == 25
    assert top["category"]["type"] == 3 and top["category"]["autocomplete"] is True
    assert {o["name"] for o in commands["paper"]["options"]} == {"id"}


async def test_every_registry_command_is_a_slash_command_with_its_options(
    harness: Harness,
) -> None:
    commands = {c["name"]: c for c in harness.fake.commands[harness.fake.world.guild_id]}
    assert set(commands) == {spec.name for spec in REGISTRY}
    for spec in REGISTRY:
        assert commands[spec.name]["description"] == spec.description[:100]
        synced = {o["name"]: o for o in commands[spec.name].get("options") or []}
        assert set(synced) == {o.name for o in spec.options}, spec.name
        for wanted in spec.options:
            got = synced[wanted.name]
            assert got["type"] == (4 if wanted.kind is int else 3), (spec.name, got)
            assert bool(got.get("required")) == wanted.required, (spec.name, got)
            assert bool(got.get("autocomplete")) == (wanted.autocomplete is not None)
            assert [c["value"] for c in got.get("choices") or []] == list(wanted.choices)
            if wanted.max_value is not None:
                assert got["max_value"] == wanted.max_value


async def test_slash_help_offers_every_command_and_answers_one(harness: Harness) -> None:
    fake = harness.fake
    call = await answered(fake, fake.interaction("help", [option("command", "categories")]))
    assert call.body["data"]["content"].startswith("categories [ARCHIVE]")


async def test_slash_top_is_answered_through_the_interaction_callback(harness: Harness) -> None:
    fake = harness.fake
    interaction = fake.interaction(
        "top",
        [option("count", 5, 4), option("category", "cs.CV"), option("period", "today")],
    )
    call = await answered(fake, interaction)
    assert call.query.get("with_response") in {"1", "true"}
    body = call.body["data"]
    assert call.body["type"] == 4
    assert body["content"].startswith("Hot Papers 2021-04-05 · cs.CV")
    titles = [e["title"] for e in body["embeds"]]
    assert len(titles) == 5 and titles[1].startswith("2. Paper 2104.00002")
    assert all(e["url"].startswith("https://arxiv.org/abs/") for e in body["embeds"])
    assert_within_limits(body)
    assert_no_mentions(body)
    # the answer opens a thread of abstracts on the response message
    root = fake.interaction_messages[interaction["token"]]["id"]
    await fake.wait_for(lambda: len(fake.posts(root)) == 5)  # one message per paper
    thread_text = "\n".join(all_text(c.body) for c in fake.posts(root))
    assert "Abstract of 2104.00002" in thread_text
    assert all(c.body["allowed_mentions"] == {"parse": []} for c in fake.posts(root))


async def test_a_slow_arxiv_lookup_is_deferred_and_other_commands_are_answered_meanwhile(
    fake: FakeDiscord, store: Store
) -> None:
    """`/paper` on a paper the bot lacks asks arXiv in a worker thread: Discord gets "thinking…"
    in time, another member's `/top` is answered while it waits, then the card replaces it."""
    release = threading.Event()
    asked: list[str] = []

    def fetch(ids: Sequence[str]) -> list[Paper]:
        asked.extend(ids)
        assert release.wait(30), "the test never released the lookup"
        return [paper("2311.99999", MONDAY, ("cs.CV",), title="Fetched from arXiv just now")]

    engine = Engine(store, EngineSettings(timezone="UTC"), clock=lambda: NOW, paper_fetch=fetch)
    bot = DiscordBot(
        engine, DiscordConfig(sync=fake.world.guild_id), defer_after=0.05, guild_ready_timeout=0.1
    )
    task = asyncio.create_task(bot.client.start("fake-token"))
    await asyncio.wait_for(bot.client.wait_until_ready(), 15)
    try:
        slow = fake.interaction("paper", [option("id", "2311.99999")])
        deferred = await answered(fake, slow)
        assert deferred.body["type"] == 5  # "hotpapers is thinking…"
        assert asked == ["2311.99999"]

        quick = fake.interaction("top", [option("count", 3, 4), option("period", "today")])
        answer = await answered(fake, quick)
        assert answer.body["type"] == 4
        assert answer.body["data"]["content"].startswith("Hot Papers 2021-04-05")

        release.set()
        edit = await fake.wait_for(
            lambda: fake.calls_to("PATCH", rf"/webhooks/\d+/{slow['token']}/messages/@original")
        )
        card = all_text(edit[0].body)
        assert "Fetched from arXiv just now" in card and "2311.99999" in card
        assert_no_mentions(edit[0].body)
    finally:
        release.set()
        await stop_bot(bot, task)


async def test_category_autocomplete_offers_arxiv_categories(harness: Harness) -> None:
    fake = harness.fake
    interaction = fake.interaction("top", [option("category", "cs.C", focused=True)], kind=4)
    call = await answered(fake, interaction)
    assert call.body["type"] == 8
    values = [c["value"] for c in call.body["data"]["choices"]]
    assert "cs.CV" in values and "cs.CL" in values and len(values) <= 25
    # a second category builds on the first
    assert any(c.value == "cs.CV cs.LG" for c in category_choices("cs.CV cs.L"))


async def test_a_member_without_manage_channels_is_refused_on_subscribe(
    harness: Harness,
) -> None:
    fake = harness.fake
    refused = fake.interaction(
        "subscribe", [option("category", "cs.CV")], permissions=MEMBER_PERMISSIONS
    )
    call = await answered(fake, refused)
    assert "only channel admins can subscribe" in call.body["data"]["content"]
    assert call.body["data"]["flags"] & 64  # shown to the asker only
    assert SubscriptionStore(harness.store).all() == []

    moderator = fake.interaction(
        "subscribe",
        [option("category", "cs.CV"), option("count", 3, 4), option("at", "08:30")],
        permissions=ALL_PERMISSIONS,
    )
    call = await answered(fake, moderator)
    assert call.body["data"]["content"].startswith("Subscribed")
    [sub] = SubscriptionStore(harness.store).all()
    assert (sub.platform, sub.channel, sub.filters, sub.n, sub.at) == (
        "discord",
        harness.channel,
        ("cs.CV",),
        3,
        time(8, 30),
    )


async def test_alert_as_a_slash_command_is_for_channel_managers(harness: Harness) -> None:
    fake = harness.fake
    options = [option("score", 300, 4), option("category", "cs.CV")]
    refused = fake.interaction("alert", options, permissions=MEMBER_PERMISSIONS)
    call = await answered(fake, refused)
    assert "only channel admins can add alerts" in call.body["data"]["content"]
    assert AlertStore(harness.store).all() == []

    moderator = fake.interaction("alert", options, permissions=ALL_PERMISSIONS)
    call = await answered(fake, moderator)
    assert call.body["data"]["content"].startswith("Alert set (cs.CV above 300)")
    [alert] = AlertStore(harness.store).all()
    assert (alert.platform, alert.channel) == ("discord", harness.channel)


async def test_the_configured_manager_role_may_subscribe(harness: Harness) -> None:
    fake = harness.fake
    curator = fake.interaction(
        "subscribe",
        [option("category", "cs.LG")],
        permissions=MEMBER_PERMISSIONS,
        roles=[fake.world.curator_role],
    )
    call = await answered(fake, curator)
    assert call.body["data"]["content"].startswith("Subscribed"), call.body["data"]["content"]


# -- mentions and threads -----------------------------------------------------------------------


def replies_to(fake: FakeDiscord, message_id: str) -> list[dict[str, Any]]:
    return [
        c.body
        for c in fake.posts()
        if str((c.body.get("message_reference") or {}).get("message_id")) == message_id
    ]


async def mention(fake: FakeDiscord, content: str, **kwargs: Any) -> dict[str, Any]:
    """A MESSAGE_CREATE through the gateway; returns once the bot has replied to it
    (or, for an unaddressed message, once the bot posted anything)."""
    before = len(fake.posts())
    message = fake.user_message(content, **kwargs)
    await fake.dispatch("MESSAGE_CREATE", message)
    if kwargs.get("mention_bot", True):
        await fake.wait_for(lambda: replies_to(fake, message["id"]))
    else:
        await fake.wait_for(lambda: len(fake.posts()) > before)
    return message


async def test_a_mention_is_answered_with_a_digest_and_a_thread_of_abstracts(
    harness: Harness,
) -> None:
    fake = harness.fake
    bot_id = fake.world.bot_id
    asked = await mention(fake, f"<@{bot_id}> top 5 cs.CV")
    reply = fake.posts(harness.channel)[0].body
    assert str(reply["message_reference"]["message_id"]) == asked["id"]
    assert reply["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert reply["content"].startswith("Hot Papers 2021-04-05 · cs.CV")
    assert len(reply["embeds"]) == 5
    assert_within_limits(reply)
    root = fake.messages[harness.channel][-1]["id"]
    await fake.wait_for(lambda: len(fake.posts(root)) == 5)  # one message per paper
    assert fake.calls_to("POST", rf"/channels/{harness.channel}/messages/{root}/threads")

    # `3` (with a mention: no message-content intent) in that thread answers item 3
    asked = await mention(fake, f"<@{bot_id}> 3", channel=root)
    [answer] = replies_to(fake, asked["id"])
    card = answer["embeds"][0]
    assert card["title"] == "Paper 2104.00004" and card["url"].endswith("/2104.00004")
    assert "Abstract of 2104.00004" in card["description"]
    assert answer["allowed_mentions"] == {"parse": [], "replied_user": False}

    # /details 3 in the thread works the same, through the interaction callback
    thread = fake.channels[root]
    call = await answered(
        fake, fake.interaction("details", [option("number", 2, 4)], channel=thread)
    )
    assert call.body["data"]["embeds"][0]["title"] == "Paper 2104.00002"


async def handled(bot: DiscordBot, data: dict[str, Any]) -> None:
    """Run the bot's message handler to its end on a MESSAGE_CREATE payload (so that what it
    did not do can be asserted: the gateway would run it as a task of its own)."""
    channel = bot.client.get_channel(int(data["channel_id"]))
    if channel is None:  # a thread whose THREAD_CREATE is still on its way
        channel = await bot.client.fetch_channel(int(data["channel_id"]))
    message = discord.Message(state=bot.client._connection, channel=channel, data=data)  # type: ignore[arg-type]
    await bot.on_message(message)


async def test_without_the_content_intent_unaddressed_messages_are_ignored(
    harness: Harness,
) -> None:
    fake, bot = harness.fake, harness.bot
    await handled(bot, fake.user_message("see https://arxiv.org/abs/2104.00002", mention_bot=False))
    await handled(bot, fake.user_message("top 5", mention_bot=False))
    assert fake.posts() == [] and not fake.calls_to("POST", r".*/threads")
    await handled(bot, fake.user_message(f"<@{fake.world.bot_id}> help"))
    [answer] = fake.posts()
    assert "top" in answer.body["content"]


async def test_with_the_content_intent_a_pasted_link_gets_a_card_in_a_thread(
    fake: FakeDiscord, engine: Engine
) -> None:
    bot, task = await start_bot(fake, engine, DiscordConfig(message_content=True))
    try:
        identify = next(f for f in fake.gateway_frames if f["op"] == 2)
        assert identify["d"]["intents"] & (1 << 15)  # MESSAGE_CONTENT requested
        pasted = await mention(
            fake, "look at https://arxiv.org/abs/2104.00002v2 !", mention_bot=False
        )
        assert fake.calls_to(
            "POST", rf"/channels/{fake.world.channel_id}/messages/{pasted['id']}/threads"
        )
        await fake.wait_for(lambda: fake.posts(pasted["id"]))
        card = fake.posts(pasted["id"])[0].body
        assert card["embeds"][0]["url"] == "https://arxiv.org/abs/2104.00002"
        # chatter is left alone, a bare number outside a digest's thread too
        before = len(fake.posts())
        await handled(bot, fake.user_message("top of the morning", mention_bot=False))
        await handled(bot, fake.user_message("3", mention_bot=False))
        assert len(fake.posts()) == before
        # `3` without a mention in a digest's thread is answered with the intent on
        await handled(bot, fake.user_message(f"<@{fake.world.bot_id}> top 5 cs.CV"))
        root = fake.messages[fake.world.channel_id][-1]["id"]
        await handled(bot, fake.user_message("3", channel=root, mention_bot=False))
        answer = [c.body for c in fake.posts(root) if c.body.get("message_reference")]
        assert answer[0]["embeds"][0]["title"] == "Paper 2104.00004"
    finally:
        await stop_bot(bot, task)


async def test_talk_in_a_digest_thread_is_left_alone_and_commands_are_answered(
    fake: FakeDiscord, engine: Engine
) -> None:
    """Defect 8: in the bot's digest thread (content intent on) only a bare number or a message
    starting with a command word is for the bot; other talk there gets no answer."""
    bot, task = await start_bot(fake, engine, DiscordConfig(message_content=True))
    try:
        await handled(bot, fake.user_message(f"<@{fake.world.bot_id}> top 5 cs.CV"))
        root = fake.messages[fake.world.channel_id][-1]["id"]
        await fake.wait_for(lambda: fake.posts(root))
        before = len(fake.posts())
        for talk in ("nice paper, thanks!", "Great list", "so 3 of them?", "<@1234> nice!"):
            await handled(bot, fake.user_message(talk, channel=root, mention_bot=False))
        assert len(fake.posts()) == before

        asked = fake.user_message("2", channel=root, mention_bot=False)
        await handled(bot, asked)
        [answer] = replies_to(fake, asked["id"])
        assert answer["embeds"][0]["title"] == "Paper 2104.00002"

        asked = fake.user_message("top 3 cs.LG", channel=root, mention_bot=False)
        await handled(bot, asked)
        [answer] = replies_to(fake, asked["id"])
        assert answer["content"].startswith("Hot Papers 2021-04-05 · cs.LG")

        asked = fake.user_message(f"<@{fake.world.bot_id}> nice paper", channel=root)
        await handled(bot, asked)
        [answer] = replies_to(fake, asked["id"])
        assert "nice" in answer["content"]  # a mention is always answered
    finally:
        await stop_bot(bot, task)


async def test_a_dm_is_answered_in_the_dm(harness: Harness) -> None:
    fake = harness.fake
    dm = fake.dm_message("paper 2104.00002")
    fake.add_channel(dm["channel_id"], "dm", dm=True)
    await fake.dispatch("MESSAGE_CREATE", dm)
    await fake.wait_for(lambda: fake.posts(dm["channel_id"]))
    body = fake.posts(dm["channel_id"])[0].body
    assert body["embeds"][0]["title"] == "Paper 2104.00002"


# -- scheduled digests --------------------------------------------------------------------------


def twelve(engine: Engine) -> Any:
    digest = engine.digest(on=MONDAY, n=12)
    assert not hasattr(digest, "message"), digest
    return digest


async def test_a_published_digest_fits_every_limit_and_has_a_thread_of_abstracts(
    harness: Harness,
) -> None:
    fake, channel = harness.fake, harness.channel
    sent = await harness.bot.publisher.publish_digest(
        channel, twelve(harness.engine), idempotency_key="digest:2021-04-05:all:12"
    )
    posts = fake.posts(channel)
    assert len(posts) == 2  # 12 embeds: 10 + 2
    assert [len(p.body["embeds"]) for p in posts] == [10, 2]
    for post in posts:
        assert_within_limits(post.body)
        assert post.body["allowed_mentions"] == {"parse": []}
        assert post.body["enforce_nonce"] is True and len(post.body["nonce"]) <= 25
    ref = reference("digest:2021-04-05:all:12")
    assert posts[0].body["embeds"][-1]["footer"]["text"].endswith(f"ref {ref} · 1/2")
    root = sent.message_ids[0]
    assert sent.thread == root == fake.messages[channel][0]["id"]
    thread_posts = fake.posts(root)
    assert thread_posts and all(p.body["allowed_mentions"] == {"parse": []} for p in thread_posts)
    abstracts = "\n".join(all_text(p.body) for p in thread_posts)
    assert all(f"Abstract of {pid}" in abstracts for pid in IDS[1:])
    for post in thread_posts:
        assert_within_limits(post.body)


async def test_everyone_in_a_title_pings_nobody(harness: Harness) -> None:
    fake, channel = harness.fake, harness.channel
    await harness.bot.publisher.publish_digest(
        channel, twelve(harness.engine), idempotency_key="k-everyone"
    )
    bodies = [c.body for c in fake.posts()]
    assert bodies and all(b["allowed_mentions"] == {"parse": []} for b in bodies)
    text = "\n".join(all_text(b) for b in bodies)
    assert "@everyone" not in text and "@here" not in text and "<@123>" not in text
    assert "@\u200beveryone look" in text
    assert "<\u200b@123>" in text and "<\u200b@&999>" in text
    assert "\\[arxiv.org\\](http://evil.example)" in text  # no masked link
    assert "\\*\\*now\\*\\*" in text


async def test_the_same_key_twice_posts_once(harness: Harness) -> None:
    fake, channel, publisher = harness.fake, harness.channel, harness.bot.publisher
    digest = twelve(harness.engine)
    first = await publisher.publish_digest(channel, digest, idempotency_key="k-twice")
    second = await publisher.publish_digest(channel, digest, idempotency_key="k-twice")
    assert second.message_ids[:2] == first.message_ids[:2] and second.thread == first.thread
    roots = [m for m in fake.messages[channel] if m.get("embeds")]
    assert len(roots) == 2  # the digest's two messages, once
    assert len(fake.calls_to("POST", r"/channels/\d+/messages/\d+/threads")) == 2  # 2nd refused
    assert len(fake.posts(first.thread)) == len(render_thread_messages(digest))  # abstracts once


async def test_a_scheduled_digest_is_posted_once_across_a_reconnect(harness: Harness) -> None:
    fake, store, channel = harness.fake, harness.store, harness.channel
    sub = SubscriptionStore(store).save(
        Subscription(platform="discord", channel=channel, n=12, at=time(9), timezone="UTC")
    )
    key = "digest:2021-04-05:all:12"
    # The bot posted, then died before recording the message ids: only the intent is on record.
    store.deliveries.begin(
        "discord", channel, key, kind="digest", digest_date=MONDAY, paper_ids=IDS
    )
    await harness.bot.publisher.publish_digest(channel, twelve(harness.engine), idempotency_key=key)
    posted = len(fake.posts(channel))

    # The gateway drops; discord.py resumes the session.
    resumed = asyncio.get_running_loop().create_future()
    harness.bot.client.event(_resolver("on_resumed", resumed))
    await fake.drop()
    await asyncio.wait_for(resumed, 15)
    assert fake.resumes == 1 and fake.identifies == 1
    fake.forget_nonces()  # long after Discord's nonce window: only the footer marker is left

    service = DeliveryService(
        store,
        harness.engine,
        {"discord": harness.bot.publisher},
        clock=lambda: datetime(2021, 4, 5, 9, 1, tzinfo=UTC),
    )
    outcome = await service.deliver(sub, scheduled_for=datetime(2021, 4, 5, 9, tzinfo=UTC))
    # found by its footer marker: the thread is checked (it is whole), nothing posted again
    assert outcome.status == "sent", outcome
    assert len(fake.posts(channel)) == posted  # nothing new in the channel
    assert len(fake.posts(outcome.thread)) == len(render_thread_messages(twelve(harness.engine)))
    record = store.deliveries.get("discord", channel, key)
    assert record is not None and record.status == "sent"
    assert record.thread == fake.messages[channel][0]["id"]
    again = await service.deliver(sub, scheduled_for=datetime(2021, 4, 5, 9, tzinfo=UTC))
    assert again.status == "already_sent" and len(fake.posts(channel)) == posted

    # `3` in the scheduled digest's thread is answered from the delivery record
    asked = await mention(fake, f"<@{fake.world.bot_id}> details 3", channel=record.thread)
    answer = replies_to(fake, asked["id"])
    assert answer[0]["embeds"][0]["url"].endswith(IDS[2])


def _resolver(name: str, future: asyncio.Future[None]) -> Any:
    async def handler(*_: Any) -> None:
        if not future.done():
            future.set_result(None)

    handler.__name__ = name
    return handler


# -- failures -------------------------------------------------------------------------------------


async def test_missing_access_and_unknown_channel_are_permanent(harness: Harness) -> None:
    fake, publisher = harness.fake, harness.bot.publisher
    digest = twelve(harness.engine)
    with pytest.raises(DeliveryError) as unknown:
        await publisher.publish_digest("123456789012345678", digest, idempotency_key="k1")
    assert unknown.value.transient is False
    fake.forbidden.add(harness.channel)
    with pytest.raises(DeliveryError) as forbidden:
        await publisher.publish_digest(harness.channel, digest, idempotency_key="k2")
    assert forbidden.value.transient is False and "Missing Access" in str(forbidden.value)


async def test_a_429_is_waited_out_by_discord_py(harness: Harness) -> None:
    fake = harness.fake
    fake.fail_next(
        "POST",
        rf"/channels/{harness.channel}/messages",
        429,
        {"message": "You are being rate limited.", "retry_after": 0.0, "global": False},
    )
    sent = await harness.bot.publisher.publish_digest(
        harness.channel, twelve(harness.engine), idempotency_key="k-429"
    )
    assert len(sent.message_ids) >= 2
    attempts = fake.calls_to("POST", rf"/channels/{harness.channel}/messages")
    assert len(attempts) == 3  # the refused one, its retry, the second message
    assert len(fake.messages[harness.channel]) == 2


async def test_a_request_discord_never_answers_is_given_up_after_the_configured_time(
    harness: Harness,
) -> None:
    fake, channel = harness.fake, harness.channel
    config = DiscordConfig.from_mapping({"request_timeout_seconds": 0.2})
    assert harness.bot.publisher.request_timeout == 30.0  # the default
    publisher = DiscordPublisher(harness.bot.client, request_timeout=config.request_timeout_seconds)
    digest = twelve(harness.engine)
    fake.stall_next("POST", rf"/channels/{channel}/messages")
    with pytest.raises(DeliveryError) as stalled:
        await publisher.publish_digest(channel, digest, idempotency_key="k-stall")
    assert stalled.value.transient is True  # retried later, the subscription stays on
    assert "Discord did not answer within 0.2 s" in str(stalled.value)
    assert fake.messages.get(channel, []) == []

    sent = await publisher.publish_digest(channel, digest, idempotency_key="k-stall")
    assert len(fake.messages[channel]) == 2 and sent.thread == fake.messages[channel][0]["id"]
    assert len(fake.posts(sent.thread)) == len(render_thread_messages(digest))


async def test_a_digest_found_in_history_gets_only_its_missing_abstracts(
    harness: Harness,
) -> None:
    fake, channel, publisher = harness.fake, harness.channel, harness.bot.publisher
    digest = twelve(harness.engine)
    parts = len(render_thread_messages(digest))
    assert parts >= 2  # twelve papers: the abstracts span several messages
    first = await publisher.publish_digest(channel, digest, idempotency_key="k-part")
    root = first.thread
    del fake.messages[root][1:]  # only the first abstract message landed (the rest was lost)
    fake.forget_nonces()  # long after: only the footer marker and the thread's history tell

    sent = await publisher.publish_digest(channel, digest, idempotency_key="k-part")
    again = await publisher.publish_digest(channel, digest, idempotency_key="k-part")
    assert len([m for m in fake.messages[channel] if m.get("embeds")]) == 2  # the digest, once
    assert sent.thread == again.thread == root
    titles = [e["title"] for m in fake.messages[root] for e in m.get("embeds", [])]
    assert titles == [f"{i}. " + t.split(". ", 1)[1] for i, t in enumerate(titles, start=1)]
    assert len(fake.messages[root]) == parts and len(titles) == 12  # every abstract, once


def test_delivery_errors_are_classified() -> None:
    assert delivery_error(OSError("reset")).transient is True
    assert delivery_error(ValueError("not a Discord channel id: 'x'")).transient is False


# -- sharding and configuration -------------------------------------------------------------------


async def test_sharded_client_connects_through_gateway_bot(
    fake: FakeDiscord, engine: Engine
) -> None:
    bot, task = await start_bot(fake, engine, DiscordConfig(sharded=True))
    try:
        assert isinstance(bot.client, discord.AutoShardedClient)
        assert fake.calls_to("GET", r"/gateway/bot")
        assert "global" in fake.commands  # synced globally by default
        await mention(fake, f"<@{fake.world.bot_id}> top 2")
        assert len(fake.posts(fake.world.channel_id)[0].body["embeds"]) == 2
        root = fake.messages[fake.world.channel_id][-1]["id"]
        await fake.wait_for(lambda: fake.posts(root))  # its thread of abstracts
    finally:
        await stop_bot(bot, task)


def test_config_is_checked_and_errors_name_the_key() -> None:
    config = DiscordConfig.from_mapping(
        {
            "token_env": "HP_DISCORD",
            "message_content": True,
            "sync": 290926798626357999,
            "manager_role": "Paper Curators",
            "sharded": False,
            "request_timeout_seconds": 12,
        }
    )
    assert config.request_timeout_seconds == 12.0
    assert DiscordConfig.from_mapping({}).request_timeout_seconds == 30.0
    assert config.sync_guild == 290926798626357999 and config.message_content is True
    assert DiscordConfig.from_mapping({}).sync == "global"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"message_content": "yes"}, "message_content"),
        ({"sync": "everywhere"}, "sync"),
        ({"token": "abc"}, "'token'"),
        ({"token_env": ""}, "token_env"),
        ({"request_timeout_seconds": "soon"}, "request_timeout_seconds"),
        ({"request_timeout_seconds": 0}, "request_timeout_seconds"),
        ({"request_timeout_seconds": True}, "request_timeout_seconds"),
    ]
    for bad, key in cases:
        with pytest.raises(ConfigError, match=re.escape(key)):
            DiscordConfig.from_mapping(bad, "hotpapers.toml")


def test_slash_options_become_grammar_text() -> None:
    assert command_text("top", 5, "cs.CV", "today") == "top 5 cs.CV today"
    assert command_text("top", None, " ", None) == "top"
    subscribe = {"at": "08:30", "count": 3, "category": "cs.CV", "days": " "}
    assert slash_text(BY_NAME["subscribe"], subscribe) == "subscribe cs.CV top 3 at 08:30"
    assert slash_text(BY_NAME["trending"], {"hours": 48}) == "trending 48h"


# -- the renderer (pure): golden outputs and limits -----------------------------------------------

GOLDEN_ITEM = DigestItem(
    rank=1,
    paper=Paper(
        "2104.00743",
        "Self-supervised *learning* of <@&42> @here things",
        ("Ada Lovelace", "Alan Turing", "Grace Hopper"),
        "We show [arxiv.org](http://evil) that.\n\n# Not a heading",
        "cs.CV",
        ("cs.CV", "cs.LG"),
        MONDAY,
    ),
    score=Score(
        1234,
        (
            SourceScore("archive", reposts=200, likes=1000, score=1200),
            SourceScore("bluesky", posts=3, accounts=2, reposts=10, likes=24, score=34),
        ),
    ),
    posts=(Post("bluesky", "https://bsky.app/profile/ada/post/1", "Ada", "ada", "Wow @everyone"),),
)
GOLDEN_DIGEST = Digest(
    "Hot Papers 2021-04-05 · cs.CV",
    MONDAY,
    (GOLDEN_ITEM,),
    ("cs.CV",),
    "2021-04-05",
    ("No listing today; showing 2021-04-05.",),
)
GOLDEN_TITLE = "Self-supervised \\*learning\\* of <\u200b@&42> @\u200bhere things"
GOLDEN_SCORE = (
    "**1,234** · 3 posts by 2 accounts · 210 reposts · 1,024 likes\n"
    "archive: 200 reposts, 1,000 likes → 1,200\n"
    "bluesky: 3 posts from 2 accounts, 10 reposts, 24 likes → 34"
)
GOLDEN_LINKS = "[abs](https://arxiv.org/abs/2104.00743) · [pdf](https://arxiv.org/pdf/2104.00743)"
GOLDEN_POST = "Ada (@ada): “Wow @\u200beveryone” https://bsky.app/profile/ada/post/1"


def test_golden_digest_message() -> None:
    assert render_digest_messages(GOLDEN_DIGEST, marker="5f2c") == [
        {
            "content": "Hot Papers 2021-04-05 · cs.CV\nNo listing today; showing 2021-04-05.",
            "embeds": [
                {
                    "title": "1. " + GOLDEN_TITLE,
                    "url": "https://arxiv.org/abs/2104.00743",
                    "color": 0xB31B1B,
                    "description": "Ada Lovelace, Alan Turing, Grace Hopper",
                    "fields": [
                        {"name": "Score", "value": GOLDEN_SCORE, "inline": False},
                        {"name": "Categories", "value": "cs.CV · cs.LG", "inline": True},
                        {"name": "Links", "value": GOLDEN_LINKS, "inline": True},
                    ],
                    "footer": {"text": "arXiv:2104.00743 · listed 2021-04-05 · ref 5f2c"},
                }
            ],
        }
    ]


def test_golden_thread_and_paper_card() -> None:
    abstract = "We show \\[arxiv.org\\](http://evil) that.\n\n\\# Not a heading"
    [thread] = render_thread_messages(GOLDEN_DIGEST)
    assert thread["content"].startswith("Abstracts of the papers above.")
    assert thread["embeds"] == [
        {
            "title": "1. " + GOLDEN_TITLE,
            "url": "https://arxiv.org/abs/2104.00743",
            "color": 0xB31B1B,
            "description": abstract,
            "fields": [{"name": "Top posts", "value": GOLDEN_POST, "inline": False}],
            "footer": {"text": "arXiv:2104.00743 · listed 2021-04-05"},
        }
    ]
    card = render_paper_message(GOLDEN_ITEM)
    assert card == {
        "embeds": [
            {
                "title": GOLDEN_TITLE,
                "url": "https://arxiv.org/abs/2104.00743",
                "color": 0xB31B1B,
                "description": "Ada Lovelace, Alan Turing, Grace Hopper\n\n" + abstract,
                "fields": [
                    {"name": "Score", "value": GOLDEN_SCORE, "inline": False},
                    {"name": "Categories", "value": "cs.CV · cs.LG", "inline": True},
                    {"name": "Listed", "value": "2021-04-05", "inline": True},
                    {"name": "Links", "value": GOLDEN_LINKS, "inline": True},
                    {"name": "Top posts", "value": GOLDEN_POST, "inline": False},
                ],
                "footer": {"text": "arXiv:2104.00743"},
            }
        ]
    }


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("@everyone and @here", "@\u200beveryone and @\u200bhere"),
        ("<@123> <@!456> <@&789> <#42>", "<\u200b@123> <\u200b@!456> <\u200b@&789> <\u200b#42>"),
        ("[arxiv.org](http://evil)", "\\[arxiv.org\\](http://evil)"),
        ("*a* _b_ ~~c~~ ||d|| `e`", "\\*a\\* \\_b\\_ \\~\\~c\\~\\~ \\|\\|d\\|\\| \\`e\\`"),
        ("# big\n> quote\n- item\n1. first", "\\# big\n\\> quote\n\\- item\n1\\. first"),
        ("in\u200bvis\u202eible\u2066", "invisible"),
        ("see https://x.org/a_b_c", "see https://x.org/a_b_c"),
        ("a\\b", "a\\\\b"),
    ],
)
def test_escape_discord(raw: str, shown: str) -> None:
    assert escape_discord(raw) == shown


def test_plain_replies_are_split_at_2000_and_mentions_neutralised() -> None:
    text = "\n".join(f"line {i} @everyone" for i in range(400))
    messages = render_text_messages(text)
    assert len(messages) > 1
    assert all(len(m["content"]) <= CONTENT_LIMIT for m in messages)
    joined = "\n".join(m["content"] for m in messages)
    assert "@everyone" not in joined and joined.count("line ") == 400
    assert render_text_messages("`top 5` works")[0]["content"] == "`top 5` works"


def test_every_archive_post_fits_discords_limits() -> None:
    posts = sorted(ARCHIVE.glob("*.md"))[:40]
    assert posts
    for path in posts:
        digest = archive_post_to_digest(parse_archive_post(path.read_text(encoding="utf-8")))
        messages = render_digest_messages(digest, marker="0123456789abcdef")
        assert sum(len(m["embeds"]) for m in messages) == max(len(digest.items), 1)
        for message in [*messages, *render_thread_messages(digest)]:
            assert_within_limits(message)
        for item in digest.items:
            assert_within_limits(render_paper_message(item))


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(min_size=0, max_size=600),
    abstract=st.text(max_size=6000),
    authors=st.lists(st.text(max_size=120), max_size=300),
    n=st.integers(min_value=0, max_value=25),
)
def test_any_text_fits_the_limits(title: str, abstract: str, authors: list[str], n: int) -> None:
    items = tuple(
        DigestItem(
            rank=i + 1,
            paper=Paper(f"2104.{i:05d}", title, tuple(authors), abstract, "cs.CV", ("cs.CV",)),
            score=GOLDEN_ITEM.score,
            posts=GOLDEN_ITEM.posts * 5,
        )
        for i in range(n)
    )
    digest = Digest(title * 5, MONDAY, items, notes=(abstract,))
    messages = render_digest_messages(digest, marker="abc")
    assert sum(len(m["embeds"]) for m in messages) == max(n, 1)
    for message in [*messages, *render_thread_messages(digest)]:
        assert_within_limits(message)
    for item in items[:1]:
        assert_within_limits(render_paper_message(item))


async def test_run_discord_logs_in_with_the_token_from_the_named_variable(
    fake: FakeDiscord, engine: Engine
) -> None:
    with pytest.raises(ConfigError, match="HP_DISCORD_TOKEN"):
        await run_discord(engine, {"token_env": "HP_DISCORD_TOKEN"}, {})
    publishers: dict[str, Any] = {}
    task = asyncio.create_task(
        run_discord(
            engine,
            {"token_env": "HP_DISCORD_TOKEN", "sync": fake.world.guild_id},
            {"HP_DISCORD_TOKEN": "secret-token"},
            publishers=publishers,
            guild_ready_timeout=0.1,
        )
    )
    await fake.wait_for(lambda: fake.identifies)
    identify = next(f for f in fake.gateway_frames if f["op"] == 2)
    assert identify["d"]["token"] == "secret-token"
    assert not identify["d"]["intents"] & (1 << 15)  # no privileged intent by default
    assert publishers["discord"].platform == "discord"
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert "discord" not in publishers
