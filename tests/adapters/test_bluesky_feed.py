"""The Bluesky feed generator through the atproto SDK's own client (as Bluesky's AppView reads
it): describeFeedGenerator, getFeedSkeleton paged with its cursor, XRPC errors; did.json."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from atproto import Client
from atproto_client.exceptions import BadRequestError

from bot.store import Store
from tests.adapters.feed_world import (
    CS_CV,
    HOST,
    OVERALL,
    PUBLISHER,
    build_store,
    feed_config,
    post_uri,
    serving,
)
from tests.helpers import aggregate, paper

FEEDS = f"at://{PUBLISHER}/app.bsky.feed.generator"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = build_store(tmp_path / "feed.db")
    yield s
    s.close()


@pytest.fixture
async def base(store: Store) -> AsyncIterator[str]:
    async with serving(store) as url:
        yield url


def client(base: str) -> Client:
    return Client(base_url=f"{base}/xrpc")


async def skeleton(base: str, params: dict[str, Any]) -> Any:
    c = client(base)
    return await asyncio.to_thread(c.app.bsky.feed.get_feed_skeleton, params)


async def all_pages(base: str, feed: str, limit: int) -> tuple[list[str], int]:
    posts: list[str] = []
    cursor, pages = None, 0
    while True:
        params = {"feed": feed, "limit": limit} | ({"cursor": cursor} if cursor else {})
        page = await skeleton(base, params)
        pages += 1
        assert len(page.feed) <= limit
        posts += [item.post for item in page.feed]
        cursor = page.cursor
        if not cursor:
            return posts, pages
        assert pages < 20


async def test_describe_lists_the_overall_feed_and_one_per_category(base: str) -> None:
    c = client(base)
    described = await asyncio.to_thread(c.app.bsky.feed.describe_feed_generator)
    assert described.did == f"did:web:{HOST}"
    assert [f.uri for f in described.feeds] == [
        f"{FEEDS}/hot-papers",
        f"{FEEDS}/hot-cs-cv",
        f"{FEEDS}/hot-cs",
    ]


async def test_the_overall_feed_is_each_top_papers_most_liked_post_in_score_order(
    base: str,
) -> None:
    page = await skeleton(base, {"feed": f"{FEEDS}/hot-papers"})
    assert [item.post for item in page.feed] == OVERALL
    assert page.cursor is None  # fewer than the default 50: the last page
    # 2104.10001 has two posts: the one with 5 likes, not the one with 3
    assert post_uri("did:plc:ann", "a1") not in [item.post for item in page.feed]


async def test_paging_with_the_cursor_gives_every_post_once_in_order(base: str) -> None:
    for limit in (1, 2, 3):
        posts, pages = await all_pages(base, f"{FEEDS}/hot-papers", limit)
        assert posts == OVERALL
        assert pages == len(OVERALL) // limit + 1


async def test_a_category_feed_has_only_that_categorys_papers(base: str) -> None:
    posts, _ = await all_pages(base, f"{FEEDS}/hot-cs-cv", 1)
    assert posts == CS_CV
    archive, _ = await all_pages(base, f"{FEEDS}/hot-cs", 2)
    assert archive == OVERALL[:4]  # every cs paper (cross-lists too), not math.AG


async def test_an_unknown_feed_is_an_xrpc_unknownfeed_error(base: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        await skeleton(base, {"feed": f"{FEEDS}/hot-nope"})
    assert caught.value.response is not None
    assert caught.value.response.status_code == 400
    assert caught.value.response.content.error == "UnknownFeed"
    with pytest.raises(BadRequestError):  # another publisher's feed of the same name
        await skeleton(base, {"feed": "at://did:plc:someoneelse/app.bsky.feed.generator/hot-cs"})


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=ten",
        "limit=-1",
        "cursor=garbage",
        "cursor=2021-04-06:nan:2104.10002",
        "cursor=2021-13-06:1.0:2104.10002",
        "cursor=2021-04-06:1.0:not-a-paper",
        "cursor=" + "9" * 500,
    ],
)
async def test_bad_limits_and_cursors_are_invalidrequest(base: str, query: str) -> None:
    url = f"{base}/xrpc/app.bsky.feed.getFeedSkeleton?feed={FEEDS}/hot-papers&{query}"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 400
        body = await response.json()
    assert body["error"] == "InvalidRequest"
    assert body["message"] and "Traceback" not in body["message"]


async def test_a_missing_feed_parameter_and_unknown_methods_answer_xrpc_json(base: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/xrpc/app.bsky.feed.getFeedSkeleton") as response:
            assert response.status == 400
            assert (await response.json())["error"] == "InvalidRequest"
        async with session.get(f"{base}/xrpc/app.bsky.feed.getTimeline") as response:
            assert response.status == 404
            assert (await response.json())["error"] == "MethodNotImplemented"


async def test_did_json_is_the_did_web_document_of_the_host(base: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{base}/.well-known/did.json") as response,
    ):
        assert response.status == 200
        assert response.content_type == "application/json"
        doc = await response.json()
    assert doc == {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": f"did:web:{HOST}",
        "service": [
            {"id": "#bsky_fg", "type": "BskyFeedGenerator", "serviceEndpoint": f"https://{HOST}"}
        ],
    }


async def test_a_cursor_keeps_reading_its_listing_when_a_new_one_arrives(
    store: Store, base: str
) -> None:
    first = await skeleton(base, {"feed": f"{FEEDS}/hot-papers", "limit": 2})
    store.upsert_papers([paper("2104.20001", date(2021, 4, 7), ("cs.CV",))])
    store.upsert_observations([aggregate("2104.20001", 999, 0)])
    rest = await skeleton(base, {"feed": f"{FEEDS}/hot-papers", "cursor": first.cursor})
    assert [i.post for i in first.feed] + [i.post for i in rest.feed] == OVERALL


async def test_without_a_publisher_did_the_site_serves_no_feed(store: Store) -> None:
    config = feed_config()
    plain = type(config)(port=0, requests_per_minute=0)
    async with serving(store, plain) as url, aiohttp.ClientSession() as session:
        async with session.get(f"{url}/xrpc/app.bsky.feed.describeFeedGenerator") as response:
            assert response.status == 404
        async with session.get(f"{url}/.well-known/did.json") as response:
            assert response.status == 404


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ({"feed_publisher_did": "bob.bsky.social", "feed_hostname": HOST}, "feed_publisher_did"),
        ({"feed_publisher_did": PUBLISHER}, "feed_hostname: needed"),
        ({"feed_publisher_did": PUBLISHER, "feed_hostname": "https://x.org/"}, "no scheme"),
        ({"feed_hostname": HOST, "feed_categories": "cs.CV"}, "expected a list"),
        ({"feed_hostname": HOST, "feed_categories": ["cs.CVV"]}, "unknown category"),
        ({"feed_hostname": HOST, "feed_categories": ["cs.CV", "CS.cv"]}, "second feed"),
    ],
)
def test_feed_keys_are_checked_with_one_line_errors(table: dict[str, Any], words: str) -> None:
    from adapters.web.config import WebConfig
    from bot.domain.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        WebConfig.from_mapping(table, "config.toml")
    assert words in str(caught.value) and "\n" not in str(caught.value)
    assert str(caught.value).startswith("config.toml: [adapters.web] feed_")


def test_the_feed_host_defaults_to_the_public_urls() -> None:
    from adapters.web.config import WebConfig

    config = WebConfig.from_mapping(
        {"public_url": "https://papers.example.org/", "feed_publisher_did": PUBLISHER}, "c"
    )
    assert config.feed_hostname == "papers.example.org"
    assert config.feed_categories == ()
