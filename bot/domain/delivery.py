"""What one delivery of a subscribed digest ended as, and the digest's delivery-time shape:
late notes, no abstracts, the short note for a day without a new listing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from bot.domain.models import Digest
from bot.domain.subscription import Subscription

# What one delivery ended as.
SENT = "sent"  # posted now
NOTED = "noted"  # no new listing: posted the short note the subscription asked for
ALREADY_SENT = "already_sent"  # a 'sent' record exists: nothing posted
RECOVERED = "recovered"  # an intent without message ids was found on the platform: recorded
IN_PROGRESS = "in_progress"  # the same key is being delivered right now (here or elsewhere)
SKIPPED = "skipped"  # nothing to post (no new listing, paused, no publisher)
FAILED = "failed"  # transient failures outlasted the retries; the next run tries again
PAUSED = "paused"  # a permanent failure: the subscription is paused and the admin told


@dataclass(frozen=True)
class DeliveryOutcome:
    subscription_id: int | None
    platform: str
    channel: str
    status: str
    key: str = ""
    listing_date: date | None = None
    message_ids: tuple[str, ...] = ()
    thread: str | None = None
    late: bool = False
    attempts: int = 0
    reason: str = ""

    @property
    def posted(self) -> bool:
        return self.status in (SENT, NOTED)


def late_note(local: datetime, now: datetime) -> str:
    posted = now.astimezone(local.tzinfo)
    if posted.date() == local.date():
        return f"This digest is late (scheduled {local:%H:%M}, posted {posted:%H:%M})."
    return (
        f"This digest is late (scheduled {local:%Y-%m-%d %H:%M}, posted {posted:%Y-%m-%d %H:%M})."
    )


def without_abstracts(digest: Digest) -> Digest:
    items = tuple(replace(i, paper=replace(i.paper, abstract="")) for i in digest.items)
    return replace(digest, items=items)


def empty_day_digest(
    sub: Subscription, day: date, listing: date | None, *, title: str, generated_at: datetime
) -> Digest:
    """The short note posted instead of a digest when the subscription asks for one."""
    if listing is not None:
        text = f"Nothing {_wanted(sub)} has enough attention in the {listing} listing yet."
    else:
        text = f"No new arXiv listing for {day:%A} {day}, so no digest today."
    return Digest(
        title=f"{title} {day}{title_suffix(sub)}",
        date=day,
        filter=sub.filters,
        period=day.isoformat(),
        notes=(text,),
        generated_at=generated_at,
    )


def empty_span_digest(
    sub: Subscription, span: str, end: date, *, title: str, generated_at: datetime
) -> Digest:
    """The short note for a weekly or monthly digest with nothing to show (`on_empty = note`)."""
    return Digest(
        title=f"{title} {span}{title_suffix(sub)}",
        date=end,
        filter=sub.filters,
        period=span,
        notes=(f"Nothing {_wanted(sub)} had enough attention in the {span}.",),
        generated_at=generated_at,
    )


def title_suffix(sub: Subscription) -> str:
    """` · cs.CV · about "3d reconstruction"`: what a digest title adds for the subscription."""
    text = sub.text_filter
    return (f" · {sub.filter_text}" if sub.filters else "") + (f" · {text.label}" if text else "")


def _wanted(sub: Subscription) -> str:
    text = sub.text_filter
    where = f"in {sub.filter_text}" if sub.filters else ("" if text else "in all categories")
    return " ".join(p for p in (where, text.label if text else "") if p)
