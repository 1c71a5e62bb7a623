"""Delivery rate limits: per channel and per platform token buckets, so fan-out stays polite."""

from __future__ import annotations

import asyncio
import time as _time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RateLimit:
    """Digests per second a platform accepts, per channel and across the platform (None = no cap)."""

    per_channel: float | None = 1.0
    per_platform: float | None = None
    channel_burst: int = 1
    platform_burst: int = 1


# Slack: ~1 message/s per channel (chat.postMessage). Discord: 5 messages per 5 s per channel
# route and 50 requests/s globally. One digest is one root message here; the thread's further
# messages are the adapter's business (it answers 429s with DeliveryError(retry_after=...)).
DEFAULT_LIMITS: dict[str, RateLimit] = {
    "slack": RateLimit(per_channel=1.0),
    "discord": RateLimit(per_channel=1.0, channel_burst=5, per_platform=45.0, platform_burst=10),
}
FALLBACK_LIMIT = RateLimit(per_channel=1.0)


class TokenBucket:
    """An async token bucket: `await acquire()` returns when one more call fits under the rate.

    Reservation-based (the debt is taken before waiting), so concurrent callers queue fairly
    without a lock: nothing awaits between reading and updating the bucket.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = _time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._last = clock()

    def reserve(self) -> float:
        """Take one token; the seconds to wait before using it."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)


class RateBuckets:
    """One bucket per platform and one per channel, made on first use from the platform's limit."""

    def __init__(self, limits: Mapping[str, RateLimit]) -> None:
        self.limits = limits
        self._channel_buckets: dict[tuple[str, str], TokenBucket] = {}
        self._platform_buckets: dict[str, TokenBucket] = {}

    async def acquire(self, platform: str, channel: str) -> None:
        """Return when one more digest to `channel` fits under its platform's limits."""
        limit = self.limits.get(platform, FALLBACK_LIMIT)
        if limit.per_platform:
            bucket = self._platform_buckets.get(platform)
            if bucket is None:
                bucket = TokenBucket(limit.per_platform, limit.platform_burst)
                self._platform_buckets[platform] = bucket
            await bucket.acquire()
        if limit.per_channel:
            channel_key = (platform, channel)
            channel_bucket = self._channel_buckets.get(channel_key)
            if channel_bucket is None:
                channel_bucket = TokenBucket(limit.per_channel, limit.channel_burst)
                self._channel_buckets[channel_key] = channel_bucket
            await channel_bucket.acquire()
