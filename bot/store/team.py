"""The team's own attention: SQL for reactions and thread replies on the bot's paper messages.

`team_messages` says which of the bot's messages is about exactly one paper (a paper card, a
digest item in its thread). `team_reactions` holds one row per (message, member, what): a member
is a salted hash of the platform's user id, `what` a salted hash of the emoji (or `reply`), so a
replayed event inserts nothing and a removal takes exactly its row back. A member counts once
per paper and channel, whatever and however often they reacted.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.store.codec import time_text

if TYPE_CHECKING:
    from bot.store.store import Store

SALT_META = "team_salt"
REPLY = "reply"  # the `what` of a thread reply


class TeamLog:
    """The SQL of the team's reactions, on the process's one Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def salt(self) -> str:
        """The salt for member hashes: made once, kept in the meta table."""
        salt = self.store.get_meta(SALT_META)
        if salt:
            return salt
        with self.store.transaction():
            self.store.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
                (SALT_META, secrets.token_hex(32)),
            )
        return self.store.get_meta(SALT_META) or ""

    def remember(self, platform: str, channel: str, messages: Iterable[tuple[str, str]]) -> None:
        """Record (message id, paper id) pairs: these messages of the bot are about that paper."""
        rows = [(platform, channel, m, p) for m, p in messages if m and p]
        if not rows:
            return
        with self.store.transaction():
            self.store.conn.executemany(
                "INSERT INTO team_messages (platform, channel, message_id, paper_id) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET paper_id = excluded.paper_id",
                rows,
            )

    def paper_of(
        self, platform: str, message_id: str, channel: str | None = None
    ) -> tuple[str, str] | None:
        """(channel, paper id) of one of the bot's paper messages; None for any other message.

        Without `channel` (Discord: message ids are unique, and a card may sit in a thread of
        the channel it was asked in) the message id alone finds it."""
        if channel is None:
            row = self.store.conn.execute(
                "SELECT channel, paper_id FROM team_messages "
                "WHERE platform = ? AND message_id = ? LIMIT 1",
                (platform, message_id),
            ).fetchone()
        else:
            row = self.store.conn.execute(
                "SELECT channel, paper_id FROM team_messages "
                "WHERE platform = ? AND channel = ? AND message_id = ?",
                (platform, channel, message_id),
            ).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    def add(
        self,
        platform: str,
        channel: str,
        message_id: str,
        paper_id: str,
        member: str,
        what: str,
        at: datetime,
    ) -> bool:
        """One reaction (or reply); False when it was already there (a replayed event)."""
        cur = self.store.conn.execute(
            "INSERT INTO team_reactions (platform, channel, message_id, member, what, paper_id, "
            "at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (platform, channel, message_id, member, what, paper_id, time_text(at)),
        )
        return cur.rowcount == 1

    def remove(self, platform: str, channel: str, message_id: str, member: str, what: str) -> bool:
        cur = self.store.conn.execute(
            "DELETE FROM team_reactions WHERE platform = ? AND channel = ? AND message_id = ? "
            "AND member = ? AND what = ?",
            (platform, channel, message_id, member, what),
        )
        return cur.rowcount == 1

    def counts(self, platform: str, channel: str, paper_ids: Sequence[str]) -> dict[str, int]:
        """How many members reacted to (or replied about) each paper in this channel, ever."""
        if not paper_ids:
            return {}
        marks = ", ".join("?" * len(paper_ids))
        rows = self.store.conn.execute(
            f"SELECT paper_id, count(DISTINCT member) FROM team_reactions "
            f"WHERE platform = ? AND channel = ? AND paper_id IN ({marks}) GROUP BY paper_id",
            (platform, channel, *paper_ids),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def any_in(self, platform: str, channel: str) -> bool:
        row = self.store.conn.execute(
            "SELECT 1 FROM team_reactions WHERE platform = ? AND channel = ? LIMIT 1",
            (platform, channel),
        ).fetchone()
        return row is not None

    def most(
        self, platform: str, channel: str, since: datetime, until: datetime, limit: int
    ) -> list[tuple[str, int]]:
        """The papers most members reacted to between `since` and `until`, most first."""
        rows = self.store.conn.execute(
            "SELECT paper_id, count(DISTINCT member) AS n, max(at) FROM team_reactions "
            "WHERE platform = ? AND channel = ? AND at >= ? AND at <= ? "
            "GROUP BY paper_id ORDER BY n DESC, max(at) DESC, paper_id LIMIT ?",
            (platform, channel, time_text(since), time_text(until), limit),
        )
        return [(str(r[0]), int(r[1])) for r in rows]
