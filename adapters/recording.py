"""An in-memory Publisher for tests and the console: records digests, fails and crashes on demand."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.models import Digest
from bot.ports import DeliveryError, Sent

log = logging.getLogger(__name__)


class SimulatedCrash(BaseException):
    """The process "dies" after the platform accepted a digest but before the bot recorded it.

    A BaseException, like a real kill: the delivery code does not catch it.
    """


@dataclass(frozen=True)
class Published:
    channel: str
    digest: Digest
    idempotency_key: str
    sent: Sent


class RecordingPublisher:
    """Implements bot.ports.Publisher in memory.

    `.sent` is the channel history (shared with a "restarted" publisher by passing `sent=`);
    `.notices` the admin notifications. `fail_transient`, `fail_permanently` and
    `crash_after_send` arm failures for the next calls.
    """

    def __init__(
        self,
        platform: str = "recording",
        *,
        sent: list[Published] | None = None,
        thread: str | None = None,
        on_publish: Callable[[Published], object] | None = None,
    ) -> None:
        self.platform = platform
        self.sent: list[Published] = sent if sent is not None else []
        self.notices: list[tuple[str, str]] = []
        self.attempts = 0  # publish_digest calls, failed ones included
        self.thread = thread  # a fixed thread id for every digest (the console's one thread)
        self.on_publish = on_publish
        self._transient = 0
        self._retry_after: float | None = None
        self._permanent: str | None = None
        self._crashes = 0
        self._crashes_before = 0

    # -- arming failures -----------------------------------------------------------------------

    def fail_transient(self, times: int = 1, *, retry_after: float | None = None) -> None:
        """The next `times` publishes fail like a timeout/5xx (or a 429 with `retry_after`)."""
        self._transient = times
        self._retry_after = retry_after

    def fail_permanently(self, reason: str = "channel_not_found") -> None:
        """Every publish fails as if the channel were gone, until `recover()`."""
        self._permanent = reason

    def recover(self) -> None:
        self._transient = 0
        self._permanent = None
        self._crashes = 0
        self._crashes_before = 0

    def crash_after_send(self, times: int = 1) -> None:
        """The next `times` publishes land in the channel, then raise SimulatedCrash."""
        self._crashes = times

    def crash_before_send(self, times: int = 1) -> None:
        """The next `times` publishes raise SimulatedCrash before anything reaches the channel."""
        self._crashes_before = times

    # -- Publisher -------------------------------------------------------------------------------

    async def publish_digest(self, channel: str, digest: Digest, *, idempotency_key: str) -> Sent:
        self.attempts += 1
        await asyncio.sleep(
            0
        )  # a real platform call suspends: let concurrent deliveries interleave
        if self._crashes_before > 0:
            self._crashes_before -= 1
            raise SimulatedCrash(f"crashed before posting {idempotency_key}")
        if self._permanent is not None:
            raise DeliveryError(self._permanent, transient=False)
        if self._transient > 0:
            self._transient -= 1
            what = "rate limited" if self._retry_after is not None else "timed out"
            raise DeliveryError(what, transient=True, retry_after=self._retry_after)
        number = len(self.sent) + 1
        root = f"{self.platform}-{number}"
        ids = (root, *(f"{root}.{item.rank}" for item in digest.items))
        record = Published(channel, digest, idempotency_key, Sent(ids, self.thread or root))
        self.sent.append(record)
        if self.on_publish is not None:
            self.on_publish(record)
        if self._crashes > 0:
            self._crashes -= 1
            raise SimulatedCrash(f"crashed after posting {idempotency_key}")
        return record.sent

    async def find_published(self, channel: str, idempotency_key: str) -> Sent | None:
        for record in reversed(self.sent):
            if record.channel == channel and record.idempotency_key == idempotency_key:
                return record.sent
        return None

    async def notify_admin(self, channel: str, text: str) -> None:
        self.notices.append((channel, text))
        log.info("admin notice for %s: %s", channel, text)

    # -- for assertions --------------------------------------------------------------------------

    def posts_to(self, channel: str) -> list[Published]:
        return [p for p in self.sent if p.channel == channel]
