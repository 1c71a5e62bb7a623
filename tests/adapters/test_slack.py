"""The Slack adapter: a real Bolt app (Socket Mode and signed HTTP) against a fake Slack on 127.0.0.1."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.slack.app import build_app
from adapters.slack.config import SlackConfig
from adapters.slack.publisher import EVENT_TYPE, SlackPublisher
from adapters.slack.render import (
    digest_messages,
    digest_thread_messages,
    escape_mrkdwn,
    paper_card,
    plain_messages,
    unfurl_blocks,
)
from adapters.slack.run import make_client, run_slack, start_http
from bot.domain import delivery as d
from bot.domain.errors import ConfigError
from bot.domain.models import Digest, DigestItem, Paper, Post, Score, SourceScore
from bot.domain.subscription import Subscription
from bot.ports import DeliveryError
from bot.services.alerts import AlertService
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine
from bot.services.subscriptions import SubscriptionService
from bot.store import Store
from bot.store.alerts import AlertStore
from bot.store.subscriptions import SubscriptionStore
from tests.conftest import FIXTURES, REPO
from tests.fakes.slack_fake import BOT_USER, TEAM, FakeSlack
from tests.helpers import aggregate, paper

MONDAY = date(2021, 4, 5)
NOW = datetime(2021, 4, 5, 15, 0, tzinfo=UTC)
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0PAPERS1"
ALICE = "U0ALICE01"  # a member
ADMIN = "U0ADMIN01"  # a workspace admin (users.info says so)
LISTED = "U0LISTED1"  # no workspace role, but in [adapters.slack] admins
EVIL = "<!channel> Free GPUs for <@U0ALICE01> at <http://evil.example|arxiv.org> \u200b&\u202e"
IDS = ["2104.00001", "2104.00002", "2104.00003", "2104.00004", "2104.00005"]


# -- the world: a store with a few papers, an engine, the fake Slack --------------------------


def seeded_store() -> Store:
    store = Store.memory()
    store.upsert_papers(
        [
            paper("2104.00001", MONDAY, ("cs.CV", "cs.LG"), title="Vision transformers at scale"),
            paper("2104.00002", MONDAY, ("cs.LG",), title=EVIL),
            paper("2104.00003", MONDAY, ("cs.CV",), title="Diffusion for video & <sound>"),
            paper("2104.00004", MONDAY, ("cs.CL",), title="Language models read papers"),
            paper("2104.00005", MONDAY, ("cs.CV",), title="Small detectors"),
        ]
    )
    store.upsert_observations([aggregate(pid, 500 - 100 * i, 10) for i, pid in enumerate(IDS)])
    return store


@pytest.fixture
def store() -> Iterator[Store]:
    s = seeded_store()
    yield s
    s.close()


@pytest.fixture
def engine(store: Store) -> Engine:
    service = SubscriptionService(store, clock=lambda: NOW)
    return Engine(store, clock=lambda: NOW, subscriptions=service)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = await FakeSlack().start()
    slack.users[ADMIN] = {"is_admin": True, "tz": "Europe/Berlin"}
    yield slack
    await slack.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(fake: FakeSlack, sleeps: list[float]) -> Any:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)  # the fake's Retry-After, honoured without really waiting

    return make_client("xoxb-test-token", base_url=fake.api_url, sleep=sleep)


CONFIG = SlackConfig(mode="http", host="127.0.0.1", port=0, admins=(LISTED,))


@pytest.fixture
async def http(engine: Engine, client: Any) -> AsyncIterator[str]:
    """Bolt's own aiohttp app on 127.0.0.1: the URL Slack would POST events to."""
    app = build_app(engine, CONFIG, client=client, signing_secret=SECRET)
    runner, port = await start_http(app, CONFIG)
    yield f"http://127.0.0.1:{port}/slack/events"
    await runner.cleanup()


# -- payloads: the masked samples from tests/data/fixtures/slack, filled in ---------------------


def sample(name: str, fallback: dict[str, Any]) -> dict[str, Any]:
    path = FIXTURES / "slack" / name
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    return copy.deepcopy(fallback)


