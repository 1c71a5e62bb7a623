"""What every platform adapter offers the delivery service: post a digest, find one already posted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.domain.models import Digest


@dataclass(frozen=True)
class Sent:
    """Where a digest landed: the platform's message ids (first = the thread's root)."""

    message_ids: tuple[str, ...]
    thread: str  # the id replies in the digest's thread carry (Slack thread_ts, Discord thread id)
    extras: dict[str, str] = field(default_factory=dict)
    # (message id, paper id) of the messages about one paper each (the team's reactions count)
    items: tuple[tuple[str, str], ...] = ()


class DeliveryError(Exception):
    """Sending failed. `transient` failures are retried; the others pause the subscription."""

    def __init__(self, message: str, *, transient: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


class Publisher(Protocol):
    """Implemented by each platform adapter; adapters only translate, the core decides."""

    platform: str

    async def publish_digest(self, channel: str, digest: Digest, *, idempotency_key: str) -> Sent:
        """Post the digest (and its thread of details) to a channel.

        `idempotency_key` is stable for one (channel, digest) pair: adapters attach it where the
        platform allows (Discord message nonce, Slack message metadata) so a retry after a crash
        can be recognised by `find_published`.
        """
        ...

    async def find_published(self, channel: str, idempotency_key: str) -> Sent | None:
        """A digest with this key that is already in the channel, if the platform can tell."""
        ...

    async def notify_admin(self, channel: str, text: str) -> None:
        """Tell the channel's admins something went wrong (best effort)."""
        ...


# Optional capabilities a publisher declares as class attributes.


def finishes_found_digests(publisher: Publisher) -> bool:
    """Whether the publisher's publish_digest looks for the digest first and, when it is there,
    posts only what its thread lacks (Slack): then a found digest is published "again"."""
    return bool(getattr(publisher, "finishes_found_digests", False))


def resumes_threads(publisher: Publisher) -> bool:
    """Whether publish_digest continues a thread cut short from its last recorded post (X,
    Bluesky, Mastodon), so an intent with some message ids is sent again, not settled."""
    return bool(getattr(publisher, "resumes_threads", False))


class Adapter(Protocol):
    """One configured platform, as the composition root sees it.

    `run()` connects and serves until cancelled; it raises ConfigError when the platform refuses
    the configuration for good (a revoked token), anything else when it failed and is worth
    another try (the composition root restarts it with backoff). `publisher` is what scheduled
    digests go through while it is connected (None: this adapter posts no digests).
    """

    name: str

    @property
    def publisher(self) -> Publisher | None: ...

    async def run(self) -> None: ...
