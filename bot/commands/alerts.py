"""`alert [CATEGORY ...] [about TOPIC] [by AUTHOR] above SCORE`, `alerts` and `unalert N|all`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.commands.answers import show
from bot.commands.matchers import FILLERS, Matcher, Parts, match_all, match_category, scan
from bot.commands.tokens import Token, parse_int
from bot.commands.topics import text_filter, topic_matchers
from bot.commands.types import Command, Invalid
from bot.domain.alerts import threshold_problem
from bot.domain.taxonomy import CategoryFilter
from bot.domain.topics import TextFilter

ALERT_EXAMPLE = "alert cs.CV above 300"
ABOVE = frozenset({"above", "over", ">", ">="})
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?$")
_GROUPED = re.compile(r"^[0-9]{1,3}(?:_[0-9]{3})+$")


@dataclass(frozen=True)
class AlertAdd(Command):
    threshold: float
    filters: tuple[CategoryFilter, ...] = ()
    text: TextFilter | None = None


@dataclass(frozen=True)
class AlertList(Command):
    pass


@dataclass(frozen=True)
class Unalert(Command):
    number: int | None  # the alert's number in `alerts`; None: all of them


@dataclass
class _AlertParts(Parts):
    threshold: float | None = None


def _threshold(raw: str) -> float | Invalid:
    text = raw.strip().replace("_", "") if _GROUPED.match(raw.strip()) else raw.strip()
    if not _NUMBER.match(text.lower()):
        return Invalid(
            f"`{show(raw)}` is not a score. Give a number after `above`, e.g. `{ALERT_EXAMPLE}`."
        )
    value = float(text)
    problem = threshold_problem(value)
    if problem:
        return Invalid(f"The score after `above` {problem}. Try `{ALERT_EXAMPLE}`.")
    return value


def match_above(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    token = tokens[i]
    if token.quoted or token.low not in ABOVE:
        return 0
    if i + 1 >= len(tokens):
        return Invalid(f"`above` needs a score after it, e.g. `{ALERT_EXAMPLE}`.")
    raw, used = tokens[i + 1].raw, 2
    while i + used < len(tokens) and re.fullmatch(r"[0-9]{3}", tokens[i + used].raw):
        raw, used = raw + tokens[i + used].raw, used + 1  # `above 1,000` (commas split tokens)
    value = _threshold(raw)
    if isinstance(value, Invalid):
        return value
    if not isinstance(parts, _AlertParts):
        return used  # a probe (where does `about ...` end?): nothing to record
    if parts.threshold is not None:
        return Invalid(f"Give me one score to cross. Try `{ALERT_EXAMPLE}`.")
    parts.threshold = value
    return used


def match_bare_score(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    """`alert cs.CV 300`: a number without `above` is most likely the threshold; say how."""
    token = tokens[i]
    if token.quoted or not _NUMBER.match(token.low):
        return 0
    return Invalid(
        f"Put `above` before the score: `alert ... above {show(token.raw)}`, "
        f"e.g. `{ALERT_EXAMPLE}`."
    )


def parse_alert(tokens: list[Token], _text: str) -> Command:
    parts = _AlertParts("alert")
    matchers: list[Matcher] = [match_above, match_category]
    topic = topic_matchers(matchers)  # numbers inside a topic are words: `about covid 19`
    problem = scan(tokens, parts, [_match_filler, *matchers, *topic, match_bare_score])
    if problem:
        return problem
    if parts.threshold is None:
        return Invalid(
            "`alert` needs the score a paper must cross: `above` and a number, e.g. "
            f'`{ALERT_EXAMPLE}` or `alert about "protein folding" above 100`.'
        )
    return AlertAdd(parts.threshold, tuple(parts.filters), text_filter(parts))


def _match_filler(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    low = tokens[i].low
    return 1 if not tokens[i].quoted and (low in FILLERS or low in ("me", "when", "a")) else 0


def parse_alerts(_tokens: list[Token], _text: str) -> Command:
    return AlertList()


def parse_unalert(tokens: list[Token], _text: str) -> Command:
    wanted = [t for t in tokens if t.low not in FILLERS]
    example = "Send `alerts` for the numbers, then e.g. `unalert 2` or `unalert all`."
    if len(wanted) != 1:
        return Invalid(f"`unalert` takes one alert number, or `all`. {example}")
    parts = Parts("unalert")
    if not isinstance(scan(wanted, parts, [match_all]), Invalid):
        return Unalert(None)
    number = parse_int(wanted[0].low.lstrip("#"))
    if number is None or number < 1:
        return Invalid(f"`{show(wanted[0].raw)}` is not an alert number. {example}")
    return Unalert(number)
