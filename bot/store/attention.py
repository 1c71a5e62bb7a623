"""Observations and the attention aggregates kept current on every ingest.

The rules (which observations count, one per group, post weights, the feed-bot rule, source
weights) are defined in bot/domain/scoring.py; their one SQL form is bot/store/counting.py, used
here by the incremental aggregates and the full recompute, and by `trending` (ranking.py).

The settings in force are the ones last given to `apply_scoring`, kept in the database (meta),
so every Store on the database counts alike whoever opened it and with what.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from bot.domain.models import Observation, Paper
from bot.domain.scoring import ScoringConfig
from bot.store.counting import (
    CANDIDATE_COLUMNS,
    candidates_sql,
    counted_totals_sql,
    source_weight_sql,
)
from bot.store.upsert import UPSERT, upsert_row
from bot.store.weights import Weights

log = logging.getLogger(__name__)

BATCH = 2000  # papers recomputed per aggregate statement
SCORING_META = "scoring_config"  # the applied settings, as JSON
FINGERPRINT_META = "scoring"  # their fingerprint


@functools.lru_cache(maxsize=16)
def _parse_scoring(text: str) -> ScoringConfig:
    return ScoringConfig.from_json(text)


# An INSERT into a (paper, source) totals table that adds to the totals already there.
ADD_TOTALS = """ON CONFLICT (paper_id, source) DO UPDATE SET
    posts = posts + excluded.posts, accounts = accounts + excluded.accounts,
    reposts = reposts + excluded.reposts, likes = likes + excluded.likes,
    replies = replies + excluded.replies, quotes = quotes + excluded.quotes,
    score = score + excluded.score,
    measured_at = CASE WHEN excluded.measured_at IS NULL THEN measured_at
                       WHEN measured_at IS NULL THEN excluded.measured_at
                       ELSE max(measured_at, excluded.measured_at) END"""


class Attention(Weights):
    """Store methods for observations and the aggregates kept current on every ingest."""

    conn: sqlite3.Connection

    if TYPE_CHECKING:

        def transaction(self) -> AbstractContextManager[None]: ...
        def get_meta(self, key: str) -> str | None: ...
        def set_meta(self, key: str, value: str) -> None: ...
        def known_ids(self, ids: Iterable[str]) -> set[str]: ...
        def upsert_papers(self, papers: Iterable[Paper]) -> int: ...

    # -- the settings in force ---------------------------------------------------------------

    @property
    def scoring(self) -> ScoringConfig:
        """The settings last applied to this database (the defaults if none ever were)."""
        text = self.get_meta(SCORING_META)
        return _parse_scoring(text) if text else ScoringConfig()

    def apply_scoring(self, config: ScoringConfig) -> bool:
        """Make `config` the settings in force. Rescores every paper from its observations (post
        weights included) iff the settings differ from those in force; returns whether it did."""
        fingerprint = config.fingerprint()
        if self.get_meta(FINGERPRINT_META) == fingerprint:
            return False  # in force already (and nothing written: read-only commands start too)
        with self.transaction():
            self.conn.execute("DELETE FROM excluded_accounts")
            self.conn.executemany(
                "INSERT OR IGNORE INTO excluded_accounts (account) VALUES (?)",
                [(a,) for a in sorted(config.excluded())],
            )
            before = self.get_meta(FINGERPRINT_META) or ScoringConfig().fingerprint()
            self.set_meta(SCORING_META, config.to_json())
            self.set_meta(FINGERPRINT_META, fingerprint)
            if before == fingerprint:
                return False
            log.info("scoring settings changed: recomputing every score")
            self._rescore_all(config)
        return True

    # -- ingest ------------------------------------------------------------------------------

    def upsert_observations(self, observations: Iterable[Observation]) -> int:
        """Upsert by (source, key): refreshed counters replace the old ones, never add to them.

        Papers that are not stored yet get a placeholder row (title unknown) so nothing is lost;
        a metadata lookup fills it in later. Post weights follow from what was observed
        (followers, the feed-bot rule over the account's day) under the settings in force.
        """
        batch = list(observations)
        if not batch:
            return 0
        with self.transaction():
            scoring = self.scoring
            self._register_weight(scoring)
            rows = [upsert_row(o, scoring) for o in batch]
            ids = sorted({o.arxiv_id for o in batch})
            missing = set(ids) - self.known_ids(ids)
            if missing:
                self.upsert_papers(Paper(arxiv_id=i, title="") for i in sorted(missing))
            days = scoring.feed_bots.enabled
            self._load_batch(rows, days)
            incremental = scoring.one_post_per_account
            if incremental:
                self._affected_groups(rows)
                self._group_totals("hp_before", scoring)
            else:
                ids = sorted(set(ids) | self._papers_of_batch_and_days(days))
            self.conn.executemany(UPSERT, rows)
            if days:
                self._reweigh_days(scoring, self._before_reweigh if incremental else None)
            if incremental:
                self._group_totals("hp_after", scoring)
                self._apply_group_delta(scoring)
            else:
                self._refresh(ids, scoring)
        return len(rows)

    # Incremental aggregates. With one post per account (the default) a paper's attention is a
    # sum over groups -- one per (paper, source, account), or per (paper, source, key) for
    # aggregates and account-less posts -- of the group's most engaged counted row. An upsert
    # changes only the groups its rows are in (and were in), and those of the posts whose weight
    # the feed-bot rule may change, so the aggregates move by the difference of those groups'
    # contributions before and after, read through the index (paper_id, source, account): the
    # work is proportional to the batch. _refresh() stays the full recompute.

    def _affected_groups(self, rows: Sequence[tuple[object, ...]]) -> None:
        """Fill temp.hp_groups with the groups the rows are in now and were in before (the
        groups of other posts whose weight the feed-bot rule changes join later:
        _reweigh_days)."""
        conn = self.conn
        totals = (  # keyed: the check for emptied (paper, source)s probes hp_after, not scans it
            "(paper_id TEXT, source TEXT, posts INTEGER, accounts INTEGER, reposts INTEGER, "
            "likes INTEGER, replies INTEGER, quotes INTEGER, score REAL, measured_at TEXT, "
            "PRIMARY KEY (paper_id, source)) WITHOUT ROWID"
        )
        for statement in (
            "CREATE TEMP TABLE IF NOT EXISTS hp_groups (paper_id TEXT, source TEXT, gkey TEXT, "
            "PRIMARY KEY (paper_id, source, gkey)) WITHOUT ROWID",
            "CREATE TEMP TABLE IF NOT EXISTS hp_more_groups (paper_id TEXT, source TEXT, "
            "gkey TEXT, PRIMARY KEY (paper_id, source, gkey)) WITHOUT ROWID",
            f"CREATE TEMP TABLE IF NOT EXISTS hp_before {totals}",
            f"CREATE TEMP TABLE IF NOT EXISTS hp_after {totals}",
            "DELETE FROM hp_groups",
            "DELETE FROM hp_more_groups",
            "DELETE FROM hp_before",
            "DELETE FROM hp_after",
        ):
            conn.execute(statement)
        conn.executemany(
            "INSERT OR IGNORE INTO hp_groups (paper_id, source, gkey) VALUES (?, ?, ?)",
            [(r[2], r[0], r[5] if r[3] == "post" and r[5] != "" else r[1]) for r in rows],
        )
        conn.execute(
            """
            INSERT OR IGNORE INTO hp_groups (paper_id, source, gkey)
            SELECT o.paper_id, o.source,
                   CASE WHEN o.kind = 'post' AND o.account <> '' THEN o.account ELSE o.key END
            FROM hp_batch b CROSS JOIN observations o ON o.source = b.source AND o.key = b.key
            """
        )

    def _before_reweigh(self, scoring: ScoringConfig) -> None:
        """Called by _reweigh_days once temp.hp_more_groups holds the groups of the posts whose
        weight is about to change, not yet in temp.hp_groups: no row of theirs is in the batch,
        so the upsert left them as they were, and their contribution now is their contribution
        before. Added to hp_before, and to hp_groups for hp_after."""
        self._group_totals("hp_before", scoring, groups="hp_more_groups", add=True)
        self.conn.execute("INSERT OR IGNORE INTO hp_groups SELECT * FROM hp_more_groups")

    def _group_totals(
        self, into: str, scoring: ScoringConfig, groups: str = "hp_groups", add: bool = False
    ) -> None:
        """Per (paper, source): the summed contribution of the groups in temp.hp_groups (or
        `groups`), written into `into` (or added to what it holds, with `add`).

        CROSS JOIN keeps the groups as the outer loop: without statistics the planner would
        otherwise scan observations.
        """
        columns = ", ".join(f"o.{c.strip()}" for c in CANDIDATE_COLUMNS.split(","))
        candidates = f"""
            SELECT g.gkey, {columns}
            FROM {groups} g CROSS JOIN observations o
              ON o.paper_id = g.paper_id AND o.source = g.source AND o.account = g.gkey
            WHERE o.kind = 'post' AND o.account <> ''
            UNION ALL
            SELECT g.gkey, {columns}
            FROM {groups} g CROSS JOIN observations o
              ON o.source = g.source AND o.key = g.gkey AND o.paper_id = g.paper_id
            WHERE NOT (o.kind = 'post' AND o.account <> '')
        """
        upsert = f" {ADD_TOTALS}" if add else ""
        self.conn.execute(
            f"INSERT INTO {into} (paper_id, source, posts, accounts, reposts, likes, replies, "
            f"quotes, score, measured_at) SELECT * FROM ({counted_totals_sql(candidates, scoring)})"
            f" WHERE 1{upsert}"
        )

    def _apply_group_delta(self, scoring: ScoringConfig) -> None:
        conn = self.conn
        conn.execute(
            f"""
            INSERT INTO attention (paper_id, source, posts, accounts, reposts, likes, replies,
                                   quotes, score, measured_at)
            SELECT paper_id, source, sum(posts), sum(accounts), sum(reposts), sum(likes),
                   sum(replies), sum(quotes), sum(score), max(measured_at)
            FROM (
                SELECT paper_id, source, posts, accounts, reposts, likes, replies, quotes, score,
                       measured_at
                FROM hp_after
                UNION ALL
                SELECT paper_id, source, -posts, -accounts, -reposts, -likes, -replies, -quotes,
                       -score, NULL
                FROM hp_before
            )
            GROUP BY paper_id, source
            {ADD_TOTALS}
            """
        )
        touched = [r[0] for r in conn.execute("SELECT DISTINCT paper_id FROM hp_groups")]
        # A (paper, source) that may have lost its last counted row, or whose latest counted
        # time may have gone back (a max cannot be taken back by a difference): recompute those
        # papers fully.
        emptied = [
            r[0]
            for r in conn.execute(
                """
                SELECT DISTINCT a.paper_id FROM hp_before b
                CROSS JOIN attention a ON a.paper_id = b.paper_id AND a.source = b.source
                LEFT JOIN hp_after f ON f.paper_id = b.paper_id AND f.source = b.source
                WHERE f.paper_id IS NULL
                   OR (a.measured_at = b.measured_at
                       AND (f.measured_at IS NULL OR f.measured_at < b.measured_at))
                """
            )
        ]
        if emptied:
            self._refresh(emptied, scoring)
        weight_case = source_weight_sql(scoring)
        for chunk in _chunks(touched, BATCH):
            marks = ",".join("?" * len(chunk))
            conn.execute(
                f"""
                UPDATE paper_scores SET score = t.score, reposts = t.reposts, likes = t.likes,
                       posts = t.posts, accounts = t.accounts, measured_at = t.measured_at
                FROM (SELECT a.paper_id, sum(a.score * {weight_case}) AS score,
                             sum(a.reposts) AS reposts, sum(a.likes) AS likes,
                             sum(a.posts) AS posts, sum(a.accounts) AS accounts,
                             max(a.measured_at) AS measured_at
                      FROM attention a WHERE a.paper_id IN ({marks}) GROUP BY a.paper_id) t
                WHERE paper_scores.paper_id = t.paper_id
                """,
                chunk,
            )
            conn.execute(
                f"UPDATE paper_categories SET score = s.score FROM paper_scores s "
                f"WHERE s.paper_id = paper_categories.paper_id "
                f"AND paper_categories.paper_id IN ({marks}) "
                f"AND paper_categories.score <> s.score",
                chunk,
            )

    # -- full recompute ----------------------------------------------------------------------

    def refresh_attention(self, ids: Sequence[str]) -> None:
        """Recompute the per-source aggregates and scores of these papers from their observations."""
        self._refresh(ids, self.scoring)

    def _refresh(self, ids: Sequence[str], scoring: ScoringConfig) -> None:
        weight_case = source_weight_sql(scoring)
        for chunk in _chunks(ids, BATCH):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(f"DELETE FROM attention WHERE paper_id IN ({marks})", chunk)
            totals = counted_totals_sql(
                candidates_sql(scoring, f"o.paper_id IN ({marks})"), scoring
            )
            self.conn.execute(
                f"INSERT INTO attention (paper_id, source, posts, accounts, reposts, likes, "
                f"replies, quotes, score, measured_at) {totals}",
                chunk,
            )
            self.conn.execute(
                f"""
                UPDATE paper_scores SET
                    score = coalesce((SELECT sum(a.score * {weight_case}) FROM attention a
                                      WHERE a.paper_id = paper_scores.paper_id), 0),
                    reposts = coalesce((SELECT sum(reposts) FROM attention a
                                        WHERE a.paper_id = paper_scores.paper_id), 0),
                    likes = coalesce((SELECT sum(likes) FROM attention a
                                      WHERE a.paper_id = paper_scores.paper_id), 0),
                    posts = coalesce((SELECT sum(posts) FROM attention a
                                      WHERE a.paper_id = paper_scores.paper_id), 0),
                    accounts = coalesce((SELECT sum(accounts) FROM attention a
                                         WHERE a.paper_id = paper_scores.paper_id), 0),
                    measured_at = (SELECT max(measured_at) FROM attention a
                                   WHERE a.paper_id = paper_scores.paper_id)
                WHERE paper_id IN ({marks})
                """,
                chunk,
            )
            self.conn.execute(
                f"UPDATE paper_categories SET score = (SELECT score FROM paper_scores s "
                f"WHERE s.paper_id = paper_categories.paper_id) WHERE paper_id IN ({marks})",
                chunk,
            )

    def rescore_all(self) -> None:
        """Every post weight and every score again from the observations, under the settings in
        force."""
        with self.transaction():
            self._rescore_all(self.scoring)

    def _rescore_all(self, scoring: ScoringConfig) -> None:
        """_refresh() of every paper, as one pass over observations (sorted once) instead of a
        lookup per paper: the same totals, several times faster on a large database."""
        self._reweigh_all(scoring)
        self._recount(scoring, None)

    def reweigh_all(self) -> None:
        """Every post weight again (followers, the feed-bot rule), aggregates left as they are:
        the bulk build's first step, taken before the observation indexes exist."""
        with self.transaction():
            self._reweigh_all(self.scoring)

    def recount_papers(self, first: str, end: str) -> None:
        """The aggregates of the papers with `first` <= id < `end` counted again from their
        observations as stored (post weights as they are): the bulk build rescores a large
        store range by range, one transaction each, instead of in one transaction."""
        with self.transaction():
            self._recount(self.scoring, (first, end))

    def _recount(self, scoring: ScoringConfig, ids: tuple[str, str] | None) -> None:
        """Attention, paper_scores and paper_categories from the observations, for every paper or
        for the papers in the half-open id range `ids`."""
        conn = self.conn
        params: tuple[str, ...] = ids or ()

        def within(column: str) -> str:
            return f"{column} >= ? AND {column} < ?" if ids else "1"

        conn.execute(f"DELETE FROM attention WHERE {within('paper_id')}", params)
        conn.execute(
            f"INSERT INTO attention (paper_id, source, posts, accounts, reposts, likes, replies, "
            f"quotes, score, measured_at) "
            f"{counted_totals_sql(candidates_sql(scoring, within('o.paper_id')), scoring)}",
            params,
        )
        conn.execute(
            "UPDATE paper_scores SET score = 0, reposts = 0, likes = 0, posts = 0, accounts = 0 "
            f"WHERE {within('paper_id')}",
            params,
        )
        conn.execute(
            f"""
            UPDATE paper_scores SET score = coalesce(t.score, 0),
                   reposts = coalesce(t.reposts, 0), likes = coalesce(t.likes, 0),
                   posts = coalesce(t.posts, 0), accounts = coalesce(t.accounts, 0),
                   measured_at = t.measured_at
            FROM (SELECT o.paper_id, a.score, a.reposts, a.likes, a.posts, a.accounts,
                         a.measured_at
                  FROM (SELECT DISTINCT paper_id FROM observations
                        WHERE {within("paper_id")}) o
                  LEFT JOIN (SELECT paper_id, sum(score * {source_weight_sql(scoring, "source")})
                                        AS score,
                                    sum(reposts) AS reposts, sum(likes) AS likes,
                                    sum(posts) AS posts, sum(accounts) AS accounts,
                                    max(measured_at) AS measured_at
                             FROM attention WHERE {within("paper_id")}
                             GROUP BY paper_id) a ON a.paper_id = o.paper_id) t
            WHERE paper_scores.paper_id = t.paper_id
            """,
            params * 2,
        )
        conn.execute(
            "UPDATE paper_categories SET score = coalesce((SELECT s.score FROM paper_scores s "
            f"WHERE s.paper_id = paper_categories.paper_id), 0) WHERE {within('paper_id')}",
            params,
        )


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
