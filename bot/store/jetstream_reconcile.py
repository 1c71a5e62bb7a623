"""Tracked Bluesky posts' counters reconciled with the AppView's (app.bsky.feed.getPosts).

Each counter is the engagements we hold, keyed by their own URI (jetstream_engagements), plus
"unattributed" ones: those the AppView counts and we hold no event of (given while the bot was
down beyond the replay window, or before the post was tracked). A check sets each counter to
max(AppView's count, keyed engagements): raised to the AppView's when it is higher, lowered
when it is lower but never below what we hold keyed (their unlike or delete events take those
back). Checking again with the same answer changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.sources.attention.jetstream_events import observations
from bot.store.codec import time_text
from bot.store.jetstream import JetstreamLog

if TYPE_CHECKING:
    from bot.store.store import Store

KINDS = ("like", "repost", "reply", "quote")
COLUMNS = {"like": "likes", "repost": "reposts", "reply": "replies", "quote": "quotes"}


@dataclass(frozen=True)
class Counts:
    """The AppView's counters of one post."""

    likes: int | None
    reposts: int | None
    replies: int | None = None  # None: not reported, that counter is left as it is
    quotes: int | None = None

    def of(self, kind: str) -> int | None:
        value: int | None = getattr(self, COLUMNS[kind])
        return value


@dataclass
class Corrections:
    """What one check changed: posts corrected and the change of each counter (+/-)."""

    checked: int = 0
    corrected: int = 0
    change: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    def add(self, other: Corrections) -> None:
        self.checked += other.checked
        self.corrected += other.corrected
        for kind, delta in other.change.items():
            self.change[kind] += delta

    def describe(self) -> str:
        """`12 corrected (+31 likes, +4 reposts)`."""
        moved = [f"{d:+d} {COLUMNS[k]}" for k, d in self.change.items() if d]
        return f"{self.corrected} corrected" + (f" ({', '.join(moved)})" if moved else "")


class ReconcileLog:
    """The SQL of the reconciliation, on the process's one Store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.posts = JetstreamLog(store)

    def due(self, tracked_since: datetime, checked_before: datetime, limit: int) -> list[str]:
        """Tracked posts not checked since `checked_before`, the never or longest unchecked first."""
        rows = self.store.conn.execute(
            "SELECT uri FROM jetstream_posts WHERE created_at >= ? AND checked_at < ? "
            "ORDER BY checked_at, created_at LIMIT ?",
            (time_text(tracked_since), time_text(checked_before), limit),
        )
        return [r[0] for r in rows]

    def correct(
        self, found: Mapping[str, Counts], checked: Sequence[str], at: datetime
    ) -> Corrections:
        """Set the counters of the posts `found` (see the module's rule), mark all `checked`
        at `at`, and refresh the observations of those that changed: one transaction."""
        done = Corrections(checked=len(checked))
        changed: list[str] = []
        with self.store.transaction():
            for uri, counts in found.items():
                deltas = self._correct(uri, counts)
                if deltas:
                    changed.append(uri)
                    done.corrected += 1
                    for kind, delta in deltas.items():
                        done.change[kind] += delta
            self.store.conn.executemany(
                "UPDATE jetstream_posts SET checked_at = ? WHERE uri = ?",
                [(time_text(at), uri) for uri in checked],
            )
            posts = [p for uri in changed if (p := self.posts.post(uri)) is not None]
            self.store.upsert_observations(o for p in posts for o in observations(p))
        return done

    def unattributed(self, uri: str) -> dict[str, int]:
        row = self.store.conn.execute(
            "SELECT likes_unattributed, reposts_unattributed, replies_unattributed, "
            "quotes_unattributed FROM jetstream_posts WHERE uri = ?",
            (uri,),
        ).fetchone()
        return dict(zip(KINDS, row, strict=True)) if row else {}

    def _correct(self, uri: str, counts: Counts) -> dict[str, int]:
        row = self.store.conn.execute(
            "SELECT likes, reposts, replies, quotes FROM jetstream_posts WHERE uri = ?", (uri,)
        ).fetchone()
        if row is None:
            return {}  # no longer tracked (deleted or pruned meanwhile)
        keyed = dict.fromkeys(KINDS, 0)
        for kind, n in self.store.conn.execute(
            "SELECT kind, count(*) FROM jetstream_engagements WHERE subject = ? GROUP BY kind",
            (uri,),
        ):
            keyed[kind] = n
        deltas: dict[str, int] = {}
        for kind, now in zip(KINDS, row, strict=True):
            told = counts.of(kind)
            if told is None:
                continue
            want = max(told, keyed[kind])
            if want != now:
                deltas[kind] = want - now
            column = COLUMNS[kind]
            self.store.conn.execute(
                f"UPDATE jetstream_posts SET {column} = ?, {column}_unattributed = ? "
                f"WHERE uri = ? AND ({column} != ? OR {column}_unattributed != ?)",
                (want, want - keyed[kind], uri, want, want - keyed[kind]),
            )
        return deltas


class HandleLog:
    """The handles of the DIDs Jetstream gives (bluesky_handles), and the observations of their
    posts rewritten with them, so an author is one account whichever mode saw the post."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.posts = JetstreamLog(store)

    def unresolved(self, limit: int) -> list[str]:
        rows = self.store.conn.execute(
            "SELECT DISTINCT did FROM jetstream_posts "
            "WHERE did NOT IN (SELECT did FROM bluesky_handles) LIMIT ?",
            (limit,),
        )
        return [r[0] for r in rows]

    def resolve(
        self, found: Mapping[str, tuple[str, str]], asked: Sequence[str], at: datetime
    ) -> int:
        """Store (handle, display name) of each DID found ('' for the others: the DID stays the
        account), and refresh the observations of their posts; how many DIDs got a handle."""
        with self.store.transaction():
            self.store.conn.executemany(
                "INSERT INTO bluesky_handles (did, handle, display_name, checked_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (did) DO UPDATE SET handle = excluded.handle, "
                "display_name = excluded.display_name, checked_at = excluded.checked_at",
                [(did, *found.get(did, ("", "")), time_text(at)) for did in asked],
            )
            uris = [
                uri
                for did in found
                for (uri,) in self.store.conn.execute(
                    "SELECT uri FROM jetstream_posts WHERE did = ?", (did,)
                )
            ]
            posts = [p for uri in uris if (p := self.posts.post(uri)) is not None]
            self.store.upsert_observations(o for p in posts for o in observations(p))
        return len(found)
