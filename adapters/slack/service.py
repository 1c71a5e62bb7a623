"""Slack as one adapter: the Bolt app (Socket Mode or HTTP) and its digest publisher."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.slack.config import SlackConfig
from adapters.slack.publisher import SlackPublisher
from adapters.slack.run import client_for, run_slack

if TYPE_CHECKING:
    from adapters import AdapterContext
    from bot.ports import Publisher


class SlackService:
    name = "slack"

    def __init__(self, context: AdapterContext) -> None:
        self.context = context
        self.config = SlackConfig.from_mapping(context.table, context.where)
        secrets = self.config.secrets(context.env, context.where)  # ConfigError when missing
        self.client = client_for(self.config, secrets.bot_token, context.env)  # connects nothing
        self._publisher = SlackPublisher(self.client, admins=self.config.admins)

    @property
    def publisher(self) -> Publisher:
        return self._publisher

    async def run(self) -> None:
        await run_slack(self.context.engine, self.config, self.context.env, client=self.client)


async def load(context: AdapterContext) -> SlackService:
    return SlackService(context)
