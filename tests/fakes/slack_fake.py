"""A fake Slack on 127.0.0.1 (Web API, response_url and the Socket Mode websocket) that records calls."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")

BOT_USER = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM = "T0HOTPAPR"
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150


@dataclass
class Call:
    method: str  # Web API method, or "response_url"
    args: dict[str, Any]
    token: str | None
    status: int = 200
    answer: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.answer.get("ok"))


class FakeSlack:
    """Answers like Slack for the methods the adapter uses; every call is kept in `calls`.

    Scenarios: `rate_limit_once(method, retry_after)` answers the next call of `method` with
    429 + Retry-After (nothing is done); `fail(method, error)` answers `{"ok": false}` with that
    error (optionally only for one channel). Messages land in `channels` (top-level and thread
    replies), so conversations.history answers with what was really posted, metadata included.
    """

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.channels: dict[str, list[dict[str, Any]]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.acks: dict[str, dict[str, Any]] = {}
        self.rate_limits: dict[str, list[int]] = {}
        self.failures: dict[tuple[str, str | None], str] = {}
        self.port = 0
        self._ts = itertools.count(1)
        self._envelopes = itertools.count(1)
        self._changed = asyncio.Condition()
        self._ws: web.WebSocketResponse | None = None
        self._ws_ready = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.delays: dict[str, float] = {}  # method -> seconds each call waits, one at a time
        self._slow = asyncio.Lock()
        self.in_flight = 0  # Web API requests received and not yet answered

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeSlack:
        """Listen on 127.0.0.1:`port` (0: the OS chooses; a fixed one: a fake that comes up late)."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{hook}", self._respond)
        app.router.add_get("/link/", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, hook: str = "hook1") -> str:
        return f"http://127.0.0.1:{self.port}/respond/{hook}"

    # -- scenarios and queries -----------------------------------------------------------------

    def rate_limit_once(self, method: str, retry_after: int, *, after: int = 0) -> None:
        """The call of `method` after the next `after` ones gets 429 + Retry-After, once."""
        self.rate_limits[method] = [0] * after + [retry_after]

    def fail(self, method: str, error: str, channel: str | None = None) -> None:
        self.failures[(method, channel)] = error

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (ok is None or c.ok == ok)]

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages really stored (accepted chat.postMessage calls)."""
        found = []
        for name, messages in self.channels.items():
            if channel is None or name == channel:
                found.extend(messages)
        return found

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """Wait until `predicate()` is truthy (re-checked on every call the fake receives)."""

        async def until() -> T:
            async with self._changed:
                while True:
                    value = predicate()
                    if value:
                        return value
                    await self._changed.wait()

        return await asyncio.wait_for(until(), timeout)

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()

    # -- Socket Mode -----------------------------------------------------------------------------

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Push an envelope ("events_api", "slash_commands", "interactive") to the connected app."""
        await asyncio.wait_for(self._ws_ready.wait(), 10)
        assert self._ws is not None
        envelope_id = f"env-{next(self._envelopes)}"
        await self._ws.send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "accepts_response_payload": kind != "events_api",
                "payload": payload,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return envelope_id

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {}})
        self._ws_ready.set()
        async for message in ws:
            if message.type.name != "TEXT":
                continue
            data = json.loads(message.data)
            if "envelope_id" in data:
                self.acks[str(data["envelope_id"])] = data
                await self._record(Call("socket_ack", data, None))
        return ws

    # -- Web API -----------------------------------------------------------------------------------

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._record(Call("response_url", body, None, answer={"ok": True}))
        return web.json_response({"ok": True})

    async def _api(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        try:
            return await self._serve_api(request)
        finally:
            self.in_flight -= 1

    async def _serve_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") or None
        delay = self.delays.get(method)
        if delay:
            async with self._slow:  # a slow Slack: calls of this method are served one by one
                await asyncio.sleep(delay)
        pending = self.rate_limits.get(method)
        wait = pending.pop(0) if pending else 0
        if wait:
            answer = {"ok": False, "error": "ratelimited"}
            await self._record(Call(method, args, token, 429, answer))
            return web.json_response(answer, status=429, headers={"Retry-After": str(wait)})
        channel = str(args.get("channel") or "") or None
        error = self.failures.get((method, channel)) or self.failures.get((method, None))
        if error:
            answer = {"ok": False, "error": error}
        else:
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            answer = handler(args) if handler else {"ok": True}
        await self._record(Call(method, args, token, 200, answer))
        return web.json_response(answer)

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{1617613200 + n}.{n:06d}"

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://hotpapers-test.slack.com/",
            "team": "Hot Papers Test",
            "user": "hotpapers",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket=x"}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user") or "")
        profile = {"id": user, "is_admin": False, "is_owner": False, "tz": "UTC"}
        profile.update(self.users.get(user, {}))
        return {"ok": True, "user": profile}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        problem = _check_blocks(args.get("blocks"))
        if problem or not (args.get("text") or args.get("blocks")):
            return {"ok": False, "error": "invalid_blocks" if problem else "no_text"}
        channel = str(args["channel"])
        ts = self._next_ts()
        message = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": BOT_ID,
            "text": args.get("text", ""),
            "blocks": args.get("blocks") or [],
            "ts": ts,
        }
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        if args.get("metadata"):
            message["metadata"] = args["metadata"]
        self.channels.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_unfurl(self, args: dict[str, Any]) -> dict[str, Any]:
        unfurls = args.get("unfurls")
        if isinstance(unfurls, str):
            unfurls = json.loads(unfurls)
        if not isinstance(unfurls, dict) or not unfurls:
            return {"ok": False, "error": "invalid_unfurls_format"}
        for unfurl in unfurls.values():
            if _check_blocks(unfurl.get("blocks")):
                return {"ok": False, "error": "invalid_blocks"}
        return {"ok": True}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if channel not in self.channels:
            return {"ok": True, "messages": [], "has_more": False}
        with_metadata = str(args.get("include_all_metadata", "")).lower() in {"1", "true"}
        limit = int(args.get("limit") or 100)
        top = [m for m in self.channels[channel] if m.get("thread_ts", m["ts"]) == m["ts"]]
        messages = []
        for message in reversed(top[-limit:]):
            shown = dict(message)
            if not with_metadata:
                shown.pop("metadata", None)
            messages.append(shown)
        return {"ok": True, "messages": messages, "has_more": False}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """The thread: its root first, then the replies, oldest first (as Slack answers)."""
        channel = str(args.get("channel") or "")
        ts = str(args.get("ts") or "")
        found = [
            dict(m)
            for m in self.channels.get(channel, [])
            if m["ts"] == ts or m.get("thread_ts") == ts
        ]
        if not found:
            return {"ok": False, "error": "thread_not_found"}
        if str(args.get("include_all_metadata", "")).lower() not in {"1", "true"}:
            for message in found:
                message.pop("metadata", None)
        limit = int(args.get("limit") or 1000)
        return {"ok": True, "messages": found[:limit], "has_more": False}


def _check_blocks(blocks: Any) -> str | None:
    """Slack's own limits: what it would refuse with invalid_blocks."""
    if blocks is None:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return "too many blocks"
    for block in blocks:
        kind = block.get("type")
        text = (block.get("text") or {}).get("text", "")
        if kind == "header" and not 1 <= len(text) <= MAX_HEADER:
            return "header length"
        if kind == "section" and not 1 <= len(text) <= MAX_SECTION:
            return "section length"
        if kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10 or any(
                len(e.get("text", "")) > MAX_SECTION for e in elements
            ):
                return "context"
        if kind == "actions" and not 1 <= len(block.get("elements") or []) <= 25:
            return "actions"
    return None
