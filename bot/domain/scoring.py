"""The attention score, defined once: the formula, the counting rules, the weights, the feed-bot
rule, their configuration and the parts that explain a score. Pure code, no SQL.

Per source, over the observations that count:

    source score = sum of (reposts + likes) x post weight

and a paper's score is the sum of source weight x source score. The defaults reproduce the
Hot Papers archive (reposts + likes, every weight 1). The counting rules decide which
observations count: only posts and aggregates (never embeds); one post per (account, paper,
source), the most engaged one (ties: the first stored); a repost is never a post of its own (its
original's counters already hold it); excluded accounts (the bot's own and a blocklist) count for
nothing. A post's weight follows from what was observed about it:

    post weight = reach weight (if reach weighting) x feed-bot weight (on a feed-bot day)

reach weight = min(log10(followers + 1), 4) / 2; a feed-bot day is a (source, account, UTC day)
whose posts link more than `feed_bot_links_per_day` distinct papers.

`top` (a listing period), `trending` (a time window), `paper`, `search` and digests all count
this way; they differ only in which observations they look at. The store holds the one SQL
expression of these rules (bot/store/attention.py); `score_observations` below is the reference
the tests hold it to.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

from bot.domain.models import Observation, Score, SourceScore

# (source, account, UTC day) a post counts towards for the feed-bot rule
DayKey = tuple[str, str, date]


@dataclass(frozen=True)
class FeedBotRule:
    """More than `max_links_per_day` distinct papers from one account in one UTC day: a feed bot,
    whose posts of that day weigh `weight`."""

    enabled: bool = True
    max_links_per_day: int = 20
    weight: float = 0.25


@dataclass(frozen=True)
class ScoringConfig:
    source_weights: Mapping[str, float] = field(default_factory=dict)
    one_post_per_account: bool = True
    reposts_are_posts: bool = False
    excluded_accounts: frozenset[str] = frozenset()
    reach_weighting: bool = False
    feed_bots: FeedBotRule = FeedBotRule()

    def weight_of(self, source: str) -> float:
        return float(self.source_weights.get(source, 1.0))

    def excluded(self) -> frozenset[str]:
        """The excluded accounts as stored: lower case, no leading @."""
        return frozenset(normal_account(a) for a in self.excluded_accounts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights": sorted((str(s), float(w)) for s, w in self.source_weights.items()),
            "one_post_per_account": self.one_post_per_account,
            "reposts_are_posts": self.reposts_are_posts,
            "excluded": sorted(self.excluded()),
            "reach": self.reach_weighting,
            "feed_bots": [
                self.feed_bots.enabled,
                self.feed_bots.max_links_per_day,
                float(self.feed_bots.weight),
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ScoringConfig:
        data = json.loads(text)
        enabled, links, weight = data["feed_bots"]
        return cls(
            source_weights={str(s): float(w) for s, w in data["weights"]},
            one_post_per_account=bool(data["one_post_per_account"]),
            reposts_are_posts=bool(data["reposts_are_posts"]),
            excluded_accounts=frozenset(data["excluded"]),
            reach_weighting=bool(data["reach"]),
            feed_bots=FeedBotRule(bool(enabled), int(links), float(weight)),
        )

    def fingerprint(self) -> str:
        """Changes whenever a setting that changes stored scores changes."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]


def normal_account(account: str) -> str:
    return account.lower().lstrip("@")


# -- weights -------------------------------------------------------------------------------------


def reach_weight(followers: int | None) -> float:
    """karpathy's capped reach: 0 for nobody, 2 at 10,000 followers and above."""
    if followers is None or followers < 0:
        return 1.0
    return min(math.log10(followers + 1), 4.0) / 2.0


def post_weight(followers: int | None, config: ScoringConfig, feed_bot_day: bool = False) -> float:
    """The weight of one observation, from what was observed about it."""
    weight = reach_weight(followers) if config.reach_weighting else 1.0
    if feed_bot_day and config.feed_bots.enabled:
        weight *= config.feed_bots.weight
    return weight


# -- the feed-bot rule ---------------------------------------------------------------------------


def day_key(o: Observation) -> DayKey | None:
    """The (source, account, day) a post counts towards; None for what never counts as a post."""
    if o.kind != "post" or o.is_repost or not o.account or o.observed_at is None:
        return None
    when = o.observed_at
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return (o.source, normal_account(o.account), when.date())


