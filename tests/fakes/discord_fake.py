"""A fake Discord (gateway websocket + REST API v10) on 127.0.0.1 that records every REST call.

Built from the project notes on loopback fakes: discord.py talks to it after two class attributes are
pointed here (`Route.BASE`, `DiscordWebSocket.DEFAULT_GATEWAY`). It answers like Discord where the
tests need it: messages (with `enforce_nonce` dedup, and no nonce in history), threads started on
messages (second one -> 400 code 160004), stalled requests, interaction callbacks and follow-ups, command sync,
channel lookups (unknown -> 404 code 10003, forbidden -> 403 code 50001), and 429s on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

from tests.conftest import FIXTURES as DATA_FIXTURES

FIXTURES = DATA_FIXTURES / "discord"

JSON = dict[str, Any]


def load_fixture(name: str) -> JSON:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Call:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any


@dataclass
class World:
    """The ids the fake and the tests share (taken from the fixtures where they have them)."""

    bot_id: str
    bot_name: str
    app_id: str
    guild_id: str
    channel_id: str
    session_id: str
    moderator_role: str = "700000000000000001"
    curator_role: str = "700000000000000002"
    bot_role: str = "700000000000000003"
    everyone_permissions: str = "68608"  # view channel, send messages, read history
    extra_channels: dict[str, JSON] = field(default_factory=dict)


def world_from_fixtures() -> World:
    ready = load_fixture("ready_1.json")
    slash = load_fixture("interaction_slash_command.docs-example.json")
    menu = load_fixture("interaction_message_command.docs-example.json")
    return World(
        bot_id=ready["user"]["id"],
        bot_name=ready["user"]["username"],
        app_id=menu["application_id"],
        guild_id=slash["guild_id"],
        channel_id=slash["channel_id"],
        session_id=ready["session_id"],
    )


class FakeDiscord:
    def __init__(self, world: World | None = None) -> None:
        self.world = world or world_from_fixtures()
        self.calls: list[Call] = []
        self.gateway_frames: list[JSON] = []  # what the client sent on the gateway
        self.channels: dict[str, JSON] = {}
        self.messages: dict[str, list[JSON]] = {}  # channel id -> messages, oldest first
        self.nonces: dict[tuple[str, str], JSON] = {}  # (channel, nonce) -> message
        self.forbidden: set[str] = set()
        self.interaction_messages: dict[str, JSON] = {}  # token -> original response message
        self.interaction_channels: dict[str, str] = {}  # token -> channel id
        self.interaction_users: dict[str, JSON] = {}  # token -> the user who ran the command
        self.commands: dict[str, list[JSON]] = {}
        self.identifies = 0
        self.resumes = 0
        self._ids = itertools.count(1_100_000_000_000_000_000)
        self._failures: list[tuple[str, re.Pattern[str], int, JSON]] = []
        self._stalls: list[tuple[str, re.Pattern[str]]] = []
        self._released = asyncio.Event()  # stalled requests get a 504 once set (at stop)
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.add_channel(self.world.channel_id, "daily-papers")

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._released.set()
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def rest_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- what tests use -----------------------------------------------------------------------

    def fail_next(self, method: str, path: str, status: int, body: JSON) -> None:
        """The next call matching (method, path regex) gets this error instead of an answer."""
        self._failures.append((method, re.compile(path), status, body))

    def stall_next(self, method: str, path: str) -> None:
        """The next call matching (method, path regex) gets no answer (until the fake stops)."""
        self._stalls.append((method, re.compile(path)))

    def forget_nonces(self) -> None:
        """Discord only dedups nonces for a few minutes: pretend they have passed."""
        self.nonces.clear()

    def posts(self, channel: str | None = None) -> list[Call]:
        """Messages the bot created: channel posts, interaction callbacks and follow-ups."""
        found = []
        for call in self.calls:
            if call.method != "POST":
                continue
            m = re.fullmatch(r"/channels/(\d+)/messages", call.path)
            if (m and (channel is None or m.group(1) == channel)) or (
                channel is None
                and (call.path.endswith("/callback") or call.path.startswith("/webhooks/"))
            ):
                found.append(call)
        return found

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
        """Until predicate() is truthy (the timeout only guards against a hang)."""

        async def wait() -> Any:
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(wait(), timeout)

    async def dispatch(self, event: str, data: JSON) -> None:
        """Send a gateway DISPATCH (op 0) event to the connected client."""
        assert self._ws is not None, "no client connected"
        self._seq += 1
        await self._ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    async def drop(self, code: int = 4000) -> None:
        """Close the gateway connection as Discord does on an error; the client resumes."""
        assert self._ws is not None
        await self._ws.close(code=code, message=b"dropped by the test")

    def new_id(self) -> str:
        return str(next(self._ids))

    # -- payloads -----------------------------------------------------------------------------

    def bot_user(self) -> JSON:
        ready = load_fixture("ready_1.json")
        user = dict(ready["user"])
        user.update({"discriminator": "0", "global_name": None, "flags": 0, "public_flags": 0})
        return user

    def ready_payload(self) -> JSON:
        """ready_1.json (API v6) brought to v10: application, resume URL, guilds we serve."""
        ready = load_fixture("ready_1.json")
        ready.update(
            {
                "v": 10,
                "user": self.bot_user(),
                "application": {"id": self.world.app_id, "flags": 0},
                "resume_gateway_url": self.gateway_url,
                "guilds": [{"id": self.world.guild_id, "unavailable": True}],
                "session_type": "normal",
                "shard": [0, 1],
            }
        )
        for stale in ("user_settings", "relationships", "private_channels", "presences"):
            ready.pop(stale, None)
        return ready

    def guild_payload(self) -> JSON:
        w = self.world
        return {
            "id": w.guild_id,
            "name": "ML readers",
            "icon": None,
            "owner_id": "111111111111111111",
            "unavailable": False,
            "large": False,
            "member_count": 3,
            "features": [],
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
            "premium_tier": 0,
            "system_channel_id": w.channel_id,
            "joined_at": "2021-04-01T00:00:00+00:00",
            "roles": [
                _role(w.guild_id, "@everyone", w.everyone_permissions, 0),
                _role(w.moderator_role, "Moderators", "16", 1),
                _role(w.curator_role, "Paper Curators", "0", 2),
                {
                    **_role(w.bot_role, w.bot_name, "309237730304", 3),
                    "managed": True,
                    "tags": {"bot_id": w.bot_id},
                },
            ],
            "channels": [self.channels[w.channel_id]],
            "threads": [],
            "members": [
                {
                    "user": self.bot_user(),
                    "roles": [w.bot_role],
                    "joined_at": "2021-04-01T00:00:00+00:00",
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                }
            ],
        }

    def interaction(
        self,
        name: str,
        options: list[JSON] | None = None,
        *,
        permissions: str | None = None,
        roles: list[str] | None = None,
        channel: JSON | None = None,
        kind: int = 2,
    ) -> JSON:
        """interaction_slash_command.docs-example.json with its shape brought to API v10."""
        data = load_fixture("interaction_slash_command.docs-example.json")
        data["id"] = self.new_id()
        data["token"] = f"{data['token']}_{data['id']}"
        data["application_id"] = self.world.app_id
        data["type"] = kind
        data["version"] = 1
        data["attachment_size_limit"] = 26214400
        data["entitlements"] = []
        data["authorizing_integration_owners"] = {"0": self.world.guild_id}
        data["context"] = 0
        data["channel"] = copy.deepcopy(channel or self.channels[self.world.channel_id])
        data["channel_id"] = data["channel"]["id"]
        data["data"] = {
            "id": f"9{abs(hash(name)) % 10**17:017d}",
            "name": name,
            "type": 1,
            "options": options or [],
        }
        member = data["member"]
        member["user"]["discriminator"] = "0"
        member["user"]["global_name"] = member["user"]["username"]
        member["flags"] = 0
        if permissions is not None:
            member["permissions"] = permissions
        if roles is not None:
            member["roles"] = roles
        return data

    def user_message(
        self,
        content: str,
        *,
        channel: str | None = None,
        mention_bot: bool = True,
        roles: list[str] | None = None,
    ) -> JSON:
        """message.docs-example.json as a v10 guild MESSAGE_CREATE (guild_id, member, mentions)."""
        data = load_fixture("message.docs-example.json")
        data["id"] = self.new_id()
        data["channel_id"] = channel or self.world.channel_id
        data["guild_id"] = self.world.guild_id
        data["content"] = content
        data["author"]["discriminator"] = "0"
        data["author"]["global_name"] = data["author"]["username"]
        data["mentions"] = [self.bot_user()] if mention_bot else []
        data["member"] = {
            "roles": roles or [],
            "joined_at": "2017-07-11T17:27:07.299000+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        }
        data["flags"] = 0
        data["components"] = []
        data.pop("reactions", None)
        return data

    def dm_message(self, content: str) -> JSON:
        """message_create_1.json (a 2017 DM) in v10 shape: no guild_id, so a DM channel."""
        data = load_fixture("message_create_1.json")
        data["id"] = self.new_id()
        data["content"] = content
        data["author"]["discriminator"] = "0"
        data["author"]["global_name"] = data["author"]["username"]
        data["flags"] = 0
        data["components"] = []
        return data

    # -- the gateway ----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        hello = load_fixture("gateway_hello.docs-example.json")
        hello["d"]["heartbeat_interval"] = 41250
        await ws.send_str(json.dumps(hello))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            self.gateway_frames.append(frame)
            op = frame.get("op")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                self.identifies += 1
                self._seq = 0
                await self.dispatch("READY", self.ready_payload())
                await self.dispatch("GUILD_CREATE", self.guild_payload())
            elif op == 6:
                self.resumes += 1
                await self.dispatch("RESUMED", {})
            await self._notify()
        return ws

    # -- REST -----------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json" and raw:
                body = json.loads(raw)
            elif raw:
                body = {"raw": raw.decode("utf-8", "replace")}
        self.calls.append(Call(request.method, path, dict(request.query), body))
        try:
            for i, (method, pattern) in enumerate(self._stalls):
                if method == request.method and pattern.fullmatch(path):
                    del self._stalls[i]
                    await self._released.wait()
                    return _json({"message": "fake: stalled", "code": 0}, 504)
            for i, (method, pattern, status, error) in enumerate(self._failures):
                if method == request.method and pattern.fullmatch(path):
                    del self._failures[i]
                    headers = {}
                    if status == 429:
                        headers["Retry-After"] = str(error.get("retry_after", 0))
                        headers["X-RateLimit-Scope"] = "user"
                        # discord.py takes a 429 without `Via` for a Cloudflare ban and gives up
                        headers["Via"] = "1.1 google"
                    return _json(error, status, headers)
            return await self._answer(request.method, path, body)
        finally:
            await self._notify()

    async def _answer(self, method: str, path: str, body: Any) -> web.Response:
        w = self.world
        if (method, path) == ("GET", "/users/@me"):
            return _json(self.bot_user())
        if (method, path) == ("GET", "/oauth2/applications/@me"):
            return _json(
                {
                    "id": w.app_id,
                    "name": "hotpapers",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": self.bot_user(),
                    "verify_key": "0" * 64,
                    "flags": 0,
                }
            )
        if (method, path) == ("GET", "/gateway/bot"):
            data = load_fixture("get_gateway_bot.docs-example.json")
            data["url"] = self.gateway_url
            data["shards"] = 1
            return _json(data)
        m = re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", path)
        if m and method == "PUT":
            scope = m.group(2) or "global"
            self.commands[scope] = [
                {
                    **c,
                    "id": self.new_id(),
                    "application_id": w.app_id,
                    "version": "1",
                    "guild_id": m.group(2),
                    "default_member_permissions": c.get("default_member_permissions"),
                    "dm_permission": c.get("dm_permission", True),
                    "nsfw": c.get("nsfw", False),
                    "description": c.get("description", ""),
                }
                for c in body
            ]
            return _json(self.commands[scope])
        m = re.fullmatch(r"/channels/(\d+)", path)
        if m and method == "GET":
            return self._channel_or_error(m.group(1)) or _json(self.channels[m.group(1)])
        m = re.fullmatch(r"/channels/(\d+)/messages", path)
        if m:
            channel = m.group(1)
            error = self._channel_or_error(channel)
            if error is not None:
                return error
            if method == "POST":
                return _json(await self._create_message(channel, body))
            if method == "GET":
                newest_first = list(reversed(self.messages.get(channel, [])))
                limit = int(self.calls[-1].query.get("limit", "50"))
                before = self.calls[-1].query.get("before")
                if before:
                    newest_first = [x for x in newest_first if int(x["id"]) < int(before)]
                # Discord does not return nonces in history
                return _json(
                    [{k: v for k, v in x.items() if k != "nonce"} for x in newest_first][:limit]
                )
        m = re.fullmatch(r"/channels/(\d+)/messages/(\d+)/threads", path)
        if m and method == "POST":
            return await self._start_thread(m.group(1), m.group(2), body)
        m = re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path)
        if m and method == "POST":
            return await self._callback(m.group(1), m.group(2), body)
        m = re.fullmatch(r"/webhooks/(\d+)/([^/]+)", path)
        if m and method == "POST":
            original = self.interaction_messages.get(m.group(2))
            channel = original["channel_id"] if original else w.channel_id
            message = await self._create_message(channel, body, webhook=True)
            return _json(message)
        m = re.fullmatch(r"/webhooks/(\d+)/([^/]+)/messages/@original", path)
        if m and method == "PATCH":  # the answer to a deferred ("thinking…") interaction
            found = self.interaction_messages.get(m.group(2))
            if not found:
                return _json({"message": "Unknown Message", "code": 10008}, 404)
            for key in ("content", "embeds", "allowed_mentions"):
                if key in body:
                    found[key] = body[key]
            return _json(found)
        if m and method == "GET":
            found = self.interaction_messages.get(m.group(2))
            return (
                _json(found) if found else _json({"message": "Unknown Message", "code": 10008}, 404)
            )
        return _json({"message": f"fake: no route {method} {path}", "code": 0}, 404)

    def _channel_or_error(self, channel: str) -> web.Response | None:
        if channel in self.forbidden:
            return _json({"message": "Missing Access", "code": 50001}, 403)
        if channel not in self.channels:
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        return None

    async def _create_message(self, channel: str, body: JSON, *, webhook: bool = False) -> JSON:
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce") and (channel, nonce) in self.nonces:
            return self.nonces[(channel, nonce)]  # Discord returns the message already created
        message = self._message(channel, body)
        if webhook:
            message["webhook_id"] = self.world.app_id
        self.messages.setdefault(channel, []).append(message)
        if nonce is not None and body.get("enforce_nonce"):
            self.nonces[(channel, nonce)] = message
        if self._ws is not None and not self._ws.closed:
            event = dict(message)
            if self.channels[channel].get("type") != 1:
                event["guild_id"] = self.world.guild_id
            await self.dispatch("MESSAGE_CREATE", event)
        return message

    def _message(self, channel: str, body: JSON) -> JSON:
        message: JSON = {
            "id": self.new_id(),
            "channel_id": channel,
            "author": {**self.bot_user(), "bot": True},
            "content": body.get("content") or "",
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags") or 0,
            "components": [],
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if body.get("message_reference"):
            message["type"] = 19
            message["message_reference"] = body["message_reference"]
        return message

    async def _start_thread(self, channel: str, message_id: str, body: JSON) -> web.Response:
        error = self._channel_or_error(channel)
        if error is not None:
            return error
        if message_id in self.channels:
            return _json(
                {"message": "A thread has already been created for this message", "code": 160004},
                400,
            )
        thread = self.add_channel(message_id, body["name"], parent=channel)
        for message in self.messages.get(channel, []):
            if message["id"] == message_id:
                message["thread"] = thread
        if self._ws is not None and not self._ws.closed:
            await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return _json(thread)

    async def _callback(self, interaction_id: str, token: str, body: JSON) -> web.Response:
        interaction = {"id": interaction_id, "type": 2}
        if body.get("type") in (4, 5):
            data = body.get("data") or {}
            channel = self.interaction_channels.get(token, self.world.channel_id)
            message = self._message(channel, data)
            message["interaction_metadata"] = {
                "id": interaction_id,
                "type": 2,
                "user": self.interaction_users.get(token, self.bot_user()),
                "authorizing_integration_owners": {"0": self.world.guild_id},
            }
            message["webhook_id"] = self.world.app_id
            message["application_id"] = self.world.app_id
            self.messages.setdefault(channel, []).append(message)
            self.interaction_messages[token] = message
            interaction["response_message_id"] = message["id"]
            interaction["response_message_ephemeral"] = bool(data.get("flags", 0) & 64)
            return _json({"interaction": interaction, "resource": {"type": 4, "message": message}})
        return _json({"interaction": interaction})

    async def send_interaction(self, data: JSON) -> None:
        """INTERACTION_CREATE; the answer lands in the interaction's channel."""
        self.interaction_channels[data["token"]] = data["channel"]["id"]
        self.interaction_users[data["token"]] = data["member"]["user"]
        await self.dispatch("INTERACTION_CREATE", data)

    def add_channel(
        self, channel_id: str, name: str, parent: str | None = None, *, dm: bool = False
    ) -> JSON:
        """A text channel, a public thread (with `parent`) or a DM channel the bot can post to."""
        w = self.world
        if dm:
            self.channels[channel_id] = {"id": channel_id, "type": 1, "recipients": []}
            return self.channels[channel_id]
        channel: JSON = {
            "id": channel_id,
            "type": 0 if parent is None else 11,
            "guild_id": w.guild_id,
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "parent_id": parent,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "topic": None,
            "last_message_id": None,
            "flags": 0,
        }
        if parent is not None:
            channel.update(
                {
                    "owner_id": w.bot_id,
                    "message_count": 0,
                    "member_count": 1,
                    "thread_metadata": {
                        "archived": False,
                        "auto_archive_duration": 1440,
                        "archive_timestamp": datetime.now(UTC).isoformat(),
                        "locked": False,
                    },
                }
            )
            del channel["permission_overwrites"]
        self.channels[channel_id] = channel
        return channel

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def _role(role_id: str, name: str, permissions: str, position: int) -> JSON:
    return {
        "id": role_id,
        "name": name,
        "permissions": permissions,
        "position": position,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # exactly application/json: with "; charset=utf-8" discord.py reads the body as text
    return web.Response(
        body=json.dumps(data).encode("utf-8"),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


F = TypeVar("F", bound=FakeDiscord)


@contextlib.asynccontextmanager
async def pointed_at(server: F, monkeypatch: Any) -> AsyncIterator[F]:
    """`server` started, with discord.py's REST base and gateway pointed at it; stopped after."""
    import discord
    import yarl

    await server.start()
    monkeypatch.setattr(discord.http.Route, "BASE", server.rest_base)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url)
    )
    try:
        yield server
    finally:
        await server.stop()
