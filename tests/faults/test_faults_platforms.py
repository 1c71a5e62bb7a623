"""Fault injection for the platforms we post to: the real SDKs against faulty fakes on 127.0.0.1.

Each case delivers one subscribed digest through the real DeliveryService while the fake answers
one request (or every request) with a fault: 429 with the platform's rate-limit headers,
500/502/503, a hang past the client's (small) timeout, a connection dropped or reset mid-body,
a truncated JSON answer. "accept" faults let the platform store the post first, then break the
answer: the retry must find it instead of posting it again where the platform offers a way
(Slack: the root message's metadata in conversations.history; Discord: the nonce and the footer
marker in channel history; Mastodon: the Idempotency-Key; X and Bluesky: our own latest posts,
read back before the retried post). Run:

    python -m pytest tests/test_faults_platforms.py -q -rA
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import discord
import discord.http
import pytest
from aiohttp import web

from adapters.discord.publisher import DiscordPublisher
from adapters.slack.config import SlackConfig
from adapters.slack.publisher import SlackPublisher
from adapters.slack.run import make_client, run_slack
from adapters.social import bluesky, mastodon, x
from adapters.social.config import SocialConfig
from adapters.social.thread import StoreLedger, ThreadPublisher
from bot.domain import delivery as d
from bot.domain.delivery import DeliveryOutcome
from bot.domain.subscription import Subscription
from bot.ports import Publisher
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine
from bot.services.rate_buckets import RateLimit
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore
from tests.fakes.attention_fakes import Answer, Fake, Seen
from tests.fakes.discord_fake import FakeDiscord, pointed_at
from tests.fakes.slack_fake import FakeSlack
from tests.fakes.social_fakes import BOT_X_ID, Posts, bluesky_fake, mastodon_fake, x_fake
from tests.helpers import aggregate, paper

MONDAY = date(2021, 4, 5)
MONDAY_9 = datetime(2021, 4, 5, 9, 0, tzinfo=UTC)
IDS = ["2104.00001", "2104.00002", "2104.00003", "2104.00004"]
KEY = "digest:2021-04-05:cs.CV:3"
TIMEOUT = 0.5  # the clients' timeout in these tests: a hang is given up quickly
ATTEMPTS = 3  # DeliveryService.max_attempts in these tests
TRUNCATED = b'{"ok": true, "id": "1', b'{"data": {"id": "18'


# -- faults -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """What the fake does instead of answering one request.

    kind: "status" (answer `status` with `headers`/`body`), "hang" (never answer: the client
    times out), "drop" (close the connection without an answer), "reset" (send headers and half
    the body, then close), "garbage" (200 with a truncated JSON body). `accept`: the platform
    stores the post first, so only the answer is lost.
    """

    kind: str
    status: int = 500
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    accept: bool = False


def status(code: int, body: Any = None, **headers: str) -> Fault:
    data = json.dumps(body if body is not None else {"error": f"HTTP {code}"}).encode()
    return Fault("status", code, tuple(headers.items()), data)


HANG = Fault("hang")
HANG_AFTER_ACCEPT = Fault("hang", accept=True)
DROP_AFTER_ACCEPT = Fault("drop", accept=True)
RESET_AFTER_ACCEPT = Fault("reset", accept=True)
GARBAGE_AFTER_ACCEPT = Fault("garbage", accept=True)


class AioFaults:
    """An aiohttp middleware for the Slack and Discord fakes: queued faults by (method, path)."""

    def __init__(self) -> None:
        self.queue: list[tuple[str, re.Pattern[str], Fault]] = []
        self.received: list[tuple[str, str]] = []
        self.hits: list[Fault] = []  # the faults served, in order
        self.release = asyncio.Event()

    def add(self, method: str, path: str, *faults: Fault) -> None:
        self.queue.extend((method, re.compile(path), f) for f in faults)

    def count(self, method: str, path: str) -> int:
        pattern = re.compile(path)
        return sum(1 for m, p in self.received if m == method and pattern.fullmatch(p))

    @property
    def unaccepted(self) -> int:
        """Faulted requests the platform did not act on."""
        return sum(1 for f in self.hits if not f.accept)

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        self.received.append((request.method, request.path))
        for i, (method, pattern, fault) in enumerate(self.queue):
            if method == request.method and pattern.fullmatch(request.path):
                del self.queue[i]
                self.hits.append(fault)
                return await self._apply(fault, request, handler)
        return await handler(request)

    async def _apply(
        self,
        fault: Fault,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if fault.accept:
            await handler(request)  # stored: only the answer goes wrong
        if fault.kind == "status":
            headers = {"Content-Type": "application/json", **dict(fault.headers)}
            return web.Response(status=fault.status, body=fault.body, headers=headers)
        if fault.kind == "garbage":
            return web.Response(body=TRUNCATED[0], headers={"Content-Type": "application/json"})
        if fault.kind == "hang":
            await self.release.wait()
            return web.Response(status=504)
        response = web.StreamResponse(
            headers={"Content-Type": "application/json", "Content-Length": "4096"}
        )
        if fault.kind == "reset":
            await response.prepare(request)
            await response.write(TRUNCATED[0])
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise asyncio.CancelledError  # nothing more to send: the connection is gone


class FaultySlack(FakeSlack):
    """tests/slack_fake.FakeSlack with the fault middleware and a way to drop the websocket."""

    def __init__(self) -> None:
        super().__init__()
        self.faults = AioFaults()
        self.sockets = 0

    async def start(self) -> FaultySlack:
        app = web.Application(middlewares=[self.faults.middleware])
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/link/", self._counted_socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        self.faults.release.set()
        await super().close()

    async def _counted_socket(self, request: web.Request) -> web.WebSocketResponse:
        self.sockets += 1
        return await self._socket(request)

    async def drop_socket(self) -> None:
        assert self._ws is not None
        self._ws_ready.clear()
        await self._ws.close()

    def roots(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.posted(channel) if "thread_ts" not in m]


class FaultyDiscord(FakeDiscord):
    """tests/discord_fake.FakeDiscord with the fault middleware in front of REST."""

    def __init__(self) -> None:
        super().__init__()
        self.faults = AioFaults()

    async def start(self) -> None:
        app = web.Application(middlewares=[self.faults.middleware])
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self.faults.release.set()
        await super().stop()

    def roots(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.get(channel, []) if m.get("embeds")]


# -- the world every case delivers from ---------------------------------------------------------


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store.memory()
    s.upsert_papers([paper(pid, MONDAY, ("cs.CV",)) for pid in IDS])
    s.upsert_observations([aggregate(pid, 100 * (i + 1), 10) for i, pid in enumerate(IDS)])
    yield s
    s.close()


def subscribe(store: Store, platform: str, channel: str) -> Subscription:
    sub = Subscription(
        platform=platform,
        channel=channel,
        filters=("cs.CV",),
        n=3,
        at=time(9, 0),
        timezone="UTC",
        created_at=datetime(2021, 4, 1, tzinfo=UTC),
    )
    return SubscriptionStore(store).save(sub)


def service(store: Store, publisher: Publisher, sleeps: list[float]) -> DeliveryService:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return DeliveryService(
        store,
        Engine(store, clock=lambda: MONDAY_9),
        {publisher.platform: publisher},
        clock=lambda: MONDAY_9,
        sleep=sleep,
        limits={publisher.platform: RateLimit(per_channel=None)},
        max_attempts=ATTEMPTS,
    )


def stored_status(store: Store, outcome: DeliveryOutcome) -> str | None:
    record = store.deliveries.get(outcome.platform, outcome.channel, outcome.key or KEY)
    return None if record is None else record.status


def logged(caplog: pytest.LogCaptureFixture, *words: str) -> list[str]:
    """Log lines at INFO or above that contain every word (case-insensitive)."""
    lines = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.INFO]
    return [line for line in lines if all(w.lower() in line.lower() for w in words)]


@dataclass(frozen=True)
class Case:
    name: str
    faults: tuple[Fault, ...]
    requests: int  # post requests the fake received for the digest's root
    status: str = d.SENT
    log: tuple[str, ...] = ()  # words one log line must contain (with the platform's name)
    sleeps: tuple[float, ...] | None = None  # DeliveryService's waits, when they matter


# -- Slack: chat.postMessage through slack_sdk's AsyncWebClient --------------------------------

SLACK_CHANNEL = "C0PAPERS1"
POST = r"/api/chat\.postMessage"

SLACK_CASES = [
    Case(
        "429 Retry-After 2",
        (status(429, {"ok": False, "error": "ratelimited"}, **{"Retry-After": "2"}),),
        2,
        log=("rate limit", "waiting 2 s"),
    ),
    Case("500", (status(500),), 2, log=("slack", "500"), sleeps=(2.0,)),
    Case("502", (status(502),), 2, log=("slack", "502"), sleeps=(2.0,)),
    Case("503", (status(503),), 2, log=("slack", "503"), sleeps=(2.0,)),
    Case("timeout", (HANG,), 2, log=("slack", "timeout")),
    Case("timeout after accept", (HANG_AFTER_ACCEPT,), 1, log=("slack", "timeout")),
    Case("drop after accept", (DROP_AFTER_ACCEPT,), 1, log=("slack", "disconnected")),
    Case("reset mid-body after accept", (RESET_AFTER_ACCEPT,), 1, log=("slack", "payload")),
    Case("truncated JSON after accept", (GARBAGE_AFTER_ACCEPT,), 1, log=("slack", "unreadable")),
    Case(
        "503 every time",
        (status(503),) * ATTEMPTS,
        ATTEMPTS,
        d.FAILED,
        ("slack", "503", "after 3 attempts"),
    ),
]


@pytest.fixture
async def slack() -> AsyncIterator[FaultySlack]:
    fake = await FaultySlack().start()
    yield fake
    await fake.close()


def slack_client(fake: FaultySlack, waits: list[float]) -> Any:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client = make_client("xoxb-test-token", base_url=fake.api_url, sleep=sleep)
    client.timeout = TIMEOUT  # type: ignore[assignment]  # typed int, used as aiohttp seconds
    return client


@pytest.mark.parametrize("case", SLACK_CASES, ids=lambda c: c.name)
async def test_slack_faults(
    case: Case, slack: FaultySlack, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    waits: list[float] = []
    sleeps: list[float] = []
    publisher = SlackPublisher(slack_client(slack, waits))
    sub = subscribe(store, "slack", SLACK_CHANNEL)
    slack.faults.add("POST", POST, *case.faults)

    outcome = await service(store, publisher, sleeps).deliver(sub, scheduled_for=MONDAY_9)

    assert outcome.status == case.status, outcome
    # every fault hits a root post: the faulted ones plus the root posts Slack acted on
    roots_asked = [c for c in slack.calls_to("chat.postMessage") if not c.args.get("thread_ts")]
    assert slack.faults.unaccepted + len(roots_asked) == case.requests
    assert logged(caplog, *case.log), [r.getMessage() for r in caplog.records]
    if case.sleeps is not None:
        assert tuple(sleeps) == case.sleeps
    if case.status == d.SENT:
        [root] = slack.roots(SLACK_CHANNEL)  # exactly one digest
        replies = [m for m in slack.channels[SLACK_CHANNEL] if m.get("thread_ts") == root["ts"]]
        assert replies and len(outcome.message_ids) == 1 + len(replies)  # its whole thread
        assert stored_status(store, outcome) == "sent"
        return
    assert slack.roots(SLACK_CHANNEL) == []
    assert stored_status(store, outcome) == "failed" and "503" in outcome.reason
    later = await service(store, publisher, sleeps).deliver(sub, scheduled_for=MONDAY_9)
    assert later.status == d.SENT and len(slack.roots(SLACK_CHANNEL)) == 1  # nothing lost


# -- Discord: message create through discord.py's HTTPClient -------------------------------------


class RecordedSleep:
    """Stands in for the `asyncio` module inside discord.http: its sleeps are recorded, not slept."""

    def __init__(self, waits: list[float]) -> None:
        self.waits = waits

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, seconds: float, result: Any = None) -> Any:
        self.waits.append(float(seconds))
        await asyncio.sleep(0)
        return result


DISCORD_429 = status(
    429,
    {"message": "You are being rate limited.", "retry_after": 1.5, "global": False},
    **{
        "Retry-After": "2",
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset-After": "1.5",
        "X-RateLimit-Bucket": "a06de4c4d9b24b1c9c4a7f0f6c2b1d3e",
        "X-RateLimit-Scope": "user",
        "Via": "1.1 google",  # without it discord.py takes a 429 for a Cloudflare ban
    },
)

DISCORD_CASES = [
    Case("429 retry_after 1.5 + X-RateLimit", (DISCORD_429,), 2, log=("rate limited", "1.50")),
    Case("500", (status(500),), 2),  # discord.py retries 500/502 itself (logged at DEBUG only)
    Case("502", (status(502),), 2),
    Case("503", (status(503),), 2, log=("discord", "503"), sleeps=(2.0,)),
    Case("timeout", (HANG,), 2, log=("discord", "did not answer within 0.5 s")),
    Case("timeout after accept", (HANG_AFTER_ACCEPT,), 1, log=("discord", "did not answer")),
    Case("drop after accept", (DROP_AFTER_ACCEPT,), 1, log=("discord", "disconnected")),
    Case("reset mid-body after accept", (RESET_AFTER_ACCEPT,), 1, log=("discord", "payload")),
    Case("truncated JSON after accept", (GARBAGE_AFTER_ACCEPT,), 1, log=("discord", "unreadable")),
    Case(
        "503 every time",
        (status(503),) * ATTEMPTS,
        ATTEMPTS,
        d.FAILED,
        ("discord", "503", "after 3 attempts"),
    ),
]


@pytest.fixture
async def discord_fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FaultyDiscord]:
    async with pointed_at(FaultyDiscord(), monkeypatch) as fake:
        yield fake


@pytest.fixture
async def discord_client(
    discord_fake: FaultyDiscord, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[discord.Client, list[float]]]:
    waits: list[float] = []
    monkeypatch.setattr(discord.http, "asyncio", RecordedSleep(waits))
    client = discord.Client(intents=discord.Intents.none())
    await client.login("fake-token")  # REST only: publishing needs no gateway
    # discord.py gives its session no timeout (aiohttp's 5 minutes): DiscordPublisher bounds each
    # request itself (request_timeout, TIMEOUT here)
    yield client, waits
    await client.close()


@pytest.mark.parametrize("case", DISCORD_CASES, ids=lambda c: c.name)
async def test_discord_faults(
    case: Case,
    discord_fake: FaultyDiscord,
    discord_client: tuple[discord.Client, list[float]],
    store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    client, waits = discord_client
    channel = discord_fake.world.channel_id
    path = rf"/api/v10/channels/{channel}/messages"
    sleeps: list[float] = []
    publisher = DiscordPublisher(client, request_timeout=TIMEOUT)
    sub = subscribe(store, "discord", channel)
    discord_fake.faults.add("POST", path, *case.faults)

    outcome = await service(store, publisher, sleeps).deliver(sub, scheduled_for=MONDAY_9)

    assert outcome.status == case.status, outcome
    assert discord_fake.faults.count("POST", path) == case.requests
    if case.log:
        assert logged(caplog, *case.log), [r.getMessage() for r in caplog.records]
    if case.sleeps is not None:
        assert tuple(sleeps) == case.sleeps
    waited = [w for w in waits if w > 0]  # discord.py's own waits: retry_after, 1 s after a 5xx
    assert waited == {"429": [1.5], "500": [1.0], "502": [1.0]}.get(case.name[:3], [])
    if case.status == d.SENT:
        assert len(discord_fake.roots(channel)) == 1  # exactly one digest
        assert stored_status(store, outcome) == "sent"
        assert outcome.thread == discord_fake.roots(channel)[0]["id"]
        assert_whole_thread(discord_fake, channel)  # even when the first answer was lost
        return
    assert discord_fake.roots(channel) == []
    assert stored_status(store, outcome) == "failed" and "503" in outcome.reason
    later = await service(store, publisher, sleeps).deliver(sub, scheduled_for=MONDAY_9)
    assert later.status == d.SENT and len(discord_fake.roots(channel)) == 1  # nothing lost
    assert_whole_thread(discord_fake, channel)


def assert_whole_thread(fake: FaultyDiscord, channel: str) -> None:
    """The digest's thread holds every paper's abstract part, each once, after the intro."""
    root = fake.roots(channel)[0]
    titles = [e["title"] for e in root["embeds"]]
    thread = fake.messages.get(root["id"], [])
    assert thread and thread[0]["content"].startswith("Abstracts of the papers above")
    assert [e["title"] for m in thread for e in m.get("embeds", [])] == titles
    assert all(e.get("description") for m in thread for e in m["embeds"])  # the abstracts


async def test_a_lost_answer_to_the_thread_start_still_gets_the_abstracts_posted_once(
    discord_fake: FaultyDiscord,
    discord_client: tuple[discord.Client, list[float]],
    store: Store,
) -> None:
    client, _ = discord_client
    channel = discord_fake.world.channel_id
    publisher = DiscordPublisher(client, request_timeout=TIMEOUT)
    sub = subscribe(store, "discord", channel)
    # Discord starts the thread, the answer is lost: the retry finds the digest and the thread
    discord_fake.faults.add(
        "POST", r"/api/v10/channels/\d+/messages/\d+/threads", RESET_AFTER_ACCEPT
    )
    outcome = await service(store, publisher, []).deliver(sub, scheduled_for=MONDAY_9)
    assert outcome.status == d.SENT and len(discord_fake.roots(channel)) == 1
    assert_whole_thread(discord_fake, channel)


async def test_a_lost_answer_to_the_abstracts_posts_them_once_after_the_nonce_window(
    discord_fake: FaultyDiscord,
    discord_client: tuple[discord.Client, list[float]],
    store: Store,
) -> None:
    client, _ = discord_client
    channel = discord_fake.world.channel_id
    publisher = DiscordPublisher(client, request_timeout=TIMEOUT)
    sub = subscribe(store, "discord", channel)
    thread_posts = rf"/api/v10/channels/(?!{channel}/)\d+/messages"
    discord_fake.faults.add("POST", thread_posts, GARBAGE_AFTER_ACCEPT)  # abstracts in, answer lost
    deliveries = service(store, publisher, [])

    async def minutes_pass(seconds: float) -> None:
        discord_fake.forget_nonces()  # past Discord's nonce window: only history tells

    deliveries.sleep = minutes_pass
    outcome = await deliveries.deliver(sub, scheduled_for=MONDAY_9)
    assert outcome.status == d.SENT and outcome.attempts == 2
    assert len(discord_fake.roots(channel)) == 1
    # one message per paper, each posted once: the one whose answer was lost is known by its
    # text and not posted again
    thread = discord_fake.messages[discord_fake.roots(channel)[0]["id"]]
    assert len(thread) > 1 and discord_fake.faults.count("POST", thread_posts) == len(thread)
    assert_whole_thread(discord_fake, channel)


# -- X, Bluesky, Mastodon: the sync SDKs (run in a worker thread) against a threaded fake -------


class ThreadedFaults:
    """Faults for tests/attention_fakes.Fake's routes, served by a threaded HTTP server."""

    def __init__(self, fake: Fake, path: str) -> None:
        self.fake = fake
        self.path = path
        self.queue: list[Fault] = []
        self.hits: list[Fault] = []
        self.received = 0
        self.after = 1  # requests let through before the faults: the root goes out first
        self.release = threading.Event()
        self._lock = threading.Lock()

    def take(self, seen: Seen) -> Fault | None:
        with self._lock:
            if seen.path != self.path:
                return None
            self.received += 1
            if self.received <= self.after or not self.queue:
                return None
            fault = self.queue.pop(0)
            self.hits.append(fault)
            return fault


