"""Delivers subscribed digests: intent first, message ids after, never lost and never doubled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.delivery import (
    ALREADY_SENT,
    FAILED,
    IN_PROGRESS,
    NOTED,
    PAUSED,
    RECOVERED,
    SENT,
    SKIPPED,
    DeliveryOutcome,
    late_note,
)
from bot.domain.models import Digest
from bot.domain.subscription import Subscription
from bot.ports import DeliveryError, Publisher, Sent, finishes_found_digests, resumes_threads
from bot.services.claims import DEFAULT_LEASE, DEFAULT_POLL, Claims
from bot.services.digest_plans import DigestCache, Skip, plan_run
from bot.services.engine import Engine
from bot.services.rate_buckets import DEFAULT_LIMITS, RateBuckets, RateLimit, Sleep
from bot.store import Delivery, Store
from bot.store.subscriptions import SubscriptionStore

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=5)


class DeliveryService:
    """Turns a subscription and a scheduled time into exactly one posted digest (or none)."""

    def __init__(
        self,
        store: Store,
        engine: Engine,
        publishers: Mapping[str, Publisher],
        *,
        clock: Callable[[], datetime] | None = None,
        sleep: Sleep | None = None,
        limits: Mapping[str, RateLimit] | None = None,
        max_attempts: int = 5,
        base_delay: float = 2.0,
        max_delay: float = 300.0,
        late_after: timedelta = LATE_AFTER,
        lease: timedelta = DEFAULT_LEASE,
        claim_poll: float = DEFAULT_POLL,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.publishers = publishers
        self.subscriptions = SubscriptionStore(store)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.sleep: Sleep = sleep or asyncio.sleep
        self.limits = dict(DEFAULT_LIMITS) | dict(limits or {})
        self.max_attempts = max(1, max_attempts)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.late_after = late_after
        # Deliveries are claimed in the store before sending: see bot.services.claims.
        self.claims = Claims(self.clock, self.sleep, lease=lease, poll=claim_poll, owner=owner)
        self._inflight: set[tuple[str, str, str]] = set()
        self.buckets = RateBuckets(self.limits)

    # -- one channel ---------------------------------------------------------------------------

    async def deliver(
        self, subscription: Subscription, *, scheduled_for: datetime
    ) -> DeliveryOutcome:
        """Deliver the run at `scheduled_for`: the newest listing out by then that the channel
        has not had yet, or the week's / month's top (bot.services.digest_plans), or nothing /
        the empty-day note.

        Never raises an Exception: a failure is an outcome (a process crash is not caught).
        """
        return await self._guarded(subscription, scheduled_for, {})

    async def _guarded(
        self,
        sub: Subscription,
        scheduled_for: datetime,
        digests: DigestCache,
    ) -> DeliveryOutcome:
        try:
            return await self._deliver(sub, scheduled_for, digests)
        except Exception as exc:
            log.exception(
                "delivering subscription %s to %s/%s failed", sub.id, sub.platform, sub.channel
            )
            return DeliveryOutcome(sub.id, sub.platform, sub.channel, FAILED, reason=str(exc))

    async def _deliver(
        self,
        sub: Subscription,
        scheduled_for: datetime,
        digests: DigestCache,
    ) -> DeliveryOutcome:
        outcome = DeliveryOutcome(sub.id, sub.platform, sub.channel, SKIPPED)
        publisher = self.publishers.get(sub.platform)
        if publisher is None:
            log.warning(
                "no publisher for platform %s: subscription %s skipped", sub.platform, sub.id
            )
            return replace(outcome, reason=f"no adapter for {sub.platform} is running")
        if sub.status != "active":
            return replace(outcome, reason="the subscription is paused")
        if scheduled_for.tzinfo is None:
            scheduled_for = scheduled_for.replace(tzinfo=UTC)
        local = scheduled_for.astimezone(ZoneInfo(sub.timezone))
        planned = plan_run(self.store, self.engine, sub, scheduled_for, digests, self.clock())
        if isinstance(planned, Skip):
            return replace(outcome, listing_date=planned.day, reason=planned.reason)
        digest, kind, key = planned.digest, planned.kind, planned.key
        outcome = replace(outcome, key=key, listing_date=digest.date or local.date())
        flight = (sub.platform, sub.channel, key)
        if flight in self._inflight:
            return replace(outcome, status=IN_PROGRESS, reason="already being delivered")
        self._inflight.add(flight)
        try:
            return await self._send(publisher, sub, digest, kind, key, local, outcome)
        finally:
            self._inflight.discard(flight)

    async def _send(
        self,
        publisher: Publisher,
        sub: Subscription,
        digest: Digest,
        kind: str,
        key: str,
        local: datetime,
        outcome: DeliveryOutcome,
    ) -> DeliveryOutcome:
        log_ = self.store.deliveries
        delivery, is_new = log_.begin(
            sub.platform,
            sub.channel,
            key,
            kind=kind,
            digest_date=digest.date,
            filter=sub.key_text,
            paper_ids=[item.paper.arxiv_id for item in digest.items],
            owner=self.claims.owner,
            until=self.claims.until(),
        )
        if not is_new:
            delivery, mine = await self.claims.acquire(log_, delivery)
            if not mine and delivery.status != "sent":
                log.info(
                    "%s to %s/%s: another process is sending it", key, sub.platform, sub.channel
                )
                return replace(outcome, status=IN_PROGRESS, reason="being sent by another process")
            if not mine:
                return await self._settle(publisher, delivery, outcome) or outcome
        async with self.claims.held(log_, delivery.id):
            if not is_new:
                settled = await self._settle(publisher, delivery, outcome)
                if settled is not None:
                    return settled
            return await self._post(publisher, sub, digest, kind, key, local, outcome, delivery)

    async def _post(
        self,
        publisher: Publisher,
        sub: Subscription,
        digest: Digest,
        kind: str,
        key: str,
        local: datetime,
        outcome: DeliveryOutcome,
        delivery: Delivery,
    ) -> DeliveryOutcome:
        log_ = self.store.deliveries
        now = self.clock()
        late = now - local > self.late_after
        if late:
            digest = replace(digest, notes=(*digest.notes, late_note(local, now)))
        result, attempts = await self._publish(publisher, sub, digest, key)
        outcome = replace(outcome, late=late, attempts=attempts)
        if isinstance(result, Sent):
            log_.mark_sent(delivery.id, result.message_ids, result.thread)
            self.engine.team.remember(sub.platform, sub.channel, result.items)
            log.info("delivered %s to %s/%s", key, sub.platform, sub.channel)
            return replace(
                outcome,
                status=NOTED if kind == "note" else SENT,
                message_ids=result.message_ids,
                thread=result.thread,
            )
        log_.mark_failed(delivery.id, str(result))
        if result.transient:
            log.warning(
                "delivery of %s to %s/%s failed after %d attempts: %s",
                key,
                sub.platform,
                sub.channel,
                attempts,
                result,
            )
            return replace(outcome, status=FAILED, reason=str(result))
        await self._pause(publisher, sub, str(result))
        return replace(outcome, status=PAUSED, reason=str(result))

    async def _settle(
        self, publisher: Publisher, delivery: Delivery, outcome: DeliveryOutcome
    ) -> DeliveryOutcome | None:
        """An existing record: done, recovered from the platform, or None to (re)send."""
        log_ = self.store.deliveries
        if delivery.status == "sent":
            return replace(
                outcome,
                status=ALREADY_SENT,
                message_ids=delivery.message_ids,
                thread=delivery.thread,
            )
        if delivery.status == "intent" and delivery.message_ids and resumes_threads(publisher):
            # A thread cut short (X, Bluesky, Mastodon): the publisher continues where it stopped.
            return None
        if delivery.status == "intent" and delivery.message_ids:
            # Some messages were recorded before the crash: the digest is out; finish the record.
            thread = delivery.thread or delivery.message_ids[0]
            log_.mark_sent(delivery.id, delivery.message_ids, thread)
            return replace(
                outcome, status=RECOVERED, message_ids=delivery.message_ids, thread=thread
            )
        # An intent without message ids (a crash between sending and recording) or an earlier
        # failure (a timeout may still have landed): ask the platform before posting again.
        try:
            found = await publisher.find_published(delivery.channel, delivery.key)
        except Exception as exc:
            log.warning(
                "cannot tell whether %s reached %s/%s (%s): not posting now",
                delivery.key,
                delivery.platform,
                delivery.channel,
                exc,
            )
            return replace(outcome, status=FAILED, reason=f"could not check the channel: {exc}")
        if found is not None and finishes_found_digests(publisher):
            log.info(
                "found %s already in %s/%s: finishing its thread",
                delivery.key,
                delivery.platform,
                delivery.channel,
            )
            return None
        if found is not None:
            log_.mark_sent(delivery.id, found.message_ids, found.thread)
            log.info(
                "found %s already in %s/%s: recorded",
                delivery.key,
                delivery.platform,
                delivery.channel,
            )
            return replace(
                outcome, status=RECOVERED, message_ids=found.message_ids, thread=found.thread
            )
        if delivery.status == "failed":
            log_.retry(delivery.id)
        return None

    async def _publish(
        self, publisher: Publisher, sub: Subscription, digest: Digest, key: str
    ) -> tuple[Sent | DeliveryError, int]:
        """Publish with bounded retries. Returns what was sent, or the last error."""
        attempt = 0
        while True:
            attempt += 1
            await self.buckets.acquire(sub.platform, sub.channel)
            try:
                return (
                    await publisher.publish_digest(sub.channel, digest, idempotency_key=key),
                    attempt,
                )
            except DeliveryError as exc:
                error = exc
            except Exception as exc:  # an adapter bug or an untranslated network error
                log.warning("publishing %s to %s/%s raised %r", key, sub.platform, sub.channel, exc)
                error = DeliveryError(str(exc) or type(exc).__name__, transient=True)
            if not error.transient or attempt >= self.max_attempts:
                return error, attempt
            if error.retry_after is not None:
                delay = max(0.0, error.retry_after)
                if delay > self.max_delay:
                    return error, attempt
            else:
                delay = min(self.base_delay * 2 ** (attempt - 1), self.max_delay)
            log.info(
                "retrying %s to %s/%s in %.1f s (%s)", key, sub.platform, sub.channel, delay, error
            )
            await self.sleep(delay)
            if error.retry_after is None:
                # A timeout or a 5xx may have landed after all: look before posting again.
                try:
                    found = await publisher.find_published(sub.channel, key)
                except Exception as exc:
                    log.warning(
                        "checking %s in %s/%s failed: %s", key, sub.platform, sub.channel, exc
                    )
                    return DeliveryError(
                        f"could not check the channel: {exc}", transient=True
                    ), attempt
                if found is not None:
                    if finishes_found_digests(publisher):
                        continue  # publish_digest finds it too, and finishes its thread
                    return found, attempt

    async def _pause(self, publisher: Publisher, sub: Subscription, error: str) -> None:
        if sub.id is not None:
            self.subscriptions.set_status(sub.id, "paused")
        log.warning(
            "subscription %s (%s/%s) paused: posting failed permanently: %s",
            sub.id,
            sub.platform,
            sub.channel,
            error,
        )
        text = (
            f"I paused this channel's Hot Papers subscription ({sub.describe()}) because posting "
            f"failed: {error}. Fix the cause (e.g. invite the bot back or give it permission to "
            f"post), then `subscribe` again to resume."
        )
        try:
            await publisher.notify_admin(sub.channel, text)
        except Exception as exc:
            log.warning("could not tell the admins of %s/%s: %s", sub.platform, sub.channel, exc)

    # -- many channels ---------------------------------------------------------------------------

    async def fan_out(
        self,
        subscriptions: Iterable[Subscription],
        scheduled_for: datetime,
        concurrency_per_platform: int = 16,
    ) -> list[DeliveryOutcome]:
        """Deliver to many channels concurrently, each platform within its rate limits."""
        subs = list(subscriptions)
        gates: dict[str, asyncio.Semaphore] = {}
        digests: DigestCache = {}

        async def one(sub: Subscription) -> DeliveryOutcome:
            gate = gates.setdefault(
                sub.platform, asyncio.Semaphore(max(1, concurrency_per_platform))
            )
            async with gate:
                return await self._guarded(sub, scheduled_for, digests)

        return list(await asyncio.gather(*(one(s) for s in subs)))
