"""Delivery claims: a lease on a delivery's row, so one process at a time sends it.

A process claims a delivery in the store (owner id + expiry) before sending it, renews the lease
while it sends, and releases it when done. Another process that finds it claimed waits (up to one
lease) and then finds it sent, or takes it over once the lease has run out: its owner died. An
owner on this machine whose process is gone (kill -9) loses its claim at once. This maps onto a
client/server database as is: a row claimed with a lease, no file lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

from bot.store.deliveries import Delivery, DeliveryLog

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)
DEFAULT_POLL = 1.0  # seconds between looks at a delivery another process is sending


def default_owner() -> str:
    """`host:pid:random`: unique per delivery service, and says where its process runs."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_gone(owner: str) -> bool:
    """True when `owner` ran on this machine and its process no longer exists.

    Only ever says "gone" for certain; an owner elsewhere (or unreadable) is left to its lease.
    """
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # this process: alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists but not ours to signal, or cannot tell
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed child its parent has not reaped yet still answers kill(pid, 0)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("Z", "X")


class Claims:
    """One delivery service's claims: its owner id, lease length and how it waits."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]],
        *,
        lease: timedelta = DEFAULT_LEASE,
        poll: float = DEFAULT_POLL,
        owner: str | None = None,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.lease = max(lease, timedelta(seconds=1))
        self.poll = max(0.001, poll)
        self.owner = owner or default_owner()
        self.renew_every = self.lease.total_seconds() / 3  # real seconds between renewals

    def until(self) -> datetime:
        return self.clock() + self.lease

    async def acquire(self, deliveries: DeliveryLog, delivery: Delivery) -> tuple[Delivery, bool]:
        """Claim an existing delivery, waiting while a live process holds it (at most one
        lease). Returns the row as it is now and whether the claim is ours."""
        waited = 0.0
        while True:
            mine = deliveries.claim(delivery.id, self.owner, self.clock(), self.until())
            current = deliveries.get(delivery.platform, delivery.channel, delivery.key) or delivery
            if mine or current.status == "sent":
                return current, mine
            holder = deliveries.claimant(delivery.id)
            if (
                holder is not None
                and owner_is_gone(holder)
                and deliveries.take_over(delivery.id, holder, self.owner, self.until())
            ):
                log.warning(
                    "%s to %s/%s: its sender %s is gone; taking it over",
                    delivery.key,
                    delivery.platform,
                    delivery.channel,
                    holder,
                )
                fresh = deliveries.get(delivery.platform, delivery.channel, delivery.key)
                return fresh or current, True
            if waited >= self.lease.total_seconds() + self.poll:
                return current, False
            await self.sleep(self.poll)
            waited += self.poll

    @contextlib.asynccontextmanager
    async def held(self, deliveries: DeliveryLog, delivery_id: int) -> AsyncIterator[None]:
        """Keep the lease alive while the block runs; release it however the block ends."""
        renewing = asyncio.create_task(self._renew(deliveries, delivery_id))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            deliveries.release(delivery_id, self.owner)

    async def _renew(self, deliveries: DeliveryLog, delivery_id: int) -> None:
        while True:
            await asyncio.sleep(self.renew_every)
            if not deliveries.renew(delivery_id, self.owner, self.until()):
                log.warning("lost the claim on delivery %s while sending it", delivery_id)
                return
