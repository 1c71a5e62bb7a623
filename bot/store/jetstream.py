"""Bluesky posts tracked from Jetstream and the likes, reposts, replies and quotes they got.

Every engagement is a row keyed by its own at:// URI: a replayed create inserts nothing and
changes no counter, a delete takes exactly that row (and one count) back. A batch of events, the
observations it changes and the stream cursor that produced them are one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.sources.attention.jetstream_events import (
    SOURCE,
    Event,
    Tracked,
    event_time,
    observation_key,
    observations,
)
from bot.store.codec import parse_time, time_text

if TYPE_CHECKING:
    from bot.store.store import Store

CURSOR = "source:bluesky-jetstream"  # time_us of the last event stored
COUNTERS = {"like": "likes", "repost": "reposts", "reply": "replies", "quote": "quotes"}


@dataclass
class Applied:
    """What one batch changed: posts newly tracked, posts no longer tracked, counts moved."""

    tracked: list[str] = field(default_factory=list)
    untracked: list[str] = field(default_factory=list)
    counted: int = 0


class JetstreamLog:
    """The SQL of the Jetstream listener, on the process's one Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def cursor(self) -> int | None:
        value = self.store.get_cursor(CURSOR)
        return int(value) if value and value.isdigit() else None

    def tracked_uris(self, since: datetime) -> Iterator[str]:
        """One at a time (a million of them would be ~150 MB as one set of strings)."""
        rows = self.store.conn.execute(
            "SELECT uri FROM jetstream_posts WHERE created_at >= ?", (time_text(since),)
        )
        return (r[0] for r in rows)

    def engagement_uris(self) -> Iterator[str]:
        return (r[0] for r in self.store.conn.execute("SELECT uri FROM jetstream_engagements"))

    def post(self, uri: str) -> Tracked | None:
        row = self.store.conn.execute(
            "SELECT p.uri, p.did, p.arxiv_ids, p.created_at, p.text, p.lang, p.likes, p.reposts, "
            "p.replies, p.quotes, coalesce(h.handle, ''), coalesce(h.display_name, '') "
            "FROM jetstream_posts p LEFT JOIN bluesky_handles h ON h.did = p.did WHERE p.uri = ?",
            (uri,),
        ).fetchone()
        if row is None:
            return None
        return Tracked(
            row[0],
            row[1],
            tuple(json.loads(row[2])),
            parse_time(row[3]),
            row[4],
            row[5],
            *row[6:12],
        )

    def apply(self, events: Sequence[Event], cursor_us: int | None) -> Applied:
        """Store a batch: counters, the observations they change and the cursor, all or none."""
        applied = Applied()
        changed: dict[str, None] = {}
        removed: list[Tracked] = []
        with self.store.transaction():
            for event in events:
                if event.kind == "post":
                    self._post(event, changed, applied)
                elif event.kind in ("like", "repost"):
                    if self._engage(event.uri, event.subject, event.kind):
                        changed[event.subject] = None
                        applied.counted += 1
                elif event.kind == "delete":
                    self._delete(event, changed, removed, applied)
            posts = [p for uri in changed if (p := self.post(uri)) is not None]
            self.store.upsert_observations(o for p in posts for o in observations(p))
            self._forget(removed)
            if cursor_us is not None:
                self.store.set_cursor(CURSOR, str(cursor_us))
        return applied

    def prune(self, before: datetime) -> list[str]:
        """Stop tracking posts older than `before`; their observations keep the last counters."""
        with self.store.transaction():
            rows = self.store.conn.execute(
                "DELETE FROM jetstream_posts WHERE created_at < ? RETURNING uri",
                (time_text(before),),
            ).fetchall()
            uris = [r[0] for r in rows]
            self.store.conn.executemany(
                "DELETE FROM jetstream_engagements WHERE subject = ?", [(u,) for u in uris]
            )
        return uris

    # -- one event ---------------------------------------------------------------------------

    def _post(self, event: Event, changed: dict[str, None], applied: Applied) -> None:
        ids = list(event.arxiv_ids)
        for parent, kind in ((event.reply_to, "reply"), (event.quotes, "quote")):
            tracked = self.post(parent) if parent else None
            if tracked is None:
                continue
            ids += [i for i in tracked.arxiv_ids if i not in ids]
            if self._engage(event.uri, parent, kind):
                changed[parent] = None
                applied.counted += 1
        if not ids:
            return
        created = event_time(event.time_us)
        if event.created is not None and event.created < created:
            created = event.created  # createdAt is the author's claim: never later than seen
        inserted = self.store.conn.execute(
            "INSERT OR IGNORE INTO jetstream_posts (uri, did, arxiv_ids, created_at, text, lang) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (event.uri, event.did, json.dumps(ids), time_text(created), event.text, event.lang),
        ).rowcount
        if inserted:
            changed[event.uri] = None
            applied.tracked.append(event.uri)

    def _engage(self, uri: str, subject: str, kind: str) -> bool:
        """Count one engagement of a tracked post, once however often it is replayed."""
        tracked = self.store.conn.execute(
            "SELECT 1 FROM jetstream_posts WHERE uri = ?", (subject,)
        ).fetchone()
        if tracked is None:
            return False
        inserted = self.store.conn.execute(
            "INSERT OR IGNORE INTO jetstream_engagements (uri, subject, kind) VALUES (?, ?, ?)",
            (uri, subject, kind),
        ).rowcount
        if inserted:
            column = COUNTERS[kind]
            self.store.conn.execute(
                f"UPDATE jetstream_posts SET {column} = {column} + 1 WHERE uri = ?", (subject,)
            )
        return bool(inserted)

    def _delete(
        self, event: Event, changed: dict[str, None], removed: list[Tracked], applied: Applied
    ) -> None:
        rows = self.store.conn.execute(
            "DELETE FROM jetstream_engagements WHERE uri = ? RETURNING subject, kind",
            (event.uri,),
        ).fetchall()
        for subject, kind in rows:
            column = COUNTERS[kind]
            self.store.conn.execute(
                f"UPDATE jetstream_posts SET {column} = max({column} - 1, 0) WHERE uri = ?",
                (subject,),
            )
            changed[subject] = None
            applied.counted += 1
        if event.kind == "delete" and event.collection.endswith(".post"):
            gone = self.post(event.uri)
            if gone is not None:
                self.store.conn.execute("DELETE FROM jetstream_posts WHERE uri = ?", (event.uri,))
                removed.append(gone)
                changed.pop(event.uri, None)
                applied.untracked.append(event.uri)

    def _forget(self, posts: Iterable[Tracked]) -> None:
        """A deleted post's observations go, and its papers are recounted without them."""
        keys = [(SOURCE, observation_key(p.uri, i)) for p in posts for i in p.arxiv_ids]
        if not keys:
            return
        self.store.conn.executemany("DELETE FROM observations WHERE source = ? AND key = ?", keys)
        ids = sorted({i for p in posts for i in p.arxiv_ids})
        self.store.refresh_attention(ids)
