"""Reconciliation of tracked Bluesky posts with app.bsky.feed.getPosts: the real atproto client
against a fake AppView on 127.0.0.1 (tests/fakes/attention_fakes.py) answering with PostViews
shaped like the recorded one (tests/data/fixtures/bluesky/thread_view_post_with_embed_media.json).
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adapters.sources.jetstream_reconcile import Reconciler
from bot.sources.attention.config import BlueskyConfig, from_mapping
from bot.sources.attention.jetstream_events import LIKE, POST, REPOST, Event
from bot.store import Store
from bot.store.jetstream import JetstreamLog
from bot.store.jetstream_reconcile import ReconcileLog
from tests.fakes.attention_fakes import Answer, Fake, Seen, json_answer, raw_answer, serve

FIXTURE = Path(__file__).parents[1] / "data" / "fixtures" / "bluesky"
PATH = "/xrpc/app.bsky.feed.getPosts"
PAPER = "2104.00743"
NOW = 1_796_000_000.0  # 2026-11-28
AUTHOR = "did:plc:author0000000000000000"


def clock() -> float:
    return NOW


def post_uri(n: int) -> str:
    return f"at://{AUTHOR}/app.bsky.feed.post/3post{n:08d}"


def view(uri: str, likes: int, reposts: int, replies: int = 0, quotes: int = 0) -> dict[str, Any]:
    """A recorded PostView with this post's uri and counters."""
    thread = json.loads((FIXTURE / "thread_view_post_with_embed_media.json").read_text())
    post: dict[str, Any] = copy.deepcopy(thread["thread"]["post"])
    post.update(
        uri=uri, likeCount=likes, repostCount=reposts, replyCount=replies, quoteCount=quotes
    )
    return post


class AppView:
    """The fake's getPosts: the views of the URIs asked that it knows."""

    def __init__(self) -> None:
        self.views: dict[str, dict[str, Any]] = {}

    def __call__(self, seen: Seen) -> Answer:
        uris = seen.query.get("uris", [])
        return json_answer({"posts": [self.views[u] for u in uris if u in self.views]})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "hp.sqlite")
    yield s
    s.close()


def track(store: Store, n: int, likes: int = 0, reposts: int = 0) -> str:
    """A tracked post linking PAPER, with `likes` likes and `reposts` reposts from the stream."""
    uri = post_uri(n)
    t = int((NOW - 3600) * 1_000_000) + n
    events = [Event("post", uri, AUTHOR, t, POST, arxiv_ids=(PAPER,), text="a paper")]
    for i in range(likes):
        fan = f"did:plc:fan{i:021d}"
        events.append(Event("like", f"at://{fan}/{LIKE}/l{n}x{i}", fan, t + 1, LIKE, subject=uri))
    for i in range(reposts):
        fan = f"did:plc:rep{i:021d}"
        events.append(
            Event("repost", f"at://{fan}/{REPOST}/r{n}x{i}", fan, t + 1, REPOST, subject=uri)
        )
    JetstreamLog(store).apply(events, t + 1)
    return uri


def counters(store: Store, uri: str) -> tuple[int, int, int, int]:
    post = JetstreamLog(store).post(uri)
    assert post is not None
    return (post.likes, post.reposts, post.replies, post.quotes)


def shown(store: Store, uri: str) -> tuple[int, int]:
    """Likes and reposts of the post's observation (what the scoring reads)."""
    row = store.conn.execute(
        "SELECT likes, reposts FROM observations WHERE source = 'bluesky' AND key = ?",
        (f"{uri}#{PAPER}",),
    ).fetchone()
    return (row[0], row[1])


def reconciler(
    store: Store, fake: Fake, waits: list[float] | None = None, **changes: Any
) -> Reconciler:
    config = replace(BlueskyConfig(appview_url=fake.url, max_attempts=3), **changes)

    async def no_sleep(seconds: float) -> None:
        pass

    return Reconciler(
        store,
        config,
        clock=clock,
        sleep=no_sleep,
        retry_sleep=(waits.append if waits is not None else lambda s: None),
    )


