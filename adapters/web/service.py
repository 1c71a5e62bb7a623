"""The web as one adapter among the others: serves the site until cancelled; posts no digests."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from adapters.web.config import WebConfig
from adapters.web.server import start

if TYPE_CHECKING:
    from adapters import AdapterContext
    from bot.ports import Publisher
    from bot.services.engine import Engine

log = logging.getLogger(__name__)


class WebService:
    name = "web"

    def __init__(self, engine: Engine, config: WebConfig) -> None:
        self.engine = engine
        self.config = config
        self.port: int | None = None  # the port listened on, once started

    @property
    def publisher(self) -> Publisher | None:
        return None

    async def run(self) -> None:
        runner, self.port = await start(self.engine, self.config)
        host = self.config.host
        shown = f"[{host}]" if ":" in host else host
        log.warning("web: serving on http://%s:%d/", shown, self.port)
        try:
            await asyncio.Event().wait()  # until cancelled
        finally:
            await runner.cleanup()


async def load(context: AdapterContext) -> WebService:
    return WebService(context.engine, WebConfig.from_mapping(context.table, context.where))
