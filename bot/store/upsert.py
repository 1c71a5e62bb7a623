"""An observation as the row Store.upsert_observations writes, and the UPSERT that writes it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain.models import Observation
from bot.domain.scoring import ScoringConfig, post_weight
from bot.store.codec import time_text

UPSERT = """
    INSERT INTO observations (source, key, paper_id, kind, observed_at, account,
        reposts, likes, replies, quotes, followers, is_repost, weight,
        url, author_name, author_handle, text, lang, html)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(source, key) DO UPDATE SET
        paper_id = excluded.paper_id, kind = excluded.kind,
        observed_at = coalesce(excluded.observed_at, observed_at),
        account = excluded.account, reposts = excluded.reposts,
        likes = excluded.likes, replies = excluded.replies, quotes = excluded.quotes,
        followers = coalesce(excluded.followers, followers),
        is_repost = excluded.is_repost,
        weight = hp_post_weight(coalesce(excluded.followers, followers), 0),
        url = excluded.url, author_name = excluded.author_name,
        author_handle = excluded.author_handle, text = excluded.text,
        lang = excluded.lang, html = excluded.html
"""


def upsert_row(o: Observation, scoring: ScoringConfig) -> tuple[object, ...]:
    """An observation as UPSERT's parameters; its weight before the feed-bot rule."""
    post = o.post
    return (
        o.source,
        o.key,
        o.arxiv_id,
        o.kind,
        _utc_text(o.observed_at),
        o.account.lower().lstrip("@"),
        max(o.reposts, 0),
        max(o.likes, 0),
        max(o.replies, 0),
        max(o.quotes, 0),
        o.followers,
        int(o.is_repost),
        post_weight(o.followers, scoring),
        post.url if post else "",
        post.author_name if post else "",
        post.author_handle if post else "",
        post.text if post else "",
        post.lang if post else "",
        post.html if post else "",
    )


def _utc_text(value: datetime | date | None) -> str | None:
    """time_text() with a fast path for the common case: an aware UTC datetime."""
    if isinstance(value, datetime) and value.tzinfo is UTC:
        return value.isoformat(timespec="seconds")[:19]
    return time_text(value)
