"""What one scheduled run of a subscription posts: a daily digest of the newest listing the
channel has not had, or a weekly/monthly digest of the calendar days up to the run; or nothing.

The delivery key names the digest: `digest:<date>:<what>:<n>`, where <what> is the subscription's
categories, topic, author and cadence (bot.domain.subscription.Subscription.key_text) and <date>
the listing (daily) or the span's last day (weekly, monthly): each is delivered once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.daily import previous_fire
from bot.domain.delivery import empty_day_digest, empty_span_digest, without_abstracts
from bot.domain.models import Digest
from bot.domain.subscription import DAILY, SPAN_DAYS, WEEKLY, Subscription
from bot.services.engine import Engine
from bot.services.periods import DateRange, NoListing, announced_through, due_listing
from bot.store import Store

log = logging.getLogger(__name__)

# Shared by one fan-out: one digest per (date, what, N) for every channel, or a channel's own when
# its team's reactions reorder it (`[scoring] team_weight`).
DigestCache = dict[tuple[date, str, int, tuple[str, str] | None], Digest | NoListing]


@dataclass(frozen=True)
class Plan:
    digest: Digest
    kind: str  # "digest" | "note"
    key: str


@dataclass(frozen=True)
class Skip:
    day: date
    reason: str


def plan_run(
    store: Store,
    engine: Engine,
    sub: Subscription,
    scheduled_for: datetime,
    digests: DigestCache,
    now: datetime,
) -> Plan | Skip:
    if sub.cadence == DAILY:
        return _plan_daily(store, engine, sub, scheduled_for, digests, now)
    return _plan_span(engine, sub, scheduled_for, digests, now)


def _shared(
    engine: Engine,
    sub: Subscription,
    day: date,
    digests: DigestCache,
    build: Callable[[tuple[str, str] | None], Digest | NoListing],
) -> Digest | NoListing:
    """The subscription's digest from the fan-out's cache, with its channel's team counts."""
    team = (sub.platform, sub.channel)
    own = team if engine.team.reorders(*team) else None
    key = (day, sub.key_text, sub.n, own)
    if key not in digests:
        digests[key] = build(own)
    found = digests[key]
    return found if isinstance(found, NoListing) else engine.team.annotate(found, *team)


def covered_span(sub: Subscription, scheduled_for: datetime) -> DateRange:
    """The calendar days a weekly (7) or monthly (30) run covers: up to the newest listing date
    arXiv can have announced by the run, whether or not that day had a listing (a holiday)."""
    end = announced_through(scheduled_for)
    start = end - timedelta(days=SPAN_DAYS[sub.cadence] - 1)
    word = "week" if sub.cadence == WEEKLY else "month"
    return DateRange(start, end, f"{word} of {start.isoformat()} – {end.isoformat()}")


def _plan_span(
    engine: Engine,
    sub: Subscription,
    scheduled_for: datetime,
    digests: DigestCache,
    now: datetime,
) -> Plan | Skip:
    span = covered_span(sub, scheduled_for)
    found = _shared(
        engine,
        sub,
        span.end,
        digests,
        lambda own: engine.digest_for_range(
            span, sub.category_filters(), sub.n, sub.text_filter, own
        ),
    )
    name = f"{sub.key_text or 'all'}:{sub.n}"
    if isinstance(found, NoListing) or not found.items:
        if sub.on_empty != "note":
            log.info("nothing for %s in the %s: skipped", name, span.label)
            return Skip(span.end, f"nothing with attention in the {span.label}")
        title = engine.settings.title
        note = empty_span_digest(sub, span.label, span.end, title=title, generated_at=now)
        return Plan(note, "note", f"note:{span.end}:{name}")
    digest = found if sub.abstracts else without_abstracts(found)
    return Plan(digest, "digest", f"digest:{span.end}:{name}")


def _plan_daily(
    store: Store,
    engine: Engine,
    sub: Subscription,
    scheduled_for: datetime,
    digests: DigestCache,
    now: datetime,
) -> Plan | Skip:
    zone = ZoneInfo(sub.timezone)
    day = scheduled_for.astimezone(zone).date()
    listing = due_listing(
        store,
        at=scheduled_for,
        since=previous_fire(sub.run_days, sub.at, zone, scheduled_for),
        last_had=store.deliveries.last_listing(sub.platform, sub.channel, sub.key_text),
    )
    found: Digest | NoListing = NoListing(f"no new listing on {day}")
    if listing is not None:
        shown_on = listing
        found = _shared(
            engine,
            sub,
            listing,
            digests,
            lambda own: engine.digest(
                on=shown_on,
                filters=sub.category_filters(),
                n=sub.n,
                timezone=sub.timezone,
                text=sub.text_filter,
                team=own,
            ),
        )
    name = f"{sub.key_text or 'all'}:{sub.n}"
    if isinstance(found, NoListing) or not found.items:
        if sub.on_empty != "note":
            log.info(
                "no new listing for %s on %s: %s/%s skipped",
                sub.label or "all categories",
                day,
                sub.platform,
                sub.channel,
            )
            return Skip(day, f"no new listing on {day}")
        shown = listing if not isinstance(found, NoListing) else None
        title = engine.settings.title
        note = empty_day_digest(sub, day, shown, title=title, generated_at=now)
        return Plan(note, "note", f"note:{day}:{name}")
    digest = found if sub.abstracts else without_abstracts(found)
    return Plan(digest, "digest", f"digest:{found.date or day}:{name}")
