"""Answers to mentions on X, Bluesky and Mastodon: the real SDKs against fakes on 127.0.0.1."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.social import bluesky, mastodon, x
from adapters.social.bluesky_mentions import BlueskyMentions
from adapters.social.config import SocialConfig
from adapters.social.mentions import MastodonMentions
from adapters.social.render import LIMITS, grapheme_length, weighted_length
from adapters.social.thread import StoreBudget, StoreLedger
from adapters.social.x_mentions import XMentions
from bot.domain.subscription import Subscription
from bot.ports import Publisher
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine
from bot.services.rate_buckets import RateLimit
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore
from tests.fakes.attention_fakes import Fake, json_answer, serve
from tests.fakes.social_fakes import (
    BOT_DID,
    BOT_X_ID,
    BlueskyNotificationsFake,
    Posts,
    XMentionsFake,
    bluesky_fake,
    bluesky_notification,
    bluesky_post_view,
    bluesky_record,
    mastodon_context,
    mastodon_fake,
    mastodon_mention,
    mastodon_status,
    x_fake,
    x_tweet,
)
from tests.helpers import aggregate, paper

ENV = {
    "X_API_KEY": "key",
    "X_API_SECRET": "secret",
    "X_ACCESS_TOKEN": "token",
    "X_ACCESS_SECRET": "token-secret",
    "BSKY_HANDLE": "hotpapers.bsky.social",
    "BSKY_APP_PASSWORD": "xxxx-xxxx-xxxx-xxxx",
    "MASTODON_ACCESS_TOKEN": "mastodon-token",
}
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2021, 4, 5)
MONDAY_9 = datetime(2021, 4, 5, 9, 0, tzinfo=BERLIN)
IDS = ["2104.00001", "2104.00002", "2104.00003", "2104.00004"]  # ranked 4, 3, 2, 1
UMLAUT = "Über naïve façades: déjà vu 🚀 in 日本"  # 2104.00001's title
ANA, EVE = "2000000000000000001", "2000000000000000002"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "hotpapers.db")
    s.upsert_papers(
        [paper(pid, MONDAY, ("cs.CV",), title=UMLAUT if pid == IDS[0] else None) for pid in IDS]
    )
    s.upsert_observations([aggregate(pid, 100 * (i + 1), 10) for i, pid in enumerate(IDS)])
    yield s
    s.close()


def engine(store: Store) -> Engine:
    return Engine(store, clock=lambda: MONDAY_9)


def client(platform: str, fake: Fake) -> Any:
    module = {"x": x, "bluesky": bluesky, "mastodon": mastodon}[platform]
    config = SocialConfig.from_mapping(platform, {"base_url": fake.url}, "test.toml")
    return module.make_client(config, config.secrets(ENV))


async def post_digest(store: Store, platform: str, publisher: Publisher) -> Subscription:
    """A cs.CV top-3 digest posted as a thread through the real publisher and DeliveryService."""
    sub = SubscriptionStore(store).save(
        Subscription(
            platform=platform,
            channel="main",
            filters=("cs.CV",),
            n=3,
            at=time(9, 0),
            timezone="Europe/Berlin",
            created_at=datetime(2021, 4, 1, tzinfo=UTC),
        )
    )
    service = DeliveryService(
        store,
        engine(store),
        {platform: publisher},
        clock=lambda: MONDAY_9,
        limits={platform: RateLimit(per_channel=None)},
    )
    outcome = await service.deliver(sub, scheduled_for=MONDAY_9)
    assert outcome.posted, outcome
    return sub


class ThreadSpy:
    """Wraps an SDK client: records the thread each of its methods was called on."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[tuple[str, int]] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, threading.get_ident()))
            return attr(*args, **kwargs)

        return call


# -- X -------------------------------------------------------------------------------------------


def x_answers(posts: Posts) -> dict[str, str]:
    """Answers by the mention they reply to."""
    return {b["reply"]["in_reply_to_tweet_id"]: b["text"] for b in posts.bodies if "reply" in b}


