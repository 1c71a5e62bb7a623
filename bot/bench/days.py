"""The bench's calendar: listing days from the first new-style identifier to the bench's "now"."""

from __future__ import annotations

import math
from datetime import date, timedelta

FIRST_LISTING = date(2007, 4, 2)  # the first month of new-style (YYMM.NNNN) identifiers
LAST_LISTING = date(2026, 11, 20)  # a Friday; the bench clock is the evening after it


def listing_days() -> list[date]:
    """Every weekday from the first to the last listing (holidays are ignored)."""
    days = []
    day = FIRST_LISTING
    while day <= LAST_LISTING:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def papers_per_day(total: int) -> list[tuple[date, int]]:
    """`total` papers over the listing days, growing about 4.5x from 2007 to 2026."""
    days = listing_days()
    span = len(days) - 1 or 1
    weights = [math.exp(math.log(4.5) * i / span) for i in range(len(days))]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    short = total - sum(counts)
    for i in range(short):  # the remainder goes to the latest days
        counts[len(counts) - 1 - (i % len(counts))] += 1
    return list(zip(days, counts, strict=True))
