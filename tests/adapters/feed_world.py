"""A store for the Bluesky feed tests: two listing days; Bluesky posts and their likes come in
through the Jetstream listener's own store (JetstreamLog.apply), as they do in production."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from adapters.web.config import WebConfig
from adapters.web.server import start
from bot.services.engine import Engine, EngineSettings
from bot.sources.attention.jetstream_events import LIKE, POST, Event
from bot.store import Store
from bot.store.jetstream import JetstreamLog
from tests.helpers import aggregate, paper

APR5, APR6 = date(2021, 4, 5), date(2021, 4, 6)
NOW = datetime(2021, 4, 7, 12, 0, tzinfo=UTC)
PUBLISHER = "did:plc:hotpapersbot"
HOST = "feed.example.org"
T0 = int(datetime(2021, 4, 6, 10, tzinfo=UTC).timestamp() * 1_000_000)


def post_uri(did: str, rkey: str) -> str:
    return f"at://{did}/{POST}/{rkey}"


# (arxiv id, listing day, categories, archive attention, [(author did, post rkey, likes)])
PAPERS: list[tuple[str, date, tuple[str, ...], int, list[tuple[str, str, int]]]] = [
    ("2104.10001", APR6, ("cs.CV",), 100, [("did:plc:ann", "a1", 3), ("did:plc:ben", "a2", 5)]),
    ("2104.10002", APR6, ("cs.CL",), 80, [("did:plc:cat", "b1", 1)]),
    ("2104.10003", APR6, ("cs.CV",), 60, []),  # no Bluesky post: not in the feed
    ("2104.10004", APR6, ("cs.CV", "cs.LG"), 40, [("did:plc:dan", "d1", 0)]),
    ("2104.10005", APR6, ("cs.LG",), 20, [("did:plc:eve", "e1", 2)]),
    ("2104.10006", APR6, ("math.AG",), 10, [("did:plc:fay", "f1", 1)]),
    ("2104.00009", APR5, ("cs.CV",), 500, [("did:plc:gus", "g1", 9)]),  # an older listing
]
OVERALL = [
    post_uri("did:plc:ben", "a2"),
    post_uri("did:plc:cat", "b1"),
    post_uri("did:plc:dan", "d1"),
    post_uri("did:plc:eve", "e1"),
    post_uri("did:plc:fay", "f1"),
]
CS_CV = [post_uri("did:plc:ben", "a2"), post_uri("did:plc:dan", "d1")]


def build_store(path: Path) -> Store:
    store = Store.open(path)
    store.upsert_papers([paper(i, day, cats) for i, day, cats, _, _ in PAPERS])
    store.upsert_observations([aggregate(i, n, 0) for i, _, _, n, _ in PAPERS])
    events: list[Event] = []
    t = T0
    for arxiv_id, _, _, _, posts in PAPERS:
        for did, rkey, likes in posts:
            t += 1
            uri = post_uri(did, rkey)
            events.append(Event("post", uri, did, t, POST, arxiv_ids=(arxiv_id,), text="look"))
            for n in range(likes):
                t += 1
                fan = f"did:plc:fan{n}"
                like = f"at://{fan}/{LIKE}/{rkey}{n}"
                events.append(Event("like", like, fan, t, LIKE, subject=uri))
    JetstreamLog(store).apply(events, t)
    return store


def feed_config(categories: tuple[str, ...] = ("cs.CV", "cs")) -> WebConfig:
    return WebConfig(
        port=0,
        requests_per_minute=0,
        feed_publisher_did=PUBLISHER,
        feed_hostname=HOST,
        feed_categories=categories,
    )


@asynccontextmanager
async def serving(store: Store, config: WebConfig | None = None) -> AsyncIterator[str]:
    """The site on 127.0.0.1 (an OS-chosen port); yields its base URL."""
    engine = Engine(store, EngineSettings(), clock=lambda: NOW)
    runner, port = await start(engine, config or feed_config())
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
