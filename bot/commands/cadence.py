"""`weekly` and `monthly` in `subscribe` / `unsubscribe`, and the rules about their days.

`subscribe weekly mon 09:00 top 10 cs.LG`: every Monday at 09:00, the top of the last 7 days.
`subscribe monthly 09:00 top 10 cs.LG`: on the first listing day (Mon-Fri) of each month, the
top of the last 30 days. Without either word a subscription is daily, on its DAYS.
"""

from __future__ import annotations

from bot.commands.matchers import Parts
from bot.commands.tokens import Token
from bot.commands.types import Invalid

CADENCE_WORDS = {"weekly": "weekly", "monthly": "monthly"}
WEEKLY_EXAMPLE = "subscribe weekly mon 09:00 top 10 cs.LG"
MONTHLY_EXAMPLE = "subscribe monthly 09:00 top 10 cs.LG"


def match_cadence(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
    token = tokens[i]
    cadence = None if token.quoted else CADENCE_WORDS.get(token.low)
    if cadence is None:
        return 0
    if parts.cadence is not None and parts.cadence != cadence:
        return Invalid(
            f"Weekly or monthly? One at a time: `{WEEKLY_EXAMPLE}` or `{MONTHLY_EXAMPLE}`."
        )
    parts.cadence = cadence
    return 1


def checked_days(parts: Parts) -> tuple[int, ...] | Invalid | None:
    """The subscription's days for its cadence, or why they do not fit it."""
    days = tuple(sorted(parts.days)) if parts.days is not None else None
    if parts.cadence == "weekly":
        if days is None:
            return Invalid(f"Which day should the weekly digest go out? Try `{WEEKLY_EXAMPLE}`.")
        if len(days) != 1:
            return Invalid(
                f"A weekly digest goes out on one day of the week. Try `{WEEKLY_EXAMPLE}`."
            )
    if parts.cadence == "monthly" and days is not None:
        return Invalid(
            "A monthly digest goes out on the first listing day of each month, so it takes no "
            f"day. Try `{MONTHLY_EXAMPLE}`."
        )
    return days
