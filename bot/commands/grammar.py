"""The chat command grammar: text in, one Command value out (pure; never raises)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time

from bot.commands.tokens import (
    Token,
    looks_like_clock,
    looks_like_date,
    parse_clock,
    parse_date,
    parse_days,
    parse_int,
    resolve_timezone,
    strip_address,
    suggest_timezone,
    tokenize,
)
from bot.commands.types import (
    DEFAULT_N,
    MAX_N,
    Categories,
    Command,
    Details,
    Help,
    Invalid,
    PaperLookup,
    Period,
    Search,
    Subscribe,
    Subscriptions,
    Top,
    Trending,
    Unsubscribe,
)
from bot.ids import find_arxiv_ids, parse_arxiv_id
from bot.taxonomy import CategoryFilter, archive_ids, archive_of, resolve_filter, suggest

__all__ = [
    "COMMAND_WORDS",
    "Categories",
    "Command",
    "Details",
    "Help",
    "Invalid",
    "PaperLookup",
    "Period",
    "Search",
    "Subscribe",
    "Subscriptions",
    "Top",
    "Trending",
    "Unsubscribe",
    "parse_command",
]

log = logging.getLogger(__name__)

COMMAND_WORDS = {
    "top": "top",
    "hot": "top",
    "trending": "trending",
    "trend": "trending",
    "paper": "paper",
    "search": "search",
    "details": "details",
    "detail": "details",
    "subscribe": "subscribe",
    "unsubscribe": "unsubscribe",
    "subscriptions": "subscriptions",
    "subscription": "subscriptions",
    "categories": "categories",
    "category": "categories",
    "help": "help",
    "?": "help",
}
EXAMPLES = {
    "top": "top 5 cs.CV today",
    "trending": "trending 10 cs.LG 48h",
    "paper": "paper 2104.00743",
    "search": "search diffusion video cs.CV week",
    "subscribe": "subscribe cs.CV cs.LG top 10 at 09:00 Europe/Berlin",
    "unsubscribe": "unsubscribe cs.CV",
    "categories": "categories cs",
    "details": "details 3",
}
_WITH_CATEGORY = {
    "top": "top 5 {} today",
    "trending": "trending 5 {} 24h",
    "search": "search diffusion {}",
    "subscribe": "subscribe {} at 09:00",
    "unsubscribe": "unsubscribe {}",
}
_N_EXAMPLES = {
    "top": "top 5 cs.CV today",
    "trending": "trending 10 cs.LG 48h",
    "search": "search diffusion video 10",
    "subscribe": "subscribe cs.CV top 10",
}
CAP_NOTE = f"Showing {MAX_N}, the most I list at once."
MAX_WORDS = 200
MAX_DAYS = 366
MAX_HOURS = 30 * 24
_FILLERS = frozenset({"papers", "in", "for", "from", "on", "and", "the", "me"})
_GLUED = re.compile(r"^(top|hot|trending)([0-9]+)$")
_WINDOW = re.compile(r"^([0-9]{1,6})(h|hr|hrs|hour|hours|d|day|days)$")
_CATEGORY_SHAPE = re.compile(r"^([a-z][a-z\-]*)\.[a-z][a-z\-]*$")
_HOUR_UNITS = {"h": 1, "hr": 1, "hrs": 1, "hour": 1, "hours": 1, "d": 24, "day": 24, "days": 24}
_EMPTY = "Send me a command, e.g. `top 5 cs.CV today`, or `help` for the list."


def parse_command(text: str, *, in_thread: bool = False, addressed: bool = False) -> Command | None:
    """Read one chat message. None when it is not for the bot (no command word, no arXiv id).

    `addressed` says the platform already knows the message is for the bot (a DM, a slash
    command, the console): an unknown first word is then an `Invalid`, not None.
    """
    try:
        return _parse(text, in_thread=in_thread, addressed=addressed)
    except Exception:  # the grammar must answer something, whatever the input
        log.exception("command parser failed on %d characters", len(str(text)))
        return Invalid(f"Sorry, I could not read that. Try `{EXAMPLES['top']}` or `help`.")


def _parse(text: str, *, in_thread: bool, addressed: bool) -> Command | None:
    if not isinstance(text, str):
        return Invalid(_EMPTY)
    body, mentioned = strip_address(text)
    addressed = addressed or mentioned
    if body == "?":
        return Help()
    tokens = tokenize(body)
    if not tokens:
        return Invalid(_EMPTY)
    first = tokens[0]
    glued = _GLUED.match(first.low)
    if glued:
        tokens = [Token(glued.group(1), glued.group(1)), Token(glued.group(2), glued.group(2))]
        tokens += tokenize(body)[1:]
        first = tokens[0]
    command = None if first.quoted else COMMAND_WORDS.get(first.low)
    if command is not None:
        rest = tokens[1:]
        rest_text = body.split(None, 1)[1] if len(body.split(None, 1)) > 1 else ""
        parsed = _COMMANDS[command](rest, rest_text)
        if isinstance(parsed, Invalid) and not addressed:
            # "top paper today: <link>" is a pasted link more likely than a broken command
            found = find_arxiv_ids(body)
            if found:
                return PaperLookup(found[0].id, found[0].version)
        return parsed
    if len(tokens) == 1 and re.fullmatch(r"#?[0-9]+", first.low):
        return _bare_number(first.low.lstrip("#"), in_thread)
    found = find_arxiv_ids(body)
    if found:
        return PaperLookup(found[0].id, found[0].version)
    if addressed:
        return Invalid(f"I don't know `{_show(first.raw)}`. Try `{EXAMPLES['top']}` or `help`.")
    return None


# -- one small parser per command -----------------------------------------------------------


@dataclass
class _Parts:
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


# A matcher looks at tokens[i:] and returns how many tokens it used (0: not mine) or an Invalid.
_Matcher = Callable[[list[Token], int, _Parts], "int | Invalid"]


def _scan(tokens: list[Token], parts: _Parts, matchers: list[_Matcher]) -> Invalid | None:
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
            return _not_understood(tokens[i], parts.command)
    return None


def _top(tokens: list[Token], _text: str) -> Command:
    parts = _Parts("top")
    problem = _scan(tokens, parts, [_filler, _n_after_top, _number, _period, _category])
    if problem:
        return problem
    n, notes = _capped(parts.n)
    return Top(n, tuple(parts.filters), parts.period or Period("today"), notes)


def _trending(tokens: list[Token], _text: str) -> Command:
    parts = _Parts("trending")
    problem = _scan(tokens, parts, [_filler, _n_after_top, _window, _number, _category])
    if problem:
        return problem
    n, notes = _capped(parts.n)
    return Trending(n, tuple(parts.filters), parts.hours or 24, notes)


def _paper(_tokens: list[Token], text: str) -> Command:
    found = find_arxiv_ids(text)
    if found:
        return PaperLookup(found[0].id, found[0].version)
    example = f"Try `{EXAMPLES['paper']}` or `paper https://arxiv.org/abs/2104.00743`."
    if not text.strip():
        return Invalid(f"`paper` needs an arXiv id or link. {example}")
    return Invalid(f"I can't find an arXiv id in `{_show(text.strip())}`. {example}")


def _search(tokens: list[Token], _text: str) -> Command:
    parts = _Parts("search")
    problem = _scan(tokens, parts, [_n_after_top, _number, _period, _category, _word])
    if problem:
        return problem
    words = " ".join(parts.words)
    if not words:
        return Invalid(f"`search` needs some words to look for. Try `{EXAMPLES['search']}`.")
    if len(words) > MAX_WORDS:
        return Invalid(
            f"That search is {len(words)} characters long; I take at most {MAX_WORDS}. "
            f"Try a few distinctive words, e.g. `{EXAMPLES['search']}`."
        )
    n, _notes = _capped(parts.n)
    return Search(words, tuple(parts.filters), parts.period, n)


def _details(tokens: list[Token], _text: str) -> Command:
    numbers = [t.low.lstrip("#") for t in tokens if t.low not in _FILLERS and t.low != "item"]
    if len(numbers) != 1 or parse_int(numbers[0]) is None:
        return Invalid(
            f"`details` needs one item number from a digest. Try `{EXAMPLES['details']}`."
        )
    return _item(numbers[0])


def _subscribe(tokens: list[Token], _text: str) -> Command:
    parts = _Parts("subscribe")
    matchers: list[_Matcher] = [
        _filler,
        _n_after_top,
        _at_time,
        _clock,
        _days,
        _number,
        _category,
        _timezone,
    ]
    problem = _scan(tokens, parts, matchers)
    if problem:
        return problem
    n, _notes = _capped(parts.n)
    days = tuple(sorted(parts.days)) if parts.days is not None else None
    return Subscribe(tuple(parts.filters), n, parts.at or time(9, 0), parts.timezone, days)


def _unsubscribe(tokens: list[Token], _text: str) -> Command:
    parts = _Parts("unsubscribe")
    problem = _scan(tokens, parts, [_filler, _all, _category])
    if problem:
        return problem
    return Unsubscribe(tuple(parts.filters))


def _subscriptions(_tokens: list[Token], _text: str) -> Command:
    return Subscriptions()


def _categories(tokens: list[Token], _text: str) -> Command:
    if not tokens:
        return Categories()
    if len(tokens) > 1:
        return Invalid(f"`categories` takes one archive at a time. Try `{EXAMPLES['categories']}`.")
    token = tokens[0]
    found = resolve_filter(token.low)
    if found is None or found.label.startswith("grp_"):
        hint = suggest(token.low)
        mean = f" — did you mean `{hint}`?" if hint else "."
        return Invalid(
            f"Unknown archive `{_show(token.raw)}`{mean} Send `categories` for the archives, "
            f"or try `{EXAMPLES['categories']}`."
        )
    return Categories(archive_of(found.label))


def _help(tokens: list[Token], _text: str) -> Command:
    if not tokens:
        return Help()
    topic = tokens[0].low
    return Help(COMMAND_WORDS.get(topic, topic[:40]))


_COMMANDS: dict[str, Callable[[list[Token], str], Command]] = {
    "top": _top,
    "trending": _trending,
    "paper": _paper,
    "search": _search,
    "details": _details,
    "subscribe": _subscribe,
    "unsubscribe": _unsubscribe,
    "subscriptions": _subscriptions,
    "categories": _categories,
    "help": _help,
}


# -- matchers -------------------------------------------------------------------------------


def _filler(tokens: list[Token], i: int, parts: _Parts) -> int | Invalid:
    return 1 if tokens[i].low in _FILLERS and not tokens[i].quoted else 0


def _all(tokens: list[Token], i: int, parts: _Parts) -> int | Invalid:
    return 1 if tokens[i].low in ("all", "everything") else 0


def _set_n(value: int, parts: _Parts) -> int | Invalid:
    example = _N_EXAMPLES.get(parts.command, _N_EXAMPLES["top"])
    if parts.n is not None:
        return Invalid(f"Give me one number of papers. Try `{example}`.")
    if value < 1:
        return Invalid(
            f"The number of papers must be 1 or more (at most {MAX_N}). Try `{example}`."
        )
    parts.n = value
    return 1


def _number(tokens: list[Token], i: int, parts: _Parts) -> int | Invalid:
    token = tokens[i]
    value = None if token.quoted else parse_int(token.low)
    return 0 if value is None else _set_n(value, parts)


def _n_after_top(tokens: list[Token], i: int, parts: _Parts) -> int | Invalid:
    if tokens[i].low != "top" or i + 1 >= len(tokens):
        return 0
    value = parse_int(tokens[i + 1].low)
    if value is None:
        return 0
    used = _set_n(value, parts)
    return used if isinstance(used, Invalid) else 2


def _category(tokens: list[Token], i: int, parts: _Parts) -> int | Invalid:
    token = tokens[i]
    if token.quoted:
        return 0
    found = resolve_filter(token.low)
    if found is None:
        return 0
    if found.label not in {f.label for f in parts.filters}:
        parts.filters.append(found)
    return 1


def _word(tokens: list[Token], i: int, parts: _Parts) -> int | Invalid:
    token = tokens[i]
    if not token.quoted:
        shape = _CATEGORY_SHAPE.match(token.low)
        if shape and shape.group(1) in archive_ids():
            return _unknown_category(token, parts.command)
        if parse_arxiv_id(token.raw) is not None:
            return _not_understood(token, parts.command)
    parts.words.append(token.raw)
    return 1


def _period(tokens: list[Token], i: int, parts: _Parts) -> int | Invalid:
    found = _read_period(tokens, i)
    if found is None:
        return 0
    period, used = found
    if isinstance(period, Invalid):
        return period
    if parts.period is not None:
        return Invalid(
            f"Give me one period (`{parts.period.label}` or `{period.label}`?). "
            f"Try `{_example(parts.command)}`."
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
                f"`{_show(tokens[i].raw)}` is not a date that exists. Try `top 5 2021-04-05`."
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


def _window(tokens: list[Token], i: int, parts: _Parts) -> int | Invalid:
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
    match = _WINDOW.match(low)
    if match:
        return int(match.group(1)) * _HOUR_UNITS[match.group(2)], 1
    count = parse_int(low)
    if count is not None and nxt in _HOUR_UNITS:
        return count * _HOUR_UNITS[nxt], 2
    if low in ("last", "past"):
        unit = tokens[i + 2].low if i + 2 < len(tokens) else ""
        if nxt in named:
            return named[nxt], 2
        count = parse_int(nxt)
        if count is not None and unit in _HOUR_UNITS:
            return count * _HOUR_UNITS[unit], 3
        return Invalid(
            f"Say how long, e.g. `trending 5 last 48 hours` or `{EXAMPLES['trending']}`."
        ), 1
    if low == "yesterday" or looks_like_date(low):
        return Invalid(
            "`trending` takes a time window like `24h`, `3d` or `week`. For one listing day "
            "try `top 5 2021-04-05`."
        ), 1
    return None


def _at_time(tokens: list[Token], i: int, parts: _Parts) -> int | Invalid:
    if tokens[i].low != "at":
        return 0
    if i + 1 >= len(tokens):
        return Invalid("`at` needs a time, e.g. `at 09:00` or `at 9:30pm`.")
    low, used = tokens[i + 1].low, 2
    if i + 2 < len(tokens) and tokens[i + 2].low in ("am", "pm") and ":" not in low[-2:]:
        low, used = low + tokens[i + 2].low, 3
    return _set_time(low, tokens[i + 1].raw, parts, used)


def _clock(tokens: list[Token], i: int, parts: _Parts) -> int | Invalid:
    low = tokens[i].low
    if low in ("noon", "midnight") or looks_like_clock(low):
        return _set_time(low, tokens[i].raw, parts, 1)
    if parse_int(low) is not None and i + 1 < len(tokens) and tokens[i + 1].low in ("am", "pm"):
        return _set_time(low + tokens[i + 1].low, tokens[i].raw, parts, 2)
    return 0


def _set_time(low: str, raw: str, parts: _Parts, used: int) -> int | Invalid:
    at = parse_clock(low, bare_hour=True)
    if at is None:
        return Invalid(
            f"`{_show(raw)}` is not a time of day. Use 24-hour `HH:MM` like `at 09:30`, "
            f"or `at 9:30pm`."
        )
    if parts.at is not None:
        return Invalid(f"Give me one time of day. Try `{EXAMPLES['subscribe']}`.")
    parts.at = at
    return used


def _days(tokens: list[Token], i: int, parts: _Parts) -> int | Invalid:
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


def _timezone(tokens: list[Token], i: int, parts: _Parts) -> int | Invalid:
    token = tokens[i]
    zone = resolve_timezone(token.raw)
    if zone is None:
        if "/" not in token.raw:
            return 0
        hint = suggest_timezone(token.raw)
        mean = f" — did you mean `{hint}`?" if hint else "."
        return Invalid(
            f"Unknown timezone `{_show(token.raw)}`{mean} Use an IANA name like "
            f"`Europe/Berlin` or `UTC`."
        )
    if parts.timezone is not None and parts.timezone != zone:
        return Invalid(f"Give me one timezone. Try `{EXAMPLES['subscribe']}`.")
    parts.timezone = zone
    return 1


# -- answers for what did not fit ------------------------------------------------------------


def _bare_number(digits: str, in_thread: bool) -> Command:
    if in_thread:
        return _item(digits)
    return Invalid(
        f"To see item {_show(digits)} of a digest, reply `{_show(digits)}` in the digest's "
        f"thread. Here, try `{EXAMPLES['top']}`."
    )


def _item(digits: str) -> Command:
    value = parse_int(digits)
    if value is None or not 1 <= value <= MAX_N:
        return Invalid(f"Digest items go from 1 to {MAX_N}. Try `{EXAMPLES['details']}`.")
    return Details(value)


def _capped(n: int | None) -> tuple[int, tuple[str, ...]]:
    if n is None:
        return DEFAULT_N, ()
    if n > MAX_N:
        return MAX_N, (CAP_NOTE,)
    return n, ()


def _example(command: str) -> str:
    return EXAMPLES.get(command, EXAMPLES["top"])


def _unknown_category(token: Token, command: str) -> Invalid:
    hint = suggest(token.low)
    template = _WITH_CATEGORY.get(command, _WITH_CATEGORY["top"])
    if hint:
        return Invalid(
            f"Unknown category `{_show(token.raw)}` — did you mean `{hint}`? "
            f"Try `{template.format(hint)}`."
        )
    return Invalid(
        f"Unknown category `{_show(token.raw)}`. Send `categories` for the list, "
        f"or try `{template.format('cs.CV')}`."
    )


def _not_understood(token: Token, command: str) -> Invalid:
    low = token.low
    found = parse_arxiv_id(token.raw)
    if found is not None:
        return Invalid(f"`{_show(token.raw)}` looks like a paper. Try `paper {found.id}`.")
    if command == "top" and _WINDOW.match(low):
        return Invalid(
            f"`{_show(token.raw)}` is a time window: try `trending {_show(low)}`. "
            f"`top` takes listing periods like `today`, `week` or `2021-04-05`."
        )
    if command == "subscribe" and looks_like_clock(low):
        return Invalid(f"`{_show(token.raw)}` is not a time of day. Try `at 09:30` or `at 9:30pm`.")
    if re.fullmatch(r"[+-]?[0-9]*[.,][0-9]+", low):
        return Invalid(f"`{_show(token.raw)}` is not a whole number. Try `{_example(command)}`.")
    if command == "top" and low in ("last", "past", "this"):
        return Invalid("Say which period, e.g. `top 5 this week` or `top 5 last 3 days`.")
    if command == "top" and low == "tomorrow":
        return Invalid("There is no listing for tomorrow yet. Try `top 5 today`.")
    return _unknown_category(token, command)


def _show(text: str, limit: int = 40) -> str:
    """User text to echo inside `code`: short, single-line, no backticks."""
    flat = " ".join(text.split()).replace("`", "'")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