async def test_x_mentions_are_answered_in_reply_after_a_silent_first_poll(store: Store) -> None:
    mentions = XMentionsFake(users={ANA: "ana", EVE: "eve", BOT_X_ID: "hotpapers"})
    mentions.mentions.append(x_tweet("1000000000000000001", ANA, "@hotpapers top 3 cs.CV"))
    eve_tweet = x_tweet(
        "1000000000000000050", EVE, "Wow, this one", links=("https://arxiv.org/abs/2104.00003",)
    )
    own = x_tweet("1000000000000000060", BOT_X_ID, "1. Paper 2104.00004", links=(IDS[3],))
    mentions.tweets = {t["id"]: t for t in (eve_tweet, own)}
    with serve() as fake:
        posts = Posts()
        x_fake(fake, posts)
        mentions.install(fake)
        poller = XMentions(client("x", fake), engine(store), store)
        assert await poller.poll_once() == 0  # first run: the backlog stays unanswered
        assert posts.bodies == []
        mentions.mentions += [
            x_tweet("1000000000000000103", ANA, "@hotpapers top 3 cs.CV today"),
            x_tweet("1000000000000000101", BOT_X_ID, "@hotpapers top 3 cs.CV"),  # the bot itself
            x_tweet(
                "1000000000000000102",
                ANA,
                "@eve @hotpapers",
                replied_to=eve_tweet["id"],
                conversation_id=eve_tweet["id"],
            ),
            x_tweet("1000000000000000104", ANA, "@hotpapers great thread", replied_to=own["id"]),
        ]
        assert await poller.poll_once() == 2
        assert await poller.poll_once() == 0  # the cursor: nothing answered twice
        polls = fake.requests(f"/2/users/{BOT_X_ID}/mentions")
    answers = x_answers(posts)
    assert set(answers) == {"1000000000000000102", "1000000000000000103"}
    top = answers["1000000000000000103"]
    assert top.startswith("Hot Papers 2021-04-05 · cs.CV\n1. Paper 2104.00004")
    assert "3. Paper 2104.00002" in top and "https://arxiv.org/abs/2104.00002" in top
    card = answers["1000000000000000102"]  # the replied-to tweet's link, not its t.co
    assert card.startswith("Paper 2104.00003\nscore ")
    assert card.endswith("https://arxiv.org/abs/2104.00003")
    assert [a for a in answers.values() if weighted_length(a) > LIMITS["x"]] == []
    assert polls[0].param("since_id") is None
    assert polls[1].param("since_id") == "1000000000000000001"
    assert polls[2].param("since_id") == "1000000000000000104"
    assert "referenced_tweets.id" in (polls[1].param("expansions") or "")
    assert polls[1].headers["authorization"].startswith("OAuth ")  # user context


async def test_x_first_poll_with_no_mentions_answers_what_comes_next(store: Store) -> None:
    mentions = XMentionsFake(users={ANA: "ana"})
    with serve() as fake:
        posts = Posts()
        x_fake(fake, posts)
        mentions.install(fake)
        poller = XMentions(client("x", fake), engine(store), store)
        assert await poller.poll_once() == 0
        mentions.mentions.append(x_tweet("1000000000000000201", ANA, "@hotpapers paper 2104.00001"))
        assert await poller.poll_once() == 1
    (body,) = posts.bodies
    assert body["reply"]["in_reply_to_tweet_id"] == "1000000000000000201"
    assert body["text"].startswith(UMLAUT)


async def test_x_a_number_in_a_digest_thread_answers_that_item(store: Store) -> None:
    mentions = XMentionsFake(users={ANA: "ana"})
    with serve() as fake:
        posts = Posts()
        x_fake(fake, posts)
        mentions.install(fake)
        x_client = client("x", fake)
        await post_digest(store, "x", x.XPublisher(x_client, ledger=StoreLedger(store, "x")))
        thread = list(posts.ids)
        assert len(thread) == 4
        poller = XMentions(x_client, engine(store), store)
        await poller.poll_once()
        mentions.mentions += [
            # under the second reply of the thread; and under someone else's reply in it
            x_tweet("1000000000000000301", ANA, "@hotpapers 3", replied_to=thread[2]),
            x_tweet(
                "1000000000000000302",
                ANA,
                "@eve @hotpapers 1",
                replied_to="1999999999999999999",
                conversation_id=thread[0],
            ),
        ]
        assert await poller.poll_once() == 2
    answers = x_answers(posts)
    assert answers["1000000000000000301"].startswith("Paper 2104.00002\n")
    assert answers["1000000000000000302"].startswith("Paper 2104.00004\n")