def _handler(faults: ThreadedFaults) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            fault = faults.take(seen)
            if fault is None:
                self._send(faults.fake.answer(seen))
                return
            if fault.accept:
                faults.fake.answer(seen)  # stored: only the answer goes wrong
            if fault.kind == "status":
                self._send(Answer(fault.status, fault.body, fault.headers))
            elif fault.kind == "garbage":
                self._send(Answer(200, TRUNCATED[1], (("Content-Type", "application/json"),)))
            else:
                if fault.kind == "hang":
                    faults.release.wait(30)
                elif fault.kind == "reset":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "4096")
                    self.end_headers()
                    self.wfile.write(TRUNCATED[1])
                    self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

        def _send(self, answer: Answer) -> None:
            self.send_response_only(answer.status)  # the Date header may come from the answer
            headers = dict(answer.headers)
            headers.setdefault("Content-Type", "application/json")
            headers.setdefault("Date", self.date_time_string())
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def faulty_server(path: str) -> Iterator[ThreadedFaults]:
    faults = ThreadedFaults(Fake(), path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(faults))
    server.daemon_threads = True
    faults.fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield faults
    finally:
        faults.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def mastodon_with_idempotency(fake: Fake, posts: Posts) -> None:
    """tests/social_fakes.mastodon_fake, plus what Mastodon does with a repeated Idempotency-Key:
    the status made the first time comes back, nothing new is posted."""
    mastodon_fake(fake, posts)
    plain = fake.routes["/api/v1/statuses"]
    assert callable(plain)
    made: dict[str, Answer] = {}
    lock = threading.Lock()

    def route(seen: Seen) -> Answer:
        key = seen.headers.get("idempotency-key")
        with lock:
            if key and key in made:
                return made[key]
            answer = plain(seen)
            if key and answer.status == 200:
                made[key] = answer
            return answer

    fake.route("/api/v1/statuses", route)


