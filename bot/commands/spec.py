"""What a chat command's registry entry is: its words, parser, help and slash options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.commands.tokens import Token
from bot.commands.types import Command

Parser = Callable[[list[Token], str], Command]


@dataclass(frozen=True)
class Option:
    """One typed option of a command's slash form, and how its value reads in the grammar."""

    name: str
    description: str
    kind: type = str  # str or int
    required: bool = False
    min_value: int | None = None
    max_value: int | None = None
    choices: tuple[str, ...] = ()
    autocomplete: str | None = None  # "category", "period" or "archive"
    template: str = "{}"  # e.g. "top {}", "at {}", "{}h"


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    summary: str
    examples: tuple[str, ...]  # the first one goes in the README's table
    parse: Parser  # the tokens after the command word -> a Command (or an Invalid)
    values: tuple[type[Command], ...]  # what `parse` returns when the text is right
    handler: str  # the key of the engine's handler that answers it
    aliases: tuple[str, ...] = ()
    details: str = ""
    options: tuple[Option, ...] = ()
    admin_only: bool = False  # channel admins only (Slack admins, Discord Manage Channels)
    try_this: str = ""  # the example error messages suggest (default: the first example)
    with_category: str = ""  # an example around a category, e.g. "top 5 {} today"
    with_n: str = ""  # an example with a number of papers

    @property
    def example(self) -> str:
        return self.try_this or self.examples[0]

    @property
    def description(self) -> str:
        """One line: the summary, with who may use it."""
        if not self.admin_only:
            return self.summary
        return self.summary.rstrip(".") + " (channel admins)."
