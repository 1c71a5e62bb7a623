"""A subscription: a channel's standing order for a daily digest, and the rules about its days,
filters and how a reply names the channel."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from bot.domain.taxonomy import CategoryFilter, resolve_filter

log = logging.getLogger(__name__)

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LISTING_DAYS = (0, 1, 2, 3, 4)  # arXiv lists Monday to Friday
ON_EMPTY = ("skip", "note")
MAX_N = 25


@dataclass(frozen=True)
class Subscription:
    """One channel's standing order: the top N of some categories at a time of day in a zone."""

    platform: str
    channel: str
    filters: tuple[str, ...] = ()  # canonical filter labels, sorted; () = every category
    n: int = 5
    at: time = time(9, 0)
    timezone: str = "UTC"
    days: tuple[int, ...] | None = None  # 0=Mon..6=Sun; None = arXiv's listing days (Mon-Fri)
    abstracts: bool = True  # post abstracts in the digest's thread
    on_empty: str = "skip"  # "skip" a day without a new listing, or post a short "note"
    status: str = "active"  # "active" | "paused"
    origin: str = "chat"  # "chat" | "config"
    created_by: str = ""
    created_at: datetime | None = None
    id: int | None = None

    @property
    def filter_text(self) -> str:
        return " ".join(self.filters)

    @property
    def run_days(self) -> tuple[int, ...]:
        return self.days if self.days is not None else LISTING_DAYS

    def category_filters(self) -> tuple[CategoryFilter, ...]:
        found = []
        for label in self.filters:
            resolved = resolve_filter(label)
            if resolved is None:
                log.warning("subscription %s: unknown category %r ignored", self.id, label)
            else:
                found.append(resolved)
        return tuple(found)

    def describe(self) -> str:
        """`the top 5 of cs.CV cs.LG at 09:00 Europe/Berlin on listing days`."""
        what = self.filter_text or "all categories"
        return (
            f"the top {self.n} of {what} at {self.at:%H:%M} {self.timezone} {days_text(self.days)}"
        )


def days_text(days: Sequence[int] | None) -> str:
    """`on listing days`, `every day`, `on weekdays`, `on weekends`, `on Mon, Wed`."""
    if days is None:
        return "on listing days"
    chosen = tuple(sorted(set(days)))
    if chosen == tuple(range(7)):
        return "every day"
    if chosen == LISTING_DAYS:
        return "on weekdays"
    if chosen == (5, 6):
        return "on weekends"
    return "on " + ", ".join(DAY_NAMES[d].capitalize() for d in chosen)


def days_value(days: Sequence[int] | None) -> str | None:
    """Days as stored and as APScheduler's `day_of_week` takes them: `mon,wed`; None = listing days."""
    if days is None:
        return None
    return ",".join(DAY_NAMES[d] for d in sorted(set(days)))


def parse_days_value(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    days = tuple(sorted({DAY_NAMES.index(p) for p in text.split(",") if p in DAY_NAMES}))
    return days or None


def normalise_filters(labels: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({label for label in labels if label}))


def same_order(a: Subscription, b: Subscription) -> bool:
    """Whether two subscriptions ask for the same digest at the same times (ids and status aside)."""
    fields = ("n", "at", "timezone", "days", "abstracts", "on_empty")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


# Platforms whose channel ids are opaque (C024BE91L, 1234567890): the channel is "this channel".
OPAQUE_CHANNEL_IDS = frozenset({"slack", "discord"})


def channel_name(platform: str, channel: str) -> str:
    """How a reply names the channel it is sent in: never a raw id."""
    if platform in OPAQUE_CHANNEL_IDS:
        return "this channel"
    return channel if channel.startswith("#") else f"#{channel}"
