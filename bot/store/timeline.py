"""Attention over time for one paper: per source and UTC day, from the observations' times
(the chart on the web's paper page)."""

from __future__ import annotations

import sqlite3
from datetime import date

from bot.domain.models import TimelinePoint


class Timeline:
    """Store methods for attention over time."""

    conn: sqlite3.Connection

    def attention_timeline(self, arxiv_id: str) -> list[TimelinePoint]:
        """Per source and day, oldest first; observations without a time and embeds (display
        only) are left out, as are excluded accounts."""
        rows = self.conn.execute(
            """
            SELECT source, substr(observed_at, 1, 10) AS day, count(*),
                   coalesce(sum(reposts + likes), 0)
            FROM observations
            WHERE paper_id = ? AND kind IN ('post', 'aggregate') AND observed_at IS NOT NULL
              AND account NOT IN (SELECT account FROM excluded_accounts)
            GROUP BY source, day ORDER BY day, source
            """,
            (arxiv_id,),
        ).fetchall()
        return [TimelinePoint(r[0], date.fromisoformat(r[1]), r[2], r[3]) for r in rows]
