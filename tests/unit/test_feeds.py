"""The Bluesky feeds' rules: record keys, the cursor, limits; and the store's page (the order
`top` ranks in, a paper's most-engaged post, excluded accounts and other sources left out)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from bot.domain.feeds import (
    Cursor,
    FeedRequestError,
    feed_specs,
    parse_cursor,
    parse_limit,
    post_uri,
    rkey_of,
)
from bot.store import Store
from bot.store.feed import feed_page
from tests.helpers import aggregate, paper, post

DAY = date(2021, 4, 6)


@pytest.mark.parametrize(
    ("category", "rkey"),
    [
        ("cs.CV", "hot-cs-cv"),
        ("cs", "hot-cs"),
        ("astro-ph.CO", "hot-astro-ph-co"),
        ("cond-mat.stat-mech", "hot-cond-mat-st"),
        ("q-bio.QM", "hot-q-bio-qm"),
    ],
)
def test_record_keys_are_short_lower_case_and_dashed(category: str, rkey: str) -> None:
    assert rkey_of(category) == rkey
    assert len(rkey) <= 15


def test_the_feeds_are_the_overall_one_then_one_per_category() -> None:
    specs = feed_specs(("CS.cv", "cs"))
    assert [s.rkey for s in specs] == ["hot-papers", "hot-cs-cv", "hot-cs"]
    assert [s.display_name for s in specs] == [
        "Hot Papers",
        "Hot Papers · cs.CV",
        "Hot Papers · cs",
    ]
    assert specs[0].filter is None and specs[1].filter is not None
    with pytest.raises(ValueError, match="second feed"):
        feed_specs(("cs.CV", "cs.cv"))


def test_a_cursor_reads_back_as_it_was_given() -> None:
    cursor = Cursor(DAY, 12.75, "hep-th/9901001")
    assert parse_cursor(cursor.text()) == cursor
    assert parse_cursor(None) is None and parse_cursor("") is None
    for bad in ("x", "2021-04-06:inf:2104.00001", "2021-04-06:1:2104.00001v2", "2021-04-06:1"):
        with pytest.raises(FeedRequestError) as caught:
            parse_cursor(bad)
        assert caught.value.error == "InvalidRequest"


def test_limits() -> None:
    assert parse_limit(None) == 50 and parse_limit("1") == 1 and parse_limit("100") == 100
    for bad in ("0", "101", "", "1.5", "-3", "٣"):
        with pytest.raises(FeedRequestError):
            parse_limit(bad)


def test_post_uris_come_from_bluesky_observation_keys_only() -> None:
    uri = "at://did:plc:a/app.bsky.feed.post/3k"
    assert post_uri(f"{uri}#2104.00001") == uri
    assert post_uri("0000000123") is None
    assert post_uri("at://did:plc:a/app.bsky.feed.like/3k#2104.00001") is None


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store.open(":memory:")
    yield s
    s.close()


def at(name: str, arxiv_id: str) -> str:
    return f"at://did:plc:{name}/app.bsky.feed.post/{name}#{arxiv_id}"


def test_a_page_is_in_top_order_with_each_papers_most_engaged_bluesky_post(store: Store) -> None:
    ids = ["2104.00005", "2104.00001", "2104.00003", "2104.00002", "2104.00004"]
    store.upsert_papers([paper(i, DAY) for i in ids])
    # three papers tie at 10: `top` orders ties by id, and so does the feed
    store.upsert_observations(
        [aggregate(i, 10, 0) for i in ids[:4]]
        + [
            aggregate("2104.00004", 50, 0),
            post("2104.00001", at("low", "2104.00001"), "low", 0, 1),
            post("2104.00001", at("high", "2104.00001"), "high", 0, 9),
            post("2104.00001", "tw1", "tweeter", 0, 99, source="twitter"),  # not Bluesky
            post("2104.00002", at("spam", "2104.00002"), "spammer", 0, 500),
            post("2104.00002", at("ok", "2104.00002"), "fine", 0, 1),
            post("2104.00003", at("c", "2104.00003"), "c", 0, 1),
            post("2104.00004", at("d", "2104.00004"), "d", 0, 1),
        ]
    )
    store.conn.execute("INSERT INTO excluded_accounts (account) VALUES ('spammer')")
    ranked = [r.paper_id for r in store.top(DAY, DAY, None, 10)]
    page = feed_page(store.conn, DAY, None, None, 10)
    assert [e.paper_id for e in page] == [i for i in ranked if i != "2104.00005"]
    posts = {e.paper_id: e.post for e in page}
    assert posts["2104.00001"] == "at://did:plc:high/app.bsky.feed.post/high"
    assert posts["2104.00002"] == "at://did:plc:ok/app.bsky.feed.post/ok"  # not the excluded
    # keyset pages of one join up to the whole
    first = feed_page(store.conn, DAY, None, None, 2)
    rest = feed_page(store.conn, DAY, None, (first[-1].score, first[-1].paper_id), 10)
    assert first + rest == page


def test_a_post_about_two_papers_is_on_a_page_once(store: Store) -> None:
    from bot.domain.feeds import feed_specs
    from bot.services.feed import FeedGenerator, FeedSettings

    store.upsert_papers([paper("2104.00001", DAY), paper("2104.00002", DAY)])
    both = "at://did:plc:x/app.bsky.feed.post/x"
    store.upsert_observations(
        [
            aggregate("2104.00001", 20, 0),
            aggregate("2104.00002", 10, 0),
            post("2104.00001", f"{both}#2104.00001", "x", 0, 3),
            post("2104.00002", f"{both}#2104.00002", "x", 0, 3),
        ]
    )
    settings = FeedSettings("feed.example.org", "did:plc:me", feed_specs(()))
    generator = FeedGenerator(store, settings, lambda: DAY)
    uri = "at://did:plc:me/app.bsky.feed.generator/hot-papers"
    assert generator.skeleton(uri, None, None) == {"feed": [{"post": both}]}