def slash_payload(text: str, user: str = ALICE, hook: str = "hook1", fake: FakeSlack | None = None):
    body = sample("SlashCommandPayload.json", {"command": "", "text": ""})
    body.update(
        token="verification-token",
        api_app_id="A0HOTPAPR",
        team_id=TEAM,
        team_domain="hotpapers-test",
        enterprise_id="",
        enterprise_name="",
        channel_id=CHANNEL,
        channel_name="papers",
        user_id=user,
        user_name=user.lower(),
        command="/hotpapers",
        text=text,
        response_url=fake.response_url(hook) if fake else "",
        trigger_id="1111.2222.abcd",
    )
    return {k: v for k, v in body.items() if v != ""}


def event_callback(name: str, event: dict[str, Any]) -> dict[str, Any]:
    body = sample(name, {"type": "event_callback", "event": {}})
    body.update(
        token="verification-token",
        team_id=TEAM,
        api_app_id="A0HOTPAPR",
        event_id=f"Ev{abs(hash(json.dumps(event, sort_keys=True))) % 10**8:08d}",
        event_time=1617634800,
        authed_users=[BOT_USER],
    )
    body.pop("enterprise_id", None)
    filled = dict(body["event"])
    for key in ("bot_id", "bot_profile"):  # a person mentions the bot here, not another bot
        filled.pop(key, None)
    filled.update(event)
    body["event"] = filled
    return body


def mention(text: str, ts: str, thread_ts: str | None = None) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": ALICE,
        "text": text,
        "ts": ts,
        "team": TEAM,
        "channel": CHANNEL,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event_callback("AppMentionPayload.json", event)


def thread_message(text: str, ts: str, thread_ts: str, user: str = ALICE) -> dict[str, Any]:
    return event_callback(
        "AppMentionPayload.json",
        {
            "type": "message",
            "user": user,
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "channel": CHANNEL,
            "channel_type": "channel",
            "event_ts": ts,
        },
    )


def link_shared(url: str, message_ts: str = "1617634000.000100") -> dict[str, Any]:
    return event_callback(
        "LinkSharedPayload.json",
        {
            "user": ALICE,
            "channel": CHANNEL,
            "message_ts": message_ts,
            "links": [{"url": url, "domain": "arxiv.org"}],
            "event_ts": message_ts,
            "unfurl_id": "C0PAPERS1.1617634000.000100.abc",
            "source": "conversations_history",
        },
    )


def signed(body: str, content_type: str, *, secret: str = SECRET, age: int = 0) -> dict[str, str]:
    stamp = str(int(time.time()) - age)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": content_type,
    }


async def post_event(url: str, payload: dict[str, Any], **sign: Any) -> tuple[int, str]:
    body = json.dumps(payload)
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=signed(body, "application/json", **sign)) as resp,
    ):
        return resp.status, await resp.text()


async def post_command(url: str, payload: dict[str, Any], **sign: Any) -> tuple[int, str]:
    body = urlencode(payload)
    headers = signed(body, "application/x-www-form-urlencoded", **sign)
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as resp,
    ):
        return resp.status, await resp.text()


def visible_text(value: Any) -> str:
    """Every string in a Slack payload, concatenated (what Slack would parse)."""
    if isinstance(value, str):
        return value + "\n"
    if isinstance(value, dict):
        return "".join(visible_text(v) for v in value.values())
    if isinstance(value, list | tuple):
        return "".join(visible_text(v) for v in value)
    return ""


def header(message: dict[str, Any]) -> str:
    return str(message["blocks"][0]["text"]["text"])


# -- Block Kit: golden outputs and limits --------------------------------------------------------


def small_digest() -> Digest:
    part = SourceScore(source="twitter", posts=2, accounts=2, reposts=30, likes=12, score=42)
    item = DigestItem(
        rank=1,
        paper=Paper(
            arxiv_id="2104.00743",
            title="Fast & <b>Sparse</b> Attention",
            authors=("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"),
            abstract="We make attention sparse.\n\nIt is fast.",
            categories=("cs.LG", "cs.CV"),
            listing_date=MONDAY,
        ),
        score=Score(total=42, parts=(part,)),
        posts=(
            Post(
                source="twitter",
                url="https://twitter.com/ada/status/1",
                author_name="Ada",
                author_handle="ada",
                text="Look <!here>",
            ),
        ),
    )
    return Digest(
        title="Hot Papers 2021-04-05 · cs.LG",
        date=MONDAY,
        items=(item,),
        filter=("cs.LG",),
        notes=("No listing today; showing 2021-04-05.",),
    )


