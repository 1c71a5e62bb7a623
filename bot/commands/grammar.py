"""The chat command grammar: text in, one Command value out (pure; never raises)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import time

from bot.commands.answers import EXAMPLES, bare_number, capped, details_item, show
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
from bot.commands.tokens import (
    Token,
    parse_int,
    strip_address,
    tokenize,
)
from bot.commands.types import (
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
from bot.domain.ids import find_arxiv_ids
from bot.domain.taxonomy import archive_of, resolve_filter, suggest

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
MAX_WORDS = 200
_GLUED = re.compile(r"^(top|hot|trending)([0-9]+)$")
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
        return bare_number(first.low.lstrip("#"), in_thread)
    found = find_arxiv_ids(body)
    if found:
        return PaperLookup(found[0].id, found[0].version)
    if addressed:
        return Invalid(f"I don't know `{show(first.raw)}`. Try `{EXAMPLES['top']}` or `help`.")
    return None


# -- one small parser per command -----------------------------------------------------------


def _top(tokens: list[Token], _text: str) -> Command:
    parts = Parts("top")
    problem = scan(
        tokens, parts, [match_filler, match_n_after_top, match_number, match_period, match_category]
    )
    if problem:
        return problem
    n, notes = capped(parts.n)
    return Top(n, tuple(parts.filters), parts.period or Period("today"), notes)


def _trending(tokens: list[Token], _text: str) -> Command:
    parts = Parts("trending")
    problem = scan(
        tokens, parts, [match_filler, match_n_after_top, match_window, match_number, match_category]
    )
    if problem:
        return problem
    n, notes = capped(parts.n)
    return Trending(n, tuple(parts.filters), parts.hours or 24, notes)


def _paper(_tokens: list[Token], text: str) -> Command:
    found = find_arxiv_ids(text)
    if found:
        return PaperLookup(found[0].id, found[0].version)
    example = f"Try `{EXAMPLES['paper']}` or `paper https://arxiv.org/abs/2104.00743`."
    if not text.strip():
        return Invalid(f"`paper` needs an arXiv id or link. {example}")
    return Invalid(f"I can't find an arXiv id in `{show(text.strip())}`. {example}")


def _search(tokens: list[Token], _text: str) -> Command:
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


def _details(tokens: list[Token], _text: str) -> Command:
    numbers = [t.low.lstrip("#") for t in tokens if t.low not in FILLERS and t.low != "item"]
    if len(numbers) != 1 or parse_int(numbers[0]) is None:
        return Invalid(
            f"`details` needs one item number from a digest. Try `{EXAMPLES['details']}`."
        )
    return details_item(numbers[0])


def _subscribe(tokens: list[Token], _text: str) -> Command:
    parts = Parts("subscribe")
    matchers: list[Matcher] = [
        match_filler,
        match_n_after_top,
        match_at_time,
        match_clock,
        match_days,
        match_number,
        match_category,
        match_timezone,
    ]
    problem = scan(tokens, parts, matchers)
    if problem:
        return problem
    n, _notes = capped(parts.n)
    days = tuple(sorted(parts.days)) if parts.days is not None else None
    return Subscribe(tuple(parts.filters), n, parts.at or time(9, 0), parts.timezone, days)


def _unsubscribe(tokens: list[Token], _text: str) -> Command:
    parts = Parts("unsubscribe")
    problem = scan(tokens, parts, [match_filler, match_all, match_category])
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
            f"Unknown archive `{show(token.raw)}`{mean} Send `categories` for the archives, "
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
