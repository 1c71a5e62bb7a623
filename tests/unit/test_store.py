"""The store on real SQLite: upserts, listing dates, counting rules, aggregates, deliveries."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from bot.domain.scoring import ScoringConfig
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
    reweighted = Store.open(path)
    assert reweighted.apply_scoring(ScoringConfig(source_weights={"hackernews": 2.0}))
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


def _word_store() -> Store:
    """60 papers; `common` in all, `half` in even ones, `rare` in every tenth; score = index."""
    store = Store.memory()
    papers = []
    for i in range(60):
        words = ["common"] + (["half"] if i % 2 == 0 else []) + (["rare"] if i % 10 == 0 else [])
        papers.append(paper(f"2104.{i:05d}", DAY, abstract=" ".join(words)))
    store.upsert_papers(papers)
    store.upsert_observations([aggregate(f"2104.{i:05d}", i, 0) for i in range(1, 60)])
    return store


def test_search_ranks_every_match_by_score_whichever_plan_it_takes(monkeypatch: Any) -> None:
    """Few, many and very many matches take three plans; each gives the best-scored matches."""
    import bot.store.search as store_module

    store = _word_store()
    expected = {
        "rare": ["2104.00050", "2104.00040", "2104.00030"],
        "half": ["2104.00058", "2104.00056", "2104.00054"],
        "common": ["2104.00059", "2104.00058", "2104.00057"],
        "common half": ["2104.00058", "2104.00056", "2104.00054"],
    }
    for rank_all, set_cap in [(1_000, 1_000), (10, 40), (1, 2)]:  # rank all / walk a set / probe
        monkeypatch.setattr(store_module, "SEARCH_RANK_ALL", rank_all)
        monkeypatch.setattr(store_module, "SEARCH_SET", set_cap)
        for words, ids in expected.items():
            assert [r.paper_id for r in store.search(words, None, None, None, 3)] == ids
        assert [r.paper_id for r in store.search("rare", None, None, None, 10)] == [
            f"2104.{i:05d}" for i in (50, 40, 30, 20, 10, 0)
        ]
        assert store.search("absent", None, None, None, 3) == []


def test_an_archive_filter_finds_every_category_of_the_archive() -> None:
    """`cs` (all its categories) matches cross-lists and aliases, through one archive row."""
    from bot.domain.taxonomy import resolve_filter
    from bot.store.categories import category_keys

    cs = resolve_filter("cs")
    assert cs is not None and len(cs.categories) > 10
    assert category_keys(cs.categories) == ["cs.*"]
    assert category_keys(cs.categories | {"stat.ML"}) == ["cs.*", "stat.ML"]
    assert category_keys({"cs.CV", "cs.LG"}) == ["cs.CV", "cs.LG"]
    store = Store.memory()
    store.upsert_papers(
        [
            paper("2104.00001", DAY, ("cs.CV",)),
            paper("2104.00002", DAY, ("stat.ML", "cs.LG")),
            paper("2104.00003", DAY, ("math.AP", "cs.LO")),
            paper("2104.00004", DAY, ("hep-th",)),
            paper("2104.00005", DAY, ("stat.ML",)),
        ]
    )
    store.upsert_observations([aggregate(f"2104.0000{i}", i, 0) for i in range(1, 6)])
    found = [r.paper_id for r in store.top(DAY, DAY, cs.categories, 10)]
    assert found == ["2104.00003", "2104.00002", "2104.00001"]
    found = [r.paper_id for r in store.top(DAY, DAY, cs.categories | {"stat.ML"}, 10)]
    assert found == ["2104.00005", "2104.00003", "2104.00002", "2104.00001"]
    # A copy that lists it without cs (an older post re-imported) never drops it from cs.
    store.upsert_papers([paper("2104.00003", DAY, ("math.AP",))])
    assert [r.paper_id for r in store.top(DAY, DAY, cs.categories, 10)] == [
        "2104.00003",
        "2104.00002",
        "2104.00001",
    ]
    assert [r.paper_id for r in store.search("abstract", cs.categories, None, None, 10)] == [
        "2104.00003",
        "2104.00002",
        "2104.00001",
    ]


def test_migration_m005_fills_rowids_and_archive_rows_of_an_existing_store(
    tmp_path: Path,
) -> None:
    """A store built before m005 answers search and archive filters after it, unchanged."""
    import sqlite3

    from bot.store.schema import LazyMigrations, migrations

    db = tmp_path / "old.db"
    old = LazyMigrations(migrations.name)
    old.registered = [m for m in migrations.registered if m[0] < "m005"]
    conn = sqlite3.connect(db, isolation_level=None)
    old.apply(conn)
    conn.executescript(
        """
        INSERT INTO papers (arxiv_id, title, abstract, categories, listing_date)
            VALUES ('2104.00001', 'Diffusion', 'video diffusion', 'cs.CV', '2021-04-05'),
                   ('2104.00002', 'Diffusion', 'graph diffusion', 'stat.ML cs.LG', '2021-04-05');
        INSERT INTO paper_scores (paper_id, listing_date, score)
            VALUES ('2104.00002', '2021-04-05', 5), ('2104.00001', '2021-04-05', 9);
        INSERT INTO paper_categories (category, paper_id, listing_date, score)
            VALUES ('cs.CV', '2104.00001', '2021-04-05', 9),
                   ('stat.ML', '2104.00002', '2021-04-05', 5),
                   ('cs.LG', '2104.00002', '2021-04-05', 5);
        """
    )
    conn.close()
    store = Store.open(db)
    from bot.domain.taxonomy import resolve_filter

    cs = resolve_filter("cs")
    assert cs is not None
    assert [r.paper_id for r in store.search("diffusion", None, None, None, 5)] == [
        "2104.00001",
        "2104.00002",
    ]
    assert [r.paper_id for r in store.top(DAY, DAY, cs.categories, 5)] == [
        "2104.00001",
        "2104.00002",
    ]
    store.close()
