"""The part every social publisher shares: post a thread reply by reply, record each id, budget."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from adapters.social.render import SocialPost, digest_post, digest_thread
from bot.domain.models import Digest
from bot.ports import DeliveryError, Sent
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


class PostMayHaveLanded(DeliveryError):
    """A post request failed after it went out (timeout, reset, unreadable answer, 5xx): the
    platform may hold the post although no id came back."""


NEVER_SENT = frozenset({"ConnectError", "ConnectTimeout", "NewConnectionError"})


def may_have_landed(exc: BaseException) -> bool:
    """Whether a failed post request may still have created the post: anything but a clear
    refusal (HTTP 4xx) or a connection that never opened."""
    status = http_status(exc)
    if status is not None:
        return status >= 500
    seen: BaseException | None = exc
    for _ in range(8):  # the error, its cause, theirs...
        if seen is None:
            break
        if type(seen).__name__ in NEVER_SENT:
            return False
        seen = seen.__cause__ or seen.__context__
    return True


def post_failed(error: DeliveryError, exc: BaseException | None) -> DeliveryError:
    """`error` as a PostMayHaveLanded when the failure `exc` (None: an answer without an id)
    leaves the post possibly out."""
    if exc is not None and not may_have_landed(exc):
        return error
    return PostMayHaveLanded(str(error), transient=error.transient, retry_after=error.retry_after)


class ThreadPublisher:
    """A Publisher posting a digest as a thread; subclasses implement `_post` for one platform.

    Every posted id is recorded at once in the ledger, so a retry after a failure half-way
    continues after the last recorded post (chained to it) and never re-posts from the start.
    A post whose answer was lost may be out all the same: before the next post of a resumed
    thread (or after such a failure in this process) `_find_posted` asks the platform, and a
    post found there is recorded instead of being posted twice. When that check fails after an
    ambiguous failure, nothing is posted and a transient DeliveryError asks for a retry.
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
        thread: bool = True,
    ) -> None:
        self.thread = thread  # False: one post with the top three and the digest's page link
        self.daily_budget = daily_budget
        self.ledger: Ledger = ledger or MemoryLedger()
        self.budget: Budget = budget or MemoryBudget()
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = asyncio.Lock()
        self._uncertain: set[tuple[str, str]] = set()  # (channel, key): last post may be out

    async def _post(self, post: SocialPost, *, root: str | None, parent: str | None) -> str:
        """Post one message (a reply when `parent` is set); its id. Raises DeliveryError
        (PostMayHaveLanded when the request may have created the post)."""
        raise NotImplementedError

    async def _find_posted(
        self, post: SocialPost, *, root: str | None, parent: str | None
    ) -> str | None:
        """The id of `post` if an earlier attempt put it out (a reply to `parent`, or the first
        post when `parent` is None); None when it is not there or the platform cannot tell.
        Raises when the platform cannot be asked."""
        return None

    async def _check(
        self, channel: str, key: str, post: SocialPost, *, root: str | None, parent: str | None
    ) -> str | None:
        ambiguous = (channel, key) in self._uncertain
        try:
            return await self._find_posted(post, root=root, parent=parent)
        except Exception as exc:
            if ambiguous:
                raise DeliveryError(
                    f"could not check whether the last {self.platform} post of the thread landed:"
                    f" {describe(exc)}",
                    transient=True,
                ) from None
            log.warning(
                "%s/%s: could not check for an earlier post of %s: %s",
                self.platform,
                channel,
                key,
                type(exc).__name__,
            )
            return None

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
        if self.thread:
            posts = digest_thread(digest, self.platform, max_posts=max_posts)
        else:
            one = max_posts is None or max_posts >= 1
            posts = (digest_post(digest, self.platform),) if one else ()
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
        check = bool(posted) or (channel, key) in self._uncertain
        for post in posts[len(posted) :]:
            root = posted[0] if posted else None
            parent = posted[-1] if posted else None
            found = None
            if check:
                check = False  # only the post after the last recorded one can be out unseen
                found = await self._check(channel, key, post, root=root, parent=parent)
            if found is not None:
                log.info(
                    "%s/%s: found post %d of %s already posted: recorded, not posted again",
                    self.platform,
                    channel,
                    len(posted) + 1,
                    key,
                )
                new_id = found
            else:
                try:
                    new_id = await self._post(post, root=root, parent=parent)
                except PostMayHaveLanded:
                    self._uncertain.add((channel, key))
                    raise
                except DeliveryError:
                    self._uncertain.discard((channel, key))
                    raise
            self._uncertain.discard((channel, key))
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