def test_digest_blocks_golden() -> None:
    [message] = digest_messages(small_digest())
    assert message.text == (
        "Hot Papers 2021-04-05 · cs.LG\nNo listing today; showing 2021-04-05.\n"
        "1. Fast &amp; &lt;b&gt;Sparse&lt;/b&gt; Attention (42)"
    )
    assert list(message.blocks) == [
        {"type": "header", "text": {"type": "plain_text", "text": "Hot Papers 2021-04-05 · cs.LG"}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "No listing today; showing 2021-04-05.",
                    "verbatim": True,
                }
            ],
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*1. <https://arxiv.org/abs/2104.00743|Fast &amp; &lt;b&gt;Sparse&lt;/b&gt;"
                " Attention>*\nAda Lovelace, Alan Turing, Grace Hopper, +1 more\n"
                "score 42 (2 posts by 2 accounts, 30 reposts, 12 likes) · `cs.LG` `cs.CV`",
                "verbatim": True,
            },
        },
        {
            "type": "actions",
            "block_id": "links_1",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "abs"},
                    "url": "https://arxiv.org/abs/2104.00743",
                    "action_id": "hotpapers_abs_1",
                    "value": "2104.00743",
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "pdf"},
                    "url": "https://arxiv.org/pdf/2104.00743",
                    "action_id": "hotpapers_pdf_1",
                    "value": "2104.00743",
                },
            ],
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Reply with a number in this thread (e.g. `1`) for the abstract and posts.",
                    "verbatim": True,
                }
            ],
        },
    ]


def test_thread_and_card_golden() -> None:
    digest = small_digest()
    [thread] = digest_thread_messages(digest)
    texts = [b["text"]["text"] for b in thread.blocks if b["type"] == "section"]
    assert texts == [
        "*1. <https://arxiv.org/abs/2104.00743|Fast &amp; &lt;b&gt;Sparse&lt;/b&gt; Attention>*",
        "*Authors:* Ada Lovelace, Alan Turing, Grace Hopper, Edsger Dijkstra",
        "*Score 42 (2 posts by 2 accounts, 30 reposts, 12 likes)*\n"
        "• twitter: 2 posts from 2 accounts, 30 reposts, 12 likes → 42",
        "We make attention sparse.\n\nIt is fast.",
        "*Top posts*\n• Ada (@ada): “Look &lt;!here&gt;” <https://twitter.com/ada/status/1|twitter>",
    ]
    context = next(b for b in thread.blocks if b["type"] == "context")
    assert (
        context["elements"][0]["text"]
        == "arXiv:2104.00743 · cs.LG (also cs.CV) · listed 2021-04-05"
    )
    [card] = paper_card(digest.items[0])
    assert card.blocks[0]["text"]["text"].startswith("*<https://arxiv.org/abs/2104.00743|")
    assert unfurl_blocks(digest.items[0])[-1] == {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "arXiv:2104.00743 · `cs.LG` `cs.CV`", "verbatim": True}
        ],
    }


def test_hostile_title_cannot_ping_or_hide_a_link() -> None:
    item = DigestItem(
        rank=1,
        paper=Paper(arxiv_id="2104.00002", title=EVIL, abstract=EVIL, categories=("cs.LG",)),
        score=Score(total=1),
        posts=(Post(source="x", url="https://x.example/a|<!channel>", text=EVIL),),
    )
    digest = Digest(title=f"Search: {EVIL}", date=MONDAY, items=(item,))
    rendered = [m.payload() for m in digest_messages(digest) + digest_thread_messages(digest)]
    rendered += [{"blocks": unfurl_blocks(item)}]
    everything = visible_text(rendered)
    for danger in (
        "<!channel>",
        "<!here>",
        "<@U0ALICE01>",
        "<http://evil.example",
        "\u200b",
        "\u202e",
    ):
        assert danger not in everything
    assert "&lt;!channel&gt; Free GPUs for &lt;@U0ALICE01&gt;" in everything
    assert "&lt;http://evil.example|arxiv.org&gt;" in everything
    # the one link Slack will make is ours, to arXiv; the post's own URL is percent-encoded
    links = re.findall(r"<(https?://[^|>]+)\|", everything)
    assert set(links) <= {
        "https://arxiv.org/abs/2104.00002",
        "https://x.example/a%7C%3C!channel%3E",
    }


