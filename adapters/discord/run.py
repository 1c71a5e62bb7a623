"""Runs the Discord adapter until stopped: `await run_discord(engine, config, os.environ)`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import discord
import yarl

from adapters.discord.bot import DiscordBot
from adapters.discord.config import DEFAULT_API_URL, DiscordConfig
from adapters.slack.config import https_proxy
from bot.domain.errors import ConfigError
from bot.ports import Publisher
from bot.services.engine import Engine

log = logging.getLogger(__name__)


def discord_config(config: Any) -> DiscordConfig:
    """A DiscordConfig from itself, the app's Config, or the raw `[adapters.discord]` table."""
    if isinstance(config, DiscordConfig):
        return config
    adapters = getattr(config, "adapters", None)
    if isinstance(adapters, Mapping):
        where = str(getattr(config, "path", None) or "config")
        return DiscordConfig.from_mapping(adapters.get("discord", {}), where)
    if isinstance(config, Mapping):
        return DiscordConfig.from_mapping(config)
    raise TypeError(f"not a Discord configuration: {type(config).__name__}")


async def run_discord(
    engine: Engine,
    config: Any,
    env: Mapping[str, str],
    *,
    publishers: MutableMapping[str, Publisher] | None = None,
    **client_options: Any,
) -> None:
    """Log in with the token from the environment variable the config names, serve until closed.

    `publishers`, when given, receives the DiscordPublisher under "discord" so the scheduler's
    delivery service can post subscribed digests through this same connection.
    """
    settings = discord_config(config)
    token = env.get(settings.token_env, "").strip()
    if not token:
        raise ConfigError(
            f"[adapters.discord] token_env: the environment variable {settings.token_env} "
            f"is not set (it must hold the bot token)"
        )
    proxy = https_proxy(env, settings.api_url or DEFAULT_API_URL)
    if proxy is not None:
        client_options.setdefault("proxy", proxy)
    bot = DiscordBot(engine, settings, **client_options)
    if publishers is not None:
        publishers["discord"] = bot.publisher
    log.info(
        "starting the Discord adapter (%s, message content %s, commands synced %s)",
        "sharded" if settings.sharded else "one shard",
        "on" if settings.message_content else "off",
        settings.sync,
    )
    try:
        with discord_urls(settings):
            async with bot.client:
                await bot.client.start(token)
    finally:
        if publishers is not None and publishers.get("discord") is bot.publisher:
            del publishers["discord"]


@contextlib.contextmanager
def discord_urls(settings: DiscordConfig) -> Iterator[None]:
    """Point discord.py at the configured REST and gateway URLs while the bot runs.

    discord.py keeps them in class attributes (`Route.BASE`, `DiscordWebSocket.DEFAULT_GATEWAY`),
    so they are set for the process and put back afterwards; keys left out change nothing.
    """
    route, socket = discord.http.Route, discord.gateway.DiscordWebSocket
    before = route.BASE, socket.DEFAULT_GATEWAY
    if settings.api_url is not None:
        route.BASE = settings.api_url
    if settings.gateway_url is not None:
        socket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)
    try:
        yield
    finally:
        route.BASE, socket.DEFAULT_GATEWAY = before
