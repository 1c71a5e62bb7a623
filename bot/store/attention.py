"""Observations and the attention aggregates: the one SQL expression of the scoring rules.

The rules themselves (which observations count, one per group, post weights, the feed-bot rule,
source weights) are defined in bot/domain/scoring.py. This module is their only SQL form:
`counted_totals_sql` turns any set of candidate observations into per (paper, source) totals, and
the incremental aggregates, the full recompute and `trending` all go through it.

The settings in force are the ones last given to `apply_scoring`, kept in the database (meta),
so every Store on the database counts alike whoever opened it and with what.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from bot.domain.models import Observation, Paper
from bot.domain.scoring import ScoringConfig, post_weight
from bot.store.codec import time_text

log = logging.getLogger(__name__)

BATCH = 2000  # papers recomputed per aggregate statement
SCORING_META = "scoring_config"  # the applied settings, as JSON
FINGERPRINT_META = "scoring"  # their fingerprint

# -- the counting rules in SQL (once) -------------------------------------------------------------

CANDIDATE_COLUMNS = (
    "id, paper_id, source, kind, account, reposts, likes, replies, quotes, weight, observed_at, "
    "is_repost"
)


def group_key_sql(scoring: ScoringConfig, o: str = "o") -> str:
    """The group an observation counts in (see domain.scoring.group_key)."""
    if not scoring.one_post_per_account:
        return f"{o}.key"
    return f"CASE WHEN {o}.kind = 'post' AND {o}.account <> '' THEN {o}.account ELSE {o}.key END"


def candidates_sql(scoring: ScoringConfig, where: str, o: str = "o") -> str:
    """Candidate rows (gkey + CANDIDATE_COLUMNS) from `observations {o} WHERE {where}`."""
    columns = ", ".join(f"{o}.{c.strip()}" for c in CANDIDATE_COLUMNS.split(","))
    return (
        f"SELECT {group_key_sql(scoring, o)} AS gkey, {columns} FROM observations {o} WHERE {where}"
    )


def counted_totals_sql(candidates: str, scoring: ScoringConfig) -> str:
    """Per (paper, source) totals of the rows that count among `candidates` (rows with a gkey
    and CANDIDATE_COLUMNS): only posts and aggregates, reposts only if they are posts, no
    excluded account, and of each (paper, source, gkey) only the most engaged row (ties: the
    first stored). Columns: paper_id, source, posts, accounts, reposts, likes, replies, quotes,
    score (before source weights), measured_at."""
    reposts_count = int(scoring.reposts_are_posts)
    return f"""
        SELECT paper_id, source, sum(kind = 'post') AS posts,
               count(DISTINCT CASE WHEN kind = 'post' AND account <> '' THEN account END)
                   AS accounts,
               sum(reposts) AS reposts, sum(likes) AS likes, sum(replies) AS replies,
               sum(quotes) AS quotes, sum((reposts + likes) * weight) AS score,
               max(observed_at) AS measured_at
        FROM (
            SELECT c.*, row_number() OVER (
                PARTITION BY c.paper_id, c.source, c.gkey
                ORDER BY c.reposts + c.likes DESC, c.id) AS rank_in_group
            FROM ({candidates}) c
            WHERE c.kind IN ('post', 'aggregate')
              AND ({reposts_count} OR c.is_repost = 0)
              AND c.account NOT IN (SELECT account FROM excluded_accounts)
        )
        WHERE rank_in_group = 1
        GROUP BY paper_id, source
    """


def source_weight_sql(scoring: ScoringConfig, source: str = "a.source") -> str:
    """A source's weight (domain: ScoringConfig.weight_of)."""
    weights = scoring.source_weights
    if not weights:
        return "1.0"
    cases = " ".join(
        f"WHEN '{s.replace(chr(39), '')}' THEN {float(w)!r}" for s, w in weights.items()
    )
    return f"(CASE {source} {cases} ELSE 1.0 END)"


def day_post_sql(o: str) -> str:
    """Posts that count towards the feed-bot rule's (source, account, UTC day) (domain: day_key)."""
    return (
        f"{o}.kind = 'post' AND {o}.is_repost = 0 AND {o}.account <> '' "
        f"AND {o}.observed_at IS NOT NULL"
    )