ENV = {
    "X_API_KEY": "key",
    "X_API_SECRET": "secret",
    "X_ACCESS_TOKEN": "token",
    "X_ACCESS_SECRET": "token-secret",
    "BSKY_HANDLE": "hotpapers.bsky.social",
    "BSKY_APP_PASSWORD": "xxxx-xxxx-xxxx-xxxx",
    "MASTODON_ACCESS_TOKEN": "mastodon-token",
}
SOCIAL: dict[str, tuple[str, Callable[[Fake, Posts], None]]] = {
    "x": ("/2/tweets", x_fake),
    "bluesky": ("/xrpc/com.atproto.repo.createRecord", bluesky_fake),
    "mastodon": ("/api/v1/statuses", mastodon_with_idempotency),
}
RESET_AT = str(int(MONDAY_9.timestamp()) + 45)


def social_publisher(platform: str, url: str, store: Store) -> ThreadPublisher:
    config = SocialConfig.from_mapping(platform, {"base_url": url}, "test.toml")
    secrets = config.secrets(ENV)
    ledger = StoreLedger(store, platform)
    if platform == "x":
        return x.XPublisher(
            x.make_client(config, secrets, timeout=TIMEOUT), ledger=ledger, clock=lambda: MONDAY_9
        )
    if platform == "bluesky":
        client = bluesky.make_client(config, secrets)
        client.request._client.timeout = httpx_timeout()
        return bluesky.BlueskyPublisher(client, ledger=ledger, clock=lambda: MONDAY_9)
    client = mastodon.make_client(config, secrets)
    client.request_timeout = TIMEOUT
    return mastodon.MastodonPublisher(client, ledger=ledger, clock=lambda: MONDAY_9)


