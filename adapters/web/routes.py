"""The site's handlers: each reads through the Engine in a worker thread (with the page's time
budget) and hands back HTML, Atom or JSON. Nothing here writes."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from aiohttp import web

from adapters.web import api, atom, render
from adapters.web.config import WebConfig
from adapters.web.paper_page import paper_page
from adapters.web.style import CSS
from bot.commands.types import Period
from bot.domain.ids import canonical_id
from bot.domain.models import Digest
from bot.domain.pages import MAX_TOP, PAGE_TOP
from bot.domain.taxonomy import CategoryFilter, resolve_filter, suggest
from bot.render.jsonfmt import digest_to_dict
from bot.services.engine import Engine
from bot.services.periods import NoListing

T = TypeVar("T")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEFAULT_TOP = PAGE_TOP
FEED_DAYS = 20
MAX_QUERY = 200


class NotFound(Exception):
    """A friendly 404: the message is shown to the reader."""


class BadRequest(Exception):
    """A friendly 400."""


class TooSlow(Exception):
    pass


class Site:
    """The handlers, bound to one engine and config."""

    def __init__(self, engine: Engine, config: WebConfig) -> None:
        self.engine = engine
        self.config = config
        self.title = engine.settings.title
        self._workers = asyncio.Semaphore(4)  # SQLite readers at once; the rest queue

    async def work(self, fn: Callable[[], T]) -> T:
        """Run `fn` in a worker thread, its database work cut off after the page's budget."""
        seconds = self.config.request_seconds

        def bounded() -> T:
            with self.engine.time_budget(seconds):
                return fn()

        async with self._workers:
            try:
                return await asyncio.wait_for(asyncio.to_thread(bounded), seconds + 1)
            except TimeoutError:
                raise TooSlow() from None

    def base(self, request: web.Request) -> str:
        return self.config.public_url or f"{request.scheme}://{request.host}/"

    # -- pages ---------------------------------------------------------------------------------

    async def style(self, request: web.Request) -> web.Response:
        return web.Response(text=CSS, content_type="text/css", headers=_cache(3600))

    async def digest_page(self, request: web.Request) -> web.Response:
        category, day = request.match_info.get("cat"), request.match_info.get("day")
        digest = await self.work(lambda: self.digest(category, day, _top(request)))
        nearby = await self.work(lambda: self.nearby(digest.date))
        text = render.digest_page(
            digest, site=self.title, category=category, day=day, nearby=nearby
        )
        return _html(text)

    async def paper_page(self, request: web.Request) -> web.Response:
        arxiv_id = self.paper_id(request)
        item, timeline = await self.work(
            lambda: (self.engine.paper_item(arxiv_id), self.engine.attention_timeline(arxiv_id))
        )
        if item is None:
            raise NotFound(f"I don't know arXiv:{arxiv_id} (yet).")
        return _html(paper_page(item, timeline, site=self.title))

    async def search_page(self, request: web.Request) -> web.Response:
        q = _query(request)
        if not q:
            return _html(render.search_page("", None, None, site=self.title))
        reply = await self.work(lambda: self.engine.search_reply(q))
        message = None if reply.ok else reply.text
        return _html(render.search_page(q, reply.digest, message, site=self.title))

    async def feed(self, request: web.Request) -> web.Response:
        category = request.match_info.get("cat")
        filters = self.filters(category)

        def digests() -> list[Digest]:
            days = self.engine.listing_dates()[-FEED_DAYS:][::-1]
            found = [
                self.engine.digest(on=d, filters=filters, n=DEFAULT_TOP, link=False) for d in days
            ]
            return [d for d in found if isinstance(d, Digest) and d.items]

        found = await self.work(digests)
        text = atom.atom_feed(found, base=self.base(request), category=category, site=self.title)
        return web.Response(
            text=text, content_type="application/atom+xml", charset="utf-8", headers=_cache(300)
        )

    # -- the JSON API ----------------------------------------------------------------------------

    async def api_digest(self, request: web.Request) -> web.Response:
        categories = request.query.getall("category", [])
        if len(categories) > 10:
            raise BadRequest("At most 10 categories.")
        day = request.match_info["day"]
        digest = await self.work(
            lambda: self.digest(None, None if day == "latest" else day, _top(request), categories)
        )
        return _json(digest_to_dict(digest))

    async def api_paper(self, request: web.Request) -> web.Response:
        arxiv_id = self.paper_id(request)
        item, timeline = await self.work(
            lambda: (self.engine.paper_item(arxiv_id), self.engine.attention_timeline(arxiv_id))
        )
        if item is None:
            raise NotFound(f"I don't know arXiv:{arxiv_id} (yet).")
        return _json(api.paper_to_dict(item, timeline))

    async def api_search(self, request: web.Request) -> web.Response:
        q = _query(request)
        if not q:
            raise BadRequest("Give some words to search for: ?q=diffusion")
        top = _top(request)
        reply = await self.work(lambda: self.engine.search_reply(f"{q} {top}"))
        if reply.digest is None:
            raise NotFound(reply.text)
        return _json(digest_to_dict(reply.digest))

    async def openapi(self, request: web.Request) -> web.Response:
        return _json(api.openapi(self.base(request)), cache=3600)

    # -- reading ---------------------------------------------------------------------------------

    def digest(
        self, category: str | None, day: str | None, n: int, more: list[str] | None = None
    ) -> Digest:
        filters = [f for c in [category, *(more or [])] if c for f in self.filters(c)]
        if day in ("week", "month"):
            period = Period("days", days=7 if day == "week" else 30, label=f"this {day}")
            result = self.engine.digest(period=period, filters=filters, n=n, link=False)
        elif day is None:
            result = self.engine.digest(filters=filters, n=n, link=False)
        else:
            result = self.engine.digest(on=_date(day), filters=filters, n=n, link=False)
        if isinstance(result, NoListing):
            raise NotFound(result.message.replace("`top 5 ", "").replace("`", ""))
        return result

    def filters(self, category: str | None) -> list[CategoryFilter]:
        if category is None:
            return []
        found = resolve_filter(category)
        if found is None:
            hint = suggest(category)
            raise NotFound(
                f"I don't know the category {category[:40]!r}"
                + (f"; did you mean {hint}?" if hint else ".")
            )
        return [found]

    def nearby(self, on: date | None) -> list[str]:
        """The seven listing days before `on`, newest first."""
        return [d.isoformat() for d in self.engine.listing_dates_before(on, 7)] if on else []

    @staticmethod
    def paper_id(request: web.Request) -> str:
        raw = request.match_info["arxiv_id"]
        arxiv_id = canonical_id(raw) if len(raw) <= 80 else None
        if arxiv_id is None:
            raise NotFound(f"{raw[:80]!r} is not an arXiv id like 2104.00743.")
        return arxiv_id


