"""Digest threads on X, Bluesky and Mastodon: rendering (golden), the real SDKs against fakes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.social import bluesky, mastodon, x
from adapters.social.config import SocialConfig
from adapters.social.mentions import MastodonMentions, Mention, command_text
from adapters.social.render import (
    LIMITS,
    digest_thread,
    grapheme_length,
    mastodon_length,
    post_length,
    safe_text,
    weighted_length,
)
from adapters.social.thread import (
    PostMayHaveLanded,
    StoreBudget,
    StoreLedger,
    ThreadPublisher,
    may_have_landed,
)
from bot.domain import delivery as d
from bot.domain.errors import ConfigError
from bot.domain.models import Digest, DigestItem, Paper, Score
from bot.domain.scoring import ScoringConfig
from bot.domain.subscription import Subscription
from bot.ports import DeliveryError
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine
from bot.services.rate_buckets import RateLimit
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore
from tests.fakes.attention_fakes import Answer, Fake, Seen, json_answer, serve
from tests.fakes.social_fakes import (
    BOT_X_ID,
    Posts,
    bluesky_fake,
    mastodon_fake,
    mastodon_mention,
    mastodon_status,
    x_fake,
)
from tests.helpers import aggregate, paper, post

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
ENV = {
    "X_API_KEY": "key",
    "X_API_SECRET": "secret",
    "X_ACCESS_TOKEN": "token",
    "X_ACCESS_SECRET": "token-secret",
    "BSKY_HANDLE": "hotpapers.bsky.social",
    "BSKY_APP_PASSWORD": "xxxx-xxxx-xxxx-xxxx",
    "MASTODON_ACCESS_TOKEN": "mastodon-token",
}
LONG = "A Very Long Title About Diffusion Transformers " * 12
TITLES = (
    LONG,
    "深層学習による画像認識の新しい手法とその応用について：大規模データセットでの評価" * 4,
    "🚀 Emoji 🤖🧠👨‍👩‍👧 models @alice \u200bhidden\u202e bidi",
    "Short",
    "Über naïve façades: déjà vu",
)


def item(rank: int, title: str, total: float = 100.0) -> DigestItem:
    return DigestItem(rank, Paper(f"2611.{rank:05d}", title=title), Score(total))


def digest(titles: tuple[str, ...] = TITLES, notes: tuple[str, ...] = ()) -> Digest:
    items = tuple(item(i + 1, t, 1000.0 - i) for i, t in enumerate(titles))
    return Digest("Hot Papers 2026-11-24 · cs.CV", date(2026, 11, 24), items, notes=notes)


# -- rendering (pure, golden) ------------------------------------------------------------------


def test_x_counts_urls_as_23_and_cjk_and_emoji_as_2() -> None:
    assert weighted_length("abc") == 3
    assert weighted_length("https://arxiv.org/abs/2104.00743") == 23
    assert weighted_length("see https://a.b/" + "x" * 100) == 4 + 23
    assert weighted_length("日本語") == 6
    assert weighted_length("😀") == 2
    assert weighted_length("👨\u200d👩\u200d👧") == 2  # one ZWJ sequence, one emoji
    assert weighted_length("café — “quoted”") == 15
    assert weighted_length("example.com") == 23  # X links bare domains too


def test_bluesky_counts_graphemes_and_mastodon_urls_as_23() -> None:
    assert grapheme_length("e\u0301") == 1
    assert grapheme_length("👨\u200d👩\u200d👧") == 1
    assert grapheme_length("🇩🇪🇫🇷") == 2
    assert grapheme_length("👍🏽!") == 2
    assert grapheme_length("日本") == 2
    assert mastodon_length("x https://arxiv.org/abs/2104.00743" + "/" * 50) == 2 + 23


def test_golden_x_thread() -> None:
    thread = digest(("Short", "Über naïve façades: déjà vu")).items
    posts = digest_thread(Digest("Hot Papers 2026-11-24 · cs.CV", None, thread), "x")
    assert [p.text for p in posts] == [
        "Hot Papers 2026-11-24 · cs.CV\nTop: Short (score 1,000)\nThread below.",
        "1. Short\nscore 1,000 (0 reposts, 0 likes)\nhttps://arxiv.org/abs/2611.00001",
        "2. Über naïve façades: déjà vu\nscore 999 (0 reposts, 0 likes)\n"
        "https://arxiv.org/abs/2611.00002",
    ]


@pytest.mark.parametrize("platform", ["x", "bluesky", "mastodon"])
def test_every_post_fits_and_long_titles_are_shortened(platform: str) -> None:
    posts = digest_thread(digest(notes=("No listing today; showing 2026-11-23.",)), platform)
    assert len(posts) == 1 + len(TITLES)
    for p in posts:
        assert post_length(platform, p.text) <= LIMITS[platform], p.text
    assert posts[1].text.startswith("1. A Very Long Title About Diffusion")
    assert "…" in posts[1].text  # shortened, not cut mid-way without a mark
    assert posts[1].text.endswith("2611.00001")  # the link always survives
    assert "No listing today" in posts[0].text


def test_golden_long_title_on_x_uses_the_whole_budget() -> None:
    reply = digest_thread(digest((LONG,)), "x")[1]
    assert weighted_length(reply.text) > 270
    assert reply.text.split("\n")[
        0
    ] == "1. " + "A Very Long Title About Diffusion Transformers " * 4 + (
        "A Very Long Title About…"
    )


def test_outside_text_can_never_mention_or_hide_anything() -> None:
    text = digest_thread(digest(), "x")[3].text
    assert "@" not in text and "\uff20" not in text
    assert "alice" in text
    assert "\u200b" not in text and "\u202e" not in text
    assert safe_text("＠bob and @carol@mastodon.social, a @ b") == (
        "bob and carolmastodon.social, a @ b"
    )
    assert "@" not in safe_text("@a @b ＠c") and "\uff20" not in safe_text("@a @b ＠c")


def test_bluesky_links_are_facets_at_utf8_byte_offsets() -> None:
    posts = digest_thread(digest(), "bluesky")
    for p, it in zip(posts[1:], digest().items, strict=True):
        (link,) = p.links
        assert link.uri == it.paper.abs_url
        shown = p.text.encode("utf-8")[link.byte_start : link.byte_end].decode("utf-8")
        assert shown == f"arxiv.org/abs/{it.paper.arxiv_id}"


def test_the_budget_cuts_replies_and_says_so() -> None:
    posts = digest_thread(digest(), "mastodon", max_posts=3)
    assert len(posts) == 3
    assert "Posting the top 2 of 5 today (daily posting budget)." in posts[0].text
    assert digest_thread(digest(), "x", max_posts=0) == ()


# -- the SDKs against fakes ---------------------------------------------------------------------

MAKERS: dict[str, Any] = {
    "x": (x.make_client, x.XPublisher, x_fake, "/2/tweets"),
    "bluesky": (bluesky.make_client, bluesky.BlueskyPublisher, bluesky_fake, None),
    "mastodon": (mastodon.make_client, mastodon.MastodonPublisher, mastodon_fake, None),
}


def publisher(platform: str, fake: Fake, **kwargs: Any) -> ThreadPublisher:
    make_client, cls, _, _ = MAKERS[platform]
    config = SocialConfig.from_mapping(platform, {"base_url": fake.url}, "test.toml")
    pub: ThreadPublisher = cls(make_client(config, config.secrets(ENV)), **kwargs)
    return pub


def text_of(platform: str, body: dict[str, Any]) -> str:
    if platform == "x":
        return str(body["text"])
    if platform == "bluesky":
        return str(body["record"]["text"])
    return str(body["status"])


def parent_of(platform: str, body: dict[str, Any]) -> str | None:
    if platform == "x":
        return (body.get("reply") or {}).get("in_reply_to_tweet_id")
    if platform == "bluesky":
        reply = body["record"].get("reply")
        return f"{reply['parent']['uri']}|{reply['parent']['cid']}" if reply else None
    return body.get("in_reply_to_id")


def assert_chained(platform: str, posts: Posts) -> None:
    assert parent_of(platform, posts.bodies[0]) is None
    for previous, body in zip(posts.ids, posts.bodies[1:], strict=False):
        assert parent_of(platform, body) == previous
    if platform == "bluesky":
        for body in posts.bodies[1:]:
            root = body["record"]["reply"]["root"]
            assert f"{root['uri']}|{root['cid']}" == posts.ids[0]


@pytest.mark.parametrize("platform", ["x", "bluesky", "mastodon"])
async def test_a_digest_thread_fits_and_chains(platform: str) -> None:
    with serve() as fake:
        posts = Posts()
        MAKERS[platform][2](fake, posts)
        sent = await publisher(platform, fake).publish_digest(
            "main", digest(), idempotency_key="digest:2026-11-24:cs.CV:5"
        )
    assert len(posts.bodies) == 1 + len(TITLES)
    assert sent.message_ids == tuple(posts.ids) and sent.thread == posts.ids[0]
    for body in posts.bodies:
        assert post_length(platform, text_of(platform, body)) <= LIMITS[platform]
    assert text_of(platform, posts.bodies[0]).startswith("Hot Papers 2026-11-24 · cs.CV\nTop: ")
    assert_chained(platform, posts)
    if platform == "x":
        assert posts.headers[0]["authorization"].startswith("OAuth ")  # user context
    if platform == "bluesky":
        facet = posts.bodies[1]["record"]["facets"][0]
        assert facet["features"][0]["uri"] == "https://arxiv.org/abs/2611.00001"
    if platform == "mastodon":
        keys = [h["idempotency-key"] for h in posts.headers]
        assert len(set(keys)) == len(keys)


async def test_the_daily_budget_is_respected_across_digests() -> None:
    store = Store.memory()
    with serve() as fake:
        posts = Posts()
        x_fake(fake, posts)
        pub = publisher(
            "x", fake, daily_budget=4, budget=StoreBudget(store, "x"), clock=lambda: NOW
        )
        await pub.publish_digest("main", digest(), idempotency_key="one")
        with pytest.raises(DeliveryError) as caught:
            await pub.publish_digest("main", digest(), idempotency_key="two")
    assert len(posts.bodies) == 4
    assert "Posting the top 3 of 5 today" in text_of("x", posts.bodies[0])
    assert caught.value.transient and caught.value.retry_after == 16 * 3600  # until midnight UTC


@pytest.mark.parametrize(
    ("platform", "headers"),
    [
        ("x", {"x-rate-limit-reset": str(int(NOW.timestamp()) + 30)}),
        ("bluesky", {"ratelimit-reset": str(int(NOW.timestamp()) + 30)}),
    ],
)
async def test_429_is_transient_with_the_reset_header(
    platform: str, headers: dict[str, str]
) -> None:
    with serve() as fake:
        posts = Posts(fail={2: json_answer({"error": "RateLimitExceeded"}, 429, headers)})
        MAKERS[platform][2](fake, posts)
        pub = publisher(platform, fake, clock=lambda: NOW)
        with pytest.raises(DeliveryError) as caught:
            await pub.publish_digest("main", digest(), idempotency_key="k")
    assert caught.value.transient and caught.value.retry_after == 30


async def test_mastodon_429_is_transient() -> None:
    with serve() as fake:
        posts = Posts(fail={1: json_answer({"error": "Too many requests"}, 429)})
        mastodon_fake(fake, posts)
        with pytest.raises(DeliveryError) as caught:
            await publisher("mastodon", fake).publish_digest("main", digest(), idempotency_key="k")
    assert caught.value.transient and posts.bodies == []


# -- through the delivery service ---------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2021, 4, 5)
MONDAY_9 = datetime(2021, 4, 5, 9, 0, tzinfo=BERLIN)
IDS = ["2104.00001", "2104.00002", "2104.00003", "2104.00004"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "hotpapers.db")
    s.upsert_papers([paper(pid, MONDAY, ("cs.CV",)) for pid in IDS])
    s.upsert_observations([aggregate(pid, 100 * (i + 1), 10) for i, pid in enumerate(IDS)])
    yield s
    s.close()


def subscribe(store: Store, platform: str) -> Subscription:
    sub = Subscription(
        platform=platform,
        channel="main",
        filters=("cs.CV",),
        n=3,
        at=time(9, 0),
        timezone="Europe/Berlin",
        created_at=datetime(2021, 4, 1, tzinfo=UTC),
    )
    return SubscriptionStore(store).save(sub)


def service(
    store: Store, pub: ThreadPublisher, sleeps: list[float], max_attempts: int = 5
) -> DeliveryService:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return DeliveryService(
        store,
        Engine(store, clock=lambda: MONDAY_9),
        {pub.platform: pub},
        clock=lambda: MONDAY_9,
        sleep=sleep,
        limits={pub.platform: RateLimit(per_channel=None)},
        max_attempts=max_attempts,
    )


async def test_a_429_half_way_is_survived_without_a_doubled_post(store: Store) -> None:
    sub = subscribe(store, "x")
    reset = {"x-rate-limit-reset": str(int(MONDAY_9.timestamp()) + 45)}
    sleeps: list[float] = []
    with serve() as fake:
        posts = Posts(fail={3: json_answer({"title": "Too Many Requests"}, 429, reset)})
        x_fake(fake, posts)
        pub = publisher("x", fake, ledger=StoreLedger(store, "x"), clock=lambda: MONDAY_9)
        outcome = await service(store, pub, sleeps).deliver(sub, scheduled_for=MONDAY_9)
    assert outcome.status == d.SENT
    assert sleeps == [45.0]  # waited for X's reset, then continued
    assert len(posts.bodies) == 4  # first post + 3 replies, none twice
    assert len({text_of("x", b) for b in posts.bodies}) == 4
    assert_chained("x", posts)
    record = store.deliveries.get("x", "main", outcome.key)
    assert record is not None and record.status == "sent"
    assert record.message_ids == tuple(posts.ids)


async def test_a_failure_half_way_then_a_later_run_continues_the_thread(store: Store) -> None:
    sub = subscribe(store, "bluesky")
    sleeps: list[float] = []
    with serve() as fake:
        posts = Posts(fail={3: json_answer({"error": "InternalServerError"}, 500)})
        bluesky_fake(fake, posts)
        pub = publisher("bluesky", fake, ledger=StoreLedger(store, "bluesky"))
        first = await service(store, pub, sleeps, max_attempts=1).deliver(
            sub, scheduled_for=MONDAY_9
        )
        assert first.status == d.FAILED and len(posts.bodies) == 2
        again = await service(store, pub, sleeps).deliver(sub, scheduled_for=MONDAY_9)
    assert again.status == d.SENT
    assert len(posts.bodies) == 4  # the two out were not posted again
    assert [text_of("bluesky", b)[:2] for b in posts.bodies[1:]] == ["1.", "2.", "3."]
    assert_chained("bluesky", posts)
    assert again.message_ids == tuple(posts.ids)


# -- a post that landed although its answer was lost --------------------------------------------

CREATE = {"x": "/2/tweets", "bluesky": "/xrpc/com.atproto.repo.createRecord"}
READS = {"x": f"/2/users/{BOT_X_ID}/tweets", "bluesky": "/xrpc/app.bsky.feed.getPostThread"}


def lose_answers(fake: Fake, platform: str, *lost: int) -> None:
    """The n-th create requests in `lost` are stored, but their answers come back truncated."""
    plain = fake.routes[CREATE[platform]]
    assert callable(plain)
    count = [0]

    def route(seen: Seen) -> Answer:
        count[0] += 1
        answer = plain(seen)
        return Answer(200, answer.body[:12]) if count[0] in lost else answer

    fake.route(CREATE[platform], route)


def test_x_text_matching_survives_escaping_and_tco_links() -> None:
    ours = "Hot Papers 2026-11-24 · cs.CV\nTop: Q&A <models> (score 1,000)\nThread below."
    theirs = (
        "Hot Papers 2026-11-24 · cs.CV\nTop: Q&amp;A &lt;models&gt; (score 1,000)\nThread below."
    )
    assert x.same_text(ours, theirs)
    assert not x.same_text(ours, theirs.replace("1,000", "999"))
    linked = "1. Short\nscore 1,000\nhttps://arxiv.org/abs/2611.00001"
    assert x.same_text(linked, "1. Short\nscore 1,000\nhttps://t.co/Ab00000010")
    assert not x.same_text(linked, "https://t.co/Ab00000010")  # nothing left to compare
    tweets = [
        {"id": "3", "text": "1. Short", "referenced_tweets": [{"type": "replied_to", "id": "2"}]},
        {"id": "2", "text": theirs},
        {"id": "1", "text": "1. Short", "referenced_tweets": [{"type": "quoted", "id": "9"}]},
    ]
    assert x.find_tweet(tweets, "anything", parent="2") == "3"
    assert x.find_tweet(tweets, ours, parent=None) == "2"
    assert x.find_tweet(tweets, "anything", parent="7") is None
    assert x.find_tweet([{"id": 5}, "junk"], ours, parent=None) is None


def test_only_a_request_that_may_have_gone_out_counts_as_ambiguous() -> None:
    import httpx
    import requests

    assert may_have_landed(httpx.ReadTimeout("timed out"))
    assert may_have_landed(requests.exceptions.ChunkedEncodingError("reset"))
    assert not may_have_landed(httpx.ConnectError("refused"))
    assert not may_have_landed(requests.exceptions.ConnectTimeout("no connection"))


@pytest.mark.parametrize("platform", ["x", "bluesky"])
async def test_a_first_post_whose_answer_was_lost_is_found_not_posted_again(
    platform: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    with serve() as fake:
        posts = Posts()
        MAKERS[platform][2](fake, posts)
        lose_answers(fake, platform, 1)
        pub = publisher(platform, fake)
        with pytest.raises(PostMayHaveLanded) as caught:
            await pub.publish_digest("main", digest(), idempotency_key="k")
        assert caught.value.transient and len(posts.ids) == 1
        sent = await pub.publish_digest("main", digest(), idempotency_key="k")
    assert len(posts.ids) == 1 + len(TITLES)  # the first post once, then the replies
    assert len({text_of(platform, b) for b in posts.bodies}) == len(posts.bodies)
    assert sent.message_ids == tuple(posts.ids)
    assert_chained(platform, posts)
    assert any("already posted" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("platform", ["x", "bluesky"])
async def test_a_reply_whose_answer_was_lost_is_found_not_posted_again(platform: str) -> None:
    with serve() as fake:
        posts = Posts()
        MAKERS[platform][2](fake, posts)
        lose_answers(fake, platform, 3)
        pub = publisher(platform, fake)
        with pytest.raises(DeliveryError):
            await pub.publish_digest("main", digest(), idempotency_key="k")
        sent = await pub.publish_digest("main", digest(), idempotency_key="k")
    assert len(posts.ids) == 1 + len(TITLES)
    assert sent.message_ids == tuple(posts.ids)
    assert_chained(platform, posts)


@pytest.mark.parametrize("platform", ["x", "bluesky"])
async def test_a_failing_check_after_a_lost_answer_raises_a_transient_error(platform: str) -> None:
    with serve() as fake:
        posts = Posts()
        MAKERS[platform][2](fake, posts)
        lose_answers(fake, platform, 2)
        pub = publisher(platform, fake)
        with pytest.raises(DeliveryError):
            await pub.publish_digest("main", digest(), idempotency_key="k")
        fake.inject(READS[platform], json_answer({"error": "Unavailable"}, 503))
        with pytest.raises(DeliveryError, match="could not check") as caught:
            await pub.publish_digest("main", digest(), idempotency_key="k")
        assert caught.value.transient and len(posts.ids) == 2  # nothing posted blindly
        sent = await pub.publish_digest("main", digest(), idempotency_key="k")
    assert len(posts.ids) == 1 + len(TITLES) and sent.message_ids == tuple(posts.ids)
    assert_chained(platform, posts)


@pytest.mark.parametrize("platform", ["x", "bluesky"])
async def test_a_failing_check_after_a_clear_refusal_is_logged_and_the_thread_continues(
    platform: str, caplog: pytest.LogCaptureFixture
) -> None:
    with serve() as fake:
        posts = Posts(fail={2: json_answer({"error": "RateLimitExceeded"}, 429)})
        MAKERS[platform][2](fake, posts)
        pub = publisher(platform, fake)
        with pytest.raises(DeliveryError) as refused:
            await pub.publish_digest("main", digest(), idempotency_key="k")
        assert not isinstance(refused.value, PostMayHaveLanded)
        fake.inject(READS[platform], json_answer({"error": "Unavailable"}, 503))
        sent = await pub.publish_digest("main", digest(), idempotency_key="k")
    assert len(posts.ids) == 1 + len(TITLES) and sent.message_ids == tuple(posts.ids)
    assert_chained(platform, posts)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    shape = rf"{platform}/main: could not check for an earlier post of k: \w+"  # the type only
    assert any(re.fullmatch(shape, w) for w in warnings), warnings


# -- no feedback loop ---------------------------------------------------------------------------


def test_the_bots_own_posts_add_nothing_to_scores() -> None:
    own = Store.memory(ScoringConfig(excluded_accounts=frozenset({"hotpapers.bsky.social"})))
    plain = Store.memory()
    for s in (own, plain):
        s.upsert_papers([paper("2104.00001", MONDAY)])
        s.upsert_observations(
            [post("2104.00001", "bot-1", "hotpapers.bsky.social", reposts=50, likes=500)]
        )
    assert plain.score_of("2104.00001").total > 0
    assert own.score_of("2104.00001").total == 0


# -- config ---------------------------------------------------------------------------------------


def test_config_validates_and_reads_secrets_by_name() -> None:
    cfg = SocialConfig.from_mapping("x", {"daily_budget": 10}, "hp.toml")
    assert cfg.daily_budget == 10 and cfg.base_url == "https://api.twitter.com"
    assert cfg.secrets(ENV)["access_secret"] == "token-secret"
    with pytest.raises(ConfigError, match=r"\[adapters.x\] daily_budget"):
        SocialConfig.from_mapping("x", {"daily_budget": -1}, "hp.toml")
    with pytest.raises(ConfigError, match=r"\[adapters.mastodon\] base_url"):
        SocialConfig.from_mapping("mastodon", {}, "hp.toml")
    with pytest.raises(ConfigError, match=r"api_key_env: expected the NAME"):
        SocialConfig.from_mapping("x", {"api_key_env": "sk-123 secret"}, "hp.toml")
    with pytest.raises(ConfigError, match="BSKY_APP_PASSWORD is not set"):
        SocialConfig.from_mapping("bluesky", {}, "hp.toml").secrets({"BSKY_HANDLE": "a"})


# -- mentions -----------------------------------------------------------------------------------

BOT_LINK = '<span class="h-card"><a href="https://mastodon.example/@hotpapers">@<span>hotpapers</span></a></span>'


async def test_mastodon_mentions_are_answered_in_thread_after_a_silent_first_poll(
    store: Store,
) -> None:
    arxiv_link = (
        '<a href="https://arxiv.org/abs/2104.00002"><span class="invisible">https://</span>'
        '<span class="ellipsis">arxiv.org/abs/2104.0</span><span class="invisible">0002</span></a>'
    )
    notes = [
        mastodon_mention(
            "12", mastodon_status("1002", "bob@other.example", f"<p>{BOT_LINK}</p>", "555")
        ),
        mastodon_mention("11", mastodon_status("1001", "ana", f"<p>{BOT_LINK} top cs.CV</p>")),
        mastodon_mention("13", mastodon_status("1003", "hotpapers", f"<p>{BOT_LINK} top</p>")),
        mastodon_mention("14", mastodon_status("1004", "carl", f"<p>{BOT_LINK} thanks!</p>")),
    ]
    backlog = [
        mastodon_mention("9", mastodon_status("999", "ana", f"<p>{BOT_LINK} top</p>")),
        mastodon_mention("10", mastodon_status("1000", "ana", f"<p>{BOT_LINK} top 3</p>")),
    ]
    with serve() as fake:
        posts = Posts()
        mastodon_fake(fake, posts)
        fake.route(
            "/api/v1/notifications", json_answer(backlog), json_answer(notes), json_answer([])
        )
        fake.route(
            "/api/v1/statuses/555",
            json_answer(mastodon_status("555", "eve", f"<p>Great paper {arxiv_link}</p>")),
        )
        config = SocialConfig.from_mapping("mastodon", {"base_url": fake.url}, "t.toml")
        client = mastodon.make_client(config, config.secrets(ENV))
        engine = Engine(store, clock=lambda: MONDAY_9)
        poller = MastodonMentions(client, engine, store, own_account="hotpapers")
        assert await poller.poll_once() == 0  # first run: the backlog stays unanswered
        assert posts.bodies == []
        assert store.get_cursor("mentions:mastodon") == "10"
        assert await poller.poll_once() == 2
        assert await poller.poll_once() == 0
        polls = fake.requests("/api/v1/notifications")

    by_reply = {b["in_reply_to_id"]: b["status"] for b in posts.bodies}
    assert set(by_reply) == {"1001", "1002"}  # not our own post, not small talk
    top = by_reply["1001"]
    assert top.startswith("@ana Hot Papers") and "1. Paper 2104.00004" in top
    card = by_reply["1002"]
    assert card.startswith("@bob@other.example Paper 2104.00002\nscore ")
    assert card.endswith("https://arxiv.org/abs/2104.00002")
    for text in by_reply.values():
        assert mastodon_length(text) <= LIMITS["mastodon"]
    assert polls[0].param("since_id") is None
    assert polls[1].param("min_id") == "10"
    assert polls[2].param("min_id") == "14"
    assert "mention" in (polls[0].query.get("types[]") or [])


def test_a_mention_without_a_command_or_a_paper_gets_no_answer() -> None:
    assert command_text(Mention("1", "ana", "@hotpapers thanks!")) is None
    assert command_text(Mention("1", "ana", "@hotpapers top cs.CV")) == "top cs.CV"
    reply_to_link = Mention("1", "ana", "@hotpapers", "see https://arxiv.org/abs/2104.00743v2")
    assert command_text(reply_to_link) == "paper 2104.00743"