def feed_bot_days(
    observations: Iterable[Observation],
    stored: Mapping[DayKey, frozenset[str]],
    rule: FeedBotRule,
) -> set[DayKey]:
    """The (source, account, day)s over the limit, counting stored papers and these together."""
    if not rule.enabled:
        return set()
    papers: dict[DayKey, set[str]] = {k: set(v) for k, v in stored.items()}
    for o in observations:
        key = day_key(o)
        if key is not None:
            papers.setdefault(key, set()).add(o.arxiv_id)
    return {k for k, ids in papers.items() if len(ids) > rule.max_links_per_day}


# -- counting ------------------------------------------------------------------------------------


def counts(o: Observation, config: ScoringConfig) -> bool:
    """Whether an observation can count at all (before one post per account)."""
    return (
        o.kind in ("post", "aggregate")
        and (config.reposts_are_posts or not o.is_repost)
        and normal_account(o.account) not in config.excluded()
    )


def group_key(o: Observation, config: ScoringConfig) -> tuple[str, str, str]:
    """Observations of one group count once (the most engaged): per (paper, source, account) for
    posts with an account under one post per account, per (paper, source, key) otherwise."""
    account = normal_account(o.account)
    if config.one_post_per_account and o.kind == "post" and account:
        return (o.arxiv_id, o.source, account)
    return (o.arxiv_id, o.source, o.key)


def score_observations(
    observations: Iterable[Observation], config: ScoringConfig
) -> dict[str, Score]:
    """Every paper's score from its observations (the latest of each (source, key), in the order
    they were first stored, followers kept from before when a refresh has none): the reference
    the store's SQL is tested against."""
    batch = list(observations)
    bots = feed_bot_days(batch, {}, config.feed_bots)
    best: dict[tuple[str, str, str], Observation] = {}
    for o in batch:
        if not counts(o, config):
            continue
        key = group_key(o, config)
        held = best.get(key)
        if held is None or o.reposts + o.likes > held.reposts + held.likes:
            best[key] = o
    sums: dict[tuple[str, str], dict[str, Any]] = {}
    for o in best.values():
        part = sums.setdefault(
            (o.arxiv_id, o.source),
            {"posts": 0, "accounts": set(), "reposts": 0, "likes": 0, "replies": 0, "quotes": 0}
            | {"score": 0.0},
        )
        weight = post_weight(o.followers, config, day_key(o) in bots)
        part["posts"] += o.kind == "post"
        if o.kind == "post" and o.account:
            part["accounts"].add(normal_account(o.account))
        for name in ("reposts", "likes", "replies", "quotes"):
            part[name] += max(getattr(o, name), 0)
        part["score"] += (max(o.reposts, 0) + max(o.likes, 0)) * weight
    parts: dict[str, list[SourceScore]] = {o.arxiv_id: [] for o in batch}
    for (paper_id, source), p in sums.items():
        parts[paper_id].append(SourceScore(source=source, **{**p, "accounts": len(p["accounts"])}))
    return {paper_id: combine(ps, config) for paper_id, ps in parts.items()}


def combine(parts: Iterable[SourceScore], config: ScoringConfig) -> Score:
    """A paper's score from its per-source parts, weights applied."""
    weighted = tuple(
        SourceScore(
            source=p.source,
            posts=p.posts,
            accounts=p.accounts,
            reposts=p.reposts,
            likes=p.likes,
            replies=p.replies,
            quotes=p.quotes,
            weight=config.weight_of(p.source),
            score=p.score,
        )
        for p in parts
    )
    total = sum(p.weight * p.score for p in weighted)
    return Score(total=round(total, 6), parts=tuple(sorted(weighted, key=lambda p: -p.score)))


def explain(score: Score) -> str:
    """One line per source: what was counted and how it was weighed."""
    lines = []
    for part in score.parts:
        bits = [f"{part.reposts:,} reposts", f"{part.likes:,} likes"]
        if part.posts:
            bits.insert(0, f"{part.posts:,} posts from {part.accounts:,} accounts")
        weight = "" if part.weight == 1.0 else f" × weight {part.weight:g}"
        lines.append(f"{part.source}: {', '.join(bits)} → {part.score:,.0f}{weight}")
    return "\n".join(lines)