@given(st.text())
def test_escape_leaves_no_control_characters(text: str) -> None:
    escaped = escape_mrkdwn(text)
    assert "<" not in escaped and ">" not in escaped
    assert re.sub(r"&(amp|lt|gt);", "", escaped).count("&") == 0


def test_big_digests_split_within_slack_limits() -> None:
    long_title = "A very long title about " + "attention & transformers " * 40
    items = tuple(
        DigestItem(
            rank=i,
            paper=Paper(
                arxiv_id=f"2104.{i:05d}",
                title=long_title,
                authors=tuple(f"Author {n}" for n in range(300)),
                abstract="<&> " * 2000,
                categories=("cs.CV",),
            ),
            score=Score(total=100 - i),
        )
        for i in range(1, 26)
    )
    digest = Digest(title="Hot Papers " + "x" * 300, date=MONDAY, items=items)
    messages = digest_messages(digest)
    assert len(messages) == 2
    ranks = re.findall(r"\*(\d+)\. <", visible_text([m.payload() for m in messages]))
    assert ranks == [str(i) for i in range(1, 26)]  # nothing lost, nothing doubled
    every = messages + digest_thread_messages(digest) + plain_messages("line & more\n" * 2000)
    for message in every:
        assert 1 <= len(message.blocks) <= 50
        for block in message.blocks:
            text = block.get("text", {}).get("text", "")
            limit = 150 if block["type"] == "header" else 3000
            assert len(text) <= limit
            assert not re.search(r"&[a-z]{0,3}$", text), "an entity was cut in half"
        assert len(message.text) <= 3000


# -- config --------------------------------------------------------------------------------------


def test_config_defaults_and_errors_name_the_key() -> None:
    cfg = SlackConfig.from_mapping({}, "hp.toml")
    assert (cfg.mode, cfg.slash_replies, cfg.unfurl, cfg.bot_token_env) == (
        "socket",
        "in_channel",
        True,
        "SLACK_BOT_TOKEN",
    )
    with pytest.raises(ConfigError, match=r"hp.toml: \[adapters.slack\] mode"):
        SlackConfig.from_mapping({"mode": "webhook"}, "hp.toml")
    with pytest.raises(ConfigError, match="bot_token_env"):
        SlackConfig.from_mapping({"bot_token_env": "xoxb-123-abc"}, "hp.toml")
    with pytest.raises(ConfigError, match="unknown key 'token'"):
        SlackConfig.from_mapping({"token": "x"}, "hp.toml")
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN is not set") as err:
        cfg.secrets({"SLACK_BOT_TOKEN": "xoxb-secret-value"})
    assert "xoxb-secret-value" not in str(err.value)


# -- Socket Mode: slash command, mention, `3` in the digest's thread ------------------------------


