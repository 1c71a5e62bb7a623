"""The attention score: a documented formula, its configuration, and the parts that explain it.

Per source, over the observations that count:

    source score = sum of (reposts + likes) x post weight

and a paper's score is the sum of source weight x source score. The defaults reproduce the
Hot Papers archive (reposts + likes, every weight 1). The counting rules decide which
observations count: one post per (account, paper), the most engaged one; a repost is never a
post of its own (its original's counters already hold it); excluded accounts (the bot's own and
a blocklist) count for nothing. Reach weighting multiplies a post by min(log10(followers+1), 4)/2.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.domain.models import Score, SourceScore


@dataclass(frozen=True)
class ScoringConfig:
    source_weights: Mapping[str, float] = field(default_factory=dict)
    one_post_per_account: bool = True
    reposts_are_posts: bool = False
    excluded_accounts: frozenset[str] = frozenset()
    reach_weighting: bool = False

    def weight_of(self, source: str) -> float:
        return float(self.source_weights.get(source, 1.0))

    def fingerprint(self) -> str:
        """Changes whenever a setting that changes stored scores changes."""
        data = {
            "weights": sorted(self.source_weights.items()),
            "one_post_per_account": self.one_post_per_account,
            "reposts_are_posts": self.reposts_are_posts,
            "excluded": sorted(self.excluded_accounts),
            "reach": self.reach_weighting,
        }
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


def reach_weight(followers: int | None) -> float:
    """karpathy's capped reach: 0 for nobody, 2 at 10,000 followers and above."""
    if followers is None or followers < 0:
        return 1.0
    return min(math.log10(followers + 1), 4.0) / 2.0


def post_weight(followers: int | None, config: ScoringConfig) -> float:
    return reach_weight(followers) if config.reach_weighting else 1.0


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
