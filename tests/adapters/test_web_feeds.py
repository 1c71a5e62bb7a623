"""Atom feeds, parsed by feedparser: RFC 4287's required elements, one entry per listing day,
stable ids, absolute links (public_url when configured)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import feedparser
import pytest

from adapters.web.config import WebConfig
from bot.store import Store
from tests.adapters.web_world import Site, build_store, serving


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = build_store(tmp_path / "web.db")
    yield s
    s.close()


@pytest.fixture
async def site(store: Store) -> AsyncIterator[Site]:
    async with serving(store) as s:
        yield s


async def test_the_feed_is_valid_atom_with_one_entry_per_listing_day(site: Site) -> None:
    response, text = await site.get("/feed.atom")
    assert response.status == 200
    assert response.content_type == "application/atom+xml"
    feed = feedparser.parse(text)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id.startswith("urn:uuid:")
    assert feed.feed.title == "Hot Papers"
    assert feed.feed.updated and feed.feed.author == "Hot Papers"
    assert {link.rel for link in feed.feed.links} == {"self", "alternate"}
    assert [e.title for e in feed.entries] == ["Hot Papers 2021-04-06", "Hot Papers 2021-04-05"]
    for entry in feed.entries:
        assert entry.id.startswith("urn:uuid:") and entry.updated and entry.link
        assert entry.link.startswith(site.base + "/2021-04-0")
    assert len({e.id for e in feed.entries}) == 2
    assert "Looking Again" in feed.entries[0].content[0].value
    assert f'href="{site.base}/paper/2104.00003"' in feed.entries[0].content[0].value


async def test_entry_ids_are_stable_across_restarts_and_addresses(store: Store) -> None:
    async with serving(store) as one:
        _, first = await one.get("/feed.atom")
    config = WebConfig(port=0, requests_per_minute=0, public_url="https://papers.example.org/")
    async with serving(store, config) as two:
        _, second = await two.get("/feed.atom")
    a, b = feedparser.parse(first), feedparser.parse(second)
    assert [e.id for e in a.entries] == [e.id for e in b.entries]
    assert [e.updated for e in a.entries] == [e.updated for e in b.entries]
    assert b.entries[0].link == "https://papers.example.org/2021-04-06"
    assert b.feed.links[0].href.startswith("https://papers.example.org/")


async def test_a_category_feed_has_only_its_days_and_own_ids(site: Site) -> None:
    _, everything = await site.get("/feed.atom")
    response, text = await site.get("/c/cs.CL/feed.atom")
    assert response.status == 200
    feed = feedparser.parse(text)
    assert not feed.bozo
    assert feed.feed.title == "Hot Papers · cs.CL"
    assert [e.title for e in feed.entries] == ["Hot Papers 2021-04-05 · cs.CL"]
    assert feed.entries[0].link == site.base + "/c/cs.CL/2021-04-05"
    all_ids = {e.id for e in feedparser.parse(everything).entries}
    assert feed.entries[0].id not in all_ids


async def test_an_unknown_category_feed_is_a_friendly_404(site: Site) -> None:
    response, text = await site.get("/c/cs.XX/feed.atom")
    assert response.status == 404 and "cs.XX" in text
