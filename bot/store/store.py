"""The store: papers, observations and the attention aggregates kept current on every ingest."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from bot.domain.models import Paper
from bot.domain.scoring import ScoringConfig
from bot.store.attention import BATCH, Attention
from bot.store.cards import Cards
from bot.store.categories import indexed_categories
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
from bot.store.discussions import Discussions
from bot.store.ranking import Ranking
from bot.store.search import Search
from bot.store.timeline import Timeline

if TYPE_CHECKING:
    from sqlite_utils import Database

log = logging.getLogger(__name__)


class Store(Attention, Ranking, Search, Timeline, Discussions, Cards):
    """One SQLite database, shareable by the threads of one process.

    Each thread reads and writes through its own connection (opened lazily); write transactions
    queue on one process-wide lock per file and start as writers (BEGIN IMMEDIATE). Observations
    and aggregates: attention.py; top, trending and scores: ranking.py; search: search.py.
    """

    def __init__(self, connections: Connections) -> None:
        self._connections = connections
        self.path = connections.path
        self.read_only = connections.read_only
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
        """Open the database at `path` (read-write: created and migrated as needed). Nothing
        else: opening never changes a score (the settings in force are the ones last given to
        apply_scoring(), kept in the database; `scoring` is accepted for old callers).

        read_only=True opens it `mode=ro` and never writes (no migration). None: read-write,
        except inside `read_only_opens()` (ask, digest): read-only connections, a missing file
        created, and a read-write connection only for a write (an arXiv lookup).
        Raises StorageError with a one-line explanation.
        """
        del scoring
        on_demand = read_only is None and read_only_default() and str(path) != MEMORY
        read_only = bool(read_only) or on_demand
        connections = open_database(path, read_only=read_only, writes_on_demand=on_demand)
        return cls(connections)

    @classmethod
    def memory(cls, scoring: ScoringConfig | None = None) -> Store:
        """A new in-memory database, with `scoring` applied (nobody else can open it)."""
        store = cls.open(MEMORY, read_only=False)
        if scoring is not None:
            store.apply_scoring(scoring)
        return store

    def close(self) -> None:
        """Close every thread's connection."""
        self._connections.close()

    @property
    def is_closed(self) -> bool:
        """Closed by `close()` (the process is stopping): any use now raises."""
        return self._connections.closed

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
        """Insert or refresh papers without making a stored one poorer (bot.domain.paper_merge):
        the newer arXiv version wins, categories are a union, the earliest listing date stays."""
        from bot.domain.paper_merge import merge_paper

        incoming = list(papers)
        if not incoming:
            return 0
        with self.transaction():
            merged = self.get_papers(dict.fromkeys(p.arxiv_id for p in incoming))
            for p in incoming:
                merged[p.arxiv_id] = merge_paper(merged.get(p.arxiv_id), p)
            self.conn.executemany(
                """
                INSERT INTO papers (arxiv_id, title, authors, abstract, primary_category,
                                    categories, listing_date, submitted, version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(arxiv_id) DO UPDATE SET
                    title = excluded.title, authors = excluded.authors,
                    abstract = excluded.abstract, primary_category = excluded.primary_category,
                    categories = excluded.categories, listing_date = excluded.listing_date,
                    submitted = excluded.submitted, version = excluded.version
                """,
                [
                    (
                        p.arxiv_id,
                        p.title,
                        json_list(p.authors),
                        p.abstract,
                        p.primary_category,
                        " ".join(p.categories),
                        date_text(p.listing_date),
                        time_text(p.submitted),
                        p.version,
                    )
                    for p in merged.values()
                ],
            )
            self._reindex_categories(list(merged))
        return len(incoming)

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

    def described_ids(self, ids: Iterable[str]) -> set[str]:
        """The ids stored with their metadata (not a placeholder left by an observation)."""
        ids = list(ids)
        described: set[str] = set()
        for chunk in _chunks(ids, BATCH):
            marks = ",".join("?" * len(chunk))
            described.update(
                r[0]
                for r in self.conn.execute(
                    f"SELECT arxiv_id FROM papers WHERE arxiv_id IN ({marks}) AND title <> ''",
                    chunk,
                )
            )
        return described

    def undescribed_with_attention(self, limit: int) -> list[str]:
        """Placeholders (attention seen, metadata not yet fetched), most attention first."""
        rows = self.conn.execute(
            "SELECT p.arxiv_id FROM papers p LEFT JOIN paper_scores s ON s.paper_id = p.arxiv_id "
            "WHERE p.title = '' ORDER BY coalesce(s.score, 0) DESC, p.arxiv_id LIMIT ?",
            (limit,),
        )
        return [r[0] for r in rows]

    def count(self, table: str) -> int:
        if table not in {"papers", "observations", "deliveries", "subscriptions"}:
            raise ValueError(table)
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
