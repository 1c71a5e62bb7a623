"""Runs the bot: the console or the configured adapters, the scheduler and its ingest jobs."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TextIO

from bot.app import App
from bot.domain.errors import ConfigError
from bot.ports import Publisher
from bot.scheduler import Scheduler
from bot.services.delivery import DeliveryService

if TYPE_CHECKING:
    from adapters.console import ConsoleAdapter

log = logging.getLogger(__name__)


async def run_bot(app: App, lines: TextIO, *, interactive: bool) -> None:
    """The console runs when nothing else is configured (or `[adapters.console]` is present)."""
    from adapters.console import ConsoleAdapter

    configured = {k: v for k, v in app.config.adapters.items() if k != "console"}
    use_console = not configured or "console" in app.config.adapters
    console = ConsoleAdapter(app.engine) if use_console else None
    publishers: dict[str, Publisher] = {}
    services: list[Awaitable[None]] = []
    if console is not None:
        publishers["console"] = console_publisher(console)
    for name, table in configured.items():
        services.append(await start_adapter(name, app, table, publishers))
    scheduler = Scheduler(
        app.store,
        DeliveryService(app.store, app.engine, publishers),
        ingest=ingest_jobs(app),
        misfire_grace_seconds=app.config.misfire_grace_seconds,
    )
    app.subscriptions.on_change = scheduler.reschedule
    if app.config.subscriptions:
        app.subscriptions.sync_config_subscriptions(
            app.config.subscriptions, where=str(app.config.path or "config")
        )
    scheduler.start()
    try:
        if console is not None:
            console.greet()
            await console.serve(lines, interactive=interactive)
        if services and (console is None or "console" not in app.config.adapters):
            await asyncio.gather(*services)
    finally:
        scheduler.shutdown()


def console_publisher(console: ConsoleAdapter) -> Publisher:
    """Scheduled digests for console subscriptions are printed as they fire."""
    from adapters.console import THREAD
    from adapters.recording import Published, RecordingPublisher
    from bot.domain.models import Reply
    from bot.render.text import render_digest_text

    def show(published: Published) -> None:
        console.show(Reply(render_digest_text(published.digest), digest=published.digest))

    return RecordingPublisher("console", thread=THREAD, on_publish=show)


async def start_adapter(
    name: str, app: App, table: Mapping[str, Any], publishers: dict[str, Publisher]
) -> Awaitable[None]:
    """Build one configured adapter; its publisher joins `publishers`; returns its service."""
    where = f"{app.config.path} [adapters.{name}]"
    if name == "slack":
        from adapters.slack.config import SlackConfig
        from adapters.slack.publisher import SlackPublisher
        from adapters.slack.run import make_client, run_slack

        slack = SlackConfig.from_mapping(table, where)
        client = make_client(slack.secrets(os.environ, where).bot_token)
        publishers["slack"] = SlackPublisher(client, admins=slack.admins)
        return run_slack(app.engine, slack, os.environ, client=client)
    if name == "discord":
        from adapters.discord.config import DiscordConfig
        from adapters.discord.run import run_discord

        discord = DiscordConfig.from_mapping(table, where)
        return run_discord(app.engine, discord, os.environ, publishers=publishers)
    if name in SOCIAL:
        return await start_social(name, app, table, where, publishers)
    raise ConfigError(
        f"{where}: unknown adapter; known: console, slack, discord, {', '.join(SOCIAL)}"
    )


SOCIAL = ("x", "bluesky", "mastodon")
MENTION_POLL_SECONDS = 60


async def start_social(
    name: str, app: App, table: Mapping[str, Any], where: str, publishers: dict[str, Publisher]
) -> Awaitable[None]:
    """X, Bluesky, Mastodon: digest threads and answers to mentions (polled from a cursor)."""
    import importlib

    from adapters.social.config import SocialConfig
    from adapters.social.thread import StoreBudget, StoreLedger

    social = SocialConfig.from_mapping(name, table, where)
    module = importlib.import_module(f"adapters.social.{name}")
    secrets = social.secrets(os.environ, where)
    client = await asyncio.to_thread(module.make_client, social, secrets)  # Bluesky logs in
    publisher_class = {"x": "XPublisher", "bluesky": "BlueskyPublisher"}.get(
        name, "MastodonPublisher"
    )
    options: dict[str, Any] = {
        "daily_budget": social.daily_budget,
        "ledger": StoreLedger(app.store, name),
        "budget": StoreBudget(app.store, name),
    }
    if name == "mastodon":
        options["visibility"] = social.visibility
    publishers[name] = getattr(module, publisher_class)(client, **options)
    budget: dict[str, Any] = {
        "daily_budget": social.daily_budget,
        "budget": StoreBudget(app.store, name),
    }
    mentions: Any
    if name == "x":
        from adapters.social.x_mentions import XMentions

        mentions = XMentions(client, app.engine, app.store, **budget)  # own id: get_me on 1st poll
    elif name == "bluesky":
        from adapters.social.bluesky_mentions import BlueskyMentions

        own_did = str(getattr(getattr(client, "me", None), "did", "") or "")
        mentions = BlueskyMentions(client, app.engine, app.store, own_did=own_did, **budget)
    else:
        from adapters.social.mentions import MastodonMentions

        own = str((await asyncio.to_thread(client.me)).get("acct", ""))
        mentions = MastodonMentions(
            client,
            app.engine,
            app.store,
            own_account=own,
            visibility=social.visibility,
            **budget,
        )
    return _poll_forever(mentions.poll_once)


async def _poll_forever(poll: Callable[[], Awaitable[int]]) -> None:
    """Poll for mentions every MENTION_POLL_SECONDS (`poll` never raises; its SDK calls run in
    worker threads, so the loop stays free for the other adapters)."""
    while True:
        await poll()
        await asyncio.sleep(MENTION_POLL_SECONDS)


def ingest_jobs(app: App) -> dict[str, tuple[Callable[[], object], float]]:
    """One scheduled job per enabled source, the same code as `hotpapers ingest SOURCE`."""
    from bot.sources.jobs import ingest_jobs as build

    return build(app)
