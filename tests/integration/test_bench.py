"""The benchmark end to end at --scale small, and the incremental ingest it measures."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.bench.datagen import SCALES, generate_papers
from bot.cli.bench import bench
from bot.domain.models import Observation, Post
from bot.domain.scoring import FeedBotRule, ScoringConfig
from bot.store import Store

EXPECTED = {
    "ingest.per_second",
    "ingest.cpu_us_per_obs",
    "ingest.pages_per_obs",
    *(f"query.{k}.p{q}" for k in ("top_today", "top_week", "top_date") for q in (50, 99)),
    *(f"query.{k}.p{q}" for k in ("trending", "paper", "search", "top_topic") for q in (50, 99)),
    "render.text",
    "render.markdown",
    "render.json",
    "cold_start.ask",
    "rss.query",
    "rss.ingest",
    "size.per_million_observations",
    "jetstream.events_per_s",
    "jetstream.tracked_mb",
    "feed.skeleton_p99",
    "feed.skeleton_cpu_p99",
    *(f"web.{page}.p99" for page in ("latest", "category", "paper")),
}


def test_small_scale_reports_every_figure_with_its_baseline_and_ratio(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    args = ["--scale", "small", "--data-dir", str(tmp_path / "data"), "--json", str(out)]
    result = CliRunner().invoke(bench, args)
    assert result.exit_code == 0, result.output
    assert "top 5 cs.CV today p99" in result.output
    assert "executemany" in result.output
    data = json.loads(out.read_text())
    figures = {f["key"]: f for f in data["figures"]}
    assert set(figures) >= EXPECTED
    for key in EXPECTED:
        figure = figures[key]
        assert figure["value"] is not None and figure["value"] > 0, key
        assert figure["baseline"] is not None and figure["baseline"] > 0, key
        assert figure["ratio"] == pytest.approx(figure["value"] / figure["baseline"]), key
    assert figures["query.top_today.p99"]["target"] == "<= 2 ms"
    assert figures["query.trending.p99"]["target"] == "<= 5 ms"
    assert figures["ingest.per_second"]["target"] == ">= 0.2x"
    assert all(len(line) <= 120 for line in result.output.splitlines())
    assert figures["web.paper.p99"]["target"] == "<= 20 ms"
    assert figures["web.site_build.rate"]["unit"] == "pages/s"
    assert figures["web.site_build.rate"]["value"] > 0
    assert data["info"]["query_failures"]["top_today"] == 0
    assert "CPU time p99" in figures["query.trending.p99"]["detail"]
    assert "cs.CV" in data["info"]["query_examples"]["top_today"]
    # The generated store is built once and reused by the next run.
    built = list((tmp_path / "data").glob("small-*.db"))
    assert len(built) == 1
    again = CliRunner().invoke(bench, args)
    assert again.exit_code == 0, again.output
    assert list((tmp_path / "data").glob("small-*.db")) == built


def test_generated_papers_are_deterministic_and_cs_heavy() -> None:
    scale = SCALES["small"]
    first = [p.arxiv_id for p in generate_papers(scale)][:50]
    assert first == [p.arxiv_id for p in generate_papers(scale)][:50]
    papers = list(generate_papers(scale))
    assert len(papers) == scale.papers
    assert len({p.arxiv_id for p in papers}) == scale.papers
    recent = papers[-2000:]
    cs_share = sum(p.primary_category.startswith("cs.") for p in recent) / len(recent)
    assert 0.3 < cs_share < 0.6
    first_day, last_day = papers[0].listing_date, papers[-1].listing_date
    assert first_day is not None and last_day is not None
    assert first_day.year <= 2010 and last_day.year == 2026


def _snapshot(store: Store) -> tuple[list[tuple[object, ...]], ...]:
    return (
        sorted(
            store.conn.execute(
                "SELECT paper_id, source, posts, accounts, reposts, likes, replies, quotes, "
                "round(score, 6) FROM attention"
            )
        ),
        sorted(
            store.conn.execute(
                "SELECT paper_id, round(score, 6), reposts, likes, posts, accounts "
                "FROM paper_scores"
            )
        ),
        sorted(
            store.conn.execute("SELECT category, paper_id, round(score, 6) FROM paper_categories")
        ),
    )


@pytest.mark.parametrize(
    "scoring",
    [
        ScoringConfig(excluded_accounts=frozenset({"bot"})),
        ScoringConfig(reposts_are_posts=True, reach_weighting=True, source_weights={"x": 2.0}),
        ScoringConfig(reach_weighting=True, feed_bots=FeedBotRule(max_links_per_day=1)),
        ScoringConfig(feed_bots=FeedBotRule(max_links_per_day=1, weight=0.3)),
    ],
)
def test_incremental_ingest_equals_a_full_rescore(scoring: ScoringConfig) -> None:
    """Upserts that move posts between papers, accounts and kinds keep the aggregates exact."""
    base = datetime(2021, 4, 5, tzinfo=UTC)
    for seed in range(60):
        rng = random.Random(seed)
        store = Store.memory(scoring)
        for _ in range(20):
            store.upsert_observations(
                Observation(
                    source=rng.choice(["x", "y"]),
                    key=f"k{rng.randint(0, 25)}",
                    arxiv_id=f"2104.0000{rng.randint(1, 4)}",
                    kind=rng.choice(["post", "post", "post", "aggregate", "embed"]),
                    observed_at=base + timedelta(hours=rng.randint(0, 50)),
                    account=rng.choice(["", "a", "b", "c", "bot", "k3"]),
                    reposts=rng.randint(0, 5),
                    likes=rng.randint(0, 5),
                    replies=rng.randint(0, 3),
                    quotes=rng.randint(0, 2),
                    followers=rng.choice([None, 10, 5000]),
                    is_repost=rng.random() < 0.2,
                    post=Post(source="x", url="https://example.social/p"),
                )
                for _ in range(rng.randint(1, 12))
            )
        incremental = _snapshot(store)
        store.rescore_all()
        assert incremental == _snapshot(store), seed
        store.close()


def test_recounting_range_by_range_equals_a_full_rescore() -> None:
    """The bulk build counts a large store in ranges of papers, a transaction each: the ranges
    together give every aggregate a full rescore gives, and a range touches no paper outside it."""
    scoring = ScoringConfig(reach_weighting=True, feed_bots=FeedBotRule(max_links_per_day=1))
    base = datetime(2021, 4, 5, tzinfo=UTC)
    for seed in range(10):
        rng = random.Random(seed)
        store = Store.memory(scoring)
        store.upsert_observations(
            Observation(
                source=rng.choice(["x", "y"]),
                key=f"k{n}",
                arxiv_id=f"2104.0000{rng.randint(1, 6)}",
                kind=rng.choice(["post", "post", "aggregate"]),
                observed_at=base + timedelta(hours=rng.randint(0, 50)),
                account=rng.choice(["", "a", "b", "c"]),
                reposts=rng.randint(0, 5),
                likes=rng.randint(1, 5),
                followers=rng.choice([None, 10, 5000]),
                post=Post(source="x", url="https://example.social/p"),
            )
            for n in range(40)
        )
        store.rescore_all()
        expected = _snapshot(store)
        store.conn.execute("DELETE FROM attention")
        store.conn.execute("UPDATE paper_scores SET score = 99, posts = 99")
        store.conn.execute("UPDATE paper_categories SET score = 99")
        store.recount_papers("2104.00003", "2104.00005")
        partial = _snapshot(store)
        assert {row[0] for row in partial[0]} <= {"2104.00003", "2104.00004"}, seed
        assert all(row[1] == 99 for row in partial[1] if row[0] >= "2104.00005"), seed
        store.recount_papers("", "2104.00003")
        store.recount_papers("2104.00005", "\U0010ffff")
        assert _snapshot(store) == expected, seed
        store.close()


def test_the_table_fits_120_columns_and_the_json_keeps_every_figure(tmp_path: Path) -> None:
    """Worst-case figures (arXiv-scale values, a failure note): every row on one line."""
    from rich.console import Console

    from bot.bench.report import result_table, write_json
    from bot.bench.runner import QUERY_LABELS, BenchResult, Figure

    figures = [
        Figure(
            "ingest.per_second",
            "ingest (upsert_observations)",
            11_478.0,
            "obs/s",
            382_288.0,
            "executemany",
            ">= 0.2x",
            False,
            detail="100,000 observations",
        ),
        *(
            Figure(
                f"query.{k}.p{q}",
                f"{label} p{q}",
                19_052.5,
                "ms",
                19_077.4,
                "naive GROUP BY",
                "<= 25 ms",
                True,
                detail="1,000 queries",
            )
            for k, label in QUERY_LABELS.items()
            for q in (50, 99)
        ),
        Figure(
            "cold_start.ask",
            "cold start: hotpapers ask",
            170.2,
            "ms",
            33.6,
            "python -c pass",
            "<= +120 ms (154)",
            False,
            "failed: sqlite3.OperationalError: no such table: papers " * 3,
        ),
        Figure(
            "fanout.elapsed",
            "fan-out to 1000 channels",
            5.94,
            "s",
            4.9,
            "rate-limit min",
            detail="one digest to 1000 channels: 1000 delivered, 0 duplicates",
        ),
    ]
    result = BenchResult("arxiv", figures, {"papers": 3_000_000, "observations": 30_000_000})
    console = Console(width=120, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(result_table(result))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 120
    for figure in figures:
        assert any(line.startswith("│ " + figure.label) for line in lines), figure.label
    assert any("[1] failed: sqlite3.OperationalError" in line for line in lines)
    out = tmp_path / "bench.json"
    write_json(result, out)
    data = json.loads(out.read_text())
    assert [f["key"] for f in data["figures"]] == [f.key for f in figures]
    assert data["figures"][0]["detail"] == "100,000 observations"
