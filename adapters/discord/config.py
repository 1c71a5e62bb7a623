"""The `[adapters.discord]` table, checked at start; errors name the table and the key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.slack.config import checked_url
from bot.domain.errors import ConfigError

SECTION = "[adapters.discord]"
DEFAULT_API_URL = "https://discord.com/api/v10"  # discord.http.Route.BASE
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"  # DiscordWebSocket.DEFAULT_GATEWAY
KEYS = {
    "api_url",
    "gateway_url",
    "token_env",
    "message_content",
    "manager_role",
    "sync",
    "sharded",
    "request_timeout_seconds",
}


@dataclass(frozen=True)
class DiscordConfig:
    token_env: str = "DISCORD_BOT_TOKEN"  # the NAME of the environment variable holding the token
    message_content: bool = False  # privileged intent: answer pasted links and bare `3` in threads
    manager_role: str | None = None  # a role name or id whose members may manage subscriptions
    sync: str = "global"  # "global", or a guild id: slash commands registered in that guild only
    sharded: bool = False  # AutoShardedClient, for bots in thousands of servers
    request_timeout_seconds: float = 30.0  # each REST request when posting a digest
    api_url: str | None = None  # None: DEFAULT_API_URL (REST and interaction callbacks)
    gateway_url: str | None = None  # None: DEFAULT_GATEWAY_URL (one shard; sharded asks REST)

    @property
    def sync_guild(self) -> int | None:
        return None if self.sync == "global" else int(self.sync)

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any], where: str = "config") -> DiscordConfig:
        for key in d:
            if key not in KEYS:
                raise ConfigError(
                    f"{where}: {SECTION} unknown key {key!r}; known: {', '.join(sorted(KEYS))}"
                )
        token_env = d.get("token_env", cls.token_env)
        if not isinstance(token_env, str) or not token_env.strip():
            raise ConfigError(
                f"{where}: {SECTION} token_env: expected the name of an environment variable"
            )
        flags = {}
        for key in ("message_content", "sharded"):
            value = d.get(key, False)
            if not isinstance(value, bool):
                raise ConfigError(
                    f"{where}: {SECTION} {key}: expected true or false, got {value!r}"
                )
            flags[key] = value
        role = d.get("manager_role")
        if role is not None:
            if isinstance(role, int) and not isinstance(role, bool):
                role = str(role)
            if not isinstance(role, str) or not role.strip():
                raise ConfigError(f"{where}: {SECTION} manager_role: expected a role name or id")
            role = role.strip()
        sync = d.get("sync", "global")
        if isinstance(sync, int) and not isinstance(sync, bool):
            sync = str(sync)
        if not isinstance(sync, str) or not (sync == "global" or sync.isdigit()):
            raise ConfigError(
                f'{where}: {SECTION} sync: expected "global" or a test guild id, got {sync!r}'
            )
        timeout = d.get("request_timeout_seconds", cls.request_timeout_seconds)
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not 0 < timeout <= 600
        ):
            raise ConfigError(
                f"{where}: {SECTION} request_timeout_seconds: expected seconds between 0 and 600,"
                f" got {timeout!r}"
            )
        urls: dict[str, str | None] = {}
        for key, example, schemes in (
            ("api_url", DEFAULT_API_URL, ("http", "https")),
            ("gateway_url", DEFAULT_GATEWAY_URL, ("ws", "wss")),
        ):
            value = d.get(key)
            if value is not None:
                value = checked_url(
                    value, key, f"{where}: {SECTION}", example=example, schemes=schemes
                )
                value = value.rstrip("/") if key == "api_url" else value
            urls[key] = value
        return cls(
            api_url=urls["api_url"],
            gateway_url=urls["gateway_url"],
            token_env=token_env.strip(),
            message_content=flags["message_content"],
            manager_role=role,
            sync=sync,
            sharded=flags["sharded"],
            request_timeout_seconds=float(timeout),
        )
