"""`trending` with a category filter is the unfiltered ranking kept to that category's papers:
whichever way the filter is applied (one key: a join; several: EXISTS per row)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from bot.domain.scoring import ScoringConfig
from bot.domain.taxonomy import resolve_filter
from bot.store import Store
from tests.helpers import paper, post

START = datetime(2021, 4, 5, tzinfo=UTC)
CATEGORIES = (("cs.CV",), ("cs.LG", "stat.ML"), ("math.OC",), ("cs.CL", "cs.LG"), ("stat.ML",))


def test_a_filtered_trending_is_the_unfiltered_one_kept_to_the_category() -> None:
    for seed in range(15):
        rng = random.Random(seed)
        store = Store.memory(ScoringConfig(excluded_accounts=frozenset({"spam"})))
        ids = [f"2104.{i:05d}" for i in range(1, 30)]
        cats = {i: rng.choice(CATEGORIES) for i in ids}
        store.upsert_papers(paper(i, date(2021, 4, 5), cats[i]) for i in ids)
        store.upsert_observations(
            post(
                rng.choice(ids),
                f"k{n}",
                rng.choice(["a", "b", "c", "spam", ""]),
                reposts=rng.randint(0, 9),
                likes=rng.randint(0, 9),
                source=rng.choice(["bluesky", "mastodon", "twitter"]),
                is_repost=rng.random() < 0.1,
                when=START + timedelta(minutes=rng.randint(0, 3000)),
            )
            for n in range(300)
        )
        since, until = START + timedelta(hours=10), START + timedelta(hours=34)
        everything = store.trending(since, until, None, 1000)
        archive = resolve_filter("cs")
        assert archive is not None
        for wanted in ({"cs.LG"}, archive.categories, {"cs.CV", "stat.ML"}, {"math.OC"}):
            kept = [r for r in everything if set(cats[r.paper_id]) & wanted]
            assert store.trending(since, until, frozenset(wanted), 1000) == kept, (seed, wanted)
            assert store.trending(since, until, frozenset(wanted), 3) == kept[:3], (seed, wanted)
        store.close()