async def test_x_spent_budget_posts_nothing_and_warns_once(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    mentions = XMentionsFake(users={ANA: "ana"})
    budget = StoreBudget(store, "x")
    budget.spend(datetime.now(UTC).date().isoformat(), 17)
    with serve() as fake:
        posts = Posts()
        x_fake(fake, posts)
        mentions.install(fake)
        poller = XMentions(client("x", fake), engine(store), store, daily_budget=17, budget=budget)
        await poller.poll_once()
        mentions.mentions += [
            x_tweet("1000000000000000401", ANA, "@hotpapers top 3 cs.CV"),
            x_tweet("1000000000000000402", ANA, "@hotpapers paper 2104.00001"),
        ]
        with caplog.at_level(logging.WARNING):
            assert await poller.poll_once() == 0
    assert posts.bodies == []
    warnings = [r for r in caplog.records if "budget" in r.getMessage()]
    assert len(warnings) == 1
    assert store.get_cursor("mentions:x") == "1000000000000000402"  # no answer storm later


async def test_x_a_failing_read_is_a_warning_without_secrets(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with serve() as fake:
        fake.route("/2/users/me", json_answer({"title": "Unauthorized"}, 401))
        poller = XMentions(client("x", fake), engine(store), store)
        with caplog.at_level(logging.WARNING):
            assert await poller.poll_once() == 0
    assert "Unauthorized" in caplog.text
    assert "token" not in caplog.text and "secret" not in caplog.text


# -- Bluesky ---------------------------------------------------------------------------------------

ANA_DID, EVE_DID = "did:plc:ana", "did:plc:eve"
BOT_AT = "@hotpapers.bsky.social"


def bsky_answers(posts: Posts) -> dict[str, dict[str, Any]]:
    """Answer records by the uri of the post they reply to."""
    return {b["record"]["reply"]["parent"]["uri"]: b["record"] for b in posts.bodies}


def strong(ref: dict[str, Any]) -> tuple[str, str]:
    return ref["uri"], ref["cid"]


def bsky_mention(n: int, text: str, **kwargs: Any) -> dict[str, Any]:
    record = bluesky_record(text, mention=(BOT_AT, BOT_DID), **kwargs)
    return bluesky_notification(n, ANA_DID, "ana.bsky.social", "mention", record)


async def test_bluesky_mentions_are_answered_with_reply_refs_and_facets(store: Store) -> None:
    eve_root = (f"at://{EVE_DID}/app.bsky.feed.post/3kroot", "bafyreieveroot")
    eve_post = (f"at://{EVE_DID}/app.bsky.feed.post/3kpaper", "bafyreievepaper")
    notes = BlueskyNotificationsFake()
    notes.posts[eve_post[0]] = bluesky_post_view(
        *eve_post,
        EVE_DID,
        "eve.bsky.social",
        bluesky_record(
            "Read this! arxiv.org/abs/2104.000…",
            parent=eve_root,
            links=(("arxiv.org/abs/2104.000…", "https://arxiv.org/abs/2104.00001"),),
        ),
    )
    notes.notifications.append(bsky_mention(1, f"{BOT_AT} top 3 cs.CV"))
    with serve() as fake:
        posts = Posts()
        bluesky_fake(fake, posts)
        notes.install(fake)
        poller = BlueskyMentions(client("bluesky", fake), engine(store), store, own_did=BOT_DID)
        assert await poller.poll_once() == 0  # first run: the backlog stays unanswered
        notes.notifications += [
            bsky_mention(2, f"{BOT_AT} top 3 cs.CV today"),
            bsky_mention(3, f"{BOT_AT}", parent=eve_post, root=eve_root),
            bluesky_notification(
                4, BOT_DID, "hotpapers.bsky.social", "mention", bluesky_record(f"{BOT_AT} top")
            ),
            bluesky_notification(5, EVE_DID, "eve.bsky.social", "like", bluesky_record("")),
        ]
        assert await poller.poll_once() == 2
        assert await poller.poll_once() == 0
    answers = bsky_answers(posts)
    top_uri = f"at://{ANA_DID}/app.bsky.feed.post/3kmention0002"
    card_uri = f"at://{ANA_DID}/app.bsky.feed.post/3kmention0003"
    assert set(answers) == {top_uri, card_uri}
    top = answers[top_uri]
    assert strong(top["reply"]["root"]) == (top_uri, "bafyreimention0002")
    assert top["text"].startswith("Hot Papers 2021-04-05 · cs.CV\n1. Paper 2104.00004")
    card = answers[card_uri]
    assert strong(card["reply"]["root"]) == eve_root
    assert strong(card["reply"]["parent"]) == (card_uri, "bafyreimention0003")
    assert card["text"].startswith(UMLAUT)
    for record in answers.values():
        assert grapheme_length(record["text"]) <= LIMITS["bluesky"]
        data = record["text"].encode("utf-8")
        for facet in record["facets"]:
            label = data[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode()
            assert "https://" + label == facet["features"][0]["uri"]
    (card_link,) = card["facets"]
    assert card_link["features"][0]["uri"] == "https://arxiv.org/abs/2104.00001"


async def test_bluesky_a_number_in_a_digest_thread_answers_that_item(store: Store) -> None:
    notes = BlueskyNotificationsFake()
    with serve() as fake:
        posts = Posts()
        bluesky_fake(fake, posts)
        notes.install(fake)
        bsky = client("bluesky", fake)
        ledger = StoreLedger(store, "bluesky")
        await post_digest(store, "bluesky", bluesky.BlueskyPublisher(bsky, ledger=ledger))
        thread = [bluesky.split_id(i) for i in posts.ids]
        poller = BlueskyMentions(bsky, engine(store), store, own_did=BOT_DID)
        await poller.poll_once()
        reply = bluesky_record("3", parent=thread[1], root=thread[0])
        notes.notifications.append(
            bluesky_notification(7, ANA_DID, "ana.bsky.social", "reply", reply)
        )
        assert await poller.poll_once() == 1
    answer = posts.bodies[-1]["record"]
    assert answer["text"].startswith("Paper 2104.00002\n")
    assert strong(answer["reply"]["root"]) == thread[0]


async def test_bluesky_a_post_notified_as_mention_then_as_reply_is_answered_once(
    store: Store,
) -> None:
    notes = BlueskyNotificationsFake()
    with serve() as fake:
        posts = Posts()
        bluesky_fake(fake, posts)
        notes.install(fake)
        poller = BlueskyMentions(client("bluesky", fake), engine(store), store, own_did=BOT_DID)
        assert await poller.poll_once() == 0
        mention = bsky_mention(2, f"{BOT_AT} paper 2104.00001")
        notes.notifications.append(mention)
        assert await poller.poll_once() == 1
        # the same post again, now notified as a reply (indexed later): a later poll sees it
        notes.notifications.append(
            {**mention, "reason": "reply", "indexedAt": "2026-11-24T09:30:00.000Z"}
        )
        notes.notifications.append(bsky_mention(3, f"{BOT_AT} paper 2104.00002"))
        assert await poller.poll_once() == 1
        assert await poller.poll_once() == 0
    answered = [b["record"]["reply"]["parent"]["uri"] for b in posts.bodies]
    assert answered == [mention["uri"], f"at://{ANA_DID}/app.bsky.feed.post/3kmention0003"]


# -- Mastodon --------------------------------------------------------------------------------------

BOT_LINK = '<span class="h-card"><a href="https://mastodon.example/@hotpapers">@<span>hotpapers</span></a></span>'


async def test_mastodon_a_number_in_a_digest_thread_answers_that_item(store: Store) -> None:
    with serve() as fake:
        posts = Posts()
        mastodon_fake(fake, posts)
        masto = client("mastodon", fake)
        publisher = mastodon.MastodonPublisher(masto, ledger=StoreLedger(store, "mastodon"))
        await post_digest(store, "mastodon", publisher)
        thread = list(posts.ids)
        own_reply = mastodon_status(thread[1], "hotpapers", "<p>1. Paper 2104.00004</p>")
        eve_reply = mastodon_status("2999", "eve", "<p>So good</p>", thread[2])
        notes = [
            mastodon_mention(
                "21", mastodon_status("2001", "ana", f"<p>{BOT_LINK} 3</p>", thread[3])
            ),
            mastodon_mention(
                "22", mastodon_status("2002", "bob", f"<p>{BOT_LINK} nice!</p>", thread[1])
            ),
            # under someone else's reply inside the digest thread: found through its ancestors
            mastodon_mention(
                "23", mastodon_status("2003", "carl", f"<p>{BOT_LINK} 1</p>", eve_reply["id"])
            ),
        ]
        ancestors = [mastodon_status(t, "hotpapers", "<p>…</p>") for t in thread[:3]]
        mastodon_context(fake, "2003", [*ancestors, eve_reply])
        fake.route("/api/v1/notifications", json_answer([]), json_answer(notes), json_answer([]))
        fake.route(f"/api/v1/statuses/{thread[1]}", json_answer(own_reply))
        poller = MastodonMentions(masto, engine(store), store, own_account="hotpapers")
        assert await poller.poll_once() == 0  # first run: nothing to catch up on
        assert await poller.poll_once() == 2  # "nice!" under the bot's own post asks nothing
        direct_context = fake.requests("/api/v1/statuses/2001/context")
    answers = {b["in_reply_to_id"]: b["status"] for b in posts.bodies[len(thread) :]}
    assert set(answers) == {"2001", "2003"}
    assert answers["2001"].startswith("@ana Paper 2104.00002\n")
    assert answers["2003"].startswith("@carl Paper 2104.00004\n")
    assert direct_context == []  # a reply straight to a digest post needs no thread lookup


async def test_x_a_number_under_a_digest_of_a_removed_subscription_still_answers(
    store: Store,
) -> None:
    mentions = XMentionsFake(users={ANA: "ana"})
    with serve() as fake:
        posts = Posts()
        x_fake(fake, posts)
        mentions.install(fake)
        x_client = client("x", fake)
        sub = await post_digest(store, "x", x.XPublisher(x_client, ledger=StoreLedger(store, "x")))
        thread = list(posts.ids)
        assert sub.id is not None
        SubscriptionStore(store).delete(sub.id)
        assert SubscriptionStore(store).all("x") == []
        poller = XMentions(x_client, engine(store), store)
        await poller.poll_once()
        mentions.mentions.append(
            x_tweet("1000000000000000601", ANA, "@hotpapers 3", replied_to=thread[0])
        )
        assert await poller.poll_once() == 1
    assert x_answers(posts)["1000000000000000601"].startswith("Paper 2104.00002\n")


async def test_mastodon_first_poll_answers_no_backlog_and_logs_the_cursor(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    old = [mastodon_mention("41", mastodon_status("4001", "ana", f"<p>{BOT_LINK} top</p>"))]
    new = [mastodon_mention("42", mastodon_status("4002", "ana", f"<p>{BOT_LINK} top</p>"))]
    with serve() as fake:
        posts = Posts()
        mastodon_fake(fake, posts)
        fake.route("/api/v1/notifications", json_answer(old), json_answer(new), json_answer([]))
        poller = MastodonMentions(client("mastodon", fake), engine(store), store)
        with caplog.at_level(logging.INFO):
            assert await poller.poll_once() == 0
        assert posts.bodies == []
        assert "first poll" in caplog.text and "41" in caplog.text
        assert await poller.poll_once() == 1
        polls = fake.requests("/api/v1/notifications")
    assert [b["in_reply_to_id"] for b in posts.bodies] == ["4002"]
    assert polls[1].param("min_id") == "41"


async def test_mastodon_spent_budget_posts_nothing(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    budget = StoreBudget(store, "mastodon")
    budget.spend(datetime.now(UTC).date().isoformat(), 2)
    notes = [mastodon_mention("31", mastodon_status("3001", "ana", f"<p>{BOT_LINK} top</p>"))]
    with serve() as fake:
        posts = Posts()
        mastodon_fake(fake, posts)
        fake.route("/api/v1/notifications", json_answer([]), json_answer(notes), json_answer([]))
        poller = MastodonMentions(
            client("mastodon", fake), engine(store), store, daily_budget=2, budget=budget
        )
        assert await poller.poll_once() == 0
        with caplog.at_level(logging.WARNING):
            assert await poller.poll_once() == 0
    assert posts.bodies == []
    assert "budget" in caplog.text
    assert store.get_cursor("mentions:mastodon") == "31"


# -- off the event loop ----------------------------------------------------------------------------


@pytest.mark.parametrize("platform", ["x", "bluesky", "mastodon"])
async def test_sdk_calls_run_off_the_event_loop_thread(platform: str, store: Store) -> None:
    """The loop's thread only touches the store (SQLite refuses other threads) and the engine."""
    with serve() as fake:
        posts = Posts()
        x_fake(fake, posts)
        bluesky_fake(fake, posts)
        mastodon_fake(fake, posts)
        x_mentions = XMentionsFake(users={ANA: "ana"})
        x_mentions.install(fake)
        notes = BlueskyNotificationsFake()
        notes.install(fake)
        toot = mastodon_mention("51", mastodon_status("5001", "ana", f"<p>{BOT_LINK} top 3</p>"))
        fake.route("/api/v1/notifications", json_answer([]), json_answer([toot]), json_answer([]))
        spy = ThreadSpy(client(platform, fake))
        poller: Any
        if platform == "x":
            poller = XMentions(spy, engine(store), store)
        elif platform == "bluesky":
            poller = BlueskyMentions(spy, engine(store), store, own_did=BOT_DID)
        else:
            poller = MastodonMentions(spy, engine(store), store, own_account="hotpapers")
        assert await poller.poll_once() == 0
        x_mentions.mentions.append(x_tweet("1000000000000000701", ANA, "@hotpapers top 3"))
        notes.notifications.append(bsky_mention(1, f"{BOT_AT} top 3"))
        assert await poller.poll_once() == 1
    loop_thread = threading.get_ident()
    sent = {"x": "create_tweet", "bluesky": "send_post", "mastodon": "status_post"}[platform]
    assert sent in {name for name, _ in spy.calls}
    assert [name for name, ident in spy.calls if ident == loop_thread] == []


# -- wiring ----------------------------------------------------------------------------------------


class _Stop(Exception):
    pass


@pytest.mark.parametrize("platform", ["x", "bluesky", "mastodon"])
async def test_start_social_polls_mentions_and_registers_the_publisher(
    platform: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters import AdapterContext, loader
    from adapters.social import service as social

    async def stop(seconds: float) -> None:
        assert seconds == social.MENTION_POLL_SECONDS
        raise _Stop

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    publishers: dict[str, Publisher] = {}
    seen: dict[str, Publisher] = {}
    with serve() as fake:
        x_fake(fake, Posts())
        XMentionsFake(mentions=[x_tweet("1000000000000000501", ANA, "@hotpapers top")]).install(
            fake
        )
        bluesky_fake(fake, Posts())
        BlueskyNotificationsFake(notifications=[bsky_mention(1, f"{BOT_AT} top")]).install(fake)
        mastodon_fake(fake, Posts())
        fake.route(
            "/api/v1/accounts/verify_credentials",
            json_answer({"id": "1", "username": "hotpapers", "acct": "hotpapers"}),
        )
        toot = mastodon_mention("61", mastodon_status("6001", "ana", f"<p>{BOT_LINK} top</p>"))
        fake.route("/api/v1/notifications", json_answer([toot]))
        context = AdapterContext(
            name=platform,
            table={"base_url": fake.url},
            where="test.toml",
            env=dict(os.environ),
            engine=engine(store),
            store=store,
            publishers=publishers,
        )
        adapter = await loader(platform)(context)

        async def stop_and_look(seconds: float) -> None:
            seen.update(publishers)  # registered while connected
            await stop(seconds)

        monkeypatch.setattr(social.asyncio, "sleep", stop_and_look)
        with pytest.raises(_Stop):
            await adapter.run()
    assert set(seen) == {platform}
    assert publishers == {}  # gone once it stopped
    first = {
        "x": "1000000000000000501",
        "bluesky": "2026-11-24T09:01:00.000Z|",
        "mastodon": "61",
    }[platform]
    assert (store.get_cursor(f"mentions:{platform}") or "").startswith(first)


async def test_mastodon_a_burst_bigger_than_a_page_is_read_forward_in_full(store: Store) -> None:
    """More mentions between two polls than one page holds: `min_id` pages forward from the
    cursor, so none is skipped and each is answered once, oldest first."""

    def mention(n: int) -> dict[str, Any]:
        return mastodon_mention(
            str(n), mastodon_status(str(5000 + n), "ana", f"<p>{BOT_LINK} top</p>")
        )

    with serve() as fake:
        posts = Posts()
        mastodon_fake(fake, posts)
        fake.route(
            "/api/v1/notifications",
            json_answer([mention(50)]),  # first poll: the backlog, left unanswered
            json_answer([mention(52), mention(51)]),  # a full page (newest first, as Mastodon)
            json_answer([mention(54), mention(53)]),  # another full page
            json_answer([mention(55)]),  # the rest
        )
        poller = MastodonMentions(client("mastodon", fake), engine(store), store, page_size=2)
        assert await poller.poll_once() == 0
        assert await poller.poll_once() == 5
        polls = fake.requests("/api/v1/notifications")
    assert [p.param("min_id") for p in polls[1:]] == ["50", "52", "54"]
    assert [b["in_reply_to_id"] for b in posts.bodies] == [str(5000 + n) for n in range(51, 56)]
    assert store.get_cursor("mentions:mastodon") == "55"
