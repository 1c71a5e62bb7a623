"""The chat command grammar: text in, one Command value out (pure; never raises)."""

from __future__ import annotations

import logging
import re

from bot.commands.answers import EXAMPLES, bare_number, show
from bot.commands.registry import BY_NAME, COMMAND_WORDS
from bot.commands.tokens import Token, strip_address, tokenize
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
    "starts_like_a_command",
]

log = logging.getLogger(__name__)

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


def starts_like_a_command(text: str) -> bool:
    """Is a message in the bot's own digest thread for the bot: a bare number (`3`, `#3`) or a
    first word that is a command word (`top 3 cs.CV`)? Other talk there is people talking about
    the papers, and gets no answer. Whether a leading mention is the bot's, the adapter knows."""
    tokens = tokenize(strip_address(str(text))[0])
    if not tokens:
        return False
    first = tokens[0]
    if len(tokens) == 1 and re.fullmatch(r"#?[0-9]+", first.low):
        return True
    return not first.quoted and (first.low in COMMAND_WORDS or bool(_GLUED.match(first.low)))


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
        parsed = BY_NAME[command].parse(rest, rest_text)
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