async def test_socket_mode_command_mention_and_thread_reply(
    engine: Engine, fake: FakeSlack, client: Any
) -> None:
    stop = asyncio.Event()
    env = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_APP_TOKEN": "xapp-test-token"}
    config = SlackConfig(mode="socket")
    runner = asyncio.create_task(run_slack(engine, config, env, client=client, stop=stop))
    try:
        # /hotpapers top 5 today: acked, then the digest posted to the channel
        envelope = await fake.send_envelope("slash_commands", slash_payload("top 5 today"))
        await fake.wait_for(lambda: envelope in fake.acks)
        digest = await fake.wait_for(lambda: fake.posted(CHANNEL))
        assert fake.calls_to("apps.connections.open")[0].token == "xapp-test-token"
        root = digest[0]
        assert header(root) == "Hot Papers 2021-04-05"
        assert "thread_ts" not in root
        assert "Vision transformers at scale" in visible_text(root["blocks"])
        assert "<!channel>" not in visible_text(root)  # the hostile title, inert

        # a mention is answered in its own thread
        await fake.send_envelope(
            "events_api", mention(f"<@{BOT_USER}> top 2 cs.CV today", "1617634100.000200")
        )
        answer = await fake.wait_for(
            lambda: [m for m in fake.posted(CHANNEL) if m.get("thread_ts") == "1617634100.000200"]
        )
        assert header(answer[0]) == "Hot Papers 2021-04-05 · cs.CV"

        # `3` in the first digest's thread: item 3 of that digest, in that thread
        await fake.send_envelope("events_api", thread_message("3", "1617634200.000300", root["ts"]))
        details = await fake.wait_for(
            lambda: [m for m in fake.posted(CHANNEL) if m.get("thread_ts") == root["ts"]]
        )
        first = details[0]["blocks"][0]["text"]["text"]
        assert first.startswith(
            "*<https://arxiv.org/abs/2104.00003|Diffusion for video &amp; &lt;sound&gt;>*"
        )

        # chatter in a thread that is not a digest's is left alone; so is the bot's own message
        await fake.send_envelope(
            "events_api", thread_message("3", "1617634300.000400", "1617600000.000001")
        )
        await fake.send_envelope(
            "events_api", thread_message("3", "1617634300.000500", root["ts"], user=BOT_USER)
        )
        marker = await fake.send_envelope(
            "events_api", mention(f"<@{BOT_USER}> help", "1617634400.000600")
        )
        await fake.wait_for(
            lambda: [m for m in fake.posted(CHANNEL) if m.get("thread_ts") == "1617634400.000600"]
        )
        assert marker in fake.acks
        click = await fake.send_envelope(
            "interactive",
            {
                "type": "block_actions",
                "user": {"id": ALICE},
                "team": {"id": TEAM},
                "api_app_id": "A0HOTPAPR",
                "channel": {"id": CHANNEL},
                "container": {"type": "message", "message_ts": root["ts"]},
                "actions": [
                    {
                        "type": "button",
                        "action_id": "hotpapers_abs_1",
                        "block_id": "links_1",
                        "value": "2104.00001",
                        "action_ts": "1617634500.000700",
                    }
                ],
                "trigger_id": "1.2.3",
            },
        )
        await fake.wait_for(lambda: click in fake.acks)  # a link button's click is acknowledged
        assert [m for m in fake.posted(CHANNEL) if m.get("thread_ts") == "1617600000.000001"] == []
        assert len([m for m in fake.posted(CHANNEL) if m.get("thread_ts") == root["ts"]]) == 1
    finally:
        stop.set()
        await runner


# -- HTTP mode: signatures, link unfurls, permissions, DMs -------------------------------------


async def test_http_refuses_bad_and_stale_signatures(http: str, fake: FakeSlack) -> None:
    challenge = sample("url_challenge.json", {"type": "url_verification", "challenge": "c"})
    status, text = await post_event(http, challenge)
    assert status == 200 and json.loads(text)["challenge"] == challenge["challenge"]

    payload = slash_payload("top 5 today", fake=fake)
    assert (await post_command(http, payload, secret="not-the-secret"))[0] == 401
    assert (await post_command(http, payload, age=10 * 60))[0] == 401  # a replayed old request
    assert (await post_event(http, mention(f"<@{BOT_USER}> top", "1617634000.000001"), age=600))[
        0
    ] == 401
    assert fake.calls_to("chat.postMessage") == []

    assert (await post_command(http, payload))[0] == 200
    posted = await fake.wait_for(lambda: fake.posted(CHANNEL))
    assert header(posted[0]) == "Hot Papers 2021-04-05"


async def test_pasted_link_is_unfurled_or_answered_in_its_thread(
    http: str, fake: FakeSlack
) -> None:
    status, _ = await post_event(http, link_shared("https://arxiv.org/abs/2104.00001v2"))
    assert status == 200
    [call] = await fake.wait_for(lambda: fake.calls_to("chat.unfurl", ok=True))
    assert (call.args["channel"], call.args["ts"]) == (CHANNEL, "1617634000.000100")
    card = call.args["unfurls"]["https://arxiv.org/abs/2104.00001v2"]["blocks"]
    assert "<https://arxiv.org/abs/2104.00001|Vision transformers at scale>" in visible_text(card)

    fake.fail("chat.unfurl", "cannot_unfurl_url")
    await post_event(http, link_shared("https://arxiv.org/pdf/2104.00004.pdf", "1617634000.000200"))
    [reply] = await fake.wait_for(lambda: fake.posted(CHANNEL))
    assert reply["thread_ts"] == "1617634000.000200"
    assert "Language models read papers" in visible_text(reply["blocks"])


