"""Breakout alerts: a channel's standing order "tell us when a paper on X crosses N", what an
alert says about itself, and the pure rules of a check (which candidates fire, why now)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.topics import TextFilter

MAX_THRESHOLD = 1_000_000.0  # a score no paper has ever had: larger is a typo
MAX_ALERTS_PER_CHANNEL = 20
WINDOW_DAYS = 7  # a paper alerts within this many days of its listing
WHY_HOURS = 6  # "up 280 in the last 6 hours"
DEFAULT_PER_DAY = 5  # [alerts] per_channel_per_day


@dataclass(frozen=True)
class Alert:
    platform: str
    channel: str
    threshold: float
    filters: tuple[str, ...] = ()  # category and archive labels, canonical order
    text: TextFilter = field(default_factory=TextFilter)
    id: int | None = None
    created_by: str = ""
    created_at: datetime | None = None

    @property
    def what(self) -> str:
        """`cs.CV about "protein folding"` (or `any category`)."""
        bits = [" ".join(self.filters)] if self.filters else []
        if self.text:
            bits.append(self.text.text)
        return " ".join(bits) or "any category"

    def describe(self) -> str:
        """`cs.CV above 300` (how `alerts` lists it, and how it would be typed)."""
        return f"{self.what} above {threshold_text(self.threshold)}"


def threshold_text(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def threshold_problem(value: float) -> str | None:
    """Why a number cannot be a threshold (None: it can)."""
    if math.isnan(value) or math.isinf(value) or value > MAX_THRESHOLD:
        return f"is more than any paper's score (at most {MAX_THRESHOLD:,.0f})"
    if value <= 0:
        return "must be above 0"
    return None


@dataclass(frozen=True)
class Candidate:
    """A paper an alert's filter matches, listed within the window, at or above its threshold."""

    alert: Alert
    paper_id: str
    score: float


def pick(candidates: Sequence[Candidate], already_today: int, per_day: int) -> list[Candidate]:
    """The candidates of ONE channel to post now: each paper once (the best-scoring alert's),
    highest score first, at most what is left of the channel's day. The others wait: they are
    not recorded, so the next day's checks find them again while they are in the window."""
    best: dict[str, Candidate] = {}
    for c in sorted(candidates, key=lambda c: (-c.score, c.alert.id or 0, c.paper_id)):
        best.setdefault(c.paper_id, c)
    room = max(0, per_day - already_today)
    return list(best.values())[:room]


def why_now(score: float, before: float, hours: int = WHY_HOURS) -> str:
    """`412 — up 280 in the last 6 hours`; just the score when it did not grow in that time."""
    gain = score - before
    if gain >= 0.5:
        return f"{score:,.0f} — up {gain:,.0f} in the last {hours} hours"
    return f"{score:,.0f} — no change in the last {hours} hours"


def since(now: datetime, hours: int = WHY_HOURS) -> datetime:
    return now - timedelta(hours=hours)
