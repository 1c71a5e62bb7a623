"""Chat commands: the one grammar every platform shares, and its help texts."""

from __future__ import annotations

from bot.commands.grammar import parse_command
from bot.commands.help import COMMANDS, CommandHelp, help_text
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

__all__ = [
    "COMMANDS",
    "Categories",
    "Command",
    "CommandHelp",
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
    "help_text",
    "parse_command",
]
