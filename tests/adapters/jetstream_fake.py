"""A fake Jetstream v1 `/subscribe` on 127.0.0.1 (OS-chosen port) serving recorded events, and
the event stream the listener tests use: the 162 recorded events with a few derived from them
(one recorded post made to link arXiv, recorded likes, reposts and a reply pointed at it)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve

FIXTURES = Path(__file__).parents[1] / "data" / "fixtures" / "bluesky"
PAPER = "2104.00743"
ARXIV_URL = f"https://arxiv.org/abs/{PAPER}"


def recorded() -> list[dict[str, Any]]:
    """The golden events, then the 152 consecutive production events, as recorded."""
    lines = (FIXTURES / "golden_v1.jsonl").read_text(encoding="utf-8").splitlines()
    lines += (FIXTURES / "expected_v1.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def uri(event: dict[str, Any]) -> str:
    c = event["commit"]
    return f"at://{event['did']}/{c['collection']}/{c['rkey']}"


def of(events: list[dict[str, Any]], collection: str, operation: str = "create") -> list[int]:
    return [
        i
        for i, e in enumerate(events)
        if e.get("kind") == "commit"
        and e["commit"]["collection"] == collection
        and e["commit"]["operation"] == operation
    ]


@dataclass
class Stream:
    events: list[dict[str, Any]]
    post: str  # the post made to link arXiv
    reply: str  # a recorded reply pointed at it
    likes: list[str]  # likes pointed at it (the last one is then deleted)
    reposts: list[str]


def arxiv_stream() -> Stream:
    """The recorded events; the first recorded post with a link facet links arXiv instead
    (its facet and external embed), 5 likes, 2 reposts and 1 reply later in the stream point
    at it, and the last of those likes is deleted at the end (an unlike)."""
    events = copy.deepcopy(recorded())
    posts = of(events, "app.bsky.feed.post")
    at = next(i for i in posts if "facets" in events[i]["commit"]["record"])
    record = events[at]["commit"]["record"]
    text = record["text"]
    record["facets"][0]["features"][0]["uri"] = ARXIV_URL
    record["facets"][0]["index"] = {"byteStart": 0, "byteEnd": len(text.encode("utf-8"))}
    if "external" in record.get("embed", {}):
        record["embed"]["external"]["uri"] = ARXIV_URL
    target = uri(events[at])
    likes = [i for i in of(events, "app.bsky.feed.like") if i > at][:5]
    reposts = [i for i in of(events, "app.bsky.feed.repost") if i > at][:2]
    for i in likes + reposts:
        events[i]["commit"]["record"]["subject"]["uri"] = target
    reply = next(i for i in posts if i > at and "reply" in events[i]["commit"]["record"])
    events[reply]["commit"]["record"]["reply"]["parent"]["uri"] = target
    unlike = copy.deepcopy(events[likes[-1]])
    unlike["time_us"] = max(e["time_us"] for e in events) + 1
    unlike["commit"] = {
        "rev": "3zzzzzzzzzzzz",
        "operation": "delete",
        "collection": "app.bsky.feed.like",
        "rkey": unlike["commit"]["rkey"],
    }
    events.append(unlike)
    return Stream(
        events,
        post=target,
        reply=uri(events[reply]),
        likes=[uri(events[i]) for i in likes],
        reposts=[uri(events[i]) for i in reposts],
    )


def frame_time(frame: str) -> int:
    try:
        value = json.loads(frame).get("time_us")
    except (ValueError, AttributeError):
        return 0
    return value if isinstance(value, int) else 0


@dataclass
class FakeJetstream:
    """Serves `frames` from the requested cursor (v1: events at or after it). `script` says,
    per connection, after how many frames it drops the socket ("drop") or goes silent
    ("stall"); connections past the script are served whole and then stay open, idle."""

    frames: list[str]
    script: list[tuple[str, int]] = field(default_factory=list)
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    sent: int = 0
    port: int = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def handler(self, socket: ServerConnection) -> None:
        assert socket.request is not None
        query = parse_qs(urlsplit(socket.request.path).query)
        number = len(self.requests)
        self.requests.append(query)
        cursor = int(query["cursor"][0]) if "cursor" in query else 0
        frames = [f for f in self.frames if frame_time(f) >= cursor or frame_time(f) == 0]
        action, limit = self.script[number] if number < len(self.script) else ("", len(frames))
        for frame in frames[:limit]:
            await socket.send(frame)
            self.sent += 1
        if action == "drop":
            socket.transport.abort()
            return
        await socket.wait_closed()  # idle (or stalled) until the client or the server goes

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[FakeJetstream]:
        async with serve(self.handler, "127.0.0.1", 0, max_size=None) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            yield self


async def until(condition: Callable[[], bool], limit: float = 30.0) -> None:
    """Wait for a condition (the limit only stops a broken test from hanging)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("the listener never got there")
        await asyncio.sleep(0.01)
