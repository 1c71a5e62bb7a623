"""The Bluesky feed's one read: the papers of a listing in score order (as `top` ranks them),
each with its most-engaged Bluesky post; papers without one are skipped.

Pages are keyset pages (score, paper id), so a cursor stays valid while scores move. The post of
each paper is one probe of a partial index over the Bluesky observations (m010_feed)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.domain.feeds import post_uri
from bot.store.categories import category_keys

# `o.source = 'bluesky'` is written out (not bound) so SQLite can use the partial index.
BEST_POST = (
    "(SELECT o.key FROM observations o "
    "WHERE o.paper_id = s.paper_id AND o.source = 'bluesky' AND o.kind = 'post' "
    "AND o.account NOT IN (SELECT account FROM excluded_accounts) "
    "ORDER BY o.reposts + o.likes DESC, o.id LIMIT 1)"
)
AFTER = "(s.score < ? OR (s.score = ? AND s.paper_id > ?))"


@dataclass(frozen=True)
class FeedEntry:
    paper_id: str
    score: float
    post: str  # the at:// URI of the paper's most-engaged Bluesky post


def feed_page(
    conn: sqlite3.Connection,
    listing: date,
    categories: Iterable[str] | None,
    after: tuple[float, str] | None,
    limit: int,
    min_score: float = 0.0,
) -> list[FeedEntry]:
    """Up to `limit` entries of `listing` after (score, paper id), best first."""
    score, paper_id = after if after is not None else (float("inf"), "")
    keys = category_keys(categories) if categories else []
    if not keys:
        source = "SELECT paper_id, score FROM paper_scores WHERE listing_date = ?"
        params: list[object] = [listing.isoformat()]
    elif len(keys) == 1:
        source = (
            "SELECT paper_id, score FROM paper_categories WHERE category = ? AND listing_date = ?"
        )
        params = [keys[0], listing.isoformat()]
    else:
        marks = ",".join("?" * len(keys))
        source = (
            f"SELECT paper_id, max(score) AS score FROM paper_categories "
            f"WHERE category IN ({marks}) AND listing_date = ? GROUP BY paper_id"
        )
        params = [*keys, listing.isoformat()]
    rows = conn.execute(
        f"SELECT paper_id, score, post FROM ("
        f"SELECT s.paper_id, s.score, {BEST_POST} AS post FROM ({source}) s "
        f"WHERE s.score >= ? AND {AFTER} ORDER BY s.score DESC, s.paper_id LIMIT -1"
        f") WHERE post IS NOT NULL LIMIT ?",
        (*params, min_score, score, score, paper_id, limit),
    ).fetchall()
    found = []
    for pid, value, key in rows:
        uri = post_uri(key)
        if uri is not None:
            found.append(FeedEntry(pid, float(value), uri))
    return found
