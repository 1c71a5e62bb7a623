"""Where papers are discussed: per (paper, source) the most engaged post with a link."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from bot.domain.discussion import HF_PAGE, best_per_platform, is_web_url
from bot.domain.models import Discussion
from bot.store.attention import BATCH, _chunks

# Per (paper, source): its posts, and the highest engagement, read from the covering group index
# alone (no row of the table is read; a hot paper has thousands).
GROUPS = """
    SELECT paper_id, source, sum(kind = 'post'), max(reposts + likes + replies)
    FROM observations INDEXED BY observations_by_group
    WHERE paper_id IN ({marks}) AND kind IN ('post', 'embed', 'aggregate')
      AND account NOT IN (SELECT account FROM excluded_accounts)
    GROUP BY paper_id, source
"""
# The first stored post with a link among those with that engagement: the table is read only for
# them (the terms on the index's columns are tested first).
BEST_WITH_LINK = """
    SELECT url, reposts, likes, replies
    FROM observations INDEXED BY observations_by_group
    WHERE paper_id = ? AND source = ? AND kind IN ('post', 'embed', 'aggregate')
      AND reposts + likes + replies = ?
      AND account NOT IN (SELECT account FROM excluded_accounts) AND url <> ''
    ORDER BY id LIMIT 1
"""
# Otherwise (the most engaged posts have no link): the rule itself, for that (paper, source).
BEST_BY_RULE = """
    SELECT url, reposts, likes, replies
    FROM observations
    WHERE paper_id = ? AND source = ? AND kind IN ('post', 'embed', 'aggregate')
      AND account NOT IN (SELECT account FROM excluded_accounts)
    ORDER BY (url <> '') DESC, reposts + likes + replies DESC, id LIMIT 1
"""


class Discussions:
    """Store method behind the "Discussed on" lines of paper cards."""

    conn: sqlite3.Connection

    def discussions_of(self, ids: Iterable[str]) -> dict[str, tuple[Discussion, ...]]:
        """For each paper, one Discussion per source: its most engaged post that has a link
        (excluded accounts left out), or the Hugging Face page for Hugging Face's totals.
        The most engaged: links first, then reposts + likes + replies, then the first stored."""
        found: dict[str, list[Discussion]] = {}
        for chunk in _chunks(list(ids), BATCH):
            marks = ",".join("?" * len(chunk))
            groups = self.conn.execute(GROUPS.format(marks=marks), chunk).fetchall()
            for paper_id, source, posts, most in groups:
                best = self.conn.execute(BEST_WITH_LINK, (paper_id, source, most)).fetchone()
                if best is None:
                    best = self.conn.execute(BEST_BY_RULE, (paper_id, source)).fetchone()
                url, reposts, likes, replies = best
                if not url and source == "huggingface":
                    url = HF_PAGE.format(paper_id)
                if not is_web_url(url):
                    continue
                found.setdefault(paper_id, []).append(
                    Discussion(source, url.strip(), reposts, likes, replies, posts)
                )
        return {paper_id: best_per_platform(found[paper_id]) for paper_id in found}
