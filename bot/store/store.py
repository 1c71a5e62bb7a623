"""The store: papers, observations and the attention aggregates kept current on every ingest."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlite_utils import Database

from bot.models import Observation, Paper, Post, Score, SourceScore
from bot.scoring import ScoringConfig, combine, post_weight
from bot.store.codec import (
    date_text,
    json_list,
    parse_date,
    parse_json_list,
    parse_time,
    time_text,
)
from bot.store.deliveries import DeliveryLog
from bot.store.schema import migrations
from bot.taxonomy import canonical_category

log = logging.getLogger(__name__)

BATCH = 2000  # papers recomputed per aggregate statement


@dataclass(frozen=True)
class Ranked:
    paper_id: str
    score: float


class Store:
    """One SQLite database. Not shared across threads: open one Store per thread."""

    def __init__(self, conn: sqlite3.Connection, path: str, scoring: ScoringConfig) -> None:
        self.conn = conn
        self.path = path
        self.db = Database(conn)
        self.scoring = scoring
        self.deliveries = DeliveryLog(conn)

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, scoring: ScoringConfig | None = None) -> Store:
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=True)
        conn.execute("PRAGMA foreign_keys = ON")
        if path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA busy_timeout = 10000")
        store = cls(conn, path, scoring or ScoringConfig())
        migrations.apply(store.db)
        store._sync_scoring()
        return store

    @classmethod
    def memory(cls, scoring: ScoringConfig | None = None) -> Store:
        return cls.open(":memory:", scoring)

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.db.atomic():
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
                f"INSERT INTO paper_scores (paper_id) SELECT arxiv_id FROM papers "
                f"WHERE arxiv_id IN ({marks}) ON CONFLICT(paper_id) DO NOTHING",
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
                    for cat in _indexed_categories(cats)
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
        for o in observations:
            post = o.post
            rows.append(
                (
                    o.source,
                    o.key,
                    o.arxiv_id,
                    o.kind,
                    time_text(o.observed_at),
                    o.account.lower().lstrip("@"),
                    max(o.reposts, 0),
                    max(o.likes, 0),
                    max(o.replies, 0),
                    max(o.quotes, 0),
                    o.followers,
                    int(o.is_repost),
                    post_weight(o.followers, self.scoring),
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
            self.refresh_attention(ids)
        return len(rows)

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
        elif len(categories) == 1:
            rows = self.conn.execute(
                "SELECT paper_id, score FROM paper_categories "
                "WHERE category = ? AND listing_date BETWEEN ? AND ? AND score >= ? "
                "ORDER BY score DESC, paper_id LIMIT ?",
                (next(iter(categories)), lo, hi, min_score, limit),
            ).fetchall()
        else:
            cats = sorted(categories)
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
            cats = sorted(categories)
            category_clause = (
                f"AND o.paper_id IN (SELECT paper_id FROM paper_categories "
                f"WHERE category IN ({','.join('?' * len(cats))}))"
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
        """Full-text search over title, abstract and authors; best attention first among matches."""
        query = fts_query(words)
        if not query:
            return []
        params: list[object] = [query]
        clauses = []
        if start and end:
            clauses.append("AND s.listing_date BETWEEN ? AND ?")
            params.extend([start.isoformat(), end.isoformat()])
        if categories:
            cats = sorted(categories)
            clauses.append(
                f"AND s.paper_id IN (SELECT paper_id FROM paper_categories "
                f"WHERE category IN ({','.join('?' * len(cats))}))"
            )
            params.extend(cats)
        params.append(limit)
        rows = self.conn.execute(
            f"""
            SELECT s.paper_id, s.score FROM (
                SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY rank LIMIT 2000
            ) hits
            JOIN papers p ON p.rowid = hits.rowid
            JOIN paper_scores s ON s.paper_id = p.arxiv_id
            WHERE 1 {" ".join(clauses)}
            ORDER BY s.score DESC, s.paper_id LIMIT ?
            """,
            params,
        ).fetchall()
        return [Ranked(r[0], r[1]) for r in rows]

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


def fts_query(words: str) -> str:
    """User words as a safe FTS5 query: every word must match, each quoted, no operators."""
    terms = []
    for raw in words.split():
        term = "".join(ch for ch in raw if ch.isalnum() or ch in "-_'")
        term = term.replace("'", "").strip("-_")
        if term:
            terms.append('"' + term.replace('"', "") + '"')
    return " ".join(terms[:20])


def _indexed_categories(categories: str | None) -> set[str]:
    """The categories as given, and their canonical ids, so aliases and old names match."""
    found = set()
    for cat in (categories or "").split():
        found.add(cat)
        found.add(canonical_category(cat) or cat)
    return found


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
