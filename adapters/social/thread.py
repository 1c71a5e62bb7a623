"""The part every social publisher shares: post a thread reply by reply, record each id, budget."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.models import Digest
from bot.publishing import DeliveryError, Sent
from bot.render.social import SocialPost, digest_thread
from bot.store import Store

log = logging.getLogger(__name__)


class Ledger(Protocol):
    """Which posts of a digest thread are out, so a retry continues instead of starting over."""

    def posted(self, channel: str, key: str) -> tuple[str, ...]: ...

    def add(self, channel: str, key: str, ids: Sequence[str]) -> None: ...

    def finish(self, channel: str, key: str) -> None: ...

    def finished(self, channel: str, key: str) -> bool: ...


class Budget(Protocol):
    """Posts made on one UTC day."""

    def used(self, day: str) -> int: ...

    def spend(self, day: str, n: int) -> None: ...


class MemoryLedger:
    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], list[str]] = {}
        self._done: set[tuple[str, str]] = set()

    def posted(self, channel: str, key: str) -> tuple[str, ...]:
        return tuple(self._ids.get((channel, key), ()))

    def add(self, channel: str, key: str, ids: Sequence[str]) -> None:
        self._ids.setdefault((channel, key), []).extend(ids)

    def finish(self, channel: str, key: str) -> None:
        self._done.add((channel, key))

    def finished(self, channel: str, key: str) -> bool:
        return (channel, key) in self._done


class MemoryBudget:
    def __init__(self) -> None:
        self._used: dict[str, int] = {}

    def used(self, day: str) -> int:
        return self._used.get(day, 0)

    def spend(self, day: str, n: int) -> None:
        self._used[day] = self.used(day) + n


class StoreLedger:
    """Ids go onto the delivery record DeliveryService opened (`store.deliveries.add_messages`).

    Without a record (a publish outside the delivery service) they are kept in memory.
    """

    def __init__(self, store: Store, platform: str) -> None:
        self.store = store
        self.platform = platform
        self._memory = MemoryLedger()

    def posted(self, channel: str, key: str) -> tuple[str, ...]:
        record = self.store.deliveries.get(self.platform, channel, key)
        if record is None:
            return self._memory.posted(channel, key)
        return tuple(record.message_ids)

    def add(self, channel: str, key: str, ids: Sequence[str]) -> None:
        record = self.store.deliveries.get(self.platform, channel, key)
        if record is None:
            self._memory.add(channel, key, ids)
        else:
            self.store.deliveries.add_messages(record.id, ids)

    def _meta(self, channel: str, key: str) -> str:
        return f"social_thread_done:{self.platform}:{channel}:{key}"

    def finish(self, channel: str, key: str) -> None:
        self.store.set_meta(self._meta(channel, key), "1")

    def finished(self, channel: str, key: str) -> bool:
        return self.store.get_meta(self._meta(channel, key)) == "1"


class StoreBudget:
    """The day's post count in the store's meta table (survives restarts)."""

    def __init__(self, store: Store, platform: str) -> None:
        self.store = store
        self.platform = platform

    def _key(self, day: str) -> str:
        return f"social_budget:{self.platform}:{day}"

    def used(self, day: str) -> int:
        raw = self.store.get_meta(self._key(day)) or "0"
        return int(raw) if raw.isdigit() else 0

    def spend(self, day: str, n: int) -> None:
        self.store.set_meta(self._key(day), str(self.used(day) + n))


class ThreadPublisher:
    """A Publisher posting a digest as a thread; subclasses implement `_post` for one platform.

    Every posted id is recorded at once in the ledger, so a retry after a failure half-way
    continues after the last recorded post (chained to it) and never re-posts from the start.
    `daily_budget` caps posts per UTC day: a digest that would exceed it gets fewer replies
    and says so in its first post; with nothing left, a transient DeliveryError asks for a
    retry after midnight UTC.
    """

    platform = "social"
    resumes_threads = True  # a half-posted thread is continued from its last recorded post

    def __init__(
        self,
        *,
        daily_budget: int | None = None,
        ledger: Ledger | None = None,
        budget: Budget | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.daily_budget = daily_budget
        self.ledger: Ledger = ledger or MemoryLedger()
        self.budget: Budget = budget or MemoryBudget()
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = asyncio.Lock()

    async def _post(self, post: SocialPost, *, root: str | None, parent: str | None) -> str:
        """Post one message (a reply when `parent` is set); its id. Raises DeliveryError."""
        raise NotImplementedError

    async def publish_digest(self, channel: str, digest: Digest, *, idempotency_key: str) -> Sent:
        async with self._lock:
            return await self._publish(channel, digest, idempotency_key)

    async def _publish(self, channel: str, digest: Digest, key: str) -> Sent:
        posted = list(self.ledger.posted(channel, key))
        if posted and self.ledger.finished(channel, key):
            return Sent(tuple(posted), posted[0])
        now = self.clock().astimezone(UTC)
        day = now.date().isoformat()
        max_posts = None
        if self.daily_budget is not None:
            left = max(0, self.daily_budget - self.budget.used(day))
            max_posts = len(posted) + left
        posts = digest_thread(digest, self.platform, max_posts=max_posts)
        if not posts:
            midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
            raise DeliveryError(
                f"the daily {self.platform} posting budget ({self.daily_budget}) is used up",
                transient=True,
                retry_after=(midnight - now).total_seconds(),
            )
        if posted:
            log.info(
                "%s: %s has %d of %d posts out: continuing",
                self.platform,
                key,
                len(posted),
                len(posts),
            )
        for post in posts[len(posted) :]:
            root = posted[0] if posted else None
            parent = posted[-1] if posted else None
            new_id = await self._post(post, root=root, parent=parent)
            self.ledger.add(channel, key, [new_id])
            self.budget.spend(day, 1)
            posted.append(new_id)
        self.ledger.finish(channel, key)
        return Sent(tuple(posted), posted[0])

    async def find_published(self, channel: str, idempotency_key: str) -> Sent | None:
        """The thread when it is completely out; a partial one is None (publish continues it)."""
        posted = self.ledger.posted(channel, idempotency_key)
        if posted and self.ledger.finished(channel, idempotency_key):
            return Sent(tuple(posted), posted[0])
        return None

    async def notify_admin(self, channel: str, text: str) -> None:
        """Social accounts have no private admin channel: logged for the operator."""
        log.warning("%s/%s needs attention: %s", self.platform, channel, text)


def seconds_until(reset_epoch: float | None, now: datetime) -> float | None:
    """Seconds from `now` to a rate-limit reset given as epoch seconds (None if unknown)."""
    if reset_epoch is None:
        return None
    return max(1.0, reset_epoch - now.timestamp())


def http_status(exc: BaseException) -> int | None:
    """The HTTP status a client error carries (tweepy, atproto: `.response`; Mastodon.py: args[1])."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int) and status:
        return status
    args: tuple[object, ...] = tuple(getattr(exc, "args", ()))
    code = args[1] if len(args) > 1 else None
    if isinstance(code, int):
        return code
    return None


def describe(exc: BaseException) -> str:
    """A short description for logs and records, free of request data: the error's type, its
    HTTP status, or (for network errors) the underlying cause such as ReadTimeout."""
    status = http_status(exc)
    if status:
        return f"{type(exc).__name__} (HTTP {status})"
    cause = exc.__cause__ or exc.__context__
    if cause is not None and type(cause) is not type(exc):
        return f"{type(exc).__name__} ({type(cause).__name__})"
    return type(exc).__name__