async def test_counters_are_raised_to_the_appviews_and_a_second_pass_changes_nothing(
    store: Store, caplog: Any
) -> None:
    low = track(store, 1, likes=2, reposts=1)
    same = track(store, 2, likes=1)
    appview = AppView()
    appview.views = {low: view(low, 9, 3, replies=2), same: view(same, 1, 0)}
    with serve() as fake:
        fake.route(PATH, appview)
        caplog.set_level(logging.INFO)
        done = await reconciler(store, fake).reconcile_once()
        assert counters(store, low) == (9, 3, 2, 0)
        assert counters(store, same) == (1, 0, 0, 0)
        assert shown(store, low) == (9, 3)  # the observations the scoring reads moved too
        assert ReconcileLog(store).unattributed(low) == {
            "like": 7,
            "repost": 2,
            "reply": 2,
            "quote": 0,
        }
        assert (done.checked, done.corrected) == (2, 1)
        assert "reconciled 2 posts: 1 corrected (+7 likes, +2 reposts, +2 replies)" in caplog.text
        # every post was checked just now: none is due again before reconcile_minutes
        assert (await reconciler(store, fake).reconcile_once()).checked == 0
        # checked again later with the same answer: nothing changes
        later = reconciler(store, fake, reconcile_minutes=1)
        later.clock = lambda: NOW + 120
        again = await later.reconcile_once()
        assert (again.checked, again.corrected) == (2, 0)
        assert counters(store, low) == (9, 3, 2, 0)
        asked = fake.requests(PATH)
        assert sorted(asked[0].query["uris"]) == sorted([low, same])


async def test_lower_counts_never_drop_below_the_engagements_held(store: Store) -> None:
    uri = track(store, 1, likes=4)
    appview = AppView()
    appview.views = {uri: view(uri, 12, 0)}
    with serve() as fake:
        fake.route(PATH, appview)
        await reconciler(store, fake).reconcile_once()
        assert counters(store, uri)[0] == 12
        appview.views = {uri: view(uri, 2, 0)}  # unlikes the stream never showed us
        later = reconciler(store, fake, reconcile_minutes=1)
        later.clock = lambda: NOW + 120
        done = await later.reconcile_once()
    assert counters(store, uri)[0] == 4  # the 4 likes we hold keyed stay until their unlikes
    assert ReconcileLog(store).unattributed(uri)["like"] == 0
    assert done.change["like"] == -8


async def test_25_posts_a_call_oldest_checked_first_within_the_rate(store: Store) -> None:
    uris = [track(store, n) for n in range(60)]
    appview = AppView()
    appview.views = {u: view(u, 1, 0) for u in uris}
    with serve() as fake:
        fake.route(PATH, appview)
        done = await reconciler(store, fake, reconcile_per_minute=2).reconcile_once()
        calls = [s.query["uris"] for s in fake.requests(PATH)]
    assert [len(c) for c in calls] == [25, 25]  # a minute's budget: 2 calls of 25
    assert done.checked == 50
    assert set(calls[0] + calls[1]) == set(uris[:50])  # the oldest first


async def test_429_is_retried_after_the_wait_asked(store: Store, caplog: Any) -> None:
    uri = track(store, 1, likes=1)
    appview = AppView()
    appview.views = {uri: view(uri, 5, 0)}
    waits: list[float] = []
    with serve() as fake:
        fake.route(PATH, appview)
        fake.inject(
            PATH,
            json_answer({"error": "RateLimitExceeded"}, 429, {"Retry-After": "7"}),
            json_answer({"error": "InternalServerError"}, 502),
        )
        await reconciler(store, fake, waits).reconcile_once()
        assert len(fake.requests(PATH)) == 3
    assert waits[0] == 7.0
    assert counters(store, uri)[0] == 5
    assert "HTTP 429" in caplog.text


async def test_malformed_answers_and_views_are_skipped_with_a_warning(
    store: Store, caplog: Any
) -> None:
    good, bad = track(store, 1, likes=1), track(store, 2, likes=1)
    broken = view(bad, 5, 0)
    broken["likeCount"] = "many"
    with serve() as fake:
        fake.route(PATH, json_answer({"posts": [view(good, 3, 0), broken]}))
        fake.inject(PATH, raw_answer("<html>oops</html>"), json_answer({"feed": []}))
        caplog.set_level(logging.INFO)
        await reconciler(store, fake).reconcile_once()  # not JSON: retried; then no posts list
        assert counters(store, good)[0] == 1
        assert "skipping a getPosts answer for 2 posts" in caplog.text
        later = reconciler(store, fake, reconcile_minutes=1)
        later.clock = lambda: NOW + 120
        await later.reconcile_once()
    assert counters(store, good)[0] == 3
    assert counters(store, bad)[0] == 1  # its view was unusable: left as it was
    assert "skipping 1 malformed post views" in caplog.text


