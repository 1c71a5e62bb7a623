"""One small parser per chat command: the tokens after the command word in, a Command out."""

from __future__ import annotations

from datetime import time

from bot.commands.answers import EXAMPLES, capped, details_item, show
from bot.commands.cadence import checked_days, match_cadence
from bot.commands.matchers import (
    FILLERS,
    Matcher,
    Parts,
    match_all,
    match_at_time,
    match_category,
    match_clock,
    match_days,
    match_filler,
    match_n_after_top,
    match_number,
    match_period,
    match_timezone,
    match_window,
    match_word,
    scan,
)
from bot.commands.tokens import Token, parse_int
from bot.commands.topics import text_filter, topic_matchers
from bot.commands.types import (
    Categories,
    Command,
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
from bot.domain.ids import find_arxiv_ids
from bot.domain.taxonomy import archive_of, resolve_filter, suggest

MAX_WORDS = 200


def parse_top(tokens: list[Token], _text: str) -> Command:
    parts = Parts("top")
    matchers = [match_n_after_top, match_number, match_period, match_category]
    problem = scan(tokens, parts, [match_filler, *matchers, *topic_matchers(matchers)])
    if problem:
        return problem
    n, notes = capped(parts.n)
    period = parts.period or Period("today")
    return Top(n, tuple(parts.filters), period, notes, text_filter(parts))


def parse_trending(tokens: list[Token], _text: str) -> Command:
    parts = Parts("trending")
    matchers = [match_n_after_top, match_window, match_number, match_category]
    problem = scan(tokens, parts, [match_filler, *matchers, *topic_matchers(matchers)])
    if problem:
        return problem
    n, notes = capped(parts.n)
    return Trending(n, tuple(parts.filters), parts.hours or 24, notes, text_filter(parts))


def parse_paper(_tokens: list[Token], text: str) -> Command:
    found = find_arxiv_ids(text)
    if found:
        return PaperLookup(found[0].id, found[0].version)
    example = f"Try `{EXAMPLES['paper']}` or `paper https://arxiv.org/abs/2104.00743`."
    if not text.strip():
        return Invalid(f"`paper` needs an arXiv id or link. {example}")
    return Invalid(f"I can't find an arXiv id in `{show(text.strip())}`. {example}")


def parse_search(tokens: list[Token], _text: str) -> Command:
    parts = Parts("search")
    problem = scan(
        tokens, parts, [match_n_after_top, match_number, match_period, match_category, match_word]
    )
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
    n, _notes = capped(parts.n)
    return Search(words, tuple(parts.filters), parts.period, n)


def parse_details(tokens: list[Token], _text: str) -> Command:
    numbers = [t.low.lstrip("#") for t in tokens if t.low not in FILLERS and t.low != "item"]
    if len(numbers) != 1 or parse_int(numbers[0]) is None:
        return Invalid(
            f"`details` needs one item number from a digest. Try `{EXAMPLES['details']}`."
        )
    return details_item(numbers[0])


def parse_subscribe(tokens: list[Token], _text: str) -> Command:
    parts = Parts("subscribe")
    matchers: list[Matcher] = [
        match_n_after_top,
        match_at_time,
        match_clock,
        match_cadence,
        match_days,
        match_number,
        match_category,
        match_timezone,
    ]
    problem = scan(tokens, parts, [match_filler, *matchers, *topic_matchers(matchers)])
    if problem:
        return problem
    n, _notes = capped(parts.n)
    days = checked_days(parts)
    if isinstance(days, Invalid):
        return days
    return Subscribe(
        tuple(parts.filters),
        n,
        parts.at or time(9, 0),
        parts.timezone,
        days,
        text_filter(parts),
        parts.cadence or "daily",
    )


def parse_unsubscribe(tokens: list[Token], _text: str) -> Command:
    parts = Parts("unsubscribe")
    matchers: list[Matcher] = [match_all, match_cadence, match_category]
    problem = scan(tokens, parts, [match_filler, *matchers, *topic_matchers(matchers)])
    if problem:
        return problem
    return Unsubscribe(tuple(parts.filters), text_filter(parts), parts.cadence)


def parse_subscriptions(_tokens: list[Token], _text: str) -> Command:
    return Subscriptions()


def parse_categories(tokens: list[Token], _text: str) -> Command:
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
            f"Unknown archive `{show(token.raw)}`{mean} Send `categories` for the archives, "
            f"or try `{EXAMPLES['categories']}`."
        )
    return Categories(archive_of(found.label))
