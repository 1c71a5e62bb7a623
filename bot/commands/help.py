"""The help texts and the README's command table, built from the command registry."""

from __future__ import annotations

from bot.commands.registry import BY_NAME, COMMAND_WORDS, REGISTRY
from bot.commands.spec import CommandSpec
from bot.domain.taxonomy import archives, categories_in

CommandHelp = CommandSpec  # the name help's callers knew
COMMANDS: dict[str, CommandSpec] = BY_NAME

TABLE_HEADER = ("| command | what it does | example |", "|---|---|---|")


def help_text(topic: str | None = None) -> str:
    """The overview of every command, or one command's help; an unknown topic gets both a note
    and the overview. Plain text: renderers escape it for their platform."""
    if topic is None or not str(topic).strip():
        return _overview()
    key = str(topic).strip().lower()
    found = COMMANDS.get(COMMAND_WORDS.get(key, key))
    if found is None:
        shown = " ".join(str(topic).split())[:40].replace("`", "'")
        return f"There is no command `{shown}`. Here is what I know:\n\n" + _overview()
    lines = [f"{found.usage}", found.description]
    if found.details:
        lines.append(found.details)
    lines.append("Examples: " + ", ".join(f"`{e}`" for e in found.examples))
    return "\n".join(lines)


def _overview() -> str:
    lines = ["Hot Papers: arXiv papers ranked by the attention they get. Commands:"]
    lines.extend(f"  {c.usage} — {c.description}" for c in REGISTRY)
    lines.append("Paste an arXiv link and I will look it up. `help top` shows one command.")
    return "\n".join(lines)


def chat_table() -> str:
    """The README's "Chat commands" table: one row per command, in the registry's order."""
    rows = [
        f"| `{_cell(c.usage)}` | {_cell(c.description)} | `{_cell(c.examples[0])}` |"
        for c in REGISTRY
    ]
    return "\n".join([*TABLE_HEADER, *rows])


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def categories_text(archive: str | None) -> str:
    """The arXiv archives, or one archive's categories (the `categories` answer)."""
    if archive is None:
        lines = ["arXiv archives (use `categories cs` for one archive's categories):"]
        lines.extend(f"  {aid} — {name}" for aid, name in archives())
        return "\n".join(lines)
    cats = categories_in(archive)
    if not cats:
        return f"I don't know the archive `{archive}`. Try `categories cs`."
    lines = [f"Categories in {archive}:"]
    lines.extend(f"  {cid} — {name}" for cid, name in cats)
    return "\n".join(lines)
