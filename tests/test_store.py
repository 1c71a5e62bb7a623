"""The store on real SQLite: upserts, listing dates, counting rules, aggregates, deliveries."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.scoring import ScoringConfig
from bot.store import Store
from tests.helpers import aggregate, paper, post

DAY = date(2021, 4, 5)


def test_refreshed_counters_replace_old_ones() -> None:
    store = Store.memory()
    store.upsert_papers([paper("2104.00001", DAY)])
    store.upsert_observations([aggregate("2104.00001", 10, 5)])
    store.upsert_observations([aggregate("2104.00001", 12, 7)])
    assert store.score_of("2104.00001").total == 19
    assert store.count("observations") == 1


def test_first_listing_date_wins_and_none_never_clears_it() -> None:
    store = Store.memory()
    store.upsert_papers([paper("2104.00001", date(2021, 4, 6))])
    store.upsert_papers([paper("2104.00001", DAY)])
    store.upsert_papers([paper("2104.00001", date(2021, 4, 9))])
    assert store.get_paper("2104.00001").listing_date == DAY  # type: ignore[union-attr]
    store.upsert_papers(
        [
            paper("2104.00001", DAY, title="Revised title").__class__(
                arxiv_id="2104.00001", title="Revised title", listing_date=None
            )
        ]
    )
    stored = store.get_paper("2104.00001")
    assert stored is not None and stored.listing_date == DAY and stored.title == "Revised title"
    assert stored.abstract  # an empty field in an update keeps what was stored


def test_observation_for_an_unknown_paper_keeps_a_placeholder() -> None:
    store = Store.memory()
    store.upsert_observations([post("2104.09999", "p1", "alice", 3, 4)])
    assert store.known_ids(["2104.09999"]) == {"2104.09999"}
    assert store.score_of("2104.09999").total == 7


def test_one_post_per_account_counts_the_most_engaged() -> None:
    store = Store.memory()
    store.upsert_papers([paper("2104.00001", DAY)])
    store.upsert_observations(
        [post("2104.00001", "p1", "alice", 1, 2), post("2104.00001", "p2", "alice", 10, 20)]
    )
    score = store.score_of("2104.00001")
    assert score.total == 30
    assert score.posts == 1 and score.accounts == 1


def test_counting_every_post_when_configured() -> None:
    store = Store.memory(ScoringConfig(one_post_per_account=False))
    store.upsert_observations(
        [post("2104.00001", "p1", "alice", 1, 2), post("2104.00001", "p2", "alice", 10, 20)]
    )
    assert store.score_of("2104.00001").total == 33


def test_a_repost_adds_nothing() -> None:
    store = Store.memory()
    store.upsert_observations(
        [
            post("2104.00001", "orig", "alice", 5, 5),
            post("2104.00001", "rt", "bob", 5, 0, is_repost=True),
        ]
    )
    score = store.score_of("2104.00001")
    assert score.total == 10 and score.accounts == 1


def test_excluded_accounts_add_nothing() -> None:
    store = Store.memory(ScoringConfig(excluded_accounts=frozenset({"spambot"})))
    store.upsert_observations(
        [post("2104.00001", "a", "alice", 1, 1), post("2104.00001", "s", "SpamBot", 900, 900)]
    )
    assert store.score_of("2104.00001").total == 2


def test_source_weights_change_ranks_and_rescore_on_change(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    store = Store.open(path)
    store.upsert_papers([paper("2104.00001", DAY), paper("2104.00002", DAY)])
    store.upsert_observations(
        [
            post("2104.00001", "b1", "alice", 10, 10, source="bluesky"),
            post("2104.00002", "h1", "hn:bob", 0, 15, source="hackernews"),
        ]
    )
    assert [r.paper_id for r in store.top(DAY, DAY, None, 2)] == ["2104.00001", "2104.00002"]
    store.close()
    reweighted = Store.open(path, ScoringConfig(source_weights={"hackernews": 2.0}))
    assert [r.paper_id for r in reweighted.top(DAY, DAY, None, 2)] == ["2104.00002", "2104.00001"]
    parts = reweighted.score_of("2104.00002").parts
    assert parts[0].source == "hackernews" and parts[0].weight == 2.0


def test_reach_weighting_uses_capped_log_followers() -> None:
    store = Store.memory(ScoringConfig(reach_weighting=True))
    store.upsert_observations(
        [
            post("2104.00001", "a", "alice", 10, 0, followers=10**6),
            post("2104.00002", "b", "bob", 10, 0, followers=9),
        ]
    )
    assert store.score_of("2104.00001").total == 20.0  # capped at weight 2
    assert store.score_of("2104.00002").total == 5.0  # log10(10)/2 = 0.5


def test_deliveries_are_recorded_once() -> None:
    store = Store.memory()
    first, new = store.deliveries.begin(
        "slack", "C1", "digest:2021-04-05:cs.CV", paper_ids=["a", "b"]
    )
    again, new_again = store.deliveries.begin("slack", "C1", "digest:2021-04-05:cs.CV")
    assert new and not new_again and again.id == first.id
    store.deliveries.mark_sent(first.id, ["111.1", "111.2"], thread="111.1")
    assert store.deliveries.for_thread("slack", "C1", "111.1").id == first.id  # type: ignore[union-attr]
    assert store.deliveries.for_thread("slack", "C1", "111.2").id == first.id  # type: ignore[union-attr]
    assert store.deliveries.items(first.id) == ["a", "b"]


def test_a_social_thread_is_found_without_knowing_its_channel() -> None:
    store = Store.memory()
    old, _ = store.deliveries.begin("x", "main", "digest:2021-04-05:all", paper_ids=["a"])
    store.deliveries.mark_sent(old.id, ["9001", "9002"], thread="9001")
    assert store.deliveries.for_thread_any("x", "9001").id == old.id  # type: ignore[union-attr]
    assert store.deliveries.for_thread_any("x", "9002").id == old.id  # type: ignore[union-attr]
    assert store.deliveries.for_thread_any("bluesky", "9001") is None
    assert store.deliveries.for_thread_any("x", "9003") is None


def test_search_ignores_fts_operators_in_user_words() -> None:
    store = Store.memory()
    store.upsert_papers([paper("2104.00001", DAY, title="Robust NEAR-duplicate detection")])
    store.upsert_observations([aggregate("2104.00001", 1, 1)])
    assert [
        r.paper_id for r in store.search('near-duplicate" detection*', None, None, None, 5)
    ] == ["2104.00001"]
    assert store.search("AND OR NOT", None, None, None, 5) == []
