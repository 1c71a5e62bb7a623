"""Run the Slack adapter: Socket Mode (default) or HTTP Events with Bolt's aiohttp server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import build_app
from adapters.slack.config import SlackConfig, https_proxy
from adapters.slack.publisher import RateLimitRetry, Sleep
from bot.config import Config
from bot.domain.errors import ConfigError
from bot.services.engine import Engine

log = logging.getLogger(__name__)


def make_client(
    token: str,
    *,
    base_url: str | None = None,
    proxy: str | None = None,
    sleep: Sleep | None = None,
    max_wait: float = 60.0,
) -> AsyncWebClient:
    """An AsyncWebClient that waits out 429s (Retry-After up to `max_wait` s) and retries once."""
    client = AsyncWebClient(token=token, proxy=proxy)
    if base_url:
        client.base_url = base_url
    client.retry_handlers.append(RateLimitRetry(max_wait=max_wait, sleep=sleep))
    return client


def client_for(slack: SlackConfig, token: str, env: Mapping[str, str]) -> AsyncWebClient:
    """The Web API client the config asks for: its `api_url`, and HTTPS_PROXY when set."""
    return make_client(token, base_url=slack.base_url, proxy=https_proxy(env, slack.base_url))


def point_client(client: AsyncWebClient, slack: SlackConfig, env: Mapping[str, str]) -> None:
    """Aim a client built elsewhere at the config's `api_url` and the HTTPS proxy, if any.

    A client made without them (the scheduler's publisher shares this one) would otherwise
    talk to slack.com directly. An `api_url` left out keeps the client's own URL.
    """
    if slack.api_url is not None:
        client.base_url = slack.api_url
    proxy = https_proxy(env, client.base_url)
    if proxy is not None or client.proxy:
        client.proxy = proxy


def slack_config(config: Config | SlackConfig) -> SlackConfig:
    if isinstance(config, SlackConfig):
        return config
    return SlackConfig.from_mapping(config.adapters.get("slack"), str(config.path or "config"))


# Slack's answers that mean the token itself is wrong: retrying cannot help.
REFUSED_TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "not_allowed_token_type",
        "missing_scope",
    }
)


async def check_tokens(
    client: AsyncWebClient, slack: SlackConfig, app_token: str | None, where: str
) -> None:
    """Fail fast, naming the environment variable, when Slack refuses a token.

    Without this, Socket Mode retries a revoked app token forever. Network errors are not
    checked here: they are worth retrying, and the SDK does.
    """

    async def auth_test() -> object:
        return await client.auth_test()

    checks: list[tuple[str, str, Callable[[], Awaitable[object]]]] = [
        ("auth.test", slack.bot_token_env, auth_test)
    ]
    if app_token is not None:

        async def open_connection() -> object:
            return await client.apps_connections_open(app_token=app_token)

        checks.append(("apps.connections.open", slack.app_token_env, open_connection))
    for method, variable, call in checks:
        try:
            await call()
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            if error in REFUSED_TOKEN_ERRORS:
                raise ConfigError(
                    f"{where}: [adapters.slack] Slack refused the token in ${variable} "
                    f"({method}: {error}); create a new one and set ${variable} again"
                ) from None
            raise


async def start_socket_mode(
    app: AsyncApp, app_token: str, proxy: str | None = None
) -> AsyncSocketModeHandler:
    """Connect to Slack over Socket Mode (apps.connections.open through the app's client, so
    through its base URL; then the websocket, through `proxy` when given)."""
    handler = AsyncSocketModeHandler(app, app_token, proxy=proxy)
    await handler.connect_async()
    return handler


async def start_http(app: AsyncApp, config: SlackConfig) -> tuple[web.AppRunner, int]:
    """Serve Bolt's aiohttp app (signatures verified by Bolt); returns the runner and its port."""
    runner = web.AppRunner(app.web_app(path=config.path, port=config.port))
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    port = int(runner.addresses[0][1]) if runner.addresses else config.port
    return runner, port


async def run_slack(
    engine: Engine,
    config: Config | SlackConfig,
    env: Mapping[str, str],
    *,
    client: AsyncWebClient | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until cancelled (or until `stop` is set). Tokens come from the env vars the config names.

    Pass the same `client` to SlackPublisher so scheduled digests share its rate-limit handling.
    """
    slack = slack_config(config)
    where = str(config.path or "config") if isinstance(config, Config) else "config"
    secrets = slack.secrets(env, where)
    if client is None:
        client = client_for(slack, secrets.bot_token, env)
    else:
        point_client(client, slack, env)
    app = build_app(engine, slack, client=client, signing_secret=secrets.signing_secret)
    stop = stop or asyncio.Event()
    await check_tokens(client, slack, secrets.app_token if slack.mode == "socket" else None, where)
    if slack.mode == "socket":
        assert secrets.app_token is not None
        handler = await start_socket_mode(app, secrets.app_token, client.proxy)
        log.info("Slack: connected in Socket Mode")
        try:
            await stop.wait()
        finally:
            await handler.close_async()
        return
    runner, port = await start_http(app, slack)
    log.info("Slack: listening for events on http://%s:%s%s", slack.host, port, slack.path)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
