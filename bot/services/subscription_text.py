"""A config entry's `about = "…"` and `by = "…"`, read by the chat grammar's own rules."""

from __future__ import annotations

from collections.abc import Callable

from bot.commands.matchers import Parts
from bot.commands.tokens import tokenize
from bot.commands.topics import topic_matchers
from bot.commands.types import Invalid
from bot.domain.errors import ConfigError

_EXAMPLES = {"about": 'about = "\\"3d reconstruction\\" OR nerf"', "by": 'by = "Yann LeCun"'}


def config_text(
    about: object, by: object, fail: Callable[[str, str], ConfigError]
) -> tuple[tuple[tuple[str, ...], ...], str]:
    """(about groups, author) from an entry; ConfigError (via `fail`) says what is wrong."""
    parts = Parts("subscribe")
    match_about, match_by = topic_matchers([])
    for key, value, matcher in (("about", about, match_about), ("by", by, match_by)):
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise fail(key, f"expected a non-empty string, e.g. {_EXAMPLES[key]}")
        tokens = tokenize(f"{key} {value}")
        used = matcher(tokens, 0, parts)
        if isinstance(used, Invalid):
            raise fail(key, used.message)
        if used != len(tokens):
            raise fail(key, f"use the `about` and `by` keys for each; e.g. {_EXAMPLES[key]}")
    return parts.about, parts.by or ""
