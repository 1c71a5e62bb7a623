"""`team [N] [PERIOD]`: what this channel's members reacted to most (parsed value and parser)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.answers import capped, show
from bot.commands.matchers import Parts, match_filler, match_number, match_period, scan
from bot.commands.tokens import Token
from bot.commands.types import Command, Invalid, Period

WEEK = Period("days", days=7, label="this week")


@dataclass(frozen=True)
class Team(Command):
    n: int
    period: Period
    notes: tuple[str, ...] = ()


def parse_team(tokens: list[Token], _text: str) -> Command:
    parts = Parts("team")
    problem = scan(tokens, parts, [match_filler, match_number, match_period, _not_a_period])
    if problem:
        return problem
    n, notes = capped(parts.n)
    return Team(n, parts.period or WEEK, notes)


def _not_a_period(tokens: list[Token], i: int, _parts: Parts) -> int | Invalid:
    return Invalid(
        f"`{show(tokens[i].raw)}` is not a period. Try `team week`, `team month` or `team today`."
    )
