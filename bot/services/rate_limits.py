"""Per-user and per-channel command rate limits (token buckets) with a friendly refusal."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.models import Reply, Request

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True)
class RateLimits:
    """Commands allowed per window; `0` turns a limit off."""

    per_user: int = 10
    per_channel: int = 30
    window_seconds: float = 60.0
    max_keys: int = 10_000  # buckets kept in memory; the idlest are dropped beyond this


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets keyed by (platform, user) and (platform, channel); state is in memory only."""

    def __init__(self, limits: RateLimits | None = None, *, clock: Clock = time.monotonic) -> None:
        self.limits = limits or RateLimits()
        self._clock = clock
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}

    def check(self, request: Request) -> Reply | None:
        """None when the command may run (a token is taken); otherwise a friendly refusal.

        Admins and messages not addressed to the bot are never limited. A refused command takes
        no token from either bucket, so a user who waits gets through.
        """
        if request.is_admin or not request.addressed:
            return None
        now = self._clock()
        keys: list[tuple[tuple[str, str, str], int]] = []
        if self.limits.per_user > 0:
            keys.append(((request.platform, "user", request.user), self.limits.per_user))
        if self.limits.per_channel > 0:
            keys.append(((request.platform, "channel", request.channel), self.limits.per_channel))
        wait = 0.0
        buckets = []
        for key, capacity in keys:
            bucket = self._refill(key, capacity, now)
            buckets.append(bucket)
            if bucket.tokens < 1.0:
                rate = capacity / self.limits.window_seconds
                wait = max(wait, (1.0 - bucket.tokens) / rate)
        if wait > 0:
            log.info(
                "rate limited %s user=%s channel=%s for %.0fs",
                request.platform,
                request.user,
                request.channel,
                wait,
            )
            return Reply(text=refusal_text(wait), ok=False, extras={"rate_limited": "1"})
        for bucket in buckets:
            bucket.tokens -= 1.0
        self._trim()
        return None

    def _refill(self, key: tuple[str, str, str], capacity: int, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(capacity), now)
            return bucket
        elapsed = max(now - bucket.updated, 0.0)
        rate = capacity / self.limits.window_seconds
        bucket.tokens = min(float(capacity), bucket.tokens + elapsed * rate)
        bucket.updated = now
        return bucket

    def _trim(self) -> None:
        extra = len(self._buckets) - self.limits.max_keys
        if extra <= 0:
            return
        idlest = sorted(self._buckets, key=lambda k: self._buckets[k].updated)[:extra]
        for key in idlest:
            del self._buckets[key]


def refusal_text(wait_seconds: float) -> str:
    seconds = max(1, math.ceil(wait_seconds))
    return f"You're asking faster than I can answer — try again in {seconds} s."
