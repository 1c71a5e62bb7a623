"""A subscription: a channel's standing order for a daily, weekly or monthly digest, and the
rules about its days, filters and how a reply names the channel."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from bot.domain.daily import Days, MonthStart
from bot.domain.taxonomy import CategoryFilter, resolve_filter
from bot.domain.topics import TextFilter, about_text

log = logging.getLogger(__name__)

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LISTING_DAYS = (0, 1, 2, 3, 4)  # arXiv lists Monday to Friday
ON_EMPTY = ("skip", "note")
MAX_N = 25
DAILY, WEEKLY, MONTHLY = "daily", "weekly", "monthly"
CADENCES = (DAILY, WEEKLY, MONTHLY)
SPAN_DAYS = {WEEKLY: 7, MONTHLY: 30}  # calendar days a weekly / monthly digest covers


@dataclass(frozen=True)
class Subscription:
    """One channel's standing order: the top N of some categories (and a topic, an author) at a
    time of day in a zone, daily (each listing), weekly or monthly (the last 7 / 30 days)."""

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
    about: tuple[tuple[str, ...], ...] = ()  # `about` groups (OR of ANDs); () = any topic
    by: str = ""  # an author's name; "" = any author
    cadence: str = DAILY  # daily | weekly (on its one day in `days`) | monthly

    @property
    def filter_text(self) -> str:
        return " ".join(self.filters)

    @property
    def text_filter(self) -> TextFilter | None:
        found = TextFilter(self.about, self.by)
        return found if found else None

    @property
    def topic_text(self) -> str:
        """The stored topic: `"3d reconstruction" OR nerf`."""
        return about_text(self.about)

    @property
    def label(self) -> str:
        """`cs.CV about "3d reconstruction" by LeCun` ('' for everything): what it asks for."""
        text = self.text_filter
        return " ".join(p for p in (self.filter_text, text.text if text else "") if p)

    @property
    def key_text(self) -> str:
        """What tells this subscription's digests from the channel's others (delivery records):
        the filters, topic, author and cadence; a plain daily one's is its categories, as ever."""
        bits = [self.label]
        if self.cadence != DAILY:
            bits.append(self.cadence)
        return " ".join(b for b in bits if b)

    @property
    def run_days(self) -> tuple[int, ...]:
        return self.days if self.days is not None else LISTING_DAYS

    @property
    def fire_days(self) -> Days:
        """The local days it runs on: its days, or the first listing day of each month."""
        return MonthStart() if self.cadence == MONTHLY else self.run_days

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
        """`the top 5 of cs.CV cs.LG at 09:00 Europe/Berlin on listing days`;
        `the weekly top 10 of cs.LG (the last 7 days) at 09:00 UTC on Mondays`."""
        text = self.text_filter
        what = (self.filter_text or "all categories") + (f" {text.text}" if text else "")
        when = f"at {self.at:%H:%M} {self.timezone}"
        if self.cadence == WEEKLY:
            day = FULL_DAY_NAMES[self.run_days[0]]
            return f"the weekly top {self.n} of {what} (the last 7 days) {when} every {day}"
        if self.cadence == MONTHLY:
            return (
                f"the monthly top {self.n} of {what} (the last 30 days) {when} on the first "
                f"listing day of each month"
            )
        return f"the top {self.n} of {what} {when} {days_text(self.days)}"


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
    fields = ("n", "at", "timezone", "days", "abstracts", "on_empty", "about", "by", "cadence")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


# Platforms whose channel ids are opaque (C024BE91L, 1234567890): the channel is "this channel".
OPAQUE_CHANNEL_IDS = frozenset({"slack", "discord"})


def channel_name(platform: str, channel: str) -> str:
    """How a reply names the channel it is sent in: never a raw id."""
    if platform in OPAQUE_CHANNEL_IDS:
        return "this channel"
    return channel if channel.startswith("#") else f"#{channel}"