def httpx_timeout() -> Any:
    import httpx

    return httpx.Timeout(TIMEOUT)


@dataclass(frozen=True)
class SocialCase:
    platform: str
    name: str
    faults: tuple[Fault, ...]
    requests: int  # create-post requests the fake received over both runs
    posts: int = 4  # posts the platform holds at the end (4 = the root and 3 replies, once)
    status: str = d.SENT  # the first run's outcome (the second always ends 'sent')
    log: tuple[str, ...] = ()  # words one log line must contain, besides "<platform>/main"
    sleeps: tuple[float, ...] | None = None


def _social_cases() -> list[SocialCase]:
    x429 = status(429, {"title": "Too Many Requests"}, **{"x-rate-limit-reset": RESET_AT})
    bsky429 = status(429, {"error": "RateLimitExceeded"}, **{"ratelimit-reset": RESET_AT})
    masto429 = status(
        429,
        {"error": "Too many requests"},
        **{
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "2021-04-05T09:00:45.000Z",
            # Mastodon.py moves the reset onto the local clock by the server's Date
            "Date": "Mon, 05 Apr 2021 09:00:00 GMT",
        },
    )
    cases = [
        SocialCase("x", "429 x-rate-limit-reset", (x429,), 5, log=("rate limit",), sleeps=(45.0,)),
        SocialCase(
            "bluesky", "429 ratelimit-reset", (bsky429,), 5, log=("rate limit",), sleeps=(45.0,)
        ),
        SocialCase(
            "mastodon", "429 X-RateLimit-Reset", (masto429,), 5, log=("rate limit",), sleeps=(45.0,)
        ),
    ]
    for platform in ("x", "bluesky", "mastodon"):
        cases += [
            SocialCase(platform, "500", (status(500),), 5, log=("500",), sleeps=(2.0,)),
            SocialCase(platform, "502", (status(502),), 5, log=("502",)),
            SocialCase(platform, "503", (status(503),), 5, log=("503",)),
            SocialCase(platform, "timeout", (HANG,), 5, log=("timeout",)),
            SocialCase(platform, "reset mid-body", (Fault("reset"),), 5),
            SocialCase(platform, "truncated JSON", (Fault("garbage"),), 5),
            # 1 root + 3 refused replies, then the later run posts the 3 replies
            SocialCase(
                platform, "503 every time", (status(503),) * ATTEMPTS, 7, 4, d.FAILED, ("503",)
            ),
        ]
    # The post landed, the answer was lost. Mastodon's Idempotency-Key makes the retry safe;
    # X and Bluesky have no such key: the retry first reads our latest posts (X: our timeline,
    # Bluesky: the parent's thread) and records the reply it finds instead of posting it again.
    for fault, what in (
        (HANG_AFTER_ACCEPT, "timeout"),
        (RESET_AFTER_ACCEPT, "reset mid-body"),
        (GARBAGE_AFTER_ACCEPT, "truncated JSON"),
    ):
        cases += [
            SocialCase("mastodon", f"{what} after accept", (fault,), 5, 4),
            SocialCase("x", f"{what} after accept", (fault,), 4, 4, log=("already posted",)),
            SocialCase("bluesky", f"{what} after accept", (fault,), 4, 4, log=("already posted",)),
        ]
    return cases


