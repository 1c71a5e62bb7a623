"""Fan-out benchmark: one day's digest to N channels through a rate-limited loopback chat server."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

from bot.domain.models import Digest, Observation, Paper
from bot.domain.subscription import Subscription
from bot.ports import DeliveryError, Sent
from bot.render.text import render_digest_text
from bot.scheduler import Scheduler
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine
from bot.services.rate_buckets import RateLimit
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore

PLATFORM = "loopback"
LISTING = date(2021, 4, 5)  # a Monday
SCHEDULED = datetime(2021, 4, 5, 9, 0, tzinfo=UTC)


class _Bucket:
    """The server's limiter: a token is taken only when one is there (else: how long to wait)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, max(1, burst)
        self.tokens = float(self.burst)
        self.last = time.monotonic()

    def take(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


@dataclass
class _FakeChat:
    """A chat API on 127.0.0.1 that enforces a global and a per-channel rate limit with 429s."""

    global_rate: float
    global_burst: int
    per_channel_rate: float
    messages: dict[str, list[str]] = field(default_factory=dict)  # channel -> nonces
    rejected: int = 0

    def __post_init__(self) -> None:
        self.global_bucket = _Bucket(self.global_rate, self.global_burst)
        self.channel_buckets: dict[str, _Bucket] = {}

    async def post(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"]
        body = await request.json()
        bucket = self.channel_buckets.setdefault(channel, _Bucket(self.per_channel_rate, 1))
        wait = max(self.global_bucket.take(), 0.0)
        if wait == 0.0:
            wait = bucket.take()
            if wait > 0:  # give the global token back: this request is not served
                self.global_bucket.tokens += 1.0
        if wait > 0:
            self.rejected += 1
            return web.json_response(
                {"retry_after": wait}, status=429, headers={"Retry-After": f"{wait:.3f}"}
            )
        nonces = self.messages.setdefault(channel, [])
        nonces.append(str(body.get("nonce", "")))
        return web.json_response({"id": f"{channel}-{len(nonces)}"})

    async def find(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"]
        nonce = request.query.get("nonce", "")
        nonces = self.messages.get(channel, [])
        if nonce in nonces:
            return web.json_response({"id": f"{channel}-{nonces.index(nonce) + 1}"})
        return web.json_response({}, status=404)


class _HttpPublisher:
    """A tiny Publisher that POSTs each digest as one message, its key as the message nonce."""

    platform = PLATFORM

    def __init__(self, session: ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def publish_digest(self, channel: str, digest: Digest, *, idempotency_key: str) -> Sent:
        payload = {"text": render_digest_text(digest)[:2000], "nonce": idempotency_key}
        async with self.session.post(f"{self.base}/channels/{channel}/messages", json=payload) as r:
            if r.status == 429:
                retry = float(r.headers.get("Retry-After", "1"))
                raise DeliveryError("rate limited", transient=True, retry_after=retry)
            if r.status >= 500:
                raise DeliveryError(f"server error {r.status}", transient=True)
            if r.status >= 400:
                raise DeliveryError(f"refused: {r.status}", transient=False)
            data = await r.json()
        return Sent((str(data["id"]),), str(data["id"]))

    async def find_published(self, channel: str, idempotency_key: str) -> Sent | None:
        url = f"{self.base}/channels/{channel}/messages"
        async with self.session.get(url, params={"nonce": idempotency_key}) as r:
            if r.status != 200:
                return None
            data = await r.json()
        return Sent((str(data["id"]),), str(data["id"]))

    async def notify_admin(self, channel: str, text: str) -> None:
        return None


def _seed(store: Store, channels: int) -> list[Subscription]:
    papers = [
        Paper(
            arxiv_id=f"2104.{i:05d}",
            title=f"Benchmark paper {i}",
            authors=("A. Author",),
            primary_category="cs.CV",
            categories=("cs.CV",),
            listing_date=LISTING,
        )
        for i in range(1, 21)
    ]
    store.upsert_papers(papers)
    store.upsert_observations(
        Observation(
            source="archive",
            key=p.arxiv_id,
            arxiv_id=p.arxiv_id,
            kind="aggregate",
            observed_at=SCHEDULED,
            reposts=10 * i,
            likes=i,
        )
        for i, p in enumerate(papers, start=1)
    )
    subs = SubscriptionStore(store)
    with store.transaction():
        for n in range(channels):
            subs.save(Subscription(PLATFORM, f"C{n:05d}", ("cs.CV",), 5, timezone="UTC"))
    return subs.active()


async def _measure(
    channels: int, per_channel_rate: float, global_rate: float, global_burst: int
) -> dict[str, Any]:
    chat = _FakeChat(global_rate, global_burst, per_channel_rate)
    app = web.Application()
    app.router.add_post("/api/channels/{channel}/messages", chat.post)
    app.router.add_get("/api/channels/{channel}/messages", chat.find)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    store = Store.memory()
    try:
        subs = _seed(store, channels)
        connector = TCPConnector(limit=64)
        async with ClientSession(connector=connector, timeout=ClientTimeout(total=30)) as session:
            publisher = _HttpPublisher(session, f"http://127.0.0.1:{port}/api")
            service = DeliveryService(
                store,
                Engine(store, clock=lambda: SCHEDULED),
                {PLATFORM: publisher},
                clock=lambda: SCHEDULED,
                limits={
                    PLATFORM: RateLimit(
                        per_channel=per_channel_rate,
                        per_platform=global_rate,
                        platform_burst=global_burst,
                    )
                },
                max_attempts=10,
            )
            started = time.perf_counter()
            # What production does at 09:00: APScheduler runs every subscription's digest job
            # at once, each through Scheduler.run_subscription, sharing the service's limits.
            scheduler = Scheduler(store, service)
            ran = await asyncio.gather(
                *(scheduler.run_subscription(sub.id) for sub in subs if sub.id is not None)
            )
            outcomes = [o for o in ran if o is not None]
            elapsed = time.perf_counter() - started
    finally:
        store.close()
        await runner.cleanup()
    posted = sum(len(v) for v in chat.messages.values())
    duplicates = sum(len(v) - len(set(v)) for v in chat.messages.values())
    minimum = max(channels - global_burst, 0) / global_rate
    return {
        "channels": channels,
        "delivered": sum(1 for o in outcomes if o.posted),
        "messages_on_server": posted,
        "duplicates": duplicates,
        "rejected_429": chat.rejected,
        "global_rate_per_s": global_rate,
        "global_burst": global_burst,
        "per_channel_rate_per_s": per_channel_rate,
        "elapsed_s": round(elapsed, 3),
        "minimum_s": round(minimum, 3),
        "ratio": round(elapsed / minimum, 3) if minimum > 0 else None,
    }


def measure_fanout(
    channels: int = 1000,
    per_channel_rate: float = 1.0,
    global_rate: float = 200.0,
    global_burst: int | None = None,
) -> dict[str, Any]:
    """Deliver one digest to `channels` subscribed channels through a rate-limited fake server.

    Returns the elapsed seconds, the theoretical minimum under the limit
    ((channels - burst) / global_rate: one message per channel, the burst free), and their ratio.
    """
    burst = global_burst if global_burst is not None else max(1, int(global_rate // 10))
    return asyncio.run(_measure(channels, per_channel_rate, global_rate, burst))


if __name__ == "__main__":
    import json

    print(json.dumps(measure_fanout(), indent=2))
