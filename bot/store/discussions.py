"""Where papers are discussed: per (paper, source) the most engaged post with a link."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from bot.domain.discussion import HF_PAGE, best_per_platform, is_web_url
from bot.domain.models import Discussion
from bot.store.attention import BATCH, _chunks

SHIFT = 1 << 32  # rowids below this sort under one unit of engagement in GROUPS' `best`

# Per (paper, source), in one pass over the covering group index alone (no row of the table is
# read; a hot paper has thousands): its posts, and its most engaged row, first stored first, as
# one integer `engagement * 2**32 - id` (the max of it is that row; its id is -best mod 2**32).
GROUPS = """
    SELECT paper_id, source, sum(kind = 'post') AS posts,
           max((reposts + likes + replies) * 4294967296 - id) AS best
    FROM observations INDEXED BY observations_by_group
    WHERE paper_id IN ({marks}) AND kind IN ('post', 'embed', 'aggregate')
      AND account NOT IN (SELECT account FROM excluded_accounts)
    GROUP BY paper_id, source
    ORDER BY paper_id, source
"""
# The ids GROUPS can encode: every rowid in (0, 2**32) (else: the rule itself, per group).
ID_RANGE = "SELECT (SELECT min(id) FROM observations), (SELECT max(id) FROM observations)"
ROWS = "SELECT id, url, reposts, likes, replies FROM observations WHERE id IN ({marks})"
# When that row has no link (or engagement too large to encode): the rule itself, for that
# (paper, source): links first, then the most engaged, then the first stored.
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
        low, high = self.conn.execute(ID_RANGE).fetchone()
        encodable = low is not None and low > 0 and high < SHIFT
        for chunk in _chunks(list(ids), BATCH):
            marks = ",".join("?" * len(chunk))
            groups = self.conn.execute(GROUPS.format(marks=marks), chunk).fetchall()
            chosen = {
                -best % SHIFT: (paper_id, source, best)
                for paper_id, source, _, best in groups
                if encodable and isinstance(best, int)
            }
            rows = self._rows_by_id(list(chosen))
            for paper_id, source, posts, best in groups:
                row = rows.get(-best % SHIFT) if encodable and isinstance(best, int) else None
                if row is None or not row[0] or sum(row[1:]) * SHIFT - (-best % SHIFT) != best:
                    # no link on the most engaged row (or not encodable): the rule itself
                    row = tuple(self.conn.execute(BEST_BY_RULE, (paper_id, source)).fetchone())
                url, reposts, likes, replies = row
                if not url and source == "huggingface":
                    url = HF_PAGE.format(paper_id)
                if not is_web_url(url):
                    continue
                found.setdefault(paper_id, []).append(
                    Discussion(source, url.strip(), reposts, likes, replies, posts)
                )
        return {paper_id: best_per_platform(found[paper_id]) for paper_id in found}

    def _rows_by_id(self, row_ids: list[int]) -> dict[int, tuple[str, int, int, int]]:
        rows: dict[int, tuple[str, int, int, int]] = {}
        for start in range(0, len(row_ids), 500):
            chunk = row_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row_id, *values in self.conn.execute(ROWS.format(marks=marks), chunk):
                rows[row_id] = (values[0], values[1], values[2], values[3])
        return rows
