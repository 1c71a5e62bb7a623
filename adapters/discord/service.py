"""Discord as one adapter: the gateway client; its publisher joins while it is connected."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.discord.config import DiscordConfig
from adapters.discord.run import run_discord

if TYPE_CHECKING:
    from adapters import AdapterContext
    from bot.ports import Publisher


class DiscordService:
    name = "discord"

    def __init__(self, context: AdapterContext) -> None:
        self.context = context
        self.config = DiscordConfig.from_mapping(context.table, context.where)

    @property
    def publisher(self) -> Publisher | None:
        return self.context.publishers.get("discord")

    async def run(self) -> None:
        await run_discord(
            self.context.engine, self.config, self.context.env, publishers=self.context.publishers
        )


async def load(context: AdapterContext) -> DiscordService:
    return DiscordService(context)
