"""Store.discussions_of reads the covering group index first: it must pick what the rule picks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.domain.discussion import HF_PAGE, best_per_platform, is_web_url
from bot.domain.models import Discussion, Observation, Post
from bot.domain.scoring import ScoringConfig
from bot.store import Store

RULE = """
    SELECT paper_id, source, url, reposts, likes, replies, posts FROM (
        SELECT o.paper_id, o.source, o.url, o.reposts, o.likes, o.replies,
               sum(o.kind = 'post') OVER (PARTITION BY o.paper_id, o.source) AS posts,
               row_number() OVER (
                   PARTITION BY o.paper_id, o.source
                   ORDER BY (o.url <> '') DESC, o.reposts + o.likes + o.replies DESC, o.id
               ) AS place
        FROM observations o
        WHERE o.kind IN ('post', 'embed', 'aggregate')
          AND o.account NOT IN (SELECT account FROM excluded_accounts)
    ) WHERE place = 1
"""


def _by_rule(store: Store) -> dict[str, tuple[Discussion, ...]]:
    """The rule as one window query over every row (what discussions_of did before)."""
    found: dict[str, list[Discussion]] = {}
    for paper_id, source, url, reposts, likes, replies, posts in store.conn.execute(RULE):
        if not url and source == "huggingface":
            url = HF_PAGE.format(paper_id)
        if is_web_url(url):
            found.setdefault(paper_id, []).append(
                Discussion(source, url.strip(), reposts, likes, replies, posts)
            )
    return {p: best_per_platform(found[p]) for p in found}


def test_discussions_are_the_rules_pick_with_ties_missing_links_and_exclusions() -> None:
    base = datetime(2021, 4, 5, tzinfo=UTC)
    for seed in range(40):
        rng = random.Random(seed)
        store = Store.memory(ScoringConfig(excluded_accounts=frozenset({"spam"})))
        ids = [f"2104.0000{i}" for i in range(1, 5)]
        for _ in range(6):
            batch = []
            for _ in range(rng.randint(1, 15)):
                source = rng.choice(["twitter", "bluesky", "huggingface", "web"])
                url = rng.choice(["", f"https://{source}.example/p/{rng.randint(1, 99)}"])
                batch.append(
                    Observation(
                        source=source,
                        key=f"k{rng.randint(0, 40)}",
                        arxiv_id=rng.choice(ids),
                        kind=rng.choice(["post", "post", "embed", "aggregate", "mention"]),
                        observed_at=base + timedelta(hours=rng.randint(0, 30)),
                        account=rng.choice(["", "a", "b", "spam"]),
                        reposts=rng.randint(0, 2),
                        likes=rng.randint(0, 2),
                        replies=rng.randint(0, 2),
                        post=Post(source=source, url=url),
                    )
                )
            store.upsert_observations(batch)
        assert store.discussions_of(ids) == _by_rule(store), seed
        store.close()


def test_discussions_pick_by_the_rule_with_huge_counters_and_ids() -> None:
    """The one-pass pick packs (engagement, first stored) into one integer: counters too large
    for it, or ids from 2**32 on, still get the rule's pick."""
    base = datetime(2021, 4, 5, tzinfo=UTC)
    store = Store.memory()
    rows = [
        ("twitter", "t1", 2**40, 0, "https://twitter.example/1"),
        ("twitter", "t2", 2**40 - 1, 5, "https://twitter.example/2"),
        ("bluesky", "b1", 3, 0, "https://bsky.example/1"),
        ("bluesky", "b2", 3, 0, "https://bsky.example/2"),
        ("mastodon", "m1", 8, 0, "https://mastodon.example/1"),
        ("mastodon", "m2", 7, 0, "https://mastodon.example/2"),
    ]
    store.upsert_observations(
        Observation(
            source=source,
            key=key,
            arxiv_id="2104.00001",
            kind="post",
            observed_at=base,
            account=key,
            likes=likes,
            reposts=reposts,
            post=Post(source=source, url=url),
        )
        for source, key, likes, reposts, url in rows
    )
    assert store.discussions_of(["2104.00001"]) == _by_rule(store)
    # the most engaged Mastodon post gets an id beyond what the packed integer holds
    store.conn.execute("UPDATE observations SET id = ? WHERE key = 'm1'", (2**33 + 1,))
    assert store.discussions_of(["2104.00001"]) == _by_rule(store)
    assert store.discussions_of(["2104.00001"])["2104.00001"][2].url.endswith("/1")
