"""Token matchers: each reads one kind of phrase (a number, a category, a period, a time)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time

from bot.commands.answers import (
    EXAMPLES,
    N_EXAMPLES,
    WINDOW,
    example_for,
    not_understood,
    show,
    unknown_category,
)
from bot.commands.tokens import (
    Token,
    looks_like_clock,
    looks_like_date,
    parse_clock,
    parse_date,
    parse_days,
    parse_int,
    resolve_timezone,
    suggest_timezone,
)
from bot.commands.types import (
    MAX_N,
    Invalid,
    Period,
)
from bot.domain.ids import parse_arxiv_id
from bot.domain.taxonomy import CategoryFilter, archive_ids, resolve_filter

MAX_DAYS = 366
MAX_HOURS = 30 * 24
FILLERS = frozenset({"papers", "in", "for", "from", "on", "and", "the", "me"})
CATEGORY_SHAPE = re.compile(r"^([a-z][a-z\-]*)\.[a-z][a-z\-]*$")
HOUR_UNITS = {"h": 1, "hr": 1, "hrs": 1, "hour": 1, "hours": 1, "d": 24, "day": 24, "days": 24}


@dataclass
class Parts:
    """What the tokens of one command said so far (mutable while scanning, then discarded)."""

    command: str
    n: int | None = None
    filters: list[CategoryFilter] = field(default_factory=list)
    period: Period | None = None
    hours: int | None = None
    words: list[str] = field(default_factory=list)
    at: time | None = None
    timezone: str | None = None
    days: set[int] | None = None
    about: tuple[tuple[str, ...], ...] = ()
    by: str | None = None
    cadence: str | None = None


# A matcher looks at tokens[i:] and returns how many tokens it used (0: not mine) or an Invalid.
Matcher = Callable[[list[Token], int, Parts], "int | Invalid"]


def scan(tokens: list[Token], parts: Parts, matchers: list[Matcher]) -> Invalid | None:
    i = 0
    while i < len(tokens):
        for matcher in matchers:
            used = matcher(tokens, i, parts)
            if isinstance(used, Invalid):
                return used
            if used:
                i += used
                break
        else:
            return not_understood(tokens[i], parts.command)
    return None


def match_filler(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    return 1 if tokens[i].low in FILLERS and not tokens[i].quoted else 0


def match_all(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    return 1 if tokens[i].low in ("all", "everything") else 0


def _set_n(value: int, parts: Parts) -> int | Invalid:
    example = N_EXAMPLES.get(parts.command, N_EXAMPLES["top"])
    if parts.n is not None:
        return Invalid(f"Give me one number of papers. Try `{example}`.")
    if value < 1:
        return Invalid(
            f"The number of papers must be 1 or more (at most {MAX_N}). Try `{example}`."
        )
    parts.n = value
    return 1


def match_number(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    token = tokens[i]
    value = None if token.quoted else parse_int(token.low)
    return 0 if value is None else _set_n(value, parts)


def match_n_after_top(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    if tokens[i].low != "top" or i + 1 >= len(tokens):
        return 0
    value = parse_int(tokens[i + 1].low)
    if value is None:
        return 0
    used = _set_n(value, parts)
    return used if isinstance(used, Invalid) else 2


def match_category(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    token = tokens[i]
    if token.quoted:
        return 0
    found = resolve_filter(token.low)
    if found is None:
        return 0
    if found.label not in {f.label for f in parts.filters}:
        parts.filters.append(found)
    return 1


def match_word(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    token = tokens[i]
    if not token.quoted:
        shape = CATEGORY_SHAPE.match(token.low)
        if shape and shape.group(1) in archive_ids():
            return unknown_category(token, parts.command)
        if parse_arxiv_id(token.raw) is not None:
            return not_understood(token, parts.command)
    parts.words.append(token.raw)
    return 1


def match_period(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    found = _read_period(tokens, i)
    if found is None:
        return 0
    period, used = found
    if isinstance(period, Invalid):
        return period
    if parts.period is not None:
        return Invalid(
            f"Give me one period (`{parts.period.label}` or `{period.label}`?). "
            f"Try `{example_for(parts.command)}`."
        )
    parts.period = period
    return used


def _read_period(tokens: list[Token], i: int) -> tuple[Period | Invalid, int] | None:
    low = tokens[i].low
    nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
    if tokens[i].quoted:
        return None
    if low in ("today", "yesterday"):
        return Period(low, label=low), 1
    if low in ("week", "month"):
        return _days_period(low), 1
    if low == "this" and nxt in ("week", "month"):
        return _days_period(nxt), 2
    if low in ("last", "past"):
        return _last_period(tokens, i)
    if looks_like_date(low):
        on = parse_date(low)
        if on is None:
            return Invalid(
                f"`{show(tokens[i].raw)}` is not a date that exists. Try `top 5 2021-04-05`."
            ), 1
        return Period("date", on=on, label=on.isoformat()), 1
    return None


def _days_period(word: str) -> Period:
    return Period("days", days=7 if word == "week" else 30, label=f"this {word}")


def _last_period(tokens: list[Token], i: int) -> tuple[Period | Invalid, int] | None:
    nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
    unit = tokens[i + 2].low if i + 2 < len(tokens) else ""
    if nxt in ("week", "month"):
        days = 7 if nxt == "week" else 30
        return Period("days", days=days, label=f"last {days} days"), 2
    if nxt in ("day", "24h"):
        return Period("days", days=1, label="last day"), 2
    count = parse_int(nxt)
    if count is None or unit not in ("day", "days"):
        return None
    if not 1 <= count <= MAX_DAYS:
        return Invalid(
            f"`last N days` goes from 1 to {MAX_DAYS} days. Try `top 5 last 30 days`."
        ), 3
    label = "last day" if count == 1 else f"last {count} days"
    return Period("days", days=count, label=label), 3


def match_window(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    found = _read_window(tokens, i)
    if found is None:
        return 0
    hours, used = found
    if isinstance(hours, Invalid):
        return hours
    if parts.hours is not None:
        return Invalid(f"Give me one time window. Try `{EXAMPLES['trending']}`.")
    if not 1 <= hours <= MAX_HOURS:
        return Invalid(
            f"Trending looks back from 1 hour to 30 days (`{MAX_HOURS}h`). "
            f"Try `trending 5 week` or `{EXAMPLES['trending']}`."
        )
    parts.hours = hours
    return used


def _read_window(tokens: list[Token], i: int) -> tuple[int | Invalid, int] | None:
    low = tokens[i].low
    nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
    if tokens[i].quoted:
        return None
    named = {"today": 24, "day": 24, "week": 168, "month": MAX_HOURS}
    if low in named:
        return named[low], 1
    if low == "this" and nxt in ("week", "month"):
        return named[nxt], 2
    match = WINDOW.match(low)
    if match:
        return int(match.group(1)) * HOUR_UNITS[match.group(2)], 1
    count = parse_int(low)
    if count is not None and nxt in HOUR_UNITS:
        return count * HOUR_UNITS[nxt], 2
    if low in ("last", "past"):
        unit = tokens[i + 2].low if i + 2 < len(tokens) else ""
        if nxt in named:
            return named[nxt], 2
        count = parse_int(nxt)
        if count is not None and unit in HOUR_UNITS:
            return count * HOUR_UNITS[unit], 3
        return Invalid(
            f"Say how long, e.g. `trending 5 last 48 hours` or `{EXAMPLES['trending']}`."
        ), 1
    if low == "yesterday" or looks_like_date(low):
        return Invalid(
            "`trending` takes a time window like `24h`, `3d` or `week`. For one listing day "
            "try `top 5 2021-04-05`."
        ), 1
    return None


def match_at_time(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    if tokens[i].low != "at":
        return 0
    if i + 1 >= len(tokens):
        return Invalid("`at` needs a time, e.g. `at 09:00` or `at 9:30pm`.")
    low, used = tokens[i + 1].low, 2
    if i + 2 < len(tokens) and tokens[i + 2].low in ("am", "pm") and ":" not in low[-2:]:
        low, used = low + tokens[i + 2].low, 3
    return _set_time(low, tokens[i + 1].raw, parts, used)


def match_clock(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    low = tokens[i].low
    if low in ("noon", "midnight") or looks_like_clock(low):
        return _set_time(low, tokens[i].raw, parts, 1)
    if parse_int(low) is not None and i + 1 < len(tokens) and tokens[i + 1].low in ("am", "pm"):
        return _set_time(low + tokens[i + 1].low, tokens[i].raw, parts, 2)
    return 0


def _set_time(low: str, raw: str, parts: Parts, used: int) -> int | Invalid:
    at = parse_clock(low, bare_hour=True)
    if at is None:
        return Invalid(
            f"`{show(raw)}` is not a time of day. Use 24-hour `HH:MM` like `at 09:30`, "
            f"or `at 9:30pm`."
        )
    if parts.at is not None:
        return Invalid(f"Give me one time of day. Try `{EXAMPLES['subscribe']}`.")
    parts.at = at
    return used


def match_days(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    low = tokens[i].low
    used = 1
    if low == "every" and i + 1 < len(tokens):
        low, used = tokens[i + 1].low, 2
        if low == "day":
            low = "daily"
    days = parse_days(low)
    if days is None:
        return 0
    parts.days = (parts.days or set()) | set(days)
    return used


def match_timezone(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    token = tokens[i]
    zone = resolve_timezone(token.raw)
    if zone is None:
        if "/" not in token.raw:
            return 0
        hint = suggest_timezone(token.raw)
        mean = f" — did you mean `{hint}`?" if hint else "."
        return Invalid(
            f"Unknown timezone `{show(token.raw)}`{mean} Use an IANA name like "
            f"`Europe/Berlin` or `UTC`."
        )
    if parts.timezone is not None and parts.timezone != zone:
        return Invalid(f"Give me one timezone. Try `{EXAMPLES['subscribe']}`.")
    parts.timezone = zone
    return 1
