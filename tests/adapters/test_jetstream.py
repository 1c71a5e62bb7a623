"""The Jetstream listener: the real `websockets` client against a fake Jetstream on 127.0.0.1
serving recorded events (tests/adapters/jetstream_fake.py)."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adapters.sources.jetstream import JetstreamListener
from bot.sources.attention.config import BlueskyConfig, from_mapping
from bot.sources.attention.jetstream_events import parse_event
from bot.store import Store
from bot.store.jetstream import CURSOR
from tests.adapters.jetstream_fake import (
    PAPER,
    FakeJetstream,
    Stream,
    arxiv_stream,
    recorded,
    until,
)

LAST_US = max(e["time_us"] for e in recorded()) + 1


def clock() -> float:
    """Just after the recorded stream (so its posts are fresh and none is in the future)."""
    return LAST_US / 1_000_000 + 1.0


def config(fake: FakeJetstream, **changes: Any) -> BlueskyConfig:
    base = BlueskyConfig(instances=(fake.url,), batch_seconds=0.02, stall_seconds=30.0)
    return replace(base, **changes)


def frames(events: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(e) for e in events]


def bluesky(store: Store, arxiv_id: str = PAPER) -> Any:
    return next((p for p in store.score_of(arxiv_id).parts if p.source == "bluesky"), None)


def rows(store: Store) -> list[tuple[Any, ...]]:
    return store.conn.execute(
        "SELECT key, account, likes, reposts, replies, quotes FROM observations "
        "WHERE source = 'bluesky' ORDER BY key"
    ).fetchall()


async def listen(store: Store, fake: FakeJetstream, done: Any, **changes: Any) -> JetstreamListener:
    """Run a listener until `done(listener)` holds and everything read is stored, then stop it."""
    listener = JetstreamListener(store, config(fake, **changes), clock=clock, backoff=(0.01,))
    task = asyncio.create_task(listener.run())
    try:
        await until(lambda: (done(listener) and not listener.batch) or task.done())
        await until(lambda: store.get_cursor(CURSOR) == str(listener.cursor) or task.done())
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if task.done() and not task.cancelled() and task.exception():
        raise task.exception()  # type: ignore[misc]
    return listener


def all_read(fake: FakeJetstream, count: int) -> Any:
    return lambda listener: listener.received >= count


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "hp.sqlite")


def expected_counts(store: Store, stream: Stream) -> None:
    part = bluesky(store)
    assert part is not None
    assert (part.posts, part.accounts) == (2, 2)  # the post and a reply from another account
    assert (part.likes, part.reposts, part.replies) == (4, 2, 1)
    keys = {r[0]: r for r in rows(store)}
    assert set(keys) == {f"{stream.post}#{PAPER}", f"{stream.reply}#{PAPER}"}
    assert keys[f"{stream.post}#{PAPER}"][2:] == (4, 2, 1, 0)


async def test_recorded_stream_without_arxiv_gives_nothing(store: Store) -> None:
    events = recorded()
    async with FakeJetstream(frames(events)).running() as fake:
        listener = await listen(store, fake, all_read(fake, len(events)))
    assert rows(store) == []
    assert listener.skipped == 0  # identity, account, follows, other lexicons: dropped quietly
    assert store.get_cursor(CURSOR) == str(max(e["time_us"] for e in events))
    request = fake.requests[0]
    assert request["wantedCollections"] == [
        "app.bsky.feed.post",
        "app.bsky.feed.like",
        "app.bsky.feed.repost",
    ]
    assert "cursor" not in request  # the first start reads from now


async def test_posts_likes_reposts_replies_and_an_unlike_are_counted(store: Store) -> None:
    stream = arxiv_stream()
    async with FakeJetstream(frames(stream.events)).running() as fake:
        await listen(store, fake, all_read(fake, len(stream.events)))
    expected_counts(store, stream)
    shown = store.conn.execute(
        "SELECT url, text FROM observations WHERE key = ?", (f"{stream.post}#{PAPER}",)
    ).fetchone()
    assert shown[0].startswith("https://bsky.app/profile/did:plc:")
    assert shown[1] == f"https://arxiv.org/abs/{PAPER}"  # the facet's anchor, expanded


async def test_replayed_events_change_nothing(store: Store) -> None:
    stream = arxiv_stream()
    async with FakeJetstream(frames(stream.events)).running() as fake:
        await listen(store, fake, all_read(fake, len(stream.events)))
    before = rows(store)
    # a restart resumes a few seconds back: the 0.3 s long July recording is served again
    end = stream.events[-1]["time_us"]
    async with FakeJetstream(frames(stream.events)).running() as fake:
        again = await listen(store, fake, lambda li: li.received > 0 and li.cursor == end)
        cursor = int(fake.requests[0]["cursor"][0])
    assert again.received >= 152
    assert cursor == int(max(e["time_us"] for e in stream.events)) - 5_000_000
    assert rows(store) == before
    expected_counts(store, stream)


async def test_a_deleted_post_takes_its_attention_back(store: Store) -> None:
    stream = arxiv_stream()
    gone = copy.deepcopy(stream.events[-1])
    did, _, rkey = stream.post.removeprefix("at://").split("/")
    gone.update(did=did, time_us=gone["time_us"] + 1)
    gone["commit"].update(collection="app.bsky.feed.post", rkey=rkey)
    events = [*stream.events, gone]
    async with FakeJetstream(frames(events)).running() as fake:
        await listen(store, fake, all_read(fake, len(events)))
    keys = [r[0] for r in rows(store)]
    assert keys == [f"{stream.reply}#{PAPER}"]  # the reply is a post of its own account
    part = bluesky(store)
    assert part is not None and (part.posts, part.likes, part.reposts) == (1, 0, 0)


async def test_dropped_connection_resumes_from_the_stored_cursor(store: Store) -> None:
    stream = arxiv_stream()
    fake = FakeJetstream(frames(stream.events), script=[("drop", 60)])
    end = stream.events[-1]["time_us"]  # the unlike, last and latest
    async with fake.running():
        listener = await listen(
            store, fake, lambda li: len(fake.requests) >= 2 and li.cursor == end
        )
    assert listener.connections == 2
    resumed = int(fake.requests[1]["cursor"][0])
    read_before_drop = max(e["time_us"] for e in stream.events[:60])
    assert resumed <= read_before_drop - 5_000_000  # a few seconds back from what was read
    assert resumed >= min(e["time_us"] for e in stream.events) - 5_000_000
    expected_counts(store, stream)  # what was read twice counted once


async def test_stalled_socket_is_reconnected(store: Store, caplog: Any) -> None:
    stream = arxiv_stream()
    fake = FakeJetstream(frames(stream.events), script=[("stall", 40)])
    caplog.set_level(logging.WARNING)
    async with fake.running():
        await listen(
            store,
            fake,
            lambda li: len(fake.requests) >= 2 and li.cursor == stream.events[-1]["time_us"],
            stall_seconds=0.3,
        )
    assert "Stalled" in caplog.text
    expected_counts(store, stream)


async def test_failing_instance_switches_to_the_next(store: Store, caplog: Any) -> None:
    stream = arxiv_stream()
    caplog.set_level(logging.WARNING)
    async with FakeJetstream(frames(stream.events)).running() as fake:
        with socket.socket() as probe:  # an OS-chosen port nobody listens on: refused
            probe.bind(("127.0.0.1", 0))
            dead = f"ws://127.0.0.1:{probe.getsockname()[1]}"
        await listen(
            store,
            fake,
            all_read(fake, len(stream.events)),
            instances=(dead, fake.url),
            failures_before_switch=2,
        )
        assert f"reconnecting to {fake.url}/subscribe in" in caplog.text  # after 2 refused connects
        assert len(fake.requests) == 1
    expected_counts(store, stream)


async def test_bad_frames_are_skipped_with_a_warning(store: Store, caplog: Any) -> None:
    stream = arxiv_stream()
    big = copy.deepcopy(next(e for e in stream.events if e["did"] in stream.post))
    big["commit"]["rkey"] = "3big"
    big["commit"]["record"]["text"] = "https://arxiv.org/abs/2201.00001 " + "x" * 1_000_000
    future = copy.deepcopy(big)
    future["commit"]["rkey"] = "3future"
    future["commit"]["record"]["text"] = "https://arxiv.org/abs/2202.00002"
    future["time_us"] = LAST_US + 3600 * 10**6
    odd = copy.deepcopy(stream.events[0])
    odd["commit"]["collection"] = "app.bsky.feed.threadgate"  # unknown here: dropped quietly
    bad = ["not json {", '{"kind": "commit", "did": "did:plc:x"}', json.dumps(big)]
    events = frames(stream.events[:30]) + bad + [json.dumps(future), json.dumps(odd)]
    events += frames(stream.events[30:])
    caplog.set_level(logging.WARNING)
    async with FakeJetstream(events).running() as fake:
        listener = await listen(store, fake, all_read(fake, len(events)))
    assert listener.skipped == 4
    assert "not JSON" in caplog.text and "without its commit object" in caplog.text
    assert "over 262144" in caplog.text and "ahead of the clock" in caplog.text
    assert bluesky(store, "2201.00001") is None and bluesky(store, "2202.00002") is None
    assert int(store.get_cursor(CURSOR) or 0) < future["time_us"]  # not moved by the future
    expected_counts(store, stream)


def test_mode_and_instances_settings() -> None:
    default = from_mapping("bluesky", {}, "c.toml")
    assert isinstance(default, BlueskyConfig) and default.mode == "jetstream"
    assert default.instances[0] == "wss://jetstream1.us-east.bsky.network"
    with pytest.raises(Exception, match=r"mode: expected one of jetstream, search"):
        from_mapping("bluesky", {"mode": "firehose"}, "c.toml")
    with pytest.raises(Exception, match=r"instances: expected a ws:// or wss:// URL"):
        from_mapping("bluesky", {"instances": ["https://x"]}, "c.toml")


def test_a_quote_of_a_tracked_post_is_recognised() -> None:
    stream = arxiv_stream()
    quote = copy.deepcopy(
        next(e for e in stream.events if "reply" in e["commit"].get("record", {}))
    )
    record = quote["commit"]["record"]
    del record["reply"]
    record["embed"] = {
        "$type": "app.bsky.embed.recordWithMedia",
        "record": {"record": {"uri": stream.post, "cid": "x"}},
        "media": {"$type": "app.bsky.embed.images", "images": []},
    }
    event = parse_event(quote, LAST_US)
    assert event is not None and event.quotes == stream.post and not event.arxiv_ids


async def test_compact_frames_as_jetstream_sends_them_count_the_same(store: Store) -> None:
    """Without spaces (Jetstream's own JSON) most likes skip decoding: the counts are the same."""
    stream = arxiv_stream()
    compact = [json.dumps(e, separators=(",", ":")) for e in stream.events]
    async with FakeJetstream(compact).running() as fake:
        listener = await listen(store, fake, all_read(fake, len(stream.events)))
    expected_counts(store, stream)
    assert listener.skipped == 0
    assert store.get_cursor(CURSOR) == str(max(e["time_us"] for e in stream.events))
