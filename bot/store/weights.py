"""Post weights in the store: from the followers observed and the feed-bot rule over each
account's UTC day (bot/domain/scoring.py: post_weight, feed_bot_days), kept in observations.weight
and recomputed at ingest for the days a batch touches, and for every post when settings change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from bot.domain.scoring import ScoringConfig, post_weight
from bot.store.counting import day_post_sql, group_key_sql, in_day_sql


class Weights:
    """Store methods that keep observations.weight what the settings in force make it."""

    conn: sqlite3.Connection

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

    def _reweigh_days(
        self, scoring: ScoringConfig, before: Callable[[ScoringConfig], None] | None = None
    ) -> None:
        """The feed-bot rule over the days in temp.hp_days, and their posts' weights.

        With `before`: temp.hp_more_groups gets the groups of the posts whose weight changes
        that are not in temp.hp_groups, and `before` is called before any weight is written."""
        self.conn.execute(
            f"""
            UPDATE hp_days SET bot = (
                SELECT count(DISTINCT o.paper_id) FROM observations o
                WHERE {in_day_sql("o", "hp_days")} AND {day_post_sql("o")}
            ) > ?
            """,
            (scoring.feed_bots.max_links_per_day,),
        )
        conn = self.conn
        for statement in (  # the new weight of each post of those days whose weight changes
            "CREATE TEMP TABLE IF NOT EXISTS hp_reweigh (id INTEGER PRIMARY KEY, weight REAL, "
            "paper_id TEXT, source TEXT, gkey TEXT)",
            "DELETE FROM hp_reweigh",
        ):
            conn.execute(statement)
        conn.execute(  # one pass over the days' posts: a post's day is the hp_days row it joins
            f"""
            INSERT OR IGNORE INTO hp_reweigh (id, weight, paper_id, source, gkey)
            SELECT id, new, paper_id, source, gkey FROM (
                SELECT o.id, o.weight AS old, o.paper_id, o.source,
                       {group_key_sql(scoring, "o")} AS gkey,
                       hp_post_weight(o.followers, {day_post_sql("o")} AND d.bot) AS new
                FROM hp_days d CROSS JOIN observations o ON {in_day_sql("o", "d")})
            WHERE new <> old
            """
        )
        if before is not None:
            conn.execute(
                """
                INSERT OR IGNORE INTO hp_more_groups (paper_id, source, gkey)
                SELECT r.paper_id, r.source, r.gkey FROM hp_reweigh r
                WHERE NOT EXISTS (SELECT 1 FROM hp_groups g WHERE g.paper_id = r.paper_id
                                  AND g.source = r.source AND g.gkey = r.gkey)
                """
            )
            before(scoring)
        conn.execute(  # only the rows whose weight changes are written, by rowid
            "UPDATE observations SET weight = (SELECT r.weight FROM hp_reweigh r "
            "WHERE r.id = observations.id) WHERE id IN (SELECT id FROM hp_reweigh)"
        )

    def _reweigh_all_without_reach(self, scoring: ScoringConfig) -> None:
        """_reweigh_all when followers do not count: a post weighs one of two values (on a
        feed-bot day or not), written by two plain UPDATEs instead of a Python call per row."""
        in_bot_day = f"""coalesce(({day_post_sql("observations")} AND EXISTS (
            SELECT 1 FROM hp_days d WHERE d.source = observations.source
            AND d.account = observations.account
            AND d.day = substr(observations.observed_at, 1, 10))), 0)"""
        plain = post_weight(None, scoring, feed_bot_day=False)
        self.conn.execute(
            f"UPDATE observations SET weight = ? WHERE weight <> ? AND NOT {in_bot_day}",
            (plain, plain),
        )
        if scoring.feed_bots.enabled:
            bot = post_weight(None, scoring, feed_bot_day=True)
            self.conn.execute(
                f"UPDATE observations SET weight = ? WHERE weight <> ? AND {in_bot_day}",
                (bot, bot),
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
        if not scoring.reach_weighting:
            self._reweigh_all_without_reach(scoring)
            return
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