def _date(text: str) -> date:
    try:
        if DAY.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise NotFound(f"{text[:40]!r} is not a listing day like 2021-04-05.")


def _top(request: web.Request) -> int:
    raw = request.query.get("top")
    if raw is None:
        return DEFAULT_TOP
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TOP:
        raise BadRequest(f"top: a number from 1 to {MAX_TOP}.")
    return int(raw)


def _query(request: web.Request) -> str:
    q = " ".join(request.query.get("q", "").split())
    if len(q) > MAX_QUERY:
        raise BadRequest(f"That search is too long; at most {MAX_QUERY} characters.")
    return q


def _cache(seconds: int) -> dict[str, str]:
    return {"Cache-Control": f"public, max-age={seconds}"}


def _html(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/html", charset="utf-8", headers=_cache(300))


class Fingerprinted(web.Response):
    """A response whose ETag is computed from `fingerprint`, not from its body."""

    fingerprint: str | None = None


def _json(data: dict[str, Any], cache: int = 300) -> web.Response:
    response = Fingerprinted(
        text=json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json",
        charset="utf-8",
        headers=_cache(cache),
    )
    # The ETag ignores the generation time: the same data is the same document.
    response.fingerprint = json.dumps({**data, "generated_at": None}, sort_keys=True)
    return response


def add_routes(app: web.Application, site: Site) -> None:
    r = app.router
    r.add_get("/style.css", site.style)
    r.add_get("/feed.atom", site.feed)
    r.add_get("/search", site.search_page)
    r.add_get("/api/v1/openapi.json", site.openapi)
    r.add_get("/api/v1/digests/{day}", site.api_digest)
    r.add_get("/api/v1/papers/{arxiv_id:.+}", site.api_paper)
    r.add_get("/api/v1/search", site.api_search)
    r.add_get("/paper/{arxiv_id:.+}", site.paper_page)
    r.add_get("/", site.digest_page)
    r.add_get("/c/{cat}", site.digest_page)
    r.add_get("/c/{cat}/feed.atom", site.feed)
    r.add_get("/c/{cat}/{day}", site.digest_page)
    r.add_get("/{day}", site.digest_page)
