"""Feed-bot down-weighting: accounts that post more than K arXiv links a day weigh less."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from bot.domain.models import Observation, Post
from bot.domain.scoring import ScoringConfig, post_weight
from bot.store import Store

log = logging.getLogger(__name__)

# (source, account, UTC day) -> the papers that account linked that day
DayKey = tuple[str, str, date]

_HAS_WEIGHT = "weight" in getattr(Observation, "__dataclass_fields__", {})


@dataclass(frozen=True)
class FeedBotRule:
    """More than `max_links_per_day` distinct papers from one account in one UTC day: a feed bot."""

    enabled: bool = True
    max_links_per_day: int = 20
    weight: float = 0.25


def day_key(o: Observation) -> DayKey | None:
    """The (source, account, day) a post counts towards; None for what never counts as a post."""
    if o.kind != "post" or o.is_repost or not o.account or o.observed_at is None:
        return None
    when = o.observed_at
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return (o.source, o.account.lower().lstrip("@"), when.date())


def feed_bot_days(
    observations: Iterable[Observation],
    stored: Mapping[DayKey, frozenset[str]],
    rule: FeedBotRule,
) -> set[DayKey]:
    """The (source, account, day)s over the limit, counting stored papers and this batch together."""
    if not rule.enabled:
        return set()
    papers: dict[DayKey, set[str]] = {k: set(v) for k, v in stored.items()}
    for o in observations:
        key = day_key(o)
        if key is not None:
            papers.setdefault(key, set()).add(o.arxiv_id)
    return {k for k, ids in papers.items() if len(ids) > rule.max_links_per_day}


def apply_feed_bot_rule(
    observations: Iterable[Observation],
    stored: Mapping[DayKey, frozenset[str]],
    rule: FeedBotRule,
    scoring: ScoringConfig,
) -> list[Observation]:
    """Pure: the observations, those of feed-bot account-days with weight = rule.weight x post weight.

    The weight set is the full post weight (reach weighting included), so the store uses it as
    given instead of computing its own. Others keep weight None: the store's default applies.
    """
    batch = list(observations)
    bots = feed_bot_days(batch, stored, rule)
    if not bots:
        return batch
    if not _HAS_WEIGHT:
        log.warning("feed-bot weighting skipped: Observation has no weight field yet")
        return batch
    out = []
    for o in batch:
        key = day_key(o)
        if key is not None and key in bots:
            weight = rule.weight * post_weight(o.followers, scoring)
            changes: dict[str, Any] = {"weight": weight}  # Observation.weight (proposed)
            o = replace(o, **changes)
        out.append(o)
    return out


def stored_day_papers(store: Store, keys: Iterable[DayKey]) -> dict[DayKey, frozenset[str]]:
    """Read-only: the papers each (source, account, day) already has stored posts about."""
    found: dict[DayKey, frozenset[str]] = {}
    for source, account, day in set(keys):
        rows = store.conn.execute(
            "SELECT DISTINCT paper_id FROM observations "
            "WHERE source = ? AND account = ? AND kind = 'post' AND is_repost = 0 "
            "AND observed_at >= ? AND observed_at < ?",
            (source, account, f"{day.isoformat()}T00:00:00", f"{day.isoformat()}T99"),
        ).fetchall()
        if rows:
            found[(source, account, day)] = frozenset(r[0] for r in rows)
    return found


def stored_posts(store: Store, key: DayKey) -> list[Observation]:
    """Read-only: the stored posts of one (source, account, day), rebuilt as observations."""
    source, account, day = key
    rows = store.conn.execute(
        "SELECT source, key, paper_id, kind, observed_at, account, reposts, likes, replies, "
        "quotes, followers, is_repost, url, author_name, author_handle, text, lang, html "
        "FROM observations WHERE source = ? AND account = ? AND kind = 'post' AND is_repost = 0 "
        "AND observed_at >= ? AND observed_at < ?",
        (source, account, f"{day.isoformat()}T00:00:00", f"{day.isoformat()}T99"),
    ).fetchall()
    out = []
    for r in rows:
        posted = datetime.fromisoformat(r[4]).replace(tzinfo=UTC) if r[4] else None
        out.append(
            Observation(
                source=r[0],
                key=r[1],
                arxiv_id=r[2],
                kind=r[3],
                observed_at=posted,
                account=r[5],
                reposts=r[6],
                likes=r[7],
                replies=r[8],
                quotes=r[9],
                followers=r[10],
                is_repost=bool(r[11]),
                post=Post(
                    source=r[0],
                    url=r[12],
                    author_name=r[13],
                    author_handle=r[14],
                    text=r[15],
                    posted=posted,
                    lang=r[16],
                    html=r[17],
                    reposts=r[6],
                    likes=r[7],
                )
                if r[12]
                else None,
            )
        )
    return out


def reweigh(
    store: Store, observations: Iterable[Observation], rule: FeedBotRule
) -> list[Observation]:
    """The batch with feed-bot weights applied, plus the account's stored posts of a day that
    this batch pushes over the limit (so the earlier posts of that day weigh less too)."""
    batch = list(observations)
    if not rule.enabled:
        return batch
    keys = {k for k in (day_key(o) for o in batch) if k is not None}
    stored = stored_day_papers(store, keys)
    bots = feed_bot_days(batch, stored, rule)
    newly = {k for k in bots if len(stored.get(k, frozenset())) <= rule.max_links_per_day}
    in_batch = {(o.source, o.key) for o in batch}
    extra = [
        o
        for k in sorted(newly, key=lambda k: (k[0], k[1], k[2].isoformat()))
        for o in stored_posts(store, k)
        if (o.source, o.key) not in in_batch
    ]
    return apply_feed_bot_rule([*batch, *extra], stored, rule, store.scoring)
