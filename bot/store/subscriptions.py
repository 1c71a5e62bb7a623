"""Subscriptions as rows: CRUD over the `subscriptions` table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Any

from bot.commands.tokens import parse_clock
from bot.domain.subscription import (
    CADENCES,
    DAILY,
    Subscription,
    days_value,
    normalise_filters,
    parse_days_value,
)
from bot.domain.topics import about_text, parse_about_text
from bot.store.codec import parse_time, time_text
from bot.store.store import Store

_COLUMNS = (
    "id, platform, channel, filters, n, at, timezone, days, options, status, created_by, "
    "created_at, origin, topic, author, cadence"
)
_IDENTITY = (
    "platform = ? AND channel = ? AND filters = ? AND topic = ? AND author = ? AND cadence = ?"
)


class SubscriptionStore:
    """CRUD over the `subscriptions` table; one row per (platform, channel, filters, topic,
    author, cadence)."""

    def __init__(self, store: Store) -> None:
        self.conn = store.conn

    def all(
        self,
        platform: str | None = None,
        channel: str | None = None,
        *,
        status: str | None = None,
        origin: str | None = None,
    ) -> list[Subscription]:
        where, args = [], []
        for column, value in (
            ("platform", platform),
            ("channel", channel),
            ("status", status),
            ("origin", origin),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = f"SELECT {_COLUMNS} FROM subscriptions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self.conn.execute(
            sql + " ORDER BY platform, channel, filters, cadence, topic, author", args
        ).fetchall()
        return [_subscription(r) for r in rows]

    def active(self) -> list[Subscription]:
        return self.all(status="active")

    def get(self, subscription_id: int) -> Subscription | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE id = ?", (subscription_id,)
        ).fetchone()
        return _subscription(row) if row else None

    def find(
        self,
        platform: str,
        channel: str,
        filters: Sequence[str],
        *,
        about: tuple[tuple[str, ...], ...] = (),
        by: str = "",
        cadence: str = DAILY,
    ) -> Subscription | None:
        """The subscription with exactly these categories, topic, author and cadence."""
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE {_IDENTITY}",
            (
                platform,
                channel,
                " ".join(normalise_filters(filters)),
                about_text(about),
                by,
                cadence,
            ),
        ).fetchone()
        return _subscription(row) if row else None

    def find_same(self, sub: Subscription) -> Subscription | None:
        """The stored subscription `sub` would update (same channel, filters, topic, cadence)."""
        return self.find(
            sub.platform, sub.channel, sub.filters, about=sub.about, by=sub.by, cadence=sub.cadence
        )

    def save(self, sub: Subscription) -> Subscription:
        """Insert, or update the row with the same (platform, channel, filters, topic, author,
        cadence)."""
        filters = normalise_filters(sub.filters)
        options = json.dumps({"abstracts": sub.abstracts, "on_empty": sub.on_empty})
        created = time_text(sub.created_at or datetime.now(UTC))
        self.conn.execute(
            "INSERT INTO subscriptions (platform, channel, filters, n, at, timezone, days, options, "
            "status, created_by, created_at, origin, topic, author, cadence) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(platform, channel, filters, topic, author, cadence) "
            "DO UPDATE SET n = excluded.n, "
            "at = excluded.at, timezone = excluded.timezone, days = excluded.days, "
            "options = excluded.options, status = excluded.status, origin = excluded.origin",
            (
                sub.platform,
                sub.channel,
                " ".join(filters),
                sub.n,
                f"{sub.at:%H:%M}",
                sub.timezone,
                days_value(sub.days),
                options,
                sub.status,
                sub.created_by,
                created,
                sub.origin,
                sub.topic_text,
                sub.by,
                sub.cadence,
            ),
        )
        saved = self.find_same(sub)
        assert saved is not None
        return saved

    def delete(self, subscription_id: int) -> None:
        self.conn.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))

    def set_status(self, subscription_id: int, status: str) -> None:
        self.conn.execute(
            "UPDATE subscriptions SET status = ? WHERE id = ?", (status, subscription_id)
        )


def _subscription(row: tuple[Any, ...]) -> Subscription:
    try:
        options = json.loads(row[8] or "{}")
    except ValueError:
        options = {}
    if not isinstance(options, dict):
        options = {}
    at = parse_clock(str(row[5]), bare_hour=True) or time(9, 0)
    return Subscription(
        id=int(row[0]),
        platform=row[1],
        channel=row[2],
        filters=tuple(row[3].split()) if row[3] else (),
        n=int(row[4]),
        at=at,
        timezone=row[6],
        days=parse_days_value(row[7]),
        abstracts=bool(options.get("abstracts", True)),
        on_empty="note" if options.get("on_empty") == "note" else "skip",
        status=row[9],
        created_by=row[10],
        created_at=parse_time(row[11]),
        origin=row[12],
        about=parse_about_text(row[13] or ""),
        by=row[14] or "",
        cadence=row[15] if row[15] in CADENCES else DAILY,
    )
