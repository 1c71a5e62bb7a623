"""The Bluesky feed generator on the bot's web server: `/.well-known/did.json`,
`app.bsky.feed.describeFeedGenerator` and `app.bsky.feed.getFeedSkeleton`. Errors are XRPC
errors: `{"error": "UnknownFeed" | "InvalidRequest", "message": ...}` with status 400."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from adapters.web.config import WebConfig
from bot.domain.feeds import FeedRequestError, feed_specs
from bot.services.engine import Engine
from bot.services.feed import FeedGenerator, FeedSettings

XRPC = "/xrpc/"
ERRORS = {
    400: "InvalidRequest",
    404: "MethodNotImplemented",
    405: "InvalidRequest",
    429: "RateLimitExceeded",
    503: "NotEnoughResources",
}


def xrpc_error(status: int, message: str, error: str | None = None) -> web.Response:
    body = {"error": error or ERRORS.get(status, "InternalServerError"), "message": message}
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        charset="utf-8",
    )


def generator_for(engine: Engine, config: WebConfig) -> FeedGenerator | None:
    if not config.feed_publisher_did or not config.feed_hostname:
        return None
    settings = FeedSettings(
        config.feed_hostname,
        config.feed_publisher_did,
        feed_specs(config.feed_categories, engine.settings.title),
    )

    def today() -> date:
        return engine.clock().astimezone(ZoneInfo(engine.settings.timezone)).date()

    return FeedGenerator(engine.store, settings, today, engine.settings.min_score)


class FeedRoutes:
    """The three handlers, reading through the site's worker threads (`work`)."""

    def __init__(self, generator: FeedGenerator, work: Any) -> None:
        self.generator = generator
        self.work = work

    async def did_json(self, request: web.Request) -> web.Response:
        return _json(self.generator.did_document(), cache=3600)

    async def describe(self, request: web.Request) -> web.Response:
        return _json(self.generator.describe(), cache=300)

    async def skeleton(self, request: web.Request) -> web.Response:
        q = request.query
        try:
            page = await self.work(
                lambda: self.generator.skeleton(q.get("feed"), q.get("limit"), q.get("cursor"))
            )
        except FeedRequestError as exc:
            return xrpc_error(400, exc.message, exc.error)
        return _json(page, cache=60)


def _json(data: dict[str, Any], cache: int) -> web.Response:
    return web.Response(
        text=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        content_type="application/json",
        charset="utf-8",
        headers={"Cache-Control": f"public, max-age={cache}"},
    )


def add_feed_routes(app: web.Application, engine: Engine, config: WebConfig, work: Any) -> None:
    """Adds the feed generator's routes when `feed_publisher_did` is configured."""
    generator = generator_for(engine, config)
    if generator is None:
        return
    routes = FeedRoutes(generator, work)
    r = app.router
    r.add_get("/.well-known/did.json", routes.did_json)
    r.add_get("/xrpc/app.bsky.feed.describeFeedGenerator", routes.describe)
    r.add_get("/xrpc/app.bsky.feed.getFeedSkeleton", routes.skeleton)
