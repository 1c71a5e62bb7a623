"""Issue 15 defect 9: `[adapters.slack] api_url`, `[adapters.discord] api_url` / `gateway_url`
and HTTPS_PROXY take effect: a client built from the config talks to the fake at that URL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from adapters.discord.config import DiscordConfig
from adapters.discord.run import run_discord
from adapters.slack.config import SlackConfig
from adapters.slack.run import make_client, run_slack
from bot.domain.errors import ConfigError
from bot.services.engine import Engine
from bot.store import Store
from tests.adapters.test_slack import CHANNEL, seeded_store
from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.slack_fake import BOT_USER, FakeSlack
from tests.process.world import slack_mention

SLACK_ENV = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_APP_TOKEN": "xapp-test-token"}


@pytest.fixture
def engine() -> Engine:
    store: Store = seeded_store()
    return Engine(store)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.close()


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()  # NOT monkeypatched in: the config must point discord.py here
    await fake.start()
    yield fake
    await fake.stop()


async def answer_one_mention(
    engine: Engine, slack: FakeSlack, config: SlackConfig, env: dict[str, str], client: Any = None
) -> list[dict[str, Any]]:
    stop = asyncio.Event()
    runner = asyncio.create_task(run_slack(engine, config, env, client=client, stop=stop))
    try:
        await slack.send_envelope(
            "events_api", slack_mention(f"<@{BOT_USER}> top 2", CHANNEL, "1617634100.1")
        )
        return await slack.wait_for(
            lambda: [m for m in slack.posted(CHANNEL) if m.get("thread_ts") == "1617634100.1"]
        )
    finally:
        stop.set()
        await runner


# -- Slack ------------------------------------------------------------------------------------


async def test_slack_api_url_from_the_config_is_where_the_bot_connects(
    engine: Engine, slack: FakeSlack
) -> None:
    config = SlackConfig.from_mapping({"api_url": slack.api_url}, "hp.toml")
    answer = await answer_one_mention(engine, slack, config, SLACK_ENV)
    assert answer  # connected in Socket Mode through the configured URL, and answered
    assert slack.calls_to("apps.connections.open")[0].token == "xapp-test-token"
    assert slack.calls_to("auth.test")


async def test_slack_api_url_also_aims_a_client_made_without_it(
    engine: Engine, slack: FakeSlack
) -> None:
    """`hotpapers run` builds the publisher's client from the token alone, then hands it over."""
    config = SlackConfig.from_mapping({"api_url": slack.api_url.rstrip("/")}, "hp.toml")
    client = make_client("xoxb-test-token")
    assert await answer_one_mention(engine, slack, config, SLACK_ENV, client=client)
    assert client.base_url == slack.api_url  # the publisher's scheduled digests go there too


async def test_slack_publisher_made_before_run_slack_posts_to_the_configured_url(
    engine: Engine, slack: FakeSlack
) -> None:
    """`hotpapers run` makes the publisher first (scheduled digests), then starts run_slack."""
    from adapters.slack.publisher import SlackPublisher
    from tests.adapters.test_slack import small_digest

    config = SlackConfig.from_mapping({"api_url": slack.api_url}, "hp.toml")
    client = make_client("xoxb-test-token")
    publisher = SlackPublisher(client)
    stop = asyncio.Event()
    runner = asyncio.create_task(run_slack(engine, config, SLACK_ENV, client=client, stop=stop))
    try:
        await slack.wait_for(lambda: slack.calls_to("apps.connections.open"))
        sent = await publisher.publish_digest(CHANNEL, small_digest(), idempotency_key="k1")
    finally:
        stop.set()
        await runner
    assert sent.thread and slack.posted(CHANNEL)[0]["ts"] == sent.thread


async def test_slack_goes_through_the_https_proxy_from_the_environment(
    engine: Engine, slack: FakeSlack
) -> None:
    from adapters.slack.run import client_for

    # slack.invalid cannot resolve: only a proxy (the fake, answering absolute-form requests)
    # can deliver these calls.
    config = SlackConfig.from_mapping({"api_url": "http://slack.invalid/api/"}, "hp.toml")
    env = {**SLACK_ENV, "HTTPS_PROXY": f"http://127.0.0.1:{slack.port}"}
    client = client_for(config, "xoxb-test-token", env)
    assert (await client.auth_test())["user_id"] == BOT_USER
    assert await answer_one_mention(engine, slack, config, env)


def test_no_proxy_exempts_a_host_and_lowercase_is_read_too() -> None:
    from adapters.slack.config import https_proxy

    env = {"https_proxy": "http://proxy.corp:3128", "NO_PROXY": "localhost,.slack-gov.com"}
    assert https_proxy(env, "https://slack.com/api/") == "http://proxy.corp:3128"
    assert https_proxy(env, "https://slack-gov.com/api/") is None
    assert https_proxy(env, "https://x.slack-gov.com/api/") is None
    assert https_proxy({}, "https://slack.com/api/") is None


def test_slack_api_url_defaults_and_errors_name_the_key() -> None:
    assert SlackConfig.from_mapping({}, "hp.toml").base_url == "https://slack.com/api/"
    gov = SlackConfig.from_mapping({"api_url": "https://slack-gov.com/api"}, "hp.toml")
    assert gov.base_url == "https://slack-gov.com/api/"
    with pytest.raises(ConfigError, match=r"hp.toml: \[adapters.slack\] api_url"):
        SlackConfig.from_mapping({"api_url": "slack-gov.com/api"}, "hp.toml")


# -- Discord ----------------------------------------------------------------------------------


async def run_until_identified(
    engine: Engine, fake: FakeDiscord, table: dict[str, Any], env: dict[str, str]
) -> None:
    task = asyncio.create_task(
        run_discord(
            engine,
            {"sync": fake.world.guild_id, **table},
            {"DISCORD_BOT_TOKEN": "secret-token", **env},
            guild_ready_timeout=0.1,
        )
    )
    try:
        await fake.wait_for(lambda: fake.identifies)
        await fake.wait_for(lambda: fake.calls_to("GET", r"/users/@me"))
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_discord_api_and_gateway_urls_from_the_config_are_where_the_bot_connects(
    engine: Engine, discord_fake: FakeDiscord
) -> None:
    before = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    table = {"api_url": discord_fake.rest_base, "gateway_url": discord_fake.gateway_url}
    await run_until_identified(engine, discord_fake, table, {})
    assert discord_fake.identifies == 1
    # the process-wide attributes are put back when the adapter stops
    assert before == (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)


async def test_discord_goes_through_the_https_proxy_from_the_environment(
    engine: Engine, discord_fake: FakeDiscord
) -> None:
    table = {"api_url": "http://discord.invalid/api/v10", "gateway_url": discord_fake.gateway_url}
    proxy = f"http://127.0.0.1:{discord_fake.port}"
    await run_until_identified(engine, discord_fake, table, {"HTTPS_PROXY": proxy})
    assert discord_fake.calls_to("GET", r"/users/@me")  # reached only through the proxy


def test_discord_urls_default_and_errors_name_the_key() -> None:
    config = DiscordConfig.from_mapping({})
    assert (config.api_url, config.gateway_url) == (None, None)
    with pytest.raises(ConfigError, match=r"\[adapters.discord\] gateway_url"):
        DiscordConfig.from_mapping({"gateway_url": "https://gateway.example"}, "hp.toml")
    with pytest.raises(ConfigError, match=r"\[adapters.discord\] api_url"):
        DiscordConfig.from_mapping({"api_url": "discord.com/api"}, "hp.toml")
