"""Deliveries: what was sent to which channel, recorded so it is never sent twice."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.store.codec import date_text, parse_date, time_text


@dataclass(frozen=True)
class Delivery:
    id: int
    platform: str
    channel: str
    key: str
    kind: str
    digest_date: date | None
    filter: str
    status: str  # "intent" (about to send), "sent", "failed"
    thread: str | None
    message_ids: tuple[str, ...]


class DeliveryLog:
    """Intent before sending, message ids after: a crash in between is resolved, not re-sent."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        transaction: Callable[[], AbstractContextManager[None]] | None = None,
    ) -> None:
        self.conn = conn
        self.transaction = transaction or (lambda: _immediate(conn))

    def begin(
        self,
        platform: str,
        channel: str,
        key: str,
        *,
        kind: str = "digest",
        digest_date: date | None = None,
        filter: str = "",
        paper_ids: Sequence[str] = (),
        owner: str | None = None,
        until: datetime | None = None,
    ) -> tuple[Delivery, bool]:
        """Record the intent to send. Returns the delivery and whether it is new.

        With `owner`, a new row is created claimed by it until `until` (see `claim`); of two
        processes beginning the same key at once, exactly one creates it.
        """
        existing = self.get(platform, channel, key)
        if existing is not None:
            return existing, False
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO deliveries (platform, channel, key, kind, digest_date, filter, "
                "status, created_at, claimed_by, claimed_until) "
                "VALUES (?, ?, ?, ?, ?, ?, 'intent', ?, ?, ?) "
                "ON CONFLICT (platform, channel, key) DO NOTHING",
                (
                    platform,
                    channel,
                    key,
                    kind,
                    date_text(digest_date),
                    filter,
                    _now(),
                    owner,
                    _seconds(until),
                ),
            )
            created = cur.rowcount == 1
            if created:
                delivery_id = int(cur.lastrowid or 0)
                self.conn.executemany(
                    "INSERT INTO delivery_items (delivery_id, rank, paper_id) VALUES (?, ?, ?)",
                    [(delivery_id, rank, pid) for rank, pid in enumerate(paper_ids, start=1)],
                )
        row = self.get(platform, channel, key)
        assert row is not None
        return row, created

    # -- claims: a lease on a row, so that one process at a time sends it -------------------------

    def claim(self, delivery_id: int, owner: str, now: datetime, until: datetime) -> bool:
        """Claim an unsent delivery for `owner` until `until`: when nobody holds it, `owner`
        already does, or the holder's lease ran out by `now`. One statement: atomic."""
        cur = self.conn.execute(
            "UPDATE deliveries SET claimed_by = ?, claimed_until = ? WHERE id = ? "
            "AND status != 'sent' AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until <= ?)",
            (owner, _seconds(until), delivery_id, owner, _seconds(now)),
        )
        return cur.rowcount == 1

    def take_over(self, delivery_id: int, gone: str, owner: str, until: datetime) -> bool:
        """Take an unsent delivery from an owner known to be dead, if it still holds it."""
        cur = self.conn.execute(
            "UPDATE deliveries SET claimed_by = ?, claimed_until = ? WHERE id = ? "
            "AND status != 'sent' AND claimed_by = ?",
            (owner, _seconds(until), delivery_id, gone),
        )
        return cur.rowcount == 1

    def renew(self, delivery_id: int, owner: str, until: datetime) -> bool:
        """Extend `owner`'s lease; False when it no longer holds the claim."""
        cur = self.conn.execute(
            "UPDATE deliveries SET claimed_until = ? WHERE id = ? AND claimed_by = ?",
            (_seconds(until), delivery_id, owner),
        )
        return cur.rowcount == 1

    def release(self, delivery_id: int, owner: str) -> None:
        self.conn.execute(
            "UPDATE deliveries SET claimed_by = NULL, claimed_until = NULL "
            "WHERE id = ? AND claimed_by = ?",
            (delivery_id, owner),
        )

    def claimant(self, delivery_id: int) -> str | None:
        """Who holds the claim on a delivery (None: nobody)."""
        row = self.conn.execute(
            "SELECT claimed_by FROM deliveries WHERE id = ?", (delivery_id,)
        ).fetchone()
        return row[0] if row else None

    def mark_sent(
        self, delivery_id: int, message_ids: Sequence[str], thread: str | None = None
    ) -> None:
        self.conn.execute(
            "UPDATE deliveries SET status = 'sent', message_ids = ?, thread = ?, sent_at = ?, "
            "error = NULL, claimed_by = NULL, claimed_until = NULL WHERE id = ?",
            (json.dumps(list(message_ids)), thread, _now(), delivery_id),
        )

    def add_messages(self, delivery_id: int, message_ids: Sequence[str]) -> None:
        """Record message ids as they are sent (threads of several messages)."""
        row = self.conn.execute(
            "SELECT message_ids FROM deliveries WHERE id = ?", (delivery_id,)
        ).fetchone()
        known = json.loads(row[0]) if row else []
        known.extend(m for m in message_ids if m not in known)
        self.conn.execute(
            "UPDATE deliveries SET message_ids = ? WHERE id = ?", (json.dumps(known), delivery_id)
        )

    def mark_failed(self, delivery_id: int, error: str) -> None:
        self.conn.execute(
            "UPDATE deliveries SET status = 'failed', error = ? WHERE id = ?",
            (error[:500], delivery_id),
        )

    def retry(self, delivery_id: int) -> None:
        self.conn.execute(
            "UPDATE deliveries SET status = 'intent', error = NULL WHERE id = ?", (delivery_id,)
        )

    def get(self, platform: str, channel: str, key: str) -> Delivery | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE platform = ? AND channel = ? AND key = ?",
            (platform, channel, key),
        ).fetchone()
        return _delivery(row) if row else None

    def for_thread(self, platform: str, channel: str, thread: str) -> Delivery | None:
        """The delivery whose thread (or first message) this is."""
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE platform = ? AND channel = ? AND thread = ? "
            f"ORDER BY id DESC LIMIT 1",
            (platform, channel, thread),
        ).fetchone()
        if row is None:
            row = self.conn.execute(
                f"SELECT {_COLUMNS} FROM deliveries, json_each(deliveries.message_ids) m "
                f"WHERE deliveries.platform = ? AND deliveries.channel = ? AND m.value = ? "
                f"ORDER BY deliveries.id DESC LIMIT 1",
                (platform, channel, thread),
            ).fetchone()
        return _delivery(row) if row else None

    def for_thread_any(self, platform: str, thread: str) -> Delivery | None:
        """The delivery whose thread (or one of whose messages) this is, in any channel.

        For platforms where a reply does not say which channel it is in (X, Bluesky, Mastodon).
        """
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE platform = ? AND thread = ? "
            f"ORDER BY id DESC LIMIT 1",
            (platform, thread),
        ).fetchone()
        if row is None:
            row = self.conn.execute(
                f"SELECT {_COLUMNS} FROM deliveries, json_each(deliveries.message_ids) m "
                f"WHERE deliveries.platform = ? AND m.value = ? "
                f"ORDER BY deliveries.id DESC LIMIT 1",
                (platform, thread),
            ).fetchone()
        return _delivery(row) if row else None

    def latest_for_channel(self, platform: str, channel: str) -> Delivery | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE platform = ? AND channel = ? "
            f"AND status = 'sent' ORDER BY id DESC LIMIT 1",
            (platform, channel),
        ).fetchone()
        return _delivery(row) if row else None

    def last_listing(self, platform: str, channel: str, filter: str) -> date | None:
        """The newest listing whose digest (for this filter) this channel has been sent."""
        row = self.conn.execute(
            "SELECT max(digest_date) FROM deliveries WHERE platform = ? AND channel = ? "
            "AND filter = ? AND kind = 'digest' AND status = 'sent'",
            (platform, channel, filter),
        ).fetchone()
        return parse_date(row[0]) if row else None

    def pending(self) -> list[Delivery]:
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE status = 'intent' ORDER BY id"
        ).fetchall()
        return [_delivery(r) for r in rows]

    def items(self, delivery_id: int) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT paper_id FROM delivery_items WHERE delivery_id = ? ORDER BY rank",
                (delivery_id,),
            )
        ]


_COLUMNS = ", ".join(
    f"deliveries.{c}"
    for c in (
        "id",
        "platform",
        "channel",
        "key",
        "kind",
        "digest_date",
        "filter",
        "status",
        "thread",
        "message_ids",
    )
)


def _delivery(row: tuple[Any, ...]) -> Delivery:
    return Delivery(
        id=row[0],
        platform=row[1],
        channel=row[2],
        key=row[3],
        kind=row[4],
        digest_date=parse_date(row[5]),
        filter=row[6],
        status=row[7],
        thread=row[8],
        message_ids=tuple(json.loads(row[9] or "[]")),
    )


def _seconds(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _now() -> str:
    return time_text(datetime.now(UTC)) or ""


@contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """A write transaction on a bare connection (the Store passes its own, lock included)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    conn.execute("COMMIT")
