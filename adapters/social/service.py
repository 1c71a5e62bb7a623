"""X, Bluesky and Mastodon as adapters: digest threads, and answers to mentions polled from a
stored cursor. Logging in is part of `run()`, so a platform that is down at start is retried."""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import TYPE_CHECKING, Any

from adapters.social.config import NEEDS_PAGE, SocialConfig
from adapters.social.thread import StoreBudget, StoreLedger
from bot.domain.errors import ConfigError

if TYPE_CHECKING:
    from adapters import AdapterContext
    from bot.ports import Publisher

log = logging.getLogger(__name__)

MENTION_POLL_SECONDS = 60
PUBLISHERS = {"x": "XPublisher", "bluesky": "BlueskyPublisher", "mastodon": "MastodonPublisher"}


class SocialService:
    def __init__(self, context: AdapterContext) -> None:
        self.context = context
        self.name = context.name
        self.config = SocialConfig.from_mapping(context.name, context.table, context.where)
        if not self.config.thread and not context.engine.settings.public_url:
            raise ConfigError(f"{context.where}: {NEEDS_PAGE}")
        self.secrets = self.config.secrets(context.env, context.where)  # ConfigError if missing
        self.module = importlib.import_module(f"adapters.social.{context.name}")

    @property
    def publisher(self) -> Publisher | None:
        return self.context.publishers.get(self.name)

    async def run(self) -> None:
        name, store = self.name, self.context.store
        client = await asyncio.to_thread(self.module.make_client, self.config, self.secrets)
        options: dict[str, Any] = {
            "daily_budget": self.config.daily_budget,
            "ledger": StoreLedger(store, name),
            "budget": StoreBudget(store, name),
        }
        if name == "mastodon":
            options["visibility"] = self.config.visibility
        if not self.config.thread:
            options["thread"] = False
        publisher = getattr(self.module, PUBLISHERS[name])(client, **options)
        mentions = await self._mentions(client)
        self.context.publishers[name] = publisher
        try:
            while True:
                await mentions.poll_once()  # never raises; SDK calls run in worker threads
                await asyncio.sleep(MENTION_POLL_SECONDS)
        finally:
            if self.context.publishers.get(name) is publisher:
                del self.context.publishers[name]

    async def _mentions(self, client: Any) -> Any:
        engine, store, name = self.context.engine, self.context.store, self.name
        budget: dict[str, Any] = {
            "daily_budget": self.config.daily_budget,
            "budget": StoreBudget(store, name),
        }
        if name == "x":
            from adapters.social.x_mentions import XMentions

            return XMentions(client, engine, store, **budget)  # own id: get_me on the 1st poll
        if name == "bluesky":
            from adapters.social.bluesky_mentions import BlueskyMentions

            own_did = str(getattr(getattr(client, "me", None), "did", "") or "")
            return BlueskyMentions(client, engine, store, own_did=own_did, **budget)
        from adapters.social.mentions import MastodonMentions

        own = str((await asyncio.to_thread(client.me)).get("acct", ""))
        return MastodonMentions(
            client, engine, store, own_account=own, visibility=self.config.visibility, **budget
        )


async def load(context: AdapterContext) -> SocialService:
    return SocialService(context)