async def test_talk_in_a_digest_thread_is_left_alone_and_commands_are_answered(
    engine: Engine, fake: FakeSlack, client: Any
) -> None:
    """Defect 8: "nice paper, thanks!" under a digest got "I don't know `nice`". Only a bare
    number or a message starting with a command word is for the bot there (or a mention).
    Bolt answers each event only once the bot is done with it, so "no answer" is certain."""
    app = build_app(
        engine, CONFIG, client=client, signing_secret=SECRET, process_before_response=True
    )
    runner, port = await start_http(app, CONFIG)
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        await post_command(url, slash_payload("top 5 today", fake=fake))
        [root] = await fake.wait_for(lambda: fake.posted(CHANNEL))
        thread = root["ts"]

        chatter = ["nice paper, thanks!", "Great list", "so 3 of them?", f"<@{ALICE}> nice!"]
        for i, talk in enumerate(chatter):
            await post_event(url, thread_message(talk, f"1617634200.00010{i}", thread))
        assert thread_of(fake, thread) == []

        await post_event(url, thread_message("3", "1617634200.000200", thread))
        [item] = thread_of(fake, thread)
        assert "Diffusion for video" in visible_text(item["blocks"])

        await post_event(url, thread_message("top 3 cs.CV", "1617634200.000300", thread))
        assert header(thread_of(fake, thread)[1]) == "Hot Papers 2021-04-05 · cs.CV"

        await post_event(url, mention(f"<@{BOT_USER}> nice paper", "1617634200.000400", thread))
        assert "nice" in visible_text(thread_of(fake, thread)[2]["blocks"])  # asked: answered
        assert len(thread_of(fake, thread)) == 3
    finally:
        await runner.cleanup()


def channel_subscriptions(store: Store) -> list[Subscription]:
    return [
        s
        for s in SubscriptionStore(store).active()
        if (s.platform, s.channel) == ("slack", CHANNEL)
    ]


async def test_only_admins_change_subscriptions(http: str, fake: FakeSlack, store: Store) -> None:
    command = "subscribe cs.CV cs.LG top 5 at 09:00 Europe/Berlin"
    await post_command(http, slash_payload(command, user=ALICE, fake=fake))
    [refusal] = await fake.wait_for(lambda: fake.posted(CHANNEL))
    assert "only channel admins" in visible_text(refusal["blocks"])
    assert channel_subscriptions(store) == []

    await post_command(http, slash_payload(command, user=ADMIN, fake=fake))
    await fake.wait_for(lambda: len(fake.posted(CHANNEL)) == 2)
    assert "Subscribed" in visible_text(fake.posted(CHANNEL)[1]["blocks"])
    [sub] = channel_subscriptions(store)
    assert (sub.filters, sub.n, sub.timezone) == (("cs.CV", "cs.LG"), 5, "Europe/Berlin")

    # listed in [adapters.slack] admins without a workspace role: may unsubscribe
    await post_command(http, slash_payload("unsubscribe", user=LISTED, fake=fake))
    await fake.wait_for(lambda: len(fake.posted(CHANNEL)) == 3)
    assert channel_subscriptions(store) == []


async def test_direct_message_and_ephemeral_replies(
    engine: Engine, fake: FakeSlack, client: Any
) -> None:
    config = SlackConfig(mode="http", host="127.0.0.1", port=0, slash_replies="ephemeral")
    app = build_app(engine, config, client=client, signing_secret=SECRET)
    runner, port = await start_http(app, config)
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        dm = event_callback(
            "AppMentionPayload.json",
            {
                "type": "message",
                "user": ALICE,
                "text": "paper 2104.00004",
                "ts": "1617634000.000900",
                "channel": "D0ALICE01",
                "channel_type": "im",
                "event_ts": "1617634000.000900",
            },
        )
        await post_event(url, dm)
        [answer] = await fake.wait_for(lambda: fake.posted("D0ALICE01"))
        assert "Language models read papers" in visible_text(answer["blocks"])

        await post_command(url, slash_payload("top 3 today", fake=fake, hook="h2"))
        [ephemeral] = await fake.wait_for(lambda: fake.calls_to("response_url"))
        assert ephemeral.args["response_type"] == "ephemeral"
        assert ephemeral.args["blocks"][0]["text"]["text"] == "Hot Papers 2021-04-05"
        assert fake.posted(CHANNEL) == []
    finally:
        await runner.cleanup()


