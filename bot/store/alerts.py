"""Breakout alerts as rows: the `alerts` table, the `alerts_sent` claims, and the score a paper
had before a moment (the counting rules of bot/store/counting.py over older observations)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from bot.domain.alerts import Alert
from bot.domain.topics import TextFilter
from bot.store.attention import BATCH, _chunks
from bot.store.codec import parse_time, time_text
from bot.store.counting import candidates_sql, counted_totals_sql, source_weight_sql
from bot.store.store import Store

_COLUMNS = "id, platform, channel, filters, about, author, threshold, created_by, created_at"


def delivery_key(alert_id: int, paper_id: str) -> str:
    """The key of the delivery that posts one paper for one alert."""
    return f"alert:{alert_id}:{paper_id}"


class AlertStore:
    """CRUD over `alerts`, claims in `alerts_sent`; one row per (platform, channel, filter)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.conn

    # -- alerts ------------------------------------------------------------------------------

    def all(self, platform: str | None = None, channel: str | None = None) -> list[Alert]:
        """A channel's alerts (or everyone's), oldest first: `alerts` numbers them so."""
        if platform is None or channel is None:
            rows = self.conn.execute(f"SELECT {_COLUMNS} FROM alerts ORDER BY id").fetchall()
        else:
            rows = self.conn.execute(
                f"SELECT {_COLUMNS} FROM alerts WHERE platform = ? AND channel = ? ORDER BY id",
                (platform, channel),
            ).fetchall()
        return [_alert(r) for r in rows]

    def get(self, alert_id: int) -> Alert | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM alerts WHERE id = ?", (alert_id,)
        ).fetchone()
        return _alert(row) if row else None

    def save(self, alert: Alert) -> tuple[Alert, bool]:
        """Insert, or set the threshold of the channel's alert with the same filter. Returns the
        stored alert and whether it already existed."""
        key = _key(alert)
        with self.store.transaction():
            existing = self.conn.execute(
                "SELECT id FROM alerts WHERE platform = ? AND channel = ? AND filters = ? "
                "AND about = ? AND author = ?",
                key,
            ).fetchone()
            if existing is not None:
                self.conn.execute(
                    "UPDATE alerts SET threshold = ? WHERE id = ?", (alert.threshold, existing[0])
                )
                alert_id = int(existing[0])
            else:
                cur = self.conn.execute(
                    "INSERT INTO alerts (platform, channel, filters, about, author, threshold, "
                    "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        *key,
                        alert.threshold,
                        alert.created_by,
                        time_text(alert.created_at or datetime.now(UTC)),
                    ),
                )
                alert_id = int(cur.lastrowid or 0)
        stored = self.get(alert_id)
        assert stored is not None
        return stored, existing is not None

    def delete(self, alert_ids: Iterable[int]) -> None:
        with self.store.transaction():
            self.conn.executemany("DELETE FROM alerts WHERE id = ?", [(i,) for i in alert_ids])

    # -- claims ------------------------------------------------------------------------------

    def claim(self, alert: Alert, paper_id: str, day: date, now: datetime, score: float) -> bool:
        """Record that this alert posts this paper (call inside the transaction that records the
        delivery intent). False when it was claimed already, here or by another process."""
        assert alert.id is not None
        cur = self.conn.execute(
            "INSERT INTO alerts_sent (alert_id, paper_id, platform, channel, day, sent_at, score) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alert_id, paper_id) DO NOTHING",
            (alert.id, paper_id, alert.platform, alert.channel, day.isoformat(),
             time_text(now), score),
        )  # fmt: skip
        return cur.rowcount == 1

    def claimed_on(self, platform: str, channel: str, day: date) -> int:
        """How many papers were alerted (claimed) in a channel on a UTC day: the day's cap."""
        row = self.conn.execute(
            "SELECT count(*) FROM alerts_sent WHERE platform = ? AND channel = ? AND day = ?",
            (platform, channel, day.isoformat()),
        ).fetchone()
        return int(row[0])

    def alerted(self, platform: str, channel: str, paper_ids: Sequence[str]) -> set[str]:
        """Which of these papers a channel was alerted about already (by any of its alerts)."""
        found: set[str] = set()
        for chunk in _chunks(list(paper_ids), BATCH):
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self.conn.execute(
                    f"SELECT paper_id FROM alerts_sent WHERE platform = ? AND channel = ? "
                    f"AND paper_id IN ({marks})",
                    (platform, channel, *chunk),
                )
            )
        return found

    def unfinished(self, since: date) -> list[tuple[Alert, str, float]]:
        """Claims (of alerts that still exist) whose post is not recorded as sent: a process
        stopped between the claim and the post's record. (alert, paper, score at the claim)."""
        rows = self.conn.execute(
            f"SELECT {', '.join('a.' + c.strip() for c in _COLUMNS.split(','))}, s.paper_id, "
            f"s.score FROM alerts_sent s JOIN alerts a ON a.id = s.alert_id "
            f"LEFT JOIN deliveries d ON d.platform = s.platform AND d.channel = s.channel "
            f"AND d.key = 'alert:' || s.alert_id || ':' || s.paper_id "
            f"WHERE s.day >= ? AND (d.status IS NULL OR d.status != 'sent') ORDER BY s.sent_at",
            (since.isoformat(),),
        ).fetchall()
        return [(_alert(r[:9]), r[9], float(r[10])) for r in rows]

    # -- scores before a moment --------------------------------------------------------------

    def scores_before(self, paper_ids: Sequence[str], until: datetime) -> dict[str, float]:
        """Each paper's score counting only observations made before `until`, by the same rules
        as its score now (one post per account, weights, exclusions). A post counts with its
        current counters; an aggregate (Hacker News points...) by when it was last measured."""
        scoring = self.store.scoring
        found: dict[str, float] = {}
        for chunk in _chunks(list(paper_ids), BATCH):
            marks = ",".join("?" * len(chunk))
            where = f"o.paper_id IN ({marks}) AND o.observed_at < ?"
            totals = counted_totals_sql(candidates_sql(scoring, where), scoring)
            rows = self.conn.execute(
                f"SELECT a.paper_id, sum(a.score * {source_weight_sql(scoring)}) "
                f"FROM ({totals}) a GROUP BY a.paper_id",
                (*chunk, time_text(until)),
            ).fetchall()
            found.update((r[0], float(r[1] or 0.0)) for r in rows)
        return {pid: found.get(pid, 0.0) for pid in paper_ids}


def _key(alert: Alert) -> tuple[str, str, str, str, str]:
    text = alert.text or TextFilter()
    about = json.dumps([list(group) for group in text.about])
    return alert.platform, alert.channel, " ".join(alert.filters), about, text.by


def _alert(row: Sequence[Any]) -> Alert:
    about = tuple(tuple(str(t) for t in group) for group in json.loads(row[4] or "[]"))
    return Alert(
        id=int(row[0]),
        platform=row[1],
        channel=row[2],
        filters=tuple(row[3].split()),
        text=TextFilter(about, row[5] or ""),
        threshold=float(row[6]),
        created_by=row[7] or "",
        created_at=parse_time(row[8]),
    )