def in_day_sql(o: str, d: str) -> str:
    """Observation {o} falls in the day of hp_days row {d} (a range the index can use)."""
    return (
        f"{o}.source = {d}.source AND {o}.account = {d}.account "
        f"AND {o}.observed_at >= {d}.day || 'T00:00:00' AND {o}.observed_at < {d}.day || 'T99'"
    )


@functools.lru_cache(maxsize=16)
def _parse_scoring(text: str) -> ScoringConfig:
    return ScoringConfig.from_json(text)


class Attention:
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
            rows = [_row(o, scoring) for o in batch]
            ids = sorted({o.arxiv_id for o in batch})
            missing = set(ids) - self.known_ids(ids)
            if missing:
                self.upsert_papers(Paper(arxiv_id=i, title="") for i in sorted(missing))
            days = scoring.feed_bots.enabled
            self._load_batch(rows, days)
            incremental = scoring.one_post_per_account
            if incremental:
                self._affected_groups(rows, days)
                self._group_totals("hp_before", scoring)
            else:
                ids = sorted(set(ids) | self._papers_of_batch_and_days(days))
            self.conn.executemany(UPSERT, rows)
            if days:
                self._reweigh_days(scoring)
            if incremental:
                self._group_totals("hp_after", scoring)
                self._apply_group_delta(scoring)
            else:
                self._refresh(ids, scoring)
        return len(rows)

    def _register_weight(self, scoring: ScoringConfig) -> None:
        """hp_post_weight(followers, feed_bot_day): domain.scoring.post_weight, for SQL."""
        self.conn.create_function(
            "hp_post_weight", 2, lambda followers, bot: post_weight(followers, scoring, bool(bot))
        )

    def _load_batch(self, rows: Sequence[tuple[object, ...]], days: bool) -> None:
        """temp.hp_batch: the rows' new values; temp.hp_days: the (source, account, day)s they are
        in now or were in before (with the feed-bot rule on)."""
        for statement in (  # execute(), not executescript(): that would commit the transaction
            "CREATE TEMP TABLE IF NOT EXISTS hp_batch (source TEXT, key TEXT, kind TEXT, "
            "observed_at TEXT, account TEXT, is_repost INTEGER)",
            "CREATE TEMP TABLE IF NOT EXISTS hp_days (source TEXT, account TEXT, day TEXT, "
            "bot INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (source, account, day)) WITHOUT ROWID",
            "DELETE FROM hp_batch",
            "DELETE FROM hp_days",
        ):
            self.conn.execute(statement)
        self.conn.executemany(
            "INSERT INTO hp_batch (source, key, kind, observed_at, account, is_repost) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(r[0], r[1], r[3], r[4], r[5], r[11]) for r in rows],
        )
        if not days:
            return
        self.conn.execute(  # the days the rows were in before
            f"""
            INSERT OR IGNORE INTO hp_days (source, account, day)
            SELECT o.source, o.account, substr(o.observed_at, 1, 10)
            FROM hp_batch b CROSS JOIN observations o ON o.source = b.source AND o.key = b.key
            WHERE {day_post_sql("o")}
            """
        )
        self.conn.execute(  # and the days they will be in (a stored time stays if none is given)
            f"""
            INSERT OR IGNORE INTO hp_days (source, account, day)
            SELECT n.source, n.account, substr(n.observed_at, 1, 10)
            FROM (SELECT b.source, b.kind, b.account, b.is_repost,
                         coalesce(b.observed_at, s.observed_at) AS observed_at
                  FROM hp_batch b LEFT JOIN observations s
                    ON s.source = b.source AND s.key = b.key) n
            WHERE {day_post_sql("n")}
            """
        )

    def _reweigh_days(self, scoring: ScoringConfig) -> None:
        """The feed-bot rule over the days in temp.hp_days, and their posts' weights."""
        self.conn.execute(
            f"""
            UPDATE hp_days SET bot = (
                SELECT count(DISTINCT o.paper_id) FROM observations o
                WHERE {in_day_sql("o", "hp_days")} AND {day_post_sql("o")}
            ) > ?
            """,
            (scoring.feed_bots.max_links_per_day,),
        )
        self.conn.execute(
            f"""
            UPDATE observations SET weight = w.weight
            FROM (SELECT o.id, hp_post_weight(o.followers, d.bot AND {day_post_sql("o")})
                             AS weight
                  FROM hp_days d CROSS JOIN observations o ON {in_day_sql("o", "d")}) w
            WHERE observations.id = w.id AND observations.weight <> w.weight
            """
        )

    def _papers_of_batch_and_days(self, days: bool) -> set[str]:
        """Before an upsert: the papers its rows were about, and of the posts of its days."""
        found = {
            r[0]
            for r in self.conn.execute(
                "SELECT o.paper_id FROM hp_batch b CROSS JOIN observations o "
                "ON o.source = b.source AND o.key = b.key"
            )
        }
        if days:
            found.update(
                r[0]
                for r in self.conn.execute(
                    f"SELECT o.paper_id FROM hp_days d CROSS JOIN observations o "
                    f"ON {in_day_sql('o', 'd')}"
                )
            )
        return found

    # Incremental aggregates. With one post per account (the default) a paper's attention is a
    # sum over groups -- one per (paper, source, account), or per (paper, source, key) for
    # aggregates and account-less posts -- of the group's most engaged counted row. An upsert
    # changes only the groups its rows are in (and were in), and those of the posts whose weight
    # the feed-bot rule may change, so the aggregates move by the difference of those groups'
    # contributions before and after, read through the index (paper_id, source, account): the
    # work is proportional to the batch. _refresh() stays the full recompute.

    def _affected_groups(self, rows: Sequence[tuple[object, ...]], days: bool) -> None:
        """Fill temp.hp_groups with the groups the rows are in now and were in before."""
        conn = self.conn
        totals = (
            "(paper_id TEXT, source TEXT, posts INTEGER, accounts INTEGER, reposts INTEGER, "
            "likes INTEGER, replies INTEGER, quotes INTEGER, score REAL, measured_at TEXT)"
        )
        for statement in (
            "CREATE TEMP TABLE IF NOT EXISTS hp_groups (paper_id TEXT, source TEXT, gkey TEXT, "
            "PRIMARY KEY (paper_id, source, gkey)) WITHOUT ROWID",
            f"CREATE TEMP TABLE IF NOT EXISTS hp_before {totals}",
            f"CREATE TEMP TABLE IF NOT EXISTS hp_after {totals}",
            "DELETE FROM hp_groups",
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
        if days:
            conn.execute(
                f"""
                INSERT OR IGNORE INTO hp_groups (paper_id, source, gkey)
                SELECT o.paper_id, o.source, o.account
                FROM hp_days d CROSS JOIN observations o ON {in_day_sql("o", "d")}
                WHERE o.kind = 'post'
                """
            )

    def _group_totals(self, into: str, scoring: ScoringConfig) -> None:
        """Per (paper, source): the summed contribution of the groups in temp.hp_groups.

        CROSS JOIN keeps the groups as the outer loop: without statistics the planner would
        otherwise scan observations.
        """
        columns = ", ".join(f"o.{c.strip()}" for c in CANDIDATE_COLUMNS.split(","))
        candidates = f"""
            SELECT g.gkey, {columns}
            FROM hp_groups g CROSS JOIN observations o
              ON o.paper_id = g.paper_id AND o.source = g.source AND o.account = g.gkey
            WHERE o.kind = 'post' AND o.account <> ''
            UNION ALL
            SELECT g.gkey, {columns}
            FROM hp_groups g CROSS JOIN observations o
              ON o.source = g.source AND o.key = g.gkey AND o.paper_id = g.paper_id
            WHERE NOT (o.kind = 'post' AND o.account <> '')
        """
        self.conn.execute(
            f"INSERT INTO {into} (paper_id, source, posts, accounts, reposts, likes, replies, "
            f"quotes, score, measured_at) {counted_totals_sql(candidates, scoring)}"
        )

    def _apply_group_delta(self, scoring: ScoringConfig) -> None:
        conn = self.conn
        conn.execute(
            """
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
            ON CONFLICT (paper_id, source) DO UPDATE SET
                posts = posts + excluded.posts, accounts = accounts + excluded.accounts,
                reposts = reposts + excluded.reposts, likes = likes + excluded.likes,
                replies = replies + excluded.replies, quotes = quotes + excluded.quotes,
                score = score + excluded.score,
                measured_at = CASE WHEN excluded.measured_at IS NULL THEN measured_at
                                   WHEN measured_at IS NULL THEN excluded.measured_at
                                   ELSE max(measured_at, excluded.measured_at) END
            """
        )
        touched = [r[0] for r in conn.execute("SELECT DISTINCT paper_id FROM hp_groups")]
        # A (paper, source) that may have lost its last counted row: recompute those papers fully.
        emptied = [
            r[0]
            for r in conn.execute(
                """
                SELECT DISTINCT a.paper_id FROM attention a
                JOIN (SELECT DISTINCT paper_id, source FROM hp_before) b
                  ON b.paper_id = a.paper_id AND b.source = a.source
                WHERE NOT EXISTS (SELECT 1 FROM hp_after f
                                  WHERE f.paper_id = a.paper_id AND f.source = a.source)
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
        self._reweigh_all(scoring)
        ids = [r[0] for r in self.conn.execute("SELECT DISTINCT paper_id FROM observations")]
        self.conn.execute("DELETE FROM attention")
        self.conn.execute(
            "UPDATE paper_scores SET score = 0, reposts = 0, likes = 0, posts = 0, accounts = 0"
        )
        self.conn.execute("UPDATE paper_categories SET score = 0")
        self._refresh(ids, scoring)

    def _reweigh_all(self, scoring: ScoringConfig) -> None:
        """Every observation's weight from its followers and the feed-bot rule over its day."""
        self._register_weight(scoring)
        self._load_batch([], days=False)
        if scoring.feed_bots.enabled:
            self.conn.execute(
                f"""
                INSERT INTO hp_days (source, account, day, bot)
                SELECT o.source, o.account, substr(o.observed_at, 1, 10), 1
                FROM observations o WHERE {day_post_sql("o")}
                GROUP BY 1, 2, 3 HAVING count(DISTINCT o.paper_id) > ?
                """,
                (scoring.feed_bots.max_links_per_day,),
            )
        self.conn.execute(
            f"""
            UPDATE observations SET weight = w.weight
            FROM (SELECT o.id, hp_post_weight(o.followers, {day_post_sql("o")} AND EXISTS (
                             SELECT 1 FROM hp_days d WHERE d.source = o.source
                             AND d.account = o.account AND d.day = substr(o.observed_at, 1, 10)))
                             AS weight
                  FROM observations o) w
            WHERE observations.id = w.id AND observations.weight <> w.weight
            """
        )


UPSERT = """
    INSERT INTO observations (source, key, paper_id, kind, observed_at, account,
        reposts, likes, replies, quotes, followers, is_repost, weight,
        url, author_name, author_handle, text, lang, html)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(source, key) DO UPDATE SET
        paper_id = excluded.paper_id, kind = excluded.kind,
        observed_at = coalesce(excluded.observed_at, observed_at),
        account = excluded.account, reposts = excluded.reposts,
        likes = excluded.likes, replies = excluded.replies, quotes = excluded.quotes,
        followers = coalesce(excluded.followers, followers),
        is_repost = excluded.is_repost,
        weight = hp_post_weight(coalesce(excluded.followers, followers), 0),
        url = excluded.url, author_name = excluded.author_name,
        author_handle = excluded.author_handle, text = excluded.text,
        lang = excluded.lang, html = excluded.html
"""


def _row(o: Observation, scoring: ScoringConfig) -> tuple[object, ...]:
    """An observation as UPSERT's parameters; its weight before the feed-bot rule."""
    post = o.post
    return (
        o.source,
        o.key,
        o.arxiv_id,
        o.kind,
        _utc_text(o.observed_at),
        o.account.lower().lstrip("@"),
        max(o.reposts, 0),
        max(o.likes, 0),
        max(o.replies, 0),
        max(o.quotes, 0),
        o.followers,
        int(o.is_repost),
        post_weight(o.followers, scoring),
        post.url if post else "",
        post.author_name if post else "",
        post.author_handle if post else "",
        post.text if post else "",
        post.lang if post else "",
        post.html if post else "",
    )


def _utc_text(value: datetime | date | None) -> str | None:
    """time_text() with a fast path for the common case: an aware UTC datetime."""
    if isinstance(value, datetime) and value.tzinfo is UTC:
        return value.isoformat(timespec="seconds")[:19]
    return time_text(value)


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
