"""A small store for the web tests: two listing days, several sources, an old-style id, and
hostile outside text; the site served for real on 127.0.0.1 (an OS-chosen port)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import aiohttp

from adapters.web.config import WebConfig
from adapters.web.server import start
from bot.domain.models import Observation, Paper, Post
from bot.services.engine import Engine, EngineSettings
from bot.store import Store
from tests.helpers import aggregate, paper, post

APR5, APR6 = date(2021, 4, 5), date(2021, 4, 6)
NOW = datetime(2021, 4, 7, 12, 0, tzinfo=UTC)
HTML_HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(2)>",
    "</title><script>alert(3)</script>",
    '<a href="javascript:alert(4)">x</a>',
    "]]><!--",
    "&lt;script&gt;",
    "\x00\x01\x0b",
)


def build_store(path: Path, hostile: str = "") -> Store:
    store = Store.open(path)
    papers = [
        paper("2104.00001", APR5, ("cs.CV", "cs.LG"), title="Seeing Far"),
        paper("2104.00002", APR5, ("cs.CL",), title="Talking Clearly"),
        paper("2104.00003", APR6, ("cs.CV",), title="Looking Again"),
        Paper(
            arxiv_id="hep-th/9901001",
            title="Strings Of Old",
            authors=("P. Dirac",),
            primary_category="hep-th",
            categories=("hep-th",),
            listing_date=APR6,
        ),
    ]
    if hostile:
        papers.append(
            Paper(
                arxiv_id="2104.00666",
                title=f"Evil {hostile} title",
                authors=(f"Mallory {hostile}",),
                abstract=f"Abstract {hostile}",
                primary_category="cs.CV",
                categories=("cs.CV",),
                listing_date=APR6,
            )
        )
    observations = [
        aggregate("2104.00001", 100, 20),
        post("2104.00001", "a1", "alice", 5, 10, when=datetime(2021, 4, 5, 10, tzinfo=UTC)),
        post("2104.00001", "a2", "bob", 1, 2, when=datetime(2021, 4, 7, 8, tzinfo=UTC)),
        post("2104.00001", "m1", "carol", 3, 4, source="mastodon"),
        aggregate("2104.00002", 50, 5),
        aggregate("2104.00003", 70, 7),
        aggregate("hep-th/9901001", 9, 1),
    ]
    if hostile:
        observations += [
            aggregate("2104.00666", 500, 1),
            Observation(
                source="bluesky",
                key="evil",
                arxiv_id="2104.00666",
                observed_at=datetime(2021, 4, 6, 9, tzinfo=UTC),
                account="mallory",
                reposts=3,
                likes=3,
                post=Post(
                    source="bluesky",
                    url="javascript:alert(5)",
                    author_name=f"Mal {hostile}",
                    author_handle="mallory",
                    text=f"Read this {hostile}",
                ),
            ),
        ]
    store.upsert_papers(papers)
    store.upsert_observations(observations)
    return store


def engine_for(store: Store) -> Engine:
    return Engine(store, EngineSettings(), clock=lambda: NOW)


@dataclass
class Site:
    base: str
    session: aiohttp.ClientSession
    store: Store

    async def get(self, path: str, **kwargs: object) -> tuple[aiohttp.ClientResponse, str]:
        async with self.session.get(self.base + path, **kwargs) as response:  # type: ignore[arg-type]
            return response, await response.text()


@asynccontextmanager
async def serving(
    store: Store,
    config: WebConfig | None = None,
    clock: Callable[[], float] = lambda: 30.0,
) -> AsyncIterator[Site]:
    config = config or WebConfig(port=0, requests_per_minute=0)
    runner, port = await start(engine_for(store), config, clock=clock)
    try:
        async with aiohttp.ClientSession() as session:
            yield Site(f"http://127.0.0.1:{port}", session, store)
    finally:
        await runner.cleanup()
