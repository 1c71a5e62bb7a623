"""Answers for what did not parse: friendly messages that always carry an example that works."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

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


class _FromRegistry(Mapping[str, str]):
    """One example field of every command's registry entry, read when asked: the registry
    imports the parsers, which import this module."""

    def __init__(self, field: str) -> None:
        self._field = field

    def _values(self) -> dict[str, str]:
        from bot.commands.registry import REGISTRY

        return {c.name: str(getattr(c, self._field)) for c in REGISTRY if getattr(c, self._field)}

    def __getitem__(self, command: str) -> str:
        return self._values()[command]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())


EXAMPLES: Mapping[str, str] = _FromRegistry("example")  # the one an error message suggests
WITH_CATEGORY: Mapping[str, str] = _FromRegistry("with_category")  # "top 5 {} today"
N_EXAMPLES: Mapping[str, str] = _FromRegistry("with_n")  # "top 5 cs.CV today"
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
