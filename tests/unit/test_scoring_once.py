"""One scoring, defined once: settings are applied explicitly, and every query counts alike.

Issue 14: opening a store used to re-apply whatever ScoringConfig the opener passed (the arXiv
listings job passed none, emptying the blocklist every hour); `trending` counted with its own
rules; reach weighting and the feed-bot rule were frozen into the posts at ingest.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_app
from bot.domain.models import Observation, Post, Score
from bot.domain.scoring import ScoringConfig
from bot.store import Store
from tests.helpers import aggregate, paper, post

DAY = date(2021, 4, 5)
A, B = "2104.00001", "2104.00002"
EARLY = datetime(2000, 1, 1, tzinfo=UTC)
LATE = datetime(2100, 1, 1, tzinfo=UTC)


def _config(tmp_path: Path, scoring: str = "") -> Path:
    db = tmp_path / "hp.db"
    path = tmp_path / "config.toml"
    path.write_text(f'[bot]\ndatabase = "{db}"\n\n[scoring]\n{scoring}\n', encoding="utf-8")
    return path


def _total(path: Path, arxiv_id: str) -> float:
    store = Store.open(path)
    try:
        return store.score_of(arxiv_id).total
    finally:
        store.close()


# -- defect 1: opening a store has no side effect on scores ----------------------------------


def test_opening_the_store_with_default_settings_keeps_the_blocklist(tmp_path: Path) -> None:
    app = build_app(_config(tmp_path, 'blocklist = ["spammer"]'))
    db = Path(app.store.path)
    app.store.upsert_papers([paper(A, DAY)])
    app.store.upsert_observations(
        [post(A, "a1", "alice", 10, 20), post(A, "s1", "spammer", 1000, 2000)]
    )
    assert app.store.score_of(A).total == 30
    # the arXiv listings job opens the same database without any scoring settings
    Store.open(db).close()
    assert app.store.score_of(A).total == 30
    assert _total(db, A) == 30
    assert [r.score for r in app.store.top(DAY, DAY, None, 5)] == [30]
    app.close()


def test_a_command_run_without_a_config_keeps_the_configured_scoring(tmp_path: Path) -> None:
    app = build_app(_config(tmp_path, 'blocklist = ["spammer"]'))
    db = Path(app.store.path)
    app.store.upsert_observations([post(A, "a1", "alice", 10, 20), post(A, "s1", "spammer", 9, 9)])
    app.close()
    bare = build_app(None, db)  # e.g. `hotpapers ask --db hp.db "paper 2104.00001"`
    assert bare.store.score_of(A).total == 30
    bare.close()


def test_apply_scoring_rescores_only_when_the_settings_change(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "hp.db")
    store.upsert_observations(
        [
            post(A, "a1", "alice", 10, 20, source="bluesky"),
            post(A, "h1", "hn:bob", 0, 5, source="hackernews"),
        ]
    )
    assert store.apply_scoring(ScoringConfig()) is False  # the defaults were in force already
    weighted = ScoringConfig(source_weights={"hackernews": 2.0})
    assert store.apply_scoring(weighted) is True
    assert store.score_of(A).total == 40
    assert store.apply_scoring(ScoringConfig(source_weights={"hackernews": 2.0})) is False
    store.close()


def test_every_store_on_the_database_counts_with_the_applied_settings(tmp_path: Path) -> None:
    path = tmp_path / "hp.db"
    early = Store.open(path)  # e.g. a job's store, opened before the settings were applied
    early.upsert_observations([post(A, "a1", "alice", 10, 20), post(A, "s1", "spam", 5, 5)])
    configuring = Store.open(path)
    assert configuring.apply_scoring(ScoringConfig(excluded_accounts=frozenset({"spam"})))
    early.upsert_observations([post(A, "s2", "spam", 50, 50)])
    for store in (early, configuring, Store.open(path)):
        assert store.score_of(A).total == 30
        assert [r.score for r in store.trending(EARLY, LATE, None, 5)] == [30]


# -- defect 2: trending counts like top ------------------------------------------------------


def test_trending_counts_one_post_per_account_and_source_weights_like_top() -> None:
    store = Store.memory(ScoringConfig(source_weights={"hackernews": 2.0}))
    store.upsert_papers([paper(A, DAY)])
    store.upsert_observations(
        [
            post(A, "a1", "alice", 0, 10),
            post(A, "a2", "alice", 0, 10),  # the same account again: not a second post
            post(A, "h1", "hn:bob", 0, 5, source="hackernews"),  # weight 2
        ]
    )
    top = store.top(DAY, DAY, None, 5)
    trending = store.trending(EARLY, LATE, None, 5)
    assert [r.score for r in top] == [20]
    assert [(r.paper_id, r.score) for r in trending] == [(A, 20)]


def test_trending_counts_only_the_observations_inside_its_window() -> None:
    store = Store.memory()
    day = datetime(2021, 4, 5, tzinfo=UTC)
    store.upsert_observations(
        [
            post(A, "a1", "alice", 0, 100, when=day - timedelta(days=2)),
            post(A, "b1", "bob", 0, 3, when=day + timedelta(hours=3)),
            post(B, "c1", "carol", 0, 5, when=day + timedelta(hours=4)),
        ]
    )
    window = store.trending(day, day + timedelta(days=1), None, 5)
    assert [(r.paper_id, r.score) for r in window] == [(B, 5), (A, 3)]


# -- defect 3: a settings change rescores from what was observed ------------------------------


def test_turning_reach_weighting_on_rescores_stored_posts(tmp_path: Path) -> None:
    app = build_app(_config(tmp_path))
    app.store.upsert_observations(
        [post(A, "a1", "alice", 10, 0, followers=10**6), post(B, "b1", "bob", 10, 0, followers=9)]
    )
    assert (app.store.score_of(A).total, app.store.score_of(B).total) == (10, 10)
    app.close()
    app = build_app(_config(tmp_path, "reach_weighting = true"))
    assert app.store.score_of(A).total == 20  # capped at weight 2
    assert app.store.score_of(B).total == 5  # log10(10) / 2
    app.close()
    app = build_app(_config(tmp_path, "reach_weighting = false"))
    assert (app.store.score_of(A).total, app.store.score_of(B).total) == (10, 10)
    app.close()


def _bot_day(n: int, account: str = "feedbot") -> list[Observation]:
    when = datetime(2021, 4, 5, 9, 0, tzinfo=UTC)
    return [
        post(f"2104.{i:05d}", f"{account}-{i}", account, 1, 3, when=when + timedelta(minutes=i))
        for i in range(1, n + 1)
    ]


def test_changing_the_feed_bot_rule_rescores_stored_posts(tmp_path: Path) -> None:
    app = build_app(_config(tmp_path))  # default rule: more than 20 papers a day
    app.store.upsert_observations([*_bot_day(4), post(B, "p1", "person", 0, 2)])
    assert app.store.score_of("2104.00001").total == 4
    app.close()
    app = build_app(_config(tmp_path, "feed_bot_links_per_day = 3\nfeed_bot_weight = 0.25"))
    assert app.store.score_of("2104.00001").total == 1.0 < app.store.score_of(B).total
    app.close()
    app = build_app(_config(tmp_path, "feed_bot_weighting = false\nfeed_bot_links_per_day = 3"))
    assert app.store.score_of("2104.00001").total == 4
    app.close()


def test_a_feed_bot_day_reweighs_its_earlier_posts_at_ingest() -> None:
    from bot.domain.scoring import FeedBotRule

    store = Store.memory(ScoringConfig(feed_bots=FeedBotRule(max_links_per_day=3, weight=0.25)))
    store.upsert_observations([post(B, "p1", "person", 0, 2), *_bot_day(1)])
    assert store.score_of("2104.00001").total == 4 > store.score_of(B).total
    store.upsert_observations(_bot_day(4)[1:])  # the fourth paper of the day: a feed bot
    assert store.score_of("2104.00001").total == 1.0 < store.score_of(B).total
    # its fourth post is corrected to a paper it already linked that day: 3 papers, a person
    store.upsert_observations([replace(_bot_day(4)[3], arxiv_id="2104.00003")])
    assert store.score_of("2104.00001").total == 4


# -- the same score everywhere, under every setting --------------------------------------------


SETTINGS: list[dict[str, Any]] = [
    {},
    {"one_post_per_account": False},
    {"reposts_are_posts": True, "source_weights": {"x": 2.0, "hackernews": 0.5}},
    {"reach_weighting": True, "excluded_accounts": frozenset({"spam"})},
    {"feed_bots": {"max_links_per_day": 2, "weight": 0.25}, "reach_weighting": True},
    {"one_post_per_account": False, "feed_bots": {"max_links_per_day": 2, "weight": 0.5}},
]


def _scoring(settings: dict[str, Any]) -> ScoringConfig:
    settings = dict(settings)
    if "feed_bots" in settings:
        from bot.domain.scoring import FeedBotRule

        settings["feed_bots"] = FeedBotRule(**settings["feed_bots"])
    return ScoringConfig(**settings)


def _random_batches(rng: random.Random) -> list[list[Observation]]:
    base = datetime(2021, 4, 5, tzinfo=UTC)
    batches = []
    for _ in range(rng.randint(2, 8)):
        batch = []
        for _ in range(rng.randint(1, 10)):
            kind = rng.choice(["post", "post", "post", "aggregate"])
            source = rng.choice(["x", "bluesky", "hackernews"])
            batch.append(
                Observation(
                    source=source,
                    key=f"k{rng.randint(0, 30)}",
                    arxiv_id=f"2104.0000{rng.randint(1, 5)}",
                    kind=kind,
                    observed_at=base + timedelta(hours=rng.randint(0, 40)),
                    account=rng.choice(["alice", "bob", "spam", "feed", ""]),
                    reposts=rng.randint(0, 6),
                    likes=rng.randint(0, 9),
                    followers=rng.choice([None, 3, 900, 10**5]),
                    is_repost=rng.random() < 0.15,
                    post=Post(source=source, url="https://example.social/p"),
                )
            )
        batches.append(batch)
    return batches


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(s) or "defaults")
def test_top_trending_paper_and_search_give_the_same_score(settings: dict[str, Any]) -> None:
    for seed in range(25):
        rng = random.Random(seed)
        store = Store.memory(_scoring(settings))
        ids = [f"2104.0000{i}" for i in range(1, 6)]
        store.upsert_papers(paper(i, DAY, title=f"Graph study {i}") for i in ids)
        for batch in _random_batches(rng):
            store.upsert_observations(batch)
        top = {r.paper_id: r.score for r in store.top(DAY, DAY, None, 25)}
        trending = {r.paper_id: r.score for r in store.trending(EARLY, LATE, None, 25)}
        found = {r.paper_id: r.score for r in store.search("graph", None, None, None, 25)}
        dated = {r.paper_id: r.score for r in store.search("graph", None, DAY, DAY, 25)}
        for arxiv_id in ids:
            total = store.score_of(arxiv_id).total
            assert top[arxiv_id] == pytest.approx(total), (seed, arxiv_id)
            assert trending.get(arxiv_id, 0.0) == pytest.approx(total), (seed, arxiv_id)
            assert found[arxiv_id] == pytest.approx(total), (seed, arxiv_id)
            assert dated[arxiv_id] == pytest.approx(total), (seed, arxiv_id)
        store.close()


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(s) or "defaults")
def test_the_store_scores_as_the_pure_formula_and_a_full_rescore_agrees(
    settings: dict[str, Any],
) -> None:
    from bot.domain.scoring import score_observations

    scoring = _scoring(settings)
    for seed in range(25):
        rng = random.Random(seed)
        store = Store.memory(scoring)
        seen: dict[tuple[str, str], Observation] = {}
        for batch in _random_batches(rng):
            store.upsert_observations(batch)
            for o in batch:  # refreshed counters replace old ones, in place; followers stay
                held = seen.get((o.source, o.key))
                if held is not None and o.followers is None:
                    o = replace(o, followers=held.followers)
                seen[(o.source, o.key)] = o
        expected = score_observations(seen.values(), scoring)
        ids = [f"2104.0000{i}" for i in range(1, 6)]
        incremental = {i: store.score_of(i) for i in ids}
        assert {i: _parts(s) for i, s in incremental.items()} == {
            i: _parts(expected.get(i, Score(total=0.0))) for i in ids
        }, seed
        store.rescore_all()
        assert {i: _parts(store.score_of(i)) for i in ids} == {
            i: _parts(s) for i, s in incremental.items()
        }, seed
        store.close()


def _parts(score: Score) -> tuple[object, ...]:
    """A score and its parts, floats to 6 places (sums in another order differ in the last bits)."""
    return (
        round(score.total, 6),
        sorted(
            (p.source, p.posts, p.accounts, p.reposts, p.likes, p.replies, p.quotes, p.weight)
            for p in score.parts
        ),
        [round(p.score, 6) for p in sorted(score.parts, key=lambda p: p.source)],
    )


def test_an_aggregate_counts_the_same_everywhere() -> None:
    store = Store.memory(ScoringConfig(source_weights={"archive": 3.0}))
    store.upsert_papers([paper(A, DAY)])
    store.upsert_observations([aggregate(A, 2, 3)])
    assert store.score_of(A).total == 15
    assert [r.score for r in store.trending(EARLY, LATE, None, 5)] == [15]
    assert [r.score for r in store.top(DAY, DAY, None, 5)] == [15]
