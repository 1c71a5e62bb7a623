"""Ranking reads: top (a listing period), trending (a time window), scores and their parts,
the posts shown with a paper, listing dates. Both rankings count by the same rules
(bot/store/attention.py); they differ only in which observations they look at."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.domain.models import Post, Score, SourceScore
from bot.domain.scoring import ScoringConfig, combine
from bot.store.attention import BATCH, _chunks
from bot.store.categories import category_keys
from bot.store.codec import parse_date, parse_time, time_text
from bot.store.counting import candidates_sql, counted_scores_sql, source_weight_sql
from bot.store.topics import matching_clause, top_matching


@dataclass(frozen=True)
class Ranked:
    paper_id: str
    score: float


class Ranking:
    """Store methods that rank papers and explain their scores."""

    conn: sqlite3.Connection

    if TYPE_CHECKING:

        @property
        def scoring(self) -> ScoringConfig: ...

        def measured_at_of(self, ids: Iterable[str]) -> dict[str, datetime | None]: ...

        def posts_of(self, ids: Iterable[str], limit: int = 10) -> dict[str, tuple[Post, ...]]: ...

    def top(
        self,
        start: date,
        end: date,
        categories: frozenset[str] | None,
        limit: int,
        min_score: float = 0.0,
        match: str = "",
    ) -> list[Ranked]:
        """Papers listed between start and end (inclusive), best first; with `match` (an FTS5
        expression, bot/domain/topics.py) only the papers it matches (bot/store/topics.py)."""
        lo, hi = start.isoformat(), end.isoformat()
        if match:
            found = top_matching(self.conn, match, lo, hi, categories, limit, min_score)
            return [Ranked(paper_id, score) for paper_id, score in found]
        if not categories:
            rows = self.conn.execute(
                "SELECT paper_id, score FROM paper_scores "
                "WHERE listing_date BETWEEN ? AND ? AND score >= ? "
                "ORDER BY score DESC, paper_id LIMIT ?",
                (lo, hi, min_score, limit),
            ).fetchall()
        elif len(keys := category_keys(categories)) == 1:
            rows = self.conn.execute(
                "SELECT paper_id, score FROM paper_categories "
                "WHERE category = ? AND listing_date BETWEEN ? AND ? AND score >= ? "
                "ORDER BY score DESC, paper_id LIMIT ?",
                (keys[0], lo, hi, min_score, limit),
            ).fetchall()
        else:
            cats = keys
            marks = ",".join("?" * len(cats))
            rows = self.conn.execute(
                f"SELECT paper_id, max(score) AS s FROM paper_categories "
                f"WHERE category IN ({marks}) AND listing_date BETWEEN ? AND ? AND score >= ? "
                f"GROUP BY paper_id ORDER BY s DESC, paper_id LIMIT ?",
                (*cats, lo, hi, min_score, limit),
            ).fetchall()
        return [Ranked(r[0], r[1]) for r in rows]

    def trending(
        self,
        since: datetime,
        until: datetime,
        categories: frozenset[str] | None,
        limit: int,
        match: str = "",
    ) -> list[Ranked]:
        """Papers by the attention their observations received inside [since, until), counted
        as `top` counts (one post per account, weights, exclusions); with `match`, only the
        papers that FTS5 expression matches."""
        scoring = self.scoring
        params: list[object] = [time_text(since), time_text(until)]
        where = "o.observed_at >= ? AND o.observed_at < ?"
        join = ""
        cats = category_keys(categories) if categories else []
        if len(cats) == 1:
            # The scan is driven by the time window (not by every paper of the category), each
            # row checked with one probe of the covering (paper_id, category) index; a join, as
            # (category, paper_id) is unique: a quarter cheaper than EXISTS per row.
            join = "CROSS JOIN paper_categories pc ON pc.category = ? AND pc.paper_id = o.paper_id"
            params.insert(0, cats[0])
        elif cats:
            where += (
                f" AND EXISTS (SELECT 1 FROM paper_categories pc WHERE pc.paper_id = o.paper_id "
                f"AND pc.category IN ({','.join('?' * len(cats))}))"
            )
            params.extend(cats)
        if match:
            clause, clause_params = matching_clause(self.conn, match, "o.paper_id")
            where += clause
            params.extend(clause_params)
        params.append(limit)
        totals = counted_scores_sql(candidates_sql(scoring, where, join=join), scoring)
        rows = self.conn.execute(
            f"SELECT a.paper_id, sum(a.score * {source_weight_sql(scoring)}) AS s "
            f"FROM ({totals}) a GROUP BY a.paper_id ORDER BY s DESC, a.paper_id LIMIT ?",
            params,
        ).fetchall()
        return [Ranked(r[0], r[1]) for r in rows]

    # -- scores and their parts ----------------------------------------------------------------

    def score_of(self, arxiv_id: str) -> Score:
        return self.scores_of([arxiv_id]).get(arxiv_id, Score(total=0.0))

    def scores_of(self, ids: Iterable[str]) -> dict[str, Score]:
        parts: dict[str, list[SourceScore]] = {}
        ids = list(ids)
        for chunk in _chunks(ids, BATCH):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT paper_id, source, posts, accounts, reposts, likes, replies, quotes, score "
                f"FROM attention WHERE paper_id IN ({marks})",
                chunk,
            ):
                parts.setdefault(row[0], []).append(
                    SourceScore(
                        source=row[1],
                        posts=row[2],
                        accounts=row[3],
                        reposts=row[4],
                        likes=row[5],
                        replies=row[6],
                        quotes=row[7],
                        score=row[8],
                    )
                )
        scoring = self.scoring
        return {pid: combine(parts.get(pid, ()), scoring) for pid in ids}

    def measured_at(self, arxiv_id: str) -> datetime | None:
        return self.measured_at_of([arxiv_id]).get(arxiv_id)

    def top_posts(self, arxiv_id: str, limit: int = 10) -> list[Post]:
        """The posts shown with a paper: display order for embeds, then the most engaged."""
        return list(self.posts_of([arxiv_id], limit)[arxiv_id])

    # -- listing dates -------------------------------------------------------------------------

    def latest_listing_date(self, on_or_before: date | None = None) -> date | None:
        if on_or_before is None:
            row = self.conn.execute("SELECT max(listing_date) FROM paper_scores").fetchone()
        else:
            row = self.conn.execute(
                "SELECT max(listing_date) FROM paper_scores WHERE listing_date <= ?",
                (on_or_before.isoformat(),),
            ).fetchone()
        return parse_date(row[0]) if row else None

    def previous_listing_date(self, before: date) -> date | None:
        row = self.conn.execute(
            "SELECT max(listing_date) FROM paper_scores WHERE listing_date < ?",
            (before.isoformat(),),
        ).fetchone()
        return parse_date(row[0]) if row else None

    def listing_dates(self) -> list[date]:
        return [
            date.fromisoformat(r[0])
            for r in self.conn.execute(
                "SELECT DISTINCT listing_date FROM paper_scores "
                "WHERE listing_date IS NOT NULL ORDER BY 1"
            )
        ]

    def latest_observation_time(self) -> datetime | None:
        row = self.conn.execute("SELECT max(observed_at) FROM observations").fetchone()
        return parse_time(row[0]) if row else None