# -- publishing scheduled digests -------------------------------------------------------------


def thread_of(fake: FakeSlack, root: str) -> list[dict[str, Any]]:
    return [m for m in fake.posted(CHANNEL) if m.get("thread_ts") == root]


async def test_digest_published_once_with_abstracts_in_its_thread(
    engine: Engine, fake: FakeSlack, client: Any
) -> None:
    publisher = SlackPublisher(client)
    digest = engine.digest(on=MONDAY, n=3)
    assert isinstance(digest, Digest)

    sent = await publisher.publish_digest(CHANNEL, digest, idempotency_key="digest:2021-04-05::3")
    [root] = [m for m in fake.posted(CHANNEL) if "thread_ts" not in m]
    assert root["metadata"] == {
        "event_type": EVENT_TYPE,
        "event_payload": {"key": "digest:2021-04-05::3"},
    }
    assert sent.thread == root["ts"] and sent.message_ids[0] == root["ts"]
    replies = thread_of(fake, root["ts"])
    assert [r["blocks"][0]["text"]["text"][:4] for r in replies] == ["*1. ", "*2. ", "*3. "]
    assert "Abstract of 2104.00001." in visible_text(replies[0]["blocks"])

    again = await publisher.publish_digest(CHANNEL, digest, idempotency_key="digest:2021-04-05::3")
    assert again.message_ids == sent.message_ids and again.thread == root["ts"]
    found = await publisher.find_published(CHANNEL, "digest:2021-04-05::3")
    assert found is not None and found.thread == root["ts"]
    assert await publisher.find_published(CHANNEL, "digest:2021-04-06::3") is None
    assert len(fake.posted(CHANNEL)) == 4  # no second post


async def test_a_digest_whose_thread_was_cut_short_gets_only_the_missing_replies(
    engine: Engine, fake: FakeSlack, client: Any
) -> None:
    """The digest landed but its thread stopped (the answer lost, Slack down for a moment):
    publishing again finishes the thread and never posts the digest twice."""
    publisher = SlackPublisher(client)
    digest = engine.digest(on=MONDAY, n=3)
    assert isinstance(digest, Digest)
    key = "digest:2021-04-05::3"
    real_post = publisher._post
    posted = 0

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        nonlocal posted
        posted += 1
        if posted == 3:  # the root and reply 1 are out; reply 2 fails
            raise aiohttp.ClientConnectionError("connection reset by peer")
        return await real_post(*args, **kwargs)

    publisher._post = flaky  # type: ignore[method-assign]
    first = await publisher.publish_digest(CHANNEL, digest, idempotency_key=key)
    assert first.extras.get("thread_incomplete") == "true" and len(first.message_ids) == 2
    [root] = [m for m in fake.posted(CHANNEL) if "thread_ts" not in m]
    assert len(thread_of(fake, root["ts"])) == 1

    again = await publisher.publish_digest(CHANNEL, digest, idempotency_key=key)
    assert [m for m in fake.posted(CHANNEL) if "thread_ts" not in m] == [root]  # one digest
    replies = thread_of(fake, root["ts"])
    assert [r["blocks"][0]["text"]["text"][:4] for r in replies] == ["*1. ", "*2. ", "*3. "]
    assert again.message_ids == (root["ts"], *(r["ts"] for r in replies))
    assert "thread_incomplete" not in again.extras