def test_settings() -> None:
    config = from_mapping(
        "bluesky",
        {"appview_url": "http://127.0.0.1:9", "reconcile_per_minute": 0, "reconcile_minutes": 5},
        "hotpapers.toml",
    )
    assert isinstance(config, BlueskyConfig)
    assert (config.appview_url, config.reconcile_per_minute, config.reconcile_minutes) == (
        "http://127.0.0.1:9",
        0,
        5,
    )
    assert BlueskyConfig().appview_url == "https://public.api.bsky.app"
    with pytest.raises(Exception, match="appview_url"):
        from_mapping("bluesky", {"appview_url": "ftp://x"}, "hotpapers.toml")


async def test_the_listener_reconciles_in_the_background(tmp_path: Path) -> None:
    """The listener starts the reconciliation beside its socket: a tracked post's likes given
    before the bot saw the post reach its counters from the AppView."""
    from adapters.sources.jetstream import JetstreamListener
    from tests.adapters.jetstream_fake import FakeJetstream, until

    store = Store.open(tmp_path / "hp.sqlite")
    uri = track(store, 1, likes=1)
    appview = AppView()
    appview.views = {uri: view(uri, 40, 6)}
    with serve() as fake:
        fake.route(PATH, appview)
        async with FakeJetstream([]).running() as jetstream:
            config = BlueskyConfig(
                instances=(jetstream.url,), appview_url=fake.url, batch_seconds=0.02
            )

            async def no_sleep(seconds: float) -> None:
                pass

            background = Reconciler(store, config, clock=clock, sleep=no_sleep, start_delay=0)
            listener = JetstreamListener(store, config, clock=clock, reconciler=background)
            task = asyncio.create_task(listener.run())
            try:
                await until(lambda: counters(store, uri)[:2] == (40, 6) or task.done())
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
    assert counters(store, uri)[:2] == (40, 6)
    store.close()


async def test_an_author_seen_by_both_modes_is_one_account(store: Store) -> None:
    """Search mode names authors by handle, Jetstream by DID: until the handle is resolved
    (app.bsky.actor.getProfiles) one author of two posts about a paper counted as two."""
    from adapters.sources.bluesky import parse_post
    from bot.sources.attention.base import Problems

    searched = view(f"at://{AUTHOR}/app.bsky.feed.post/3searched0000", 3, 1)
    searched["author"].update(did=AUTHOR, handle="alice.example.org", displayName="Alice")
    searched["record"] = {
        "text": f"read arxiv.org/abs/{PAPER}",
        "createdAt": "2026-11-27T10:00:00Z",
    }
    store.upsert_observations(parse_post(searched, Problems()))
    streamed = track(store, 1, likes=2)
    part = next(p for p in store.score_of(PAPER).parts if p.source == "bluesky")
    assert (part.posts, part.accounts) == (2, 2)  # the defect: one author, two accounts
    profile = {"did": AUTHOR, "handle": "alice.example.org", "displayName": "Alice"}
    with serve() as fake:
        fake.route("/xrpc/app.bsky.actor.getProfiles", json_answer({"profiles": [profile]}))
        assert await reconciler(store, fake).resolve_handles() == 1
        assert await reconciler(store, fake).resolve_handles() == 0  # asked once
        asked = fake.requests("/xrpc/app.bsky.actor.getProfiles")
    assert asked[0].query["actors"] == [AUTHOR]
    part = next(p for p in store.score_of(PAPER).parts if p.source == "bluesky")
    assert (part.posts, part.accounts) == (1, 1)  # one post per account (the counting rules)
    shown = store.conn.execute(
        "SELECT author_handle, author_name FROM observations WHERE key = ?",
        (f"{streamed}#{PAPER}",),
    ).fetchone()
    assert tuple(shown) == ("alice.example.org", "Alice")
