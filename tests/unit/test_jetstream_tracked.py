"""The listener's compact set of tracked URIs answers exactly like a set of the strings."""

from __future__ import annotations

import random

from bot.sources.attention import jetstream_tracked
from bot.sources.attention.jetstream_events import untracked_engagement
from bot.sources.attention.jetstream_tracked import UriSet


def uri(i: int) -> str:
    return f"at://did:plc:{i:024x}/app.bsky.feed.post/3l{i:011d}"


def test_it_answers_like_a_set_through_adds_removals_and_compactions(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(jetstream_tracked, "COMPACT_AFTER", 500)  # compactions on the way
    uris = [uri(i) for i in range(6000)]
    compact, plain = UriSet(uris[:2000]), set(uris[:2000])
    rng = random.Random(3)
    for _ in range(8000):
        u = rng.choice(uris)
        if rng.random() < 0.5:
            compact.add(u)
            plain.add(u)
        else:
            compact.discard(u)
            plain.discard(u)
    assert len(compact) == len(plain)
    assert [u in compact for u in uris] == [u in plain for u in uris]
    compact.difference_update(uris[:3000])
    plain.difference_update(uris[:3000])
    assert [u in compact for u in uris] == [u in plain for u in uris]


def test_a_million_uris_take_about_8_bytes_each() -> None:
    big = UriSet(uri(i) for i in range(1_000_000))
    assert len(big) == 1_000_000
    assert big.nbytes() < 9 * 1_000_000
    assert uri(123_456) in big and uri(1_000_001) not in big


def test_only_likes_and_reposts_of_untracked_posts_skip_decoding() -> None:
    tracked = UriSet([uri(1)])
    like = (
        '{"did":"did:plc:a","time_us":100,"kind":"commit","commit":{"rev":"r","operation":'
        '"create","collection":"app.bsky.feed.like","rkey":"k","record":{"$type":'
        '"app.bsky.feed.like","subject":{"cid":"c","uri":"SUBJECT"}}}}'
    )
    now = 10**12
    assert untracked_engagement(like.replace("SUBJECT", uri(2)), tracked, now) == 100
    assert untracked_engagement(like.replace("SUBJECT", uri(1)), tracked, now) is None
    assert (
        untracked_engagement(
            like.replace("like", "repost").replace("SUBJECT", uri(2)), tracked, now
        )
        == 100
    )
    assert untracked_engagement(like.replace('"create"', '"delete"'), tracked, now) is None
    assert untracked_engagement(like.replace("SUBJECT", 'a\\"b'), tracked, now) is None
    assert untracked_engagement(like.replace("like", "post"), tracked, now) is None
    future = like.replace('"time_us":100', f'"time_us":{now * 2}')
    assert untracked_engagement(future, tracked, now) is None  # the full path warns about it
    assert untracked_engagement(like.encode(), tracked, now) is None
