"""Discord's slash commands, built from the command registry: typed options, choices, autocomplete.

Each registry entry becomes one app command whose options are its `Option`s; an invocation is
turned back into one line of the chat grammar (`/top count:5 category:cs.CV` -> `top 5 cs.CV`)
and answered like any other message.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

import discord
from discord import app_commands

from bot.commands.registry import REGISTRY
from bot.commands.spec import CommandSpec, Option
from bot.domain.taxonomy import archives, categories_in

PERIODS = ("today", "yesterday", "this week", "month", "last 3 days")
MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices
DESCRIPTION_LIMIT = 100

Slash = Callable[[discord.Interaction, str], Awaitable[None]]
Choices = list[app_commands.Choice[str]]


def command_text(*words: object) -> str:
    """Slash-command options as one line of the chat grammar (`top 5 cs.CV today`)."""
    return " ".join(str(w).strip() for w in words if w is not None and str(w).strip())


def slash_text(spec: CommandSpec, values: Mapping[str, Any]) -> str:
    """One invocation's option values, in the entry's option order, as grammar text."""
    words: list[object] = [spec.name]
    for option in spec.options:
        value = values.get(option.name)
        if isinstance(value, app_commands.Choice):
            value = value.value
        if value is None or not str(value).strip():
            continue
        words.append(option.template.format(str(value).strip()))
    return command_text(*words)


def category_choices(current: str) -> Choices:
    """Autocomplete for a category option: the last word typed, matched by id or name."""
    words = current.split()
    done = " ".join(words[:-1]) if words and not current.endswith(" ") else " ".join(words)
    typed = "" if not words or current.endswith(" ") else words[-1].lower()
    pool = [*archives(), *categories_in()]
    prefix = [(cid, name) for cid, name in pool if cid.lower().startswith(typed)]
    named = [(cid, name) for cid, name in pool if typed and typed in name.lower()]
    seen: set[str] = set()
    choices = []
    for cid, name in prefix + named:
        if cid in seen:
            continue
        seen.add(cid)
        value = f"{done} {cid}".strip()
        if len(value) > 100:
            continue
        choices.append(app_commands.Choice(name=f"{value} — {name}"[:100], value=value))
        if len(choices) >= MAX_CHOICES:
            break
    return choices


def archive_choices(current: str) -> Choices:
    typed = current.strip().lower()
    return [
        app_commands.Choice(name=f"{aid} — {name}"[:100], value=aid)
        for aid, name in archives()
        if aid.startswith(typed) or typed in name.lower()
    ][:MAX_CHOICES]


def period_choices(current: str) -> Choices:
    typed = current.strip().lower()
    found = [p for p in PERIODS if p.startswith(typed)] or ([current.strip()] if typed else [])
    return [app_commands.Choice(name=p, value=p) for p in found if 0 < len(p) <= 100]


COMPLETERS: dict[str, Callable[[str], Choices]] = {
    "category": category_choices,
    "archive": archive_choices,
    "period": period_choices,
}


def _completer(
    kind: str,
) -> Callable[[discord.Interaction[Any], str], Coroutine[Any, Any, Choices]]:
    choose = COMPLETERS[kind]

    async def complete(interaction: discord.Interaction[Any], current: str) -> Choices:
        return choose(current)

    return complete


def _annotation(option: Option) -> Any:
    if option.choices:
        return app_commands.Choice[str]
    if option.kind is int:
        low = option.min_value if option.min_value is not None else 1
        high = option.max_value if option.max_value is not None else 2**31 - 1
        return app_commands.Range[int, low, high]
    return str


def build_command(spec: CommandSpec, slash: Slash) -> app_commands.Command[Any, ..., None]:
    """One registry entry as a slash command whose invocation is answered through `slash`."""

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await slash(interaction, slash_text(spec, values))

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for option in sorted(spec.options, key=lambda o: not o.required):
        parameters.append(
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(option),
                default=inspect.Parameter.empty if option.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    decorated: Any = callback
    if spec.options:
        decorated = app_commands.describe(
            **{o.name: o.description[:DESCRIPTION_LIMIT] for o in spec.options}
        )(decorated)
    completed = {o.name: _completer(o.autocomplete) for o in spec.options if o.autocomplete}
    if completed:
        decorated = app_commands.autocomplete(**completed)(decorated)
    chosen = {
        o.name: [app_commands.Choice(name=c, value=c) for c in o.choices[:MAX_CHOICES]]
        for o in spec.options
        if o.choices
    }
    if chosen:
        decorated = app_commands.choices(**chosen)(decorated)
    return app_commands.Command(
        name=spec.name,
        description=spec.description[:DESCRIPTION_LIMIT],
        callback=decorated,
    )


def register_commands(tree: app_commands.CommandTree[Any], slash: Slash) -> None:
    """Every command of the registry as a slash command with typed options."""
    for spec in REGISTRY:
        tree.add_command(build_command(spec, slash))
