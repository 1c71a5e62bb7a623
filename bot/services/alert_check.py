"""The breakout-alert check, run after every ingest: papers that crossed an alert's score within
7 days of their listing are posted once each, in the alert's channel, with why now.

Exactly once: the (alert, paper) row in `alerts_sent` and the post's delivery intent (key
`alert:ID:PAPER`) are written in ONE transaction before anything is posted; the delivery is then
claimed and sent the way scheduled digests are (bot/services/claims.py). A process killed between
the claim and the post leaves an unfinished claim that the next check finishes: it asks the
platform first (`find_published`) when the post may have landed, so it is not posted twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.domain.alerts import (
    DEFAULT_PER_DAY,
    WINDOW_DAYS,
    Alert,
    Candidate,
    pick,
    since,
    threshold_text,
    why_now,
)
from bot.domain.delivery import without_abstracts
from bot.domain.models import Digest
from bot.domain.taxonomy import resolve_filter
from bot.ports import Publisher
from bot.services.claims import DEFAULT_LEASE, Claims
from bot.services.digests import DigestQueries, match_of, union_of
from bot.store import Store
from bot.store.alerts import AlertStore, delivery_key

log = logging.getLogger(__name__)

CANDIDATES_PER_ALERT = 200  # best-scoring matches looked at per alert and check


@dataclass(frozen=True)
class AlertPost:
    """One paper posted for one alert (what a check reports)."""

    alert: Alert
    paper_id: str
    why: str
    message_ids: tuple[str, ...]


class AlertChecker:
    """Finds the papers that crossed each alert's score and posts them, at most `per_day` per
    channel and UTC day; the others wait for the next day (still in their 7 days, still above)."""

    def __init__(
        self,
        store: Store,
        papers: DigestQueries,
        publishers: Mapping[str, Publisher],
        *,
        per_day: int = DEFAULT_PER_DAY,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        lease: timedelta = DEFAULT_LEASE,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.papers = papers
        self.publishers = publishers
        self.per_day = max(0, per_day)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.alerts = AlertStore(store)
        self.claims = Claims(self.clock, sleep or asyncio.sleep, lease=lease, owner=owner)
        self._running = False

    async def check(self) -> list[AlertPost]:
        """One check of every alert. Never raises; a check already running makes this a no-op."""
        if self._running:
            return []
        self._running = True
        try:
            posts = await self._check()
        except Exception:
            log.exception("checking alerts failed; the next ingest checks again")
            return []
        finally:
            self._running = False
        if posts:
            log.info("alerts: posted %d paper(s)", len(posts))
        return posts

    async def _check(self) -> list[AlertPost]:
        now = self.clock().astimezone(UTC)
        today = now.date()
        posts: list[AlertPost] = []
        for alert, paper_id, score in self.alerts.unfinished(today - timedelta(days=WINDOW_DAYS)):
            publisher = self.publishers.get(alert.platform)
            if publisher is not None:
                done = await self._send(publisher, alert, paper_id, score, now, claim=False)
                posts.extend([done] if done else [])
        for (platform, channel), found in self._candidates(today).items():
            publisher = self.publishers.get(platform)
            if publisher is None:
                continue  # its adapter is not running: nothing is claimed, a later check posts
            seen = self.alerts.alerted(platform, channel, [c.paper_id for c in found])
            fresh = [c for c in found if c.paper_id not in seen]
            used = self.alerts.claimed_on(platform, channel, today)
            for c in pick(fresh, used, self.per_day):
                done = await self._send(publisher, c.alert, c.paper_id, c.score, now, claim=True)
                posts.extend([done] if done else [])
        return posts

    def _candidates(self, today: date) -> dict[tuple[str, str], list[Candidate]]:
        """Each channel's matches: listed in the last 7 days, at or above the alert's score."""
        start = today - timedelta(days=WINDOW_DAYS)
        end = today + timedelta(days=1)  # a listing dated ahead of UTC (arXiv's evening)
        found: dict[tuple[str, str], list[Candidate]] = {}
        for alert in self.alerts.all():
            if alert.platform not in self.publishers:
                continue
            filters = [f for f in (resolve_filter(label) for label in alert.filters) if f]
            ranked = self.store.top(
                start,
                end,
                union_of(filters),
                CANDIDATES_PER_ALERT,
                alert.threshold,
                match=match_of(alert.text or None),
            )
            found.setdefault((alert.platform, alert.channel), []).extend(
                Candidate(alert, r.paper_id, r.score) for r in ranked if r.score >= alert.threshold
            )
        return found

    async def _send(
        self,
        publisher: Publisher,
        alert: Alert,
        paper_id: str,
        score: float,
        now: datetime,
        *,
        claim: bool,
    ) -> AlertPost | None:
        assert alert.id is not None
        key = delivery_key(alert.id, paper_id)
        deliveries = self.store.deliveries
        with self.store.transaction():  # the claim and the intent: both or neither
            if claim and not self.alerts.claim(alert, paper_id, now.date(), now, score):
                return None
            delivery, is_new = deliveries.begin(
                alert.platform,
                alert.channel,
                key,
                kind="alert",
                filter=alert.what,
                paper_ids=[paper_id],
                owner=self.claims.owner,
                until=self.claims.until(),
            )
        if not is_new:
            delivery, mine = await self.claims.acquire(deliveries, delivery)
            if not mine or delivery.status == "sent":
                return None
        async with self.claims.held(deliveries, delivery.id):
            if not is_new:
                found = delivery.message_ids or await self._found(publisher, alert, key)
                if found is None:
                    return None  # cannot tell whether it landed: not posting now
                if found:
                    deliveries.mark_sent(delivery.id, found, found[0])
                    log.info("alert %s to %s/%s: found posted; recorded", key, *_where(alert))
                    return None
            digest = self._message(alert, paper_id, now)
            if digest is None:
                return None
            try:
                sent = await publisher.publish_digest(alert.channel, digest, idempotency_key=key)
            except Exception as exc:  # the next check tries again (still claimed, unsent)
                deliveries.mark_failed(delivery.id, str(exc) or type(exc).__name__)
                log.warning("alert %s to %s/%s failed: %s", key, *_where(alert), exc)
                return None
            deliveries.mark_sent(delivery.id, sent.message_ids, sent.thread)
        log.info("alert %s posted to %s/%s", key, *_where(alert))
        return AlertPost(alert, paper_id, digest.title, sent.message_ids)

    async def _found(self, publisher: Publisher, alert: Alert, key: str) -> tuple[str, ...] | None:
        """The message ids of a post that may have landed before a crash: () when it did not
        (post it), None when the platform cannot tell now (try again at the next check)."""
        try:
            found = await publisher.find_published(alert.channel, key)
        except Exception as exc:
            log.warning("cannot tell whether %s reached %s/%s: %s", key, *_where(alert), exc)
            return None
        return found.message_ids if found is not None else ()

    def _message(self, alert: Alert, paper_id: str, now: datetime) -> Digest | None:
        """One short message: the paper's card (no abstract) under why now."""
        item = self.papers.paper_item(paper_id)
        if item is None:
            return None
        before = self.alerts.scores_before([paper_id], since(now))[paper_id]
        why = why_now(item.score.total, before)
        digest = Digest(
            title=f"Breakout · {alert.what}: {why}",
            date=item.paper.listing_date,
            items=(item,),
            filter=alert.filters,
            period="alert",
            notes=(
                f"Your alert: {alert.what} above {threshold_text(alert.threshold)} "
                f"(`alerts` lists this channel's).",
            ),
            generated_at=now,
        )
        return without_abstracts(digest)


def _where(alert: Alert) -> tuple[str, str]:
    return alert.platform, alert.channel
