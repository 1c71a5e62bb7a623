"""The store: papers, observations and the attention aggregates kept current on every ingest."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from bot.domain.models import Observation, Paper, Post, Score, SourceScore
from bot.domain.scoring import ScoringConfig, combine, post_weight
from bot.store.categories import category_keys, indexed_categories
from bot.store.codec import (
    date_text,
    json_list,
    parse_date,
    parse_json_list,
    parse_time,
    time_text,
)
from bot.store.connection import ThreadConnection
from bot.store.db import MEMORY, Connections, open_database, read_only_default
from bot.store.deliveries import DeliveryLog

if TYPE_CHECKING:
    from sqlite_utils import Database

log = logging.getLogger(__name__)

BATCH = 2000  # papers recomputed per aggregate statement
SEARCH_RANK_ALL = 3_000  # at most this many matches: look each one's score up by rowid
SEARCH_SET = 200_000  # at most this many: walk papers by score, each tested against the matches
SEARCH_WALK = 200_000  # at most this many papers walked for one search


@dataclass(frozen=True)
class Ranked:
    paper_id: str
    score: float


class Store:
    """One SQLite database, shareable by the threads of one process.

    Each thread reads and writes through its own connection (opened lazily); write transactions
    queue on one process-wide lock per file and start as writers (BEGIN IMMEDIATE).
    """

    def __init__(self, connections: Connections, scoring: ScoringConfig) -> None:
        self._connections = connections
        self.path = connections.path
        self.read_only = connections.read_only
        self.scoring = scoring
        self.conn: sqlite3.Connection = cast(sqlite3.Connection, ThreadConnection(connections))
        self.deliveries = DeliveryLog(self.conn, self.transaction)

    # -- bounded work ----------------------------------------------------------------------

    @contextmanager
    def time_budget(self, seconds: float | None) -> Iterator[None]:
        """Interrupt any query this thread still runs `seconds` after entry.

        The interrupted query raises sqlite3.OperationalError("interrupted") and its statement is
        rolled back; nothing stored before is touched. None or 0: no budget. A storage fault met
        inside (a damaged page, a full disk) raises StorageError.
        """
        conn = self._connections.get()
        if seconds:
            deadline = time.monotonic() + seconds
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1_000)
        try:
            yield
        except sqlite3.Error as exc:
            self._connections.reraise(exc)
        finally:
            if seconds:
                conn.set_progress_handler(None, 0)

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | Path,
        scoring: ScoringConfig | None = None,
        *,
        read_only: bool | None = None,
    ) -> Store:
        """Open the database at `path` (read-write: created and migrated as needed).

        read_only=True opens it `mode=ro` and never writes (no migration, no rescoring). None:
        read-write, except inside `read_only_opens()` (ask, digest): read-only connections, a
        missing file created, and a read-write connection only for a write (an arXiv lookup).
        Raises StorageError with a one-line explanation.
        """
        on_demand = read_only is None and read_only_default() and str(path) != MEMORY
        read_only = bool(read_only) or on_demand
        connections = open_database(path, read_only=read_only, writes_on_demand=on_demand)
        store = cls(connections, scoring or ScoringConfig())
        if not read_only:
            try:
                store._sync_scoring()
            except BaseException:
                store.close()
                raise
        return store

    @classmethod
    def memory(cls, scoring: ScoringConfig | None = None) -> Store:
        return cls.open(MEMORY, scoring, read_only=False)

    def close(self) -> None:
        """Close every thread's connection."""
        self._connections.close()

    @property
    def db(self) -> Database:
        """A sqlite-utils view of this thread's connection (imported on first use: it is slow)."""
        from sqlite_utils import Database

        return Database(self._connections.get())

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; nested blocks on the same thread are savepoints.

        Storage faults (disk full, read-only file, damaged file) raise StorageError.
        """
        with self._connections.transaction():
            yield

    def _sync_scoring(self) -> None:
        """Recompute every score when the scoring settings changed since the last run."""
        with self.transaction():
            self.conn.execute("DELETE FROM excluded_accounts")
            self.conn.executemany(
                "INSERT OR IGNORE INTO excluded_accounts (account) VALUES (?)",
                [(a.lower().lstrip("@"),) for a in self.scoring.excluded_accounts],
            )
        fingerprint = self.scoring.fingerprint()
        if self.get_meta("scoring") != fingerprint:
            if self.get_meta("scoring") is not None:
                log.info("scoring settings changed: recomputing every score")
                self.rescore_all()
            self.set_meta("scoring", fingerprint)

    # -- meta and cursors ---------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def get_cursor(self, name: str) -> str | None:
        row = self.conn.execute("SELECT value FROM cursors WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_cursor(self, name: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (name, value, time_text(datetime.now(UTC))),
        )

    # -- papers ------------------------------------------------------------------------------

    def upsert_papers(self, papers: Iterable[Paper]) -> int:
        """Insert or refresh papers. The first (earliest) listing date wins; None never clears one."""
        rows = [
            (
                p.arxiv_id,
                p.title,
                json_list(p.authors),
                p.abstract,
                p.primary_category or (p.categories[0] if p.categories else ""),
                " ".join(p.categories),
                date_text(p.listing_date),
                time_text(p.submitted),
                p.version,
            )
            for p in papers
        ]
        if not rows:
            return 0
        with self.transaction():
            self.conn.executemany(
                """
                INSERT INTO papers (arxiv_id, title, authors, abstract, primary_category,
                                    categories, listing_date, submitted, version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(arxiv_id) DO UPDATE SET
                    title = CASE WHEN excluded.title <> '' THEN excluded.title ELSE title END,
                    authors = CASE WHEN excluded.authors <> '[]' THEN excluded.authors ELSE authors END,
                    abstract = CASE WHEN excluded.abstract <> '' THEN excluded.abstract
                                    ELSE abstract END,
                    primary_category = CASE WHEN excluded.primary_category <> ''
                                            THEN excluded.primary_category ELSE primary_category END,
                    categories = CASE WHEN excluded.categories <> '' THEN excluded.categories
                                      ELSE categories END,
                    listing_date = CASE
                        WHEN listing_date IS NULL THEN excluded.listing_date
                        WHEN excluded.listing_date IS NULL THEN listing_date
                        ELSE min(listing_date, excluded.listing_date) END,
                    submitted = coalesce(submitted, excluded.submitted),
                    version = max(coalesce(version, 0), coalesce(excluded.version, 0))
                """,
                rows,
            )
            self._reindex_categories([r[0] for r in rows])
        return len(rows)

    def _reindex_categories(self, ids: Sequence[str]) -> None:
        for chunk in _chunks(ids, BATCH):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(
                f"INSERT INTO paper_scores (paper_id, paper_rowid) SELECT arxiv_id, rowid "
                f"FROM papers WHERE arxiv_id IN ({marks}) ON CONFLICT(paper_id) DO NOTHING",
                chunk,
            )
            self.conn.execute(
                f"UPDATE paper_scores SET listing_date = "
                f"(SELECT listing_date FROM papers WHERE arxiv_id = paper_id) "
                f"WHERE paper_id IN ({marks})",
                chunk,
            )
            self.conn.execute(f"DELETE FROM paper_categories WHERE paper_id IN ({marks})", chunk)
            rows = self.conn.execute(
                f"SELECT p.arxiv_id, p.categories, p.listing_date, s.score FROM papers p "
                f"JOIN paper_scores s ON s.paper_id = p.arxiv_id WHERE p.arxiv_id IN ({marks})",
                chunk,
            ).fetchall()
            self.conn.executemany(
                "INSERT OR IGNORE INTO paper_categories (category, paper_id, listing_date, score) "
                "VALUES (?, ?, ?, ?)",
                [
                    (cat, pid, listed, score)
                    for pid, cats, listed, score in rows
                    for cat in indexed_categories(cats)
                ],
            )

    def get_paper(self, arxiv_id: str) -> Paper | None:
        return self.get_papers([arxiv_id]).get(arxiv_id)

    def get_papers(self, ids: Iterable[str]) -> dict[str, Paper]:
        ids = list(ids)
        found: dict[str, Paper] = {}
        for chunk in _chunks(ids, BATCH):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT arxiv_id, title, authors, abstract, primary_category, categories, "
                f"listing_date, submitted, version FROM papers WHERE arxiv_id IN ({marks})",
                chunk,
            ):
                found[row[0]] = Paper(
                    arxiv_id=row[0],
                    title=row[1],
                    authors=parse_json_list(row[2]),
                    abstract=row[3],
                    primary_category=row[4],
                    categories=tuple(row[5].split()),
                    listing_date=parse_date(row[6]),
                    submitted=parse_time(row[7]),
                    version=row[8],
                )
        return found

    def known_ids(self, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        known: set[str] = set()
        for chunk in _chunks(ids, BATCH):
            marks = ",".join("?" * len(chunk))
            known.update(
                r[0]
                for r in self.conn.execute(
                    f"SELECT arxiv_id FROM papers WHERE arxiv_id IN ({marks})", chunk
                )
            )
        return known

    def count(self, table: str) -> int:
        if table not in {"papers", "observations", "deliveries", "subscriptions"}:
            raise ValueError(table)
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    # -- observations and aggregates -------------------------------------------------------

    def upsert_observations(self, observations: Iterable[Observation]) -> int:
        """Upsert by (source, key): refreshed counters replace the old ones, never add to them.

        Papers that are not stored yet get a placeholder row (title unknown) so nothing is lost;
        a metadata lookup fills it in later.
        """
        rows = []
        reach = self.scoring.reach_weighting
        for o in observations:
            post = o.post
            rows.append(
                (
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
                    o.weight
                    if o.weight is not None
                    else (post_weight(o.followers, self.scoring) if reach else 1.0),
                    post.url if post else "",
                    post.author_name if post else "",
                    post.author_handle if post else "",
                    post.text if post else "",
                    post.lang if post else "",
                    post.html if post else "",
                )
            )
        if not rows:
            return 0
        ids = sorted({r[2] for r in rows})
        with self.transaction():
            missing = set(ids) - self.known_ids(ids)
            if missing:
                self.upsert_papers(Paper(arxiv_id=i, title="") for i in sorted(missing))
            incremental = self.scoring.one_post_per_account
            if incremental:
                groups = self._affected_groups(rows)
                self._group_totals(groups, "hp_before")
            self.conn.executemany(
                """
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
                    is_repost = excluded.is_repost, weight = excluded.weight,
                    url = excluded.url, author_name = excluded.author_name,
                    author_handle = excluded.author_handle, text = excluded.text,
                    lang = excluded.lang, html = excluded.html
                """,
                rows,
            )
            if incremental:
                self._group_totals(groups, "hp_after")
                self._apply_group_delta()
            else:
                self.refresh_attention(ids)
        return len(rows)

    # Incremental aggregates. With one post per account (the default) a paper's attention is a
    # sum over groups -- one per (paper, source, account), or per (paper, source, key) for
    # aggregates and account-less posts -- of the group's most engaged counted row. An upsert
    # changes only the groups its rows are in (and were in), so the aggregates move by the
    # difference of those groups' contributions before and after, read through the index
    # (paper_id, source, account): the work is proportional to the batch, not to how much
    # attention its papers already have. refresh_attention() stays the full recompute.

    def _affected_groups(self, rows: Sequence[tuple[object, ...]]) -> str:
        """Fill temp.hp_groups with the groups the rows are in now and were in before."""
        conn = self.conn
        totals = (
            "(paper_id TEXT, source TEXT, posts INTEGER, accounts INTEGER, reposts INTEGER, "
            "likes INTEGER, replies INTEGER, quotes INTEGER, score REAL, measured_at TEXT)"
        )
        for statement in (  # execute(), not executescript(): that would commit the transaction
            "CREATE TEMP TABLE IF NOT EXISTS hp_batch (source TEXT, key TEXT)",
            "CREATE TEMP TABLE IF NOT EXISTS hp_groups (paper_id TEXT, source TEXT, gkey TEXT, "
            "PRIMARY KEY (paper_id, source, gkey)) WITHOUT ROWID",
            f"CREATE TEMP TABLE IF NOT EXISTS hp_before {totals}",
            f"CREATE TEMP TABLE IF NOT EXISTS hp_after {totals}",
            "DELETE FROM hp_batch",
            "DELETE FROM hp_groups",
            "DELETE FROM hp_before",
            "DELETE FROM hp_after",
        ):
            conn.execute(statement)
        conn.executemany(
            "INSERT OR IGNORE INTO hp_groups (paper_id, source, gkey) VALUES (?, ?, ?)",
            [(r[2], r[0], r[5] if r[3] == "post" and r[5] != "" else r[1]) for r in rows],
        )
        conn.executemany("INSERT INTO hp_batch (source, key) VALUES (?, ?)", [r[:2] for r in rows])
        conn.execute(
            """
            INSERT OR IGNORE INTO hp_groups (paper_id, source, gkey)
            SELECT o.paper_id, o.source,
                   CASE WHEN o.kind = 'post' AND o.account <> '' THEN o.account ELSE o.key END
            FROM hp_batch b CROSS JOIN observations o ON o.source = b.source AND o.key = b.key
            """
        )
        return "hp_groups"

    def _group_totals(self, groups: str, into: str) -> None:
        """Per (paper, source): the summed contribution of the best counted row of each group.

        CROSS JOIN keeps the groups as the outer loop: without statistics the planner would
        otherwise scan observations.
        """
        self.conn.execute(
            f"""
            INSERT INTO {into} (paper_id, source, posts, accounts, reposts, likes, replies,
                                quotes, score, measured_at)
            SELECT paper_id, source, sum(kind = 'post'),
                   sum(kind = 'post' AND account <> ''),
                   sum(reposts), sum(likes), sum(replies), sum(quotes),
                   sum((reposts + likes) * weight), max(observed_at)
            FROM (
                SELECT c.*, row_number() OVER (
                    PARTITION BY c.paper_id, c.source, c.gkey
                    ORDER BY c.reposts + c.likes DESC, c.id) AS rank_in_group
                FROM (
                    SELECT g.gkey, o.id, o.paper_id, o.source, o.kind, o.account, o.reposts,
                           o.likes, o.replies, o.quotes, o.weight, o.observed_at, o.is_repost
                    FROM {groups} g CROSS JOIN observations o
                      ON o.paper_id = g.paper_id AND o.source = g.source AND o.account = g.gkey
                    WHERE o.kind = 'post' AND o.account <> ''
                    UNION ALL
                    SELECT g.gkey, o.id, o.paper_id, o.source, o.kind, o.account, o.reposts,
                           o.likes, o.replies, o.quotes, o.weight, o.observed_at, o.is_repost
                    FROM {groups} g CROSS JOIN observations o
                      ON o.source = g.source AND o.key = g.gkey AND o.paper_id = g.paper_id
                    WHERE NOT (o.kind = 'post' AND o.account <> '')
                ) c
                WHERE c.kind IN ('post', 'aggregate')
                  AND (? OR c.is_repost = 0)
                  AND c.account NOT IN (SELECT account FROM excluded_accounts)
            )
            WHERE rank_in_group = 1
            GROUP BY paper_id, source
            """,
            (int(self.scoring.reposts_are_posts),),
        )

    def _apply_group_delta(self) -> None:
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
            self.refresh_attention(emptied)
        weight_case = self._source_weight_sql()
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

    def refresh_attention(self, ids: Sequence[str]) -> None:
        """Recompute the per-source aggregates and scores of these papers from their observations."""
        one_per_account = int(self.scoring.one_post_per_account)
        reposts_count = int(self.scoring.reposts_are_posts)
        weight_case = self._source_weight_sql()
        for chunk in _chunks(ids, BATCH):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(f"DELETE FROM attention WHERE paper_id IN ({marks})", chunk)
            self.conn.execute(
                f"""
                INSERT INTO attention (paper_id, source, posts, accounts, reposts, likes,
                                       replies, quotes, score, measured_at)
                SELECT paper_id, source,
                       sum(kind = 'post'),
                       count(DISTINCT CASE WHEN kind = 'post' AND account <> '' THEN account END),
                       sum(reposts), sum(likes), sum(replies), sum(quotes),
                       sum((reposts + likes) * weight), max(observed_at)
                FROM (
                    SELECT o.*, row_number() OVER (
                        PARTITION BY paper_id, source,
                            CASE WHEN ? AND kind = 'post' AND account <> ''
                                 THEN account ELSE key END
                        ORDER BY reposts + likes DESC, id) AS rank_in_account
                    FROM observations o
                    WHERE paper_id IN ({marks})
                      AND kind IN ('post', 'aggregate')
                      AND (? OR is_repost = 0)
                      AND account NOT IN (SELECT account FROM excluded_accounts)
                )
                WHERE rank_in_account = 1
                GROUP BY paper_id, source
                """,
                [one_per_account, *chunk, reposts_count],
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

    def _source_weight_sql(self) -> str:
        weights = self.scoring.source_weights
        if not weights:
            return "1.0"
        cases = " ".join(
            f"WHEN '{s.replace(chr(39), '')}' THEN {float(w)!r}" for s, w in weights.items()
        )
        return f"(CASE a.source {cases} ELSE 1.0 END)"

    def rescore_all(self) -> None:
        ids = [r[0] for r in self.conn.execute("SELECT DISTINCT paper_id FROM observations")]
        with self.transaction():
            self.conn.execute("DELETE FROM attention")
            self.conn.execute(
                "UPDATE paper_scores SET score = 0, reposts = 0, likes = 0, posts = 0, accounts = 0"
            )
            self.conn.execute("UPDATE paper_categories SET score = 0")
            self.refresh_attention(ids)

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
        return {pid: combine(parts.get(pid, ()), self.scoring) for pid in ids}

    def measured_at(self, arxiv_id: str) -> datetime | None:
        row = self.conn.execute(
            "SELECT measured_at FROM paper_scores WHERE paper_id = ?", (arxiv_id,)
        ).fetchone()
        return parse_time(row[0]) if row else None

    def top_posts(self, arxiv_id: str, limit: int = 10) -> list[Post]:
        """The posts shown with a paper: display order for embeds, then the most engaged."""
        rows = self.conn.execute(
            """
            SELECT source, url, author_name, author_handle, text, observed_at, lang, html,
                   reposts, likes
            FROM observations
            WHERE paper_id = ? AND kind IN ('post', 'embed') AND url <> ''
              AND account NOT IN (SELECT account FROM excluded_accounts)
            ORDER BY reposts + likes DESC, id
            LIMIT ?
            """,
            (arxiv_id, limit),
        ).fetchall()
        return [
            Post(
                source=r[0],
                url=r[1],
                author_name=r[2],
                author_handle=r[3],
                text=r[4],
                posted=parse_time(r[5]),
                lang=r[6],
                html=r[7],
                reposts=r[8],
                likes=r[9],
            )
            for r in rows
        ]

    # -- ranking queries ---------------------------------------------------------------------

    def top(
        self,
        start: date,
        end: date,
        categories: frozenset[str] | None,
        limit: int,
        min_score: float = 0.0,
    ) -> list[Ranked]:
        """Papers listed between start and end (inclusive), best first."""
        lo, hi = start.isoformat(), end.isoformat()
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
    ) -> list[Ranked]:
        """Papers by the attention their observations received inside [since, until)."""
        params: list[object] = [time_text(since), time_text(until)]
        category_clause = ""
        if categories:
            cats = category_keys(categories)
            # EXISTS per row (not IN a list of every paper of the category): the scan is driven
            # by the time window, each candidate checked with one primary-key probe.
            category_clause = (
                f"AND EXISTS (SELECT 1 FROM paper_categories pc WHERE pc.paper_id = o.paper_id "
                f"AND pc.category IN ({','.join('?' * len(cats))}))"
            )
            params.extend(cats)
        params.append(limit)
        rows = self.conn.execute(
            f"""
            SELECT o.paper_id, sum((o.reposts + o.likes) * o.weight) AS s
            FROM observations o
            WHERE o.observed_at >= ? AND o.observed_at < ?
              AND o.kind IN ('post', 'aggregate') AND o.is_repost = 0
              AND o.account NOT IN (SELECT account FROM excluded_accounts)
              {category_clause}
            GROUP BY o.paper_id ORDER BY s DESC, o.paper_id LIMIT ?
            """,
            params,
        ).fetchall()
        return [Ranked(r[0], r[1]) for r in rows]

    def search(
        self,
        words: str,
        categories: frozenset[str] | None,
        start: date | None,
        end: date | None,
        limit: int,
    ) -> list[Ranked]:
        """Full-text search over title, abstract and authors; best attention first among matches.

        Without a period every match counts, best score first, by one of three plans chosen by
        how many papers match (counted in the full-text index, up to SEARCH_SET + 1):
        - at most SEARCH_RANK_ALL: each match's score through the rowid-keyed covering index
          paper_scores_by_rowid, the best `limit` kept by SQLite's top-k sorter;
        - at most SEARCH_SET: SQLite lists the matching rowids once (an ephemeral index) and
          walks papers best score first until `limit` of them are in it;
        - more: papers walked best score first, each tested with one full-text probe (a word
          that common matches within the first few hundred papers).
        With a period: the 2,000 best matches by bm25, by score.
        """
        query = fts_query(words)
        if not query:
            return []
        cat_clause = ""
        cat_params: list[object] = []
        if categories:
            keys = category_keys(categories)
            cat_clause = (
                f"AND EXISTS (SELECT 1 FROM paper_categories pc WHERE pc.paper_id = s.paper_id "
                f"AND pc.category IN ({','.join('?' * len(keys))}))"
            )
            cat_params = list(keys)
        if not (start and end):
            return self._search_all(query, cat_clause, cat_params, limit)
        params: list[object] = [query, start.isoformat(), end.isoformat(), *cat_params, limit]
        rows = self.conn.execute(
            f"""
            SELECT s.paper_id, s.score FROM (
                SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY rank LIMIT 2000
            ) hits
            CROSS JOIN paper_scores s ON s.paper_rowid = hits.rowid
            WHERE s.listing_date BETWEEN ? AND ? {cat_clause}
            ORDER BY s.score DESC, s.paper_id LIMIT ?
            """,
            params,
        ).fetchall()
        return [Ranked(r[0], r[1]) for r in rows]

    def _search_all(
        self, query: str, cat_clause: str, cat_params: list[object], limit: int
    ) -> list[Ranked]:
        (matches,) = self.conn.execute(
            "SELECT count(*) FROM (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?)",
            (query, SEARCH_SET + 1),
        ).fetchone()
        if matches <= SEARCH_RANK_ALL:
            sql = (
                f"SELECT s.paper_id, s.score FROM papers_fts f "
                f"CROSS JOIN paper_scores s ON s.paper_rowid = f.rowid "
                f"WHERE papers_fts MATCH ? {cat_clause} "
                f"ORDER BY s.score DESC, s.paper_id LIMIT ?"
            )
        elif matches <= SEARCH_SET:
            sql = (
                f"SELECT s.paper_id, s.score FROM paper_scores s "
                f"INDEXED BY paper_scores_by_score_rowid "
                f"WHERE s.paper_rowid IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?) "
                f"{cat_clause} ORDER BY s.score DESC, s.paper_id LIMIT ?"
            )
        else:
            return self._search_by_probes(query, cat_clause, cat_params, limit)
        rows = self.conn.execute(sql, [query, *cat_params, limit]).fetchall()
        return [Ranked(r[0], r[1]) for r in rows]

    def _search_by_probes(
        self, query: str, cat_clause: str, cat_params: list[object], limit: int
    ) -> list[Ranked]:
        """Very common words: papers best score first, kept when they match (one probe each)."""
        found: list[Ranked] = []
        walk = self.conn.execute(
            f"SELECT s.paper_id, s.score, s.paper_rowid FROM paper_scores s "
            f"INDEXED BY paper_scores_by_score_rowid WHERE 1 {cat_clause} "
            f"ORDER BY s.score DESC, s.paper_id",
            cat_params,
        )
        probe = "SELECT 1 FROM papers_fts WHERE papers_fts MATCH ? AND rowid = ?"
        for walked, (paper_id, score, rowid) in enumerate(walk):
            if self.conn.execute(probe, (query, rowid)).fetchone():
                found.append(Ranked(paper_id, score))
                if len(found) >= limit:
                    break
            if walked >= SEARCH_WALK:
                break
        walk.close()
        return found

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


def _utc_text(value: datetime | date | None) -> str | None:
    """time_text() with a fast path for the common case: an aware UTC datetime."""
    if isinstance(value, datetime) and value.tzinfo is UTC:
        return value.isoformat(timespec="seconds")[:19]
    return time_text(value)


def fts_query(words: str) -> str:
    """User words as a safe FTS5 query: every word must match, each quoted, no operators."""
    terms = []
    for raw in words.split():
        term = "".join(ch for ch in raw if ch.isalnum() or ch in "-_'")
        term = term.replace("'", "").strip("-_")
        if term:
            terms.append('"' + term.replace('"', "") + '"')
    return " ".join(terms[:20])


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
