"""The aiohttp application: routes plus the rules every response follows. Read-only (GET and
HEAD; OPTIONS answers CORS preflights), a strict Content-Security-Policy, ETag/304, CORS for GET,
per-address rate limits, bounded requests, and friendly error pages instead of tracebacks."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from adapters.web import api, render
from adapters.web.config import WebConfig
from adapters.web.feedgen import XRPC, add_feed_routes, xrpc_error
from adapters.web.routes import BadRequest, NotFound, Site, TooSlow, add_routes
from bot.services.engine import Engine

log = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Access-Control-Allow-Origin": "*",
}
READ_METHODS = ("GET", "HEAD")
MAX_BODY = 1024  # nothing here reads a body
MAX_LINE = 4096  # request line and each header
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RateLimiter:
    """At most `per_minute` requests per client address in each minute (fixed windows)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._window = -1
        self._counts: dict[str, int] = {}

    def retry_after(self, who: str) -> int | None:
        """None: allowed (and counted); else seconds until the next window."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        window = int(now // 60)
        if window != self._window:
            self._window, self._counts = window, {}
        count = self._counts.get(who, 0) + 1
        self._counts[who] = count
        if count <= self.per_minute:
            return None
        return max(1, int(60 - now % 60))


def build_app(
    engine: Engine, config: WebConfig, *, clock: Callable[[], float] = time.monotonic
) -> web.Application:
    site = Site(engine, config)
    limiter = RateLimiter(config.requests_per_minute, clock)

    @web.middleware
    async def rules(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "OPTIONS":
            response: web.StreamResponse = web.Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
            response.headers["Access-Control-Allow-Headers"] = "If-None-Match"
            response.headers["Access-Control-Max-Age"] = "86400"
        elif request.method not in READ_METHODS:
            response = _error(request, 405, "This site is read-only: GET and HEAD only.", site)
            response.headers["Allow"] = "GET, HEAD"
        elif (wait := limiter.retry_after(request.remote or "?")) is not None:
            response = _error(request, 429, f"Too many requests; try again in {wait} s.", site)
            response.headers["Retry-After"] = str(wait)
        else:
            response = await _answer(request, handler, site)
        response.headers.update(SECURITY_HEADERS)
        response.headers["Access-Control-Expose-Headers"] = "ETag"
        return _conditional(request, response)

    app = web.Application(
        middlewares=[rules],
        client_max_size=MAX_BODY,
        handler_args={"max_line_size": MAX_LINE, "max_field_size": MAX_LINE},
    )
    add_feed_routes(app, engine, config, site.work)
    add_routes(app, site)
    return app


async def _answer(request: web.Request, handler: Handler, site: Site) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotFound as exc:
        return _error(request, 404, str(exc), site)
    except BadRequest as exc:
        return _error(request, 400, str(exc), site)
    except TooSlow:
        return _error(request, 503, "That took too long to answer; try a narrower page.", site)
    except web.HTTPNotFound:
        return _error(request, 404, "There is no page at this address.", site)
    except web.HTTPMethodNotAllowed:
        return _error(request, 405, "This site is read-only: GET and HEAD only.", site)
    except web.HTTPException as exc:
        return _error(request, exc.status, exc.reason, site)
    except Exception:
        log.exception("web: %s %s failed", request.method, request.path[:200])
        return _error(request, 500, "Something went wrong on our side; try again later.", site)


def _error(request: web.Request, status: int, message: str, site: Site) -> web.Response:
    if request.path.startswith(XRPC):
        return xrpc_error(status, message)
    if request.path.startswith("/api/"):
        text = json.dumps(api.error_dict(status, message), ensure_ascii=False)
        return web.Response(
            status=status, text=text, content_type="application/json", charset="utf-8"
        )
    page = render.error_page(status, message, site=site.title)
    return web.Response(status=status, text=page, content_type="text/html", charset="utf-8")


def _conditional(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """A strong ETag on every 200 with a body; a matching If-None-Match gets 304, no body."""
    if response.status != 200 or not isinstance(response, web.Response):
        return response
    fingerprint = getattr(response, "fingerprint", None)
    data = fingerprint.encode() if isinstance(fingerprint, str) else (response.body or b"")
    if not isinstance(data, bytes):
        return response
    tag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    response.headers["ETag"] = tag
    wanted = request.headers.get("If-None-Match", "")
    if tag in [t.strip().removeprefix("W/") for t in wanted.split(",")] or wanted.strip() == "*":
        not_modified = web.Response(status=304)
        for name in ("ETag", "Cache-Control", *SECURITY_HEADERS, "Access-Control-Expose-Headers"):
            if name in response.headers:
                not_modified.headers[name] = response.headers[name]
        return not_modified
    return response


async def start(
    engine: Engine, config: WebConfig, *, clock: Callable[[], float] = time.monotonic
) -> tuple[web.AppRunner, int]:
    """Listen on the configured address; the port it got (0 in the config: any free one)."""
    runner = web.AppRunner(build_app(engine, config, clock=clock), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    addresses = runner.addresses
    port = int(addresses[0][1]) if addresses else config.port
    return runner, port
