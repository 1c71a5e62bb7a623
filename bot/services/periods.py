"""Turns a command's period (`today`, `this week`, `2021-04-05`) into listing dates, saying how."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.commands.grammar import Period
from bot.domain.calendar import ANNOUNCE, EASTERN, to_eastern
from bot.store import Store


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date
    label: str  # "2021-04-05" or "2021-03-30 – 2021-04-05"
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoListing:
    message: str


def resolve_period(period: Period, store: Store, today: date) -> DateRange | NoListing:
    """Resolve against the listings in the store, as of `today` in the requester's timezone."""
    anchor = store.latest_listing_date(on_or_before=today)
    if period.kind == "date" and period.on is not None:
        return _exact_date(period.on, store)
    if anchor is None:
        return NoListing(
            "I have no listings yet. Try `hotpapers import` with an archive, or wait for the "
            "first arXiv ingest."
        )
    notes: tuple[str, ...] = ()
    if anchor != today:
        notes = (f"No listing for {today.isoformat()} yet; showing the latest one, {anchor}.",)
    if period.kind == "today":
        return DateRange(anchor, anchor, anchor.isoformat(), notes)
    if period.kind == "yesterday":
        before = store.previous_listing_date(anchor)
        if before is None:
            return NoListing(f"I have no listing before {anchor}. Try `top 5 today`.")
        return DateRange(before, before, before.isoformat())
    days = max(1, min(period.days, 366))
    start = anchor - timedelta(days=days - 1)
    range_notes = notes
    if anchor != today:
        range_notes = (
            f"The latest listing I have is {anchor}; counting {period.label} back from it.",
        )
    return DateRange(start, anchor, f"{start.isoformat()} – {anchor.isoformat()}", range_notes)


def _exact_date(on: date, store: Store) -> DateRange | NoListing:
    if store.latest_listing_date(on_or_before=on) == on:
        return DateRange(on, on, on.isoformat())
    if on.weekday() >= 5:
        day = on.strftime("%A")
        following = on + timedelta(days=7 - on.weekday())
        return NoListing(
            f"{on.isoformat()} was a {day}: arXiv has no listing on weekends. "
            f"Try `top 5 {following.isoformat()}`."
        )
    before = store.latest_listing_date(on_or_before=on)
    hint = f" Try `top 5 {before.isoformat()}`." if before else ""
    return NoListing(f"I have no papers listed on {on.isoformat()}.{hint}")


# -- scheduled digests: the newest listing a channel has not had yet -----------------------------


def announced_at(listing: date) -> datetime:
    """When arXiv makes the listing dated `listing` public: 20:00 US Eastern the evening before."""
    return datetime.combine(listing - timedelta(days=1), ANNOUNCE, tzinfo=EASTERN)


def announced_through(moment: datetime) -> date:
    """The newest listing date arXiv can have announced by `moment` (listings are dated by ET)."""
    eastern = to_eastern(moment)
    return eastern.date() + timedelta(days=1) if eastern.time() >= ANNOUNCE else eastern.date()


def due_listing(
    store: Store, *, at: datetime, since: datetime | None, last_had: date | None
) -> date | None:
    """The listing a daily digest run at `at` posts: the newest one out by then, when the channel
    has not had it yet (newer than `last_had`) or it came out since the previous run (`since`,
    so that a repeated run finds it again and the delivery record says it was sent); else None.

    In a timezone ahead of US Eastern, 09:00 comes before that date's listing exists, so the
    morning's digest is the previous listing — once, like everyone else's.
    """
    newest = store.latest_listing_date(on_or_before=announced_through(at))
    if newest is None:
        return None
    if last_had is not None and newest > last_had:
        return newest
    if since is None or announced_at(newest) > since:
        return newest
    return None
