"""What a paper card shows beside its score, read for a whole digest at once: the posts shown
with each paper and when its counters were last refreshed (one statement each, not one per
paper)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from bot.domain.models import Post
from bot.store.codec import parse_time

# One paper's posts: display order for embeds, then the most engaged (the engagement index,
# walked in order; stops after `limit` rows).
_POSTS_OF_ONE = """
    SELECT * FROM (
        SELECT paper_id, source, url, author_name, author_handle, text, observed_at, lang, html,
               reposts, likes
        FROM observations
        WHERE paper_id = ? AND kind IN ('post', 'embed') AND url <> ''
          AND account NOT IN (SELECT account FROM excluded_accounts)
        ORDER BY reposts + likes DESC, id
        LIMIT ?)
"""
CHUNK = 50  # papers per statement (two parameters each)


class Cards:
    """Store methods behind the posts and the "measured" time of paper cards."""

    conn: sqlite3.Connection

    def posts_of(self, ids: Iterable[str], limit: int = 10) -> dict[str, tuple[Post, ...]]:
        """For each paper (every id is a key), the posts shown with it, as `top_posts`."""
        ids = list(dict.fromkeys(ids))
        found: dict[str, list[Post]] = {paper_id: [] for paper_id in ids}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            sql = " UNION ALL ".join([_POSTS_OF_ONE] * len(chunk))
            params = [value for paper_id in chunk for value in (paper_id, limit)]
            for r in self.conn.execute(sql, params).fetchall():
                found[r[0]].append(
                    Post(
                        source=r[1],
                        url=r[2],
                        author_name=r[3],
                        author_handle=r[4],
                        text=r[5],
                        posted=parse_time(r[6]),
                        lang=r[7],
                        html=r[8],
                        reposts=r[9],
                        likes=r[10],
                    )
                )
        return {paper_id: tuple(posts) for paper_id, posts in found.items()}

    def measured_at_of(self, ids: Iterable[str]) -> dict[str, datetime | None]:
        """For each scored paper, when its counters were last refreshed (absent: not scored)."""
        ids = list(dict.fromkeys(ids))
        found: dict[str, datetime | None] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for paper_id, measured in self.conn.execute(
                f"SELECT paper_id, measured_at FROM paper_scores WHERE paper_id IN ({marks})",
                chunk,
            ).fetchall():
                found[paper_id] = parse_time(measured)
        return found
