"""The parsed chat commands: plain values the engine acts on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from bot.domain.taxonomy import CategoryFilter
from bot.domain.topics import TextFilter

MAX_N = 25
DEFAULT_N = 5


class Command:
    """Any parsed chat command: each is a frozen dataclass deriving from this one, and the
    command registry (bot/commands/registry.py) says which handler answers it."""

    __slots__ = ()


@dataclass(frozen=True)
class Period:
    """A listing period as the user said it; the engine resolves it to dates."""

    kind: str  # "today" | "yesterday" | "days" | "date"
    days: int = 1  # for "days": week/this week=7, month=30, last N days=N (1..366)
    on: date | None = None  # for "date"
    label: str = "today"  # "today", "this week", "last 3 days", "2021-04-05"


@dataclass(frozen=True)
class Top(Command):
    n: int
    filters: tuple[CategoryFilter, ...]
    period: Period
    notes: tuple[str, ...] = ()
    text: TextFilter | None = None  # `about ...` / `by ...`


@dataclass(frozen=True)
class Trending(Command):
    n: int
    filters: tuple[CategoryFilter, ...]
    hours: int
    notes: tuple[str, ...] = ()
    text: TextFilter | None = None


@dataclass(frozen=True)
class PaperLookup(Command):
    arxiv_id: str
    version: int | None = None


@dataclass(frozen=True)
class Search(Command):
    words: str
    filters: tuple[CategoryFilter, ...]
    period: Period | None
    n: int


@dataclass(frozen=True)
class Details(Command):
    item: int  # "3" or "details 3" (in a digest's thread)


@dataclass(frozen=True)
class Subscribe(Command):
    filters: tuple[CategoryFilter, ...]
    n: int
    at: time
    timezone: str | None
    days: tuple[int, ...] | None  # 0=Mon..6=Sun; None = listing days; weekly: its one day
    text: TextFilter | None = None  # `about ...` / `by ...`
    cadence: str = "daily"  # "daily" | "weekly" | "monthly"


@dataclass(frozen=True)
class Unsubscribe(Command):
    filters: tuple[CategoryFilter, ...] = ()  # empty = all of the channel's subscriptions
    text: TextFilter | None = None  # given: only the subscriptions with exactly this topic
    cadence: str | None = None  # given: only the subscriptions of this cadence


@dataclass(frozen=True)
class Subscriptions(Command):
    pass


@dataclass(frozen=True)
class Categories(Command):
    archive: str | None = None


@dataclass(frozen=True)
class Help(Command):
    topic: str | None = None


@dataclass(frozen=True)
class Invalid(Command):
    message: str  # what was wrong, and an example that works
