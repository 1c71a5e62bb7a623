"""Where papers are discussed: per (paper, source) the most engaged post with a link."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from bot.domain.discussion import HF_PAGE, best_per_platform, is_web_url
from bot.domain.models import Discussion
from bot.store.attention import BATCH, _chunks


class Discussions:
    """Store method behind the "Discussed on" lines of paper cards."""

    conn: sqlite3.Connection

    def discussions_of(self, ids: Iterable[str]) -> dict[str, tuple[Discussion, ...]]:
        """For each paper, one Discussion per source: its most engaged post that has a link
        (excluded accounts left out), or the Hugging Face page for Hugging Face's totals."""
        found: dict[str, list[Discussion]] = {}
        for chunk in _chunks(list(ids), BATCH):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"""
                SELECT paper_id, source, url, reposts, likes, replies, posts FROM (
                    SELECT o.paper_id, o.source, o.url, o.reposts, o.likes, o.replies,
                           sum(o.kind = 'post') OVER (PARTITION BY o.paper_id, o.source) AS posts,
                           row_number() OVER (
                               PARTITION BY o.paper_id, o.source
                               ORDER BY (o.url <> '') DESC,
                                        o.reposts + o.likes + o.replies DESC, o.id
                           ) AS place
                    FROM observations o
                    WHERE o.paper_id IN ({marks}) AND o.kind IN ('post', 'embed', 'aggregate')
                      AND o.account NOT IN (SELECT account FROM excluded_accounts)
                ) WHERE place = 1
                """,
                chunk,
            ).fetchall()
            for paper_id, source, url, reposts, likes, replies, posts in rows:
                if not url and source == "huggingface":
                    url = HF_PAGE.format(paper_id)
                if not is_web_url(url):
                    continue
                found.setdefault(paper_id, []).append(
                    Discussion(source, url.strip(), reposts, likes, replies, posts)
                )
        return {paper_id: best_per_platform(found[paper_id]) for paper_id in found}
