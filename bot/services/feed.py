"""The Bluesky feed generator's answers (no HTTP here): the did:web document, the feeds it
describes, and a page of a feed's skeleton, read from the store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain.feeds import (
    Cursor,
    FeedRequestError,
    FeedSpec,
    feed_uri,
    find_feed,
    parse_cursor,
    parse_limit,
)
from bot.store import Store
from bot.store.feed import feed_page

DID_CONTEXT = ["https://www.w3.org/ns/did/v1"]


@dataclass(frozen=True)
class FeedSettings:
    hostname: str  # papers.example.org: the server's did is did:web:<hostname>
    publisher_did: str  # the account whose repo holds the app.bsky.feed.generator records
    specs: tuple[FeedSpec, ...]

    @property
    def service_did(self) -> str:
        return f"did:web:{self.hostname}"


class FeedGenerator:
    def __init__(
        self,
        store: Store,
        settings: FeedSettings,
        today: Callable[[], date],
        min_score: float = 0.0,
    ) -> None:
        self.store = store
        self.settings = settings
        self.today = today
        self.min_score = min_score

    def did_document(self) -> dict[str, Any]:
        host = self.settings.hostname
        return {
            "@context": DID_CONTEXT,
            "id": self.settings.service_did,
            "service": [
                {
                    "id": "#bsky_fg",
                    "type": "BskyFeedGenerator",
                    "serviceEndpoint": f"https://{host}",
                }
            ],
        }

    def describe(self) -> dict[str, Any]:
        did = self.settings.publisher_did
        return {
            "did": self.settings.service_did,
            "feeds": [{"uri": feed_uri(did, spec.rkey)} for spec in self.settings.specs],
        }

    def skeleton(self, feed: str | None, limit: str | None, cursor: str | None) -> dict[str, Any]:
        """One page; FeedRequestError (UnknownFeed, InvalidRequest) for a bad request."""
        if not feed:
            raise FeedRequestError("InvalidRequest", "feed: the at:// URI of a feed is required.")
        spec = find_feed(self.settings.specs, self.settings.publisher_did, feed)
        n = parse_limit(limit)
        after = parse_cursor(cursor)
        listing = after.listing if after else self.store.latest_listing_date(self.today())
        if listing is None:
            return {"feed": []}
        entries = feed_page(
            self.store.conn,
            listing,
            spec.filter.categories if spec.filter else None,
            (after.score, after.paper_id) if after else None,
            n,
            self.min_score,
        )
        posts = list(dict.fromkeys(e.post for e in entries))  # a post linking two papers: once
        page: dict[str, Any] = {"feed": [{"post": post} for post in posts]}
        if len(entries) == n:
            last = entries[-1]
            page["cursor"] = Cursor(listing, last.score, last.paper_id).text()
        return page
