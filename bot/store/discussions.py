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
    SELECT paper_id, source, sum(kind = 'post') AS posts, max(reposts + likes + replies) AS most
    FROM observations INDEXED BY observations_by_group
    WHERE paper_id IN ({marks}) AND kind IN ('post', 'embed', 'aggregate')
      AND account NOT IN (SELECT account FROM excluded_accounts)
    GROUP BY paper_id, source
"""
# Then, for every (paper, source) at once, its posts with a link at that engagement, first stored
# first (none: one row of NULLs): the table is read only for those rows.
BEST_WITH_LINK = """
    SELECT g.paper_id, g.source, g.posts, o.url, o.reposts, o.likes, o.replies
    FROM ({groups}) g
    LEFT JOIN observations o INDEXED BY observations_by_group
      ON o.paper_id = g.paper_id AND o.source = g.source
     AND o.kind IN ('post', 'embed', 'aggregate')
     AND o.reposts + o.likes + o.replies = g.most
     AND o.account NOT IN (SELECT account FROM excluded_accounts) AND o.url <> ''
    ORDER BY g.paper_id, g.source, o.id
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
            query = BEST_WITH_LINK.format(groups=GROUPS.format(marks=marks))
            seen: set[tuple[str, str]] = set()
            for paper_id, source, posts, *row in self.conn.execute(query, chunk).fetchall():
                if (paper_id, source) in seen:
                    continue
                seen.add((paper_id, source))
                if row[0] is None:  # rare: its most engaged posts have no link
                    row = list(self.conn.execute(BEST_BY_RULE, (paper_id, source)).fetchone())
                url, reposts, likes, replies = row
                if not url and source == "huggingface":
                    url = HF_PAGE.format(paper_id)
                if not is_web_url(url):
                    continue
                found.setdefault(paper_id, []).append(
                    Discussion(source, url.strip(), reposts, likes, replies, posts)
                )
        return {paper_id: best_per_platform(found[paper_id]) for paper_id in found}