async def test_scheduled_delivery_posts_once(
    store: Store, engine: Engine, fake: FakeSlack, client: Any
) -> None:
    berlin_9 = datetime(2021, 4, 5, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    sub = SubscriptionStore(store).save(
        Subscription(
            platform="slack", channel=CHANNEL, filters=("cs.CV",), n=2, timezone="Europe/Berlin"
        )
    )
    service = DeliveryService(
        store, engine, {"slack": SlackPublisher(client)}, clock=lambda: berlin_9
    )
    first = await service.deliver(sub, scheduled_for=berlin_9)
    second = await service.deliver(sub, scheduled_for=berlin_9)
    assert (first.status, second.status) == (d.SENT, d.ALREADY_SENT)
    roots = [m for m in fake.posted(CHANNEL) if "thread_ts" not in m]
    assert len(roots) == 1 and header(roots[0]) == "Hot Papers 2021-04-05 · cs.CV"
    assert len(thread_of(fake, roots[0]["ts"])) == 2


async def test_429_retry_after_is_honoured_without_loss_or_doubles(
    engine: Engine, fake: FakeSlack, client: Any, sleeps: list[float]
) -> None:
    digest = engine.digest(on=MONDAY, n=3)
    assert isinstance(digest, Digest)
    fake.rate_limit_once("chat.postMessage", 7)  # the root message
    sent = await SlackPublisher(client).publish_digest(CHANNEL, digest, idempotency_key="k1")
    fake.rate_limit_once("chat.postMessage", 3, after=1)  # a thread reply
    other = await SlackPublisher(client).publish_digest("C0OTHER01", digest, idempotency_key="k2")

    assert sleeps == [7.0, 3.0]
    assert len(fake.calls_to("chat.postMessage", ok=False)) == 2
    for channel, result in ((CHANNEL, sent), ("C0OTHER01", other)):
        posted = fake.posted(channel)
        assert len(posted) == 4 == len(result.message_ids)  # root + 3 abstracts, each once
        assert len({m["text"] for m in posted}) == 4


async def test_long_waits_and_permanent_errors_become_delivery_errors(
    engine: Engine, fake: FakeSlack, client: Any
) -> None:
    digest = engine.digest(on=MONDAY, n=2)
    assert isinstance(digest, Digest)
    publisher = SlackPublisher(client)
    fake.rate_limit_once("chat.postMessage", 600)  # longer than the client waits
    with pytest.raises(DeliveryError) as waited:
        await publisher.publish_digest(CHANNEL, digest, idempotency_key="k3")
    assert waited.value.transient and waited.value.retry_after == 600
    for error in ("not_in_channel", "is_archived", "channel_not_found", "account_inactive"):
        fake.fail("chat.postMessage", error, channel="C0GONE001")
        with pytest.raises(DeliveryError) as failed:
            await publisher.publish_digest("C0GONE001", digest, idempotency_key="k4")
        assert not failed.value.transient and error in str(failed.value)
    assert fake.posted() == []


async def test_slash_command_where_the_bot_cannot_post_answers_via_response_url(
    http: str, fake: FakeSlack
) -> None:
    fake.fail("chat.postMessage", "not_in_channel", channel="C0PRIVATE")
    payload = {**slash_payload("top 2 today", fake=fake), "channel_id": "C0PRIVATE"}
    assert (await post_command(http, payload))[0] == 200
    [answer] = await fake.wait_for(lambda: fake.calls_to("response_url"))
    assert answer.args["response_type"] == "in_channel"
    assert answer.args["blocks"][0]["text"]["text"] == "Hot Papers 2021-04-05"


def test_manifest_declares_what_the_app_listens_to() -> None:
    manifest = (REPO / "adapters" / "slack" / "manifest.yml").read_text(encoding="utf-8")
    for needed in (
        "command: /hotpapers",
        "- app_mention",
        "- message.channels",
        "- message.im",
        "- link_shared",
        "- arxiv.org",
        "socket_mode_enabled: true",
        "- links:write",
        "- users:read",
        "- channels:history",
    ):
        assert needed in manifest, needed


async def test_only_admins_add_alerts(store: Store, fake: FakeSlack, client: Any) -> None:
    engine = Engine(store, clock=lambda: NOW, alerts=AlertService(store, clock=lambda: NOW))
    app = build_app(engine, CONFIG, client=client, signing_secret=SECRET)
    runner, port = await start_http(app, CONFIG)
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        await post_command(url, slash_payload("alert cs.CV above 300", user=ALICE, fake=fake))
        [refusal] = await fake.wait_for(lambda: fake.posted(CHANNEL))
        assert "only channel admins can add alerts" in visible_text(refusal["blocks"])
        assert AlertStore(store).all() == []

        await post_command(url, slash_payload("alert cs.CV above 300", user=ADMIN, fake=fake))
        await fake.wait_for(lambda: len(fake.posted(CHANNEL)) == 2)
        assert "Alert set" in visible_text(fake.posted(CHANNEL)[1]["blocks"])
        [alert] = AlertStore(store).all()
        assert (alert.platform, alert.channel, alert.describe()) == (
            "slack",
            CHANNEL,
            "cs.CV above 300",
        )
    finally:
        await runner.cleanup()
