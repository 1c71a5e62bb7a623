"""Every chat command, described once: its words, parser, help, slash options and handler.

Help texts, the README's command table, Discord's slash commands and the engine's dispatch are
all derived from `REGISTRY`. Adding a command means adding its entry here (with its parser and
the value it parses to), its handler in the engine, and its test.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands import alerts as a
from bot.commands import parsers as p
from bot.commands.answers import capped
from bot.commands.matchers import (
    Matcher,
    Parts,
    match_category,
    match_filler,
    match_n_after_top,
    match_number,
    scan,
)
from bot.commands.spec import CommandSpec, Option
from bot.commands.team import Team, parse_team
from bot.commands.tokens import Token
from bot.commands.topics import text_filter, topic_matchers
from bot.commands.types import (
    MAX_N,
    Categories,
    Command,
    Details,
    Help,
    Invalid,
    PaperLookup,
    Search,
    Subscribe,
    Subscriptions,
    Top,
    Trending,
    Unsubscribe,
)
from bot.domain.taxonomy import CategoryFilter
from bot.domain.topics import TextFilter

COUNT = Option(
    "count", f"How many papers (1-{MAX_N}, default 5)", int, min_value=1, max_value=MAX_N
)
CATEGORY = Option(
    "category",
    "Categories or archives, e.g. cs.CV or cs.CV cs.LG or math",
    autocomplete="category",
)
PERIOD = Option(
    "period",
    "today, yesterday, this week, month, last 3 days or a date (2021-04-05)",
    autocomplete="period",
)

ABOUT = Option(
    "about",
    'Topic words in title, abstract or authors; "quoted phrases", OR between alternatives',
    template="about {}",
)
BY = Option("by", "An author's name, e.g. Yann LeCun", template='by "{}"')
SCORE = Option("score", "The score to cross, e.g. 300", int, required=True, min_value=1,
               max_value=1_000_000, template="above {}")  # fmt: skip
WHICH = Option("which", "The alert's number in `alerts`, or all", required=True)
ALERTS = CommandSpec("alerts", "alerts", "List this channel's breakout alerts, numbered.",
                     ("alerts",), a.parse_alerts, (a.AlertList,), "alerts")  # fmt: skip
UNALERT = CommandSpec("unalert", "unalert N|all", "Remove alert N of `alerts`, or all of them.",
                      ("unalert 2", "unalert all"), a.parse_unalert, (a.Unalert,), "alerts",
                      admin_only=True, options=(WHICH,))  # fmt: skip


@dataclass(frozen=True)
class New(Command):
    n: int
    filters: tuple[CategoryFilter, ...]
    notes: tuple[str, ...] = ()
    text: TextFilter | None = None


def parse_new(tokens: list[Token], _text: str) -> Command:
    parts = Parts("new")
    matchers: list[Matcher] = [match_n_after_top, match_number, match_category]
    problem: Invalid | None = scan(
        tokens, parts, [match_filler, *matchers, *topic_matchers(matchers)]
    )
    if problem:
        return problem
    n, notes = capped(parts.n)
    return New(n, tuple(parts.filters), notes, text_filter(parts))


TOPIC_DETAILS = (
    "about TOPIC keeps the papers whose title, abstract or authors match its words "
    '(all of them; "quoted phrases" stay together; OR between alternatives); by AUTHOR '
    "keeps those with that author. Quote words that could be read as a category or period."
)

_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "top",
        "top [N] [CATEGORY ...] [PERIOD] [about TOPIC] [by AUTHOR]",
        "The papers of a period's arXiv listings with the most attention.",
        (
            "top 5 cs.CV today",
            'top 10 week about "gaussian splatting" OR nerf',
            'top cs.LG month by "Yann LeCun"',
        ),
        p.parse_top,
        (Top,),
        "top",
        aliases=("hot",),
        details="N is 1 to 25 (default 5). CATEGORY is a category (cs.CV), an archive (cs, math, "
        "physics) or several. PERIOD is today (default), yesterday, week, month, "
        "last N days or a date YYYY-MM-DD. " + TOPIC_DETAILS + " Words can come in any order.",
        options=(COUNT, CATEGORY, PERIOD, ABOUT, BY),
        with_category="top 5 {} today",
        with_n="top 5 cs.CV today",
    ),
    CommandSpec(
        "trending",
        "trending [N] [CATEGORY ...] [WINDOW] [about TOPIC] [by AUTHOR]",
        "Papers ranked by the attention they got in a recent time window.",
        ("trending 10 cs.LG 48h", "trending", "trending 5 quant-ph week about qubits"),
        p.parse_trending,
        (Trending,),
        "trending",
        aliases=("trend",),
        details="WINDOW is 24h (default), 48h, 3d, today, week or month: at most 30 days. "
        + TOPIC_DETAILS,
        options=(
            COUNT,
            Option("category", "Categories or archives, e.g. cs.LG", autocomplete="category"),
            Option(
                "hours",
                "The window in hours (default 24)",
                int,
                min_value=1,
                max_value=720,
                template="{}h",
            ),
            ABOUT,
            BY,
        ),
        with_category="trending 5 {} 24h",
        with_n="trending 10 cs.LG 48h",
    ),
    CommandSpec(
        "new",
        "new [N] [CATEGORY ...] [about TOPIC] [by AUTHOR]",
        "The latest listing's papers, newest submission first, whatever their attention.",
        ("new 5 cs.CV", "new 10 math", "new 10 cs.CV about segmentation"),
        parse_new,
        (New,),
        "new",
        details="N is 1 to 25 (default 5). CATEGORY is a category (cs.CV), an archive (cs, "
        "math, physics) or several. " + TOPIC_DETAILS,
        options=(COUNT, CATEGORY, ABOUT, BY),
        with_category="new 5 {}",
        with_n="new 5 cs.CV",
    ),
    CommandSpec(
        "paper",
        "paper ID|LINK",
        "One paper in full: its score and where the attention came from.",
        ("paper 2104.00743", "paper https://arxiv.org/abs/2104.00743v2", "paper hep-th/9901001"),
        p.parse_paper,
        (PaperLookup,),
        "paper",
        details="Any arXiv link (abs, pdf, html) or id works; pasting a link also works.",
        options=(Option("id", "An arXiv id or link, e.g. 2104.00743", required=True),),
    ),
    CommandSpec(
        "search",
        "search WORDS [CATEGORY ...] [PERIOD] [N]",
        "Papers whose title, abstract or authors match your words, most attention first.",
        ("search diffusion video cs.CV week", 'search "physics informed" networks'),
        p.parse_search,
        (Search,),
        "search",
        details="Put words in quotes when they could be read as a category, number or period.",
        options=(
            Option("words", "What to look for", required=True),
            Option("category", "Categories or archives", autocomplete="category"),
            Option("period", "today, this week, month, a date...", autocomplete="period"),
            COUNT,
        ),
        with_category="search diffusion {}",
        with_n="search diffusion video 10",
    ),
    CommandSpec(
        "details",
        "N | details N",
        "Item N of a digest in full; reply in the digest's thread.",
        ("3", "details 3"),
        p.parse_details,
        (Details,),
        "details",
        aliases=("detail",),
        options=(
            Option(
                "number",
                "The item's number in the digest",
                int,
                required=True,
                min_value=1,
                max_value=MAX_N,
            ),
        ),
        try_this="details 3",
    ),
    CommandSpec(
        "subscribe",
        "subscribe [weekly DAY | monthly] [CATEGORY ...] [about TOPIC] [by AUTHOR] [top N] "
        "[at HH:MM] [TIMEZONE] [DAYS]",
        "Post a digest to this channel every listing day, or weekly, or monthly.",
        (
            "subscribe cs.CV cs.LG top 5 at 09:00 Europe/Berlin",
            'subscribe cs.CV about "3d reconstruction" top 5 at 09:00 Europe/Berlin',
            "subscribe weekly mon 09:00 top 10 cs.LG",
        ),
        p.parse_subscribe,
        (Subscribe,),
        "subscriptions",
        details="Defaults: all categories, top 5, at 09:00, listing days. "
        "DAYS: weekdays, daily or day names like mon,wed,fri (`subscribe math at 9am UTC "
        "mon,wed,fri`). about TOPIC and by AUTHOR filter it like `top` does "
        '(`subscribe by "Yann LeCun"`); the title says so. '
        "weekly DAY posts the top of the last 7 days on that day; monthly posts the top of "
        "the last 30 days on the first listing day (Mon-Fri) of each month "
        "(`subscribe monthly 09:00 top 10 cs.LG`). "
        "A channel can have several: one per categories, topic, author and cadence.",
        options=(
            Option(
                "cadence",
                "weekly (give one day) or monthly; leave out for a daily digest",
                choices=("weekly", "monthly"),
            ),
            Option("category", "Categories or archives (default: all)", autocomplete="category"),
            ABOUT,
            BY,
            Option(
                "count",
                f"How many papers (1-{MAX_N}, default 5)",
                int,
                min_value=1,
                max_value=MAX_N,
                template="top {}",
            ),
            Option("at", "Time of day, HH:MM (default 09:00)", template="at {}"),
            Option("timezone", "A timezone such as Europe/Berlin (default: the bot's)"),
            Option(
                "days",
                "weekdays, daily, or days like mon wed fri (default: listing days); "
                "weekly: one day",
            ),
        ),
        admin_only=True,
        try_this="subscribe cs.CV cs.LG top 10 at 09:00 Europe/Berlin",
        with_category="subscribe {} at 09:00",
        with_n="subscribe cs.CV top 10",
    ),
    CommandSpec(
        "unsubscribe",
        "unsubscribe [weekly | monthly] [CATEGORY ...] [about TOPIC] [by AUTHOR]",
        "Stop this channel's digests: all of them, or those for some categories, topic or cadence.",
        ("unsubscribe", "unsubscribe cs.CV", "unsubscribe weekly cs.LG"),
        p.parse_unsubscribe,
        (Unsubscribe,),
        "subscriptions",
        options=(
            Option(
                "category",
                "Only the subscription for these categories (default: all)",
                autocomplete="category",
            ),
        ),
        admin_only=True,
        try_this="unsubscribe cs.CV",
        with_category="unsubscribe {}",
    ),
    CommandSpec(
        "subscriptions",
        "subscriptions",
        "List this channel's digest subscriptions.",
        ("subscriptions",),
        p.parse_subscriptions,
        (Subscriptions,),
        "subscriptions",
        aliases=("subscription",),
    ),
    CommandSpec(
        "alert",
        "alert [CATEGORY ...] [about TOPIC] [by AUTHOR] above SCORE",
        "Post a paper here once, the day its score crosses SCORE.",
        (
            "alert cs.CV above 300",
            'alert about "protein folding" above 100',
            'alert cs.LG by "Yann LeCun" above 50',
        ),
        a.parse_alert,
        (a.AlertAdd,),
        "alerts",
        details="Checked after every ingest: papers listed in the last 7 days that match, at or "
        "above SCORE, each posted once with why now (`412 — up 280 in the last 6 hours`); at "
        "most a few per channel a day, the rest wait for the next day. " + TOPIC_DETAILS,
        options=(SCORE, CATEGORY, ABOUT, BY),  # Discord: required options first
        admin_only=True,
        with_category="alert {} above 300",
    ),
    ALERTS,
    UNALERT,
    CommandSpec(
        "team",
        "team [N] [PERIOD]",
        "The papers this channel's members reacted to (or replied about) most.",
        ("team week", "team month", "team 10 today"),
        parse_team,
        (Team,),
        "team",
        details="Any emoji on a digest item or a paper card counts once per member, and so "
        "does a reply in its thread. PERIOD: today, yesterday, week (default), month, last N "
        "days or a date. Only a salted hash of who reacted is kept, never names or text.",
        options=(
            COUNT,
            Option("period", "today, week (default), month or last N days", autocomplete="period"),
        ),
        with_n="team 10 month",
    ),
    CommandSpec(
        "categories",
        "categories [ARCHIVE]",
        "The arXiv archives, or the categories of one archive.",
        ("categories cs", "categories", "categories physics"),
        p.parse_categories,
        (Categories,),
        "categories",
        aliases=("category",),
        options=(
            Option("archive", "An archive such as cs, math or physics", autocomplete="archive"),
        ),
    ),
)


def _parse_help(tokens: list[Token], _text: str) -> Command:
    if not tokens:
        return Help()
    topic = tokens[0].low
    return Help(COMMAND_WORDS.get(topic, topic[:40]))


HELP = CommandSpec(
    "help",
    "help [COMMAND]",
    "This overview, or one command in detail.",
    ("help top", "help", "help subscribe"),
    _parse_help,
    (Help,),
    "help",
    aliases=("?",),
    options=(
        Option("command", "One command's help", choices=(*(c.name for c in _COMMANDS), "help")),
    ),
)

REGISTRY: tuple[CommandSpec, ...] = (*_COMMANDS, HELP)
BY_NAME: dict[str, CommandSpec] = {c.name: c for c in REGISTRY}
COMMAND_WORDS: dict[str, str] = {word: c.name for c in REGISTRY for word in (c.name, *c.aliases)}
_BY_VALUE: dict[type[Command], CommandSpec] = {v: c for c in REGISTRY for v in c.values}


def spec_for(command: Command) -> CommandSpec | None:
    """The entry whose parser made this command (None for an Invalid)."""
    return _BY_VALUE.get(type(command))