@pytest.mark.parametrize("case", _social_cases(), ids=lambda c: f"{c.platform} {c.name}")
async def test_social_faults(
    case: SocialCase, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    path, install = SOCIAL[case.platform]
    sleeps: list[float] = []
    with faulty_server(path) as faults:
        posts = Posts()
        install(faults.fake, posts)
        publisher = social_publisher(case.platform, faults.fake.url, store)
        sub = subscribe(store, case.platform, "main")
        faults.queue.extend(case.faults)  # the first reply meets them: a thread cut half-way
        outcome = await service(store, publisher, sleeps).deliver(sub, scheduled_for=MONDAY_9)
        later = await service(store, publisher, sleeps).deliver(sub, scheduled_for=MONDAY_9)

    assert outcome.status == case.status, outcome
    assert faults.received == case.requests  # bounded: the retries are counted
    assert len(posts.ids) == case.posts
    assert logged(caplog, f"{case.platform}/main", *case.log), [
        r.getMessage() for r in caplog.records
    ]
    if case.sleeps is not None:
        assert tuple(round(s) for s in sleeps) == case.sleeps
    if case.status == d.FAILED:
        assert "503" in outcome.reason
    assert later.status == (d.SENT if case.status == d.FAILED else d.ALREADY_SENT)
    record = store.deliveries.get(case.platform, "main", KEY)
    assert record is not None and record.status == "sent"  # nothing lost
    assert record.message_ids == tuple(posts.ids[:1] + posts.ids[-3:])  # one thread, continued
    assert_chained(case.platform, posts, record.message_ids)


CHECKS = {
    "x": f"/2/users/{BOT_X_ID}/tweets",
    "bluesky": "/xrpc/app.bsky.feed.getPostThread",
}


@pytest.mark.parametrize("platform", ["x", "bluesky"])
async def test_a_failing_check_after_a_lost_answer_posts_nothing_and_stays_retryable(
    platform: str, store: Store
) -> None:
    path, install = SOCIAL[platform]
    sleeps: list[float] = []
    with faulty_server(path) as faults:
        posts = Posts()
        install(faults.fake, posts)
        publisher = social_publisher(platform, faults.fake.url, store)
        sub = subscribe(store, platform, "main")
        faults.queue.append(GARBAGE_AFTER_ACCEPT)  # the first reply lands, its answer is lost
        down = status(503)
        faults.fake.inject(CHECKS[platform], *[Answer(503, down.body)] * ATTEMPTS)
        first = await service(store, publisher, sleeps).deliver(sub, scheduled_for=MONDAY_9)
        assert first.status == d.FAILED and "could not check" in first.reason
        assert faults.received == 2 and len(posts.ids) == 2  # nothing posted after the loss
        assert stored_status(store, first) != "sent"
        faults.fake.faults.clear()  # the platform answers reads again
        later = await service(store, publisher, sleeps).deliver(sub, scheduled_for=MONDAY_9)

    assert later.status == d.SENT
    assert faults.received == 4 and len(posts.ids) == 4  # the lost reply was found, not doubled
    record = store.deliveries.get(platform, "main", KEY)
    assert record is not None and record.status == "sent"
    assert record.message_ids == tuple(posts.ids)
    assert_chained(platform, posts, record.message_ids)


def assert_chained(platform: str, posts: Posts, ids: tuple[str, ...]) -> None:
    """Each recorded reply answers the recorded post before it: the thread continued."""
    by_id = dict(zip(posts.ids, posts.bodies, strict=True))
    for previous, current in itertools.pairwise(ids):
        body = by_id[current]
        if platform == "x":
            parent = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        elif platform == "bluesky":
            reply = body["record"]["reply"]
            parent = f"{reply['parent']['uri']}|{reply['parent']['cid']}"
        else:
            parent = body.get("in_reply_to_id")
        assert parent == previous


# -- websockets: the connection drops, the client reconnects and keeps answering ---------------


async def test_slack_socket_mode_reconnects_after_a_drop_and_keeps_answering(
    slack: FaultySlack, store: Store
) -> None:
    from tests.adapters.test_slack import mention as slack_mention

    engine = Engine(store, clock=lambda: MONDAY_9)
    client = make_client("xoxb-test-token", base_url=slack.api_url)
    env = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_APP_TOKEN": "xapp-test-token"}
    stop = asyncio.Event()
    runner = asyncio.create_task(
        run_slack(engine, SlackConfig(mode="socket"), env, client=client, stop=stop)
    )
    try:
        await slack.send_envelope("events_api", slack_mention("<@UBOT0001> top 2", "1617634100.1"))
        await slack.wait_for(lambda: slack.posted(SLACK_CHANNEL))
        await slack.drop_socket()  # Slack closes the websocket (as it does on a refresh)
        marker = await slack.send_envelope(
            "events_api", slack_mention("<@UBOT0001> top 2 cs.CV", "1617634200.2")
        )
        answer = await slack.wait_for(
            lambda: [m for m in slack.posted(SLACK_CHANNEL) if m.get("thread_ts") == "1617634200.2"]
        )
        await slack.wait_for(lambda: marker in slack.acks)
    finally:
        stop.set()
        await runner
    assert slack.sockets == 2  # reconnected once
    assert len(slack.calls_to("apps.connections.open")) >= 2  # a fresh URL for the reconnect
    assert len(answer) == 1  # answered once after the reconnect


async def test_discord_gateway_drop_is_resumed_and_commands_still_answered(
    discord_fake: FaultyDiscord, store: Store
) -> None:
    from adapters.discord.bot import DiscordBot
    from adapters.discord.config import DiscordConfig
    from tests.adapters.test_discord import mention as discord_mention
    from tests.adapters.test_discord import replies_to

    engine = Engine(store, clock=lambda: MONDAY_9)
    bot = DiscordBot(engine, DiscordConfig(), guild_ready_timeout=0.1)
    task = asyncio.create_task(bot.client.start("fake-token"))
    try:
        await asyncio.wait_for(bot.client.wait_until_ready(), 15)
        resumed = asyncio.get_running_loop().create_future()

        async def on_resumed() -> None:
            if not resumed.done():
                resumed.set_result(None)

        bot.client.event(on_resumed)
        await discord_fake.drop(4000)  # "unknown error": discord.py reconnects and resumes
        await asyncio.wait_for(resumed, 15)
        asked = await discord_mention(discord_fake, f"<@{discord_fake.world.bot_id}> top 2")
        answers = replies_to(discord_fake, asked["id"])
        root = discord_fake.messages[discord_fake.world.channel_id][-1]["id"]
        await discord_fake.wait_for(lambda: discord_fake.posts(root))  # its thread, before closing
    finally:
        await bot.client.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)
    assert (discord_fake.identifies, discord_fake.resumes) == (1, 1)
    assert len(answers) == 1 and answers[0]["embeds"]  # answered once, after the reconnect
