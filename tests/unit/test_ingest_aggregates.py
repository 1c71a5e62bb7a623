"""The aggregates kept at ingest equal a full rescore, the measured time included.

The measured time of a paper (shown in the markdown digest) is the latest time among the posts
that count. When an account's counted post changes to a more engaged but earlier one, it must
go back, as a rescore from scratch gives it.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.models import Observation
from bot.domain.scoring import FeedBotRule, ScoringConfig
from bot.store import Store
from tests.helpers import post

A = "2104.00001"
NOON = datetime(2021, 4, 5, 12, 0, tzinfo=UTC)


def _measured(store: Store) -> dict[str, object]:
    """Every stored aggregate (scores to 6 places: sums in another order differ in the last
    bits)."""
    rows = store.conn.execute(
        "SELECT paper_id, source, posts, accounts, reposts, likes, replies, quotes, "
        "round(score, 6), measured_at FROM attention ORDER BY 1, 2"
    ).fetchall()
    papers = store.conn.execute(
        "SELECT paper_id, round(score, 6), reposts, likes, posts, accounts, measured_at "
        "FROM paper_scores ORDER BY 1"
    ).fetchall()
    categories = store.conn.execute(
        "SELECT paper_id, category, round(score, 6) FROM paper_categories ORDER BY 1, 2"
    ).fetchall()
    return {"attention": rows, "papers": papers, "categories": categories}


def test_a_more_engaged_earlier_post_moves_the_measured_time_back() -> None:
    store = Store.memory()
    store.upsert_observations([post(A, "late", "alice", 0, 1, when=NOON)])
    store.upsert_observations([post(A, "early", "alice", 0, 9, when=NOON - timedelta(days=1))])
    assert store.measured_at(A) == NOON - timedelta(days=1)
    assert store.score_of(A).total == 9
    store.close()


def _random_batch(rng: random.Random) -> list[Observation]:
    return [
        post(
            f"2104.0000{rng.randint(1, 4)}",
            f"k{rng.randint(0, 40)}",
            rng.choice(["alice", "bob", "carol", ""]),
            rng.randint(0, 5),
            rng.randint(0, 9),
            source=rng.choice(["x", "bluesky"]),
            when=NOON + timedelta(hours=rng.randint(-48, 48)),
            is_repost=rng.random() < 0.1,
        )
        for _ in range(rng.randint(1, 12))
    ]


FEED_BOTS = ScoringConfig(feed_bots=FeedBotRule(max_links_per_day=2, weight=0.25))


@pytest.mark.parametrize("scoring", [ScoringConfig(), FEED_BOTS], ids=["defaults", "feed-bots"])
def test_incremental_aggregates_equal_a_full_rescore(scoring: ScoringConfig) -> None:
    for seed in range(40):
        rng = random.Random(seed)
        store = Store.memory(scoring)
        for _ in range(rng.randint(2, 8)):
            store.upsert_observations(_random_batch(rng))
        incremental = _measured(store)
        store.rescore_all()
        assert _measured(store) == incremental, seed
        store.close()


# -- "first stored" is the order a batch gives, and a later row of the same post wins ---------

B = "2104.00002"


def test_equally_engaged_posts_of_a_paper_keep_the_order_they_came_in() -> None:
    store = Store.memory()
    store.upsert_observations(
        [
            post(B, "b1", "carol", 0, 5),
            post(A, "a1", "zed", 0, 5),
            post(B, "b2", "dave", 0, 5),
            post(A, "a2", "amy", 0, 5),
        ]
    )
    assert [p.url.rsplit("/", 1)[1] for p in store.top_posts(A)] == ["a1", "a2"]
    assert [p.url.rsplit("/", 1)[1] for p in store.top_posts(B)] == ["b1", "b2"]
    store.close()


def test_a_post_given_twice_in_one_batch_keeps_its_later_paper() -> None:
    store = Store.memory()
    store.upsert_observations([post(B, "k", "alice", 0, 3), post(A, "k", "alice", 0, 4)])
    assert store.score_of(A).total == 4
    assert store.score_of(B).total == 0
    store.close()
