"""Answers for what did not parse: friendly messages that always carry an example that works."""

from __future__ import annotations

import re

from bot.commands.tokens import (
    Token,
    looks_like_clock,
    parse_int,
)
from bot.commands.types import (
    DEFAULT_N,
    MAX_N,
    Command,
    Details,
    Invalid,
)
from bot.domain.ids import parse_arxiv_id
from bot.domain.taxonomy import suggest

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
WITH_CATEGORY = {
    "top": "top 5 {} today",
    "trending": "trending 5 {} 24h",
    "search": "search diffusion {}",
    "subscribe": "subscribe {} at 09:00",
    "unsubscribe": "unsubscribe {}",
}
N_EXAMPLES = {
    "top": "top 5 cs.CV today",
    "trending": "trending 10 cs.LG 48h",
    "search": "search diffusion video 10",
    "subscribe": "subscribe cs.CV top 10",
}
CAP_NOTE = f"Showing {MAX_N}, the most I list at once."
WINDOW = re.compile(r"^([0-9]{1,6})(h|hr|hrs|hour|hours|d|day|days)$")


def bare_number(digits: str, in_thread: bool) -> Command:
    if in_thread:
        return details_item(digits)
    return Invalid(
        f"To see item {show(digits)} of a digest, reply `{show(digits)}` in the digest's "
        f"thread. Here, try `{EXAMPLES['top']}`."
    )


def details_item(digits: str) -> Command:
    value = parse_int(digits)
    if value is None or not 1 <= value <= MAX_N:
        return Invalid(f"Digest items go from 1 to {MAX_N}. Try `{EXAMPLES['details']}`.")
    return Details(value)


def capped(n: int | None) -> tuple[int, tuple[str, ...]]:
    if n is None:
        return DEFAULT_N, ()
    if n > MAX_N:
        return MAX_N, (CAP_NOTE,)
    return n, ()


def example_for(command: str) -> str:
    return EXAMPLES.get(command, EXAMPLES["top"])


def unknown_category(token: Token, command: str) -> Invalid:
    hint = suggest(token.low)
    template = WITH_CATEGORY.get(command, WITH_CATEGORY["top"])
    if hint:
        return Invalid(
            f"Unknown category `{show(token.raw)}` — did you mean `{hint}`? "
            f"Try `{template.format(hint)}`."
        )
    return Invalid(
        f"Unknown category `{show(token.raw)}`. Send `categories` for the list, "
        f"or try `{template.format('cs.CV')}`."
    )


def not_understood(token: Token, command: str) -> Invalid:
    low = token.low
    found = parse_arxiv_id(token.raw)
    if found is not None:
        return Invalid(f"`{show(token.raw)}` looks like a paper. Try `paper {found.id}`.")
    if command == "top" and WINDOW.match(low):
        return Invalid(
            f"`{show(token.raw)}` is a time window: try `trending {show(low)}`. "
            f"`top` takes listing periods like `today`, `week` or `2021-04-05`."
        )
    if command == "subscribe" and looks_like_clock(low):
        return Invalid(f"`{show(token.raw)}` is not a time of day. Try `at 09:30` or `at 9:30pm`.")
    if re.fullmatch(r"[+-]?[0-9]*[.,][0-9]+", low):
        return Invalid(f"`{show(token.raw)}` is not a whole number. Try `{example_for(command)}`.")
    if command == "top" and low in ("last", "past", "this"):
        return Invalid("Say which period, e.g. `top 5 this week` or `top 5 last 3 days`.")
    if command == "top" and low == "tomorrow":
        return Invalid("There is no listing for tomorrow yet. Try `top 5 today`.")
    return unknown_category(token, command)


def show(text: str, limit: int = 40) -> str:
    """User text to echo inside `code`: short, single-line, no backticks."""
    flat = " ".join(text.split()).replace("`", "'")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
