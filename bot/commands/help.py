"""Every chat command's usage, summary and examples, and the help texts built from them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandHelp:
    name: str
    usage: str
    summary: str
    examples: tuple[str, ...]
    details: str = ""


COMMANDS: dict[str, CommandHelp] = {
    c.name: c
    for c in (
        CommandHelp(
            "top",
            "top [N] [CATEGORY ...] [PERIOD]",
            "The papers of a period's arXiv listings with the most attention.",
            ("top 5 cs.CV today", "top 10 cs.LG stat.ML this week", "top math 2021-04-05"),
            "N is 1 to 25 (default 5). CATEGORY is a category (cs.CV), an archive (cs, math, "
            "physics) or several. PERIOD is today (default), yesterday, week, month, "
            "last N days or a date YYYY-MM-DD. Words can come in any order.",
        ),
        CommandHelp(
            "trending",
            "trending [N] [CATEGORY ...] [WINDOW]",
            "Papers ranked by the attention they got in a recent time window.",
            ("trending", "trending 10 cs.LG 48h", "trending 5 quant-ph week"),
            "WINDOW is 24h (default), 48h, 3d, today, week or month: at most 30 days.",
        ),
        CommandHelp(
            "paper",
            "paper ID|LINK",
            "One paper in full: its score and where the attention came from.",
            (
                "paper 2104.00743",
                "paper https://arxiv.org/abs/2104.00743v2",
                "paper hep-th/9901001",
            ),
            "Any arXiv link (abs, pdf, html) or id works; pasting a link also works.",
        ),
        CommandHelp(
            "search",
            "search WORDS [CATEGORY ...] [PERIOD] [N]",
            "Papers whose title, abstract or authors match your words, most attention first.",
            ("search diffusion video cs.CV week", 'search "physics informed" networks'),
            "Put words in quotes when they could be read as a category, number or period.",
        ),
        CommandHelp(
            "details",
            "N | details N",
            "Item N of a digest in full; reply in the digest's thread.",
            ("3", "details 3"),
        ),
        CommandHelp(
            "subscribe",
            "subscribe [CATEGORY ...] [top N] [at HH:MM] [TIMEZONE] [DAYS]",
            "Post a digest to this channel every listing day (channel admins).",
            (
                "subscribe cs.CV",
                "subscribe cs.CL cs.LG top 10 at 08:30 Europe/Berlin",
                "subscribe math at 9am UTC mon,wed,fri",
            ),
            "Defaults: all categories, top 5, at 09:00, listing days. "
            "DAYS: weekdays, daily or day names like mon,wed,fri.",
        ),
        CommandHelp(
            "unsubscribe",
            "unsubscribe [CATEGORY ...]",
            "Stop this channel's digests: all of them, or those for some categories.",
            ("unsubscribe", "unsubscribe cs.CV"),
        ),
        CommandHelp(
            "subscriptions",
            "subscriptions",
            "List this channel's digest subscriptions.",
            ("subscriptions",),
        ),
        CommandHelp(
            "categories",
            "categories [ARCHIVE]",
            "The arXiv archives, or the categories of one archive.",
            ("categories", "categories cs", "categories physics"),
        ),
        CommandHelp(
            "help",
            "help [COMMAND]",
            "This overview, or one command in detail.",
            ("help", "help top", "help subscribe"),
        ),
    )
}


def help_text(topic: str | None = None) -> str:
    """The overview of every command, or one command's help; an unknown topic gets both a note
    and the overview. Plain text: renderers escape it for their platform."""
    if topic is None or not str(topic).strip():
        return _overview()
    key = str(topic).strip().lower()
    found = COMMANDS.get(key)
    if found is None:
        shown = " ".join(str(topic).split())[:40].replace("`", "'")
        return f"There is no command `{shown}`. Here is what I know:\n\n" + _overview()
    lines = [f"{found.usage}", found.summary]
    if found.details:
        lines.append(found.details)
    lines.append("Examples: " + ", ".join(f"`{e}`" for e in found.examples))
    return "\n".join(lines)


def _overview() -> str:
    lines = ["Hot Papers: arXiv papers ranked by the attention they get. Commands:"]
    lines.extend(f"  {c.usage} — {c.summary}" for c in COMMANDS.values())
    lines.append("Paste an arXiv link and I will look it up. `help top` shows one command.")
    return "\n".join(lines)
