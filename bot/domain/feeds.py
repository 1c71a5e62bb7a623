"""The Bluesky custom feeds the bot serves (pure): their record keys, names and descriptions,
the page limits of `app.bsky.feed.getFeedSkeleton`, and its opaque, stable cursor.

One feed overall (`hot-papers`) and one per configured category or archive (`hot-cs-cv`,
`hot-cs`). A record key is at most 15 characters of [a-z0-9-] (Bluesky's rule for feed names).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from bot.domain.ids import canonical_id
from bot.domain.taxonomy import CategoryFilter, resolve_filter

OVERALL = "hot-papers"
MAX_RKEY = 15
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_CURSOR = 120
GENERATOR = "app.bsky.feed.generator"
RKEY = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,13}[a-z0-9])?$")


class FeedRequestError(ValueError):
    """An XRPC error to answer with: `error` is its name (UnknownFeed, InvalidRequest)."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error
        self.message = message


class FeedPublishError(Exception):
    """`publish-feed` could not write the records (one line: why)."""


@dataclass(frozen=True)
class FeedSpec:
    """One feed: its record key, what it shows, and the category filter (None: every paper)."""

    rkey: str
    display_name: str
    description: str
    filter: CategoryFilter | None = None


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the listing it reads and the last paper given (score, id)."""

    listing: date
    score: float
    paper_id: str

    def text(self) -> str:
        return f"{self.listing.isoformat()}:{self.score!r}:{self.paper_id}"


def rkey_of(category: str) -> str:
    """`cs.CV` -> `hot-cs-cv`; cut to 15 characters (no trailing dash) when longer."""
    slug = re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-")
    return f"hot-{slug}"[:MAX_RKEY].rstrip("-")


def feed_specs(categories: tuple[str, ...], title: str = "Hot Papers") -> tuple[FeedSpec, ...]:
    """The overall feed, then one per category or archive; ValueError (one line) for an unknown
    category or two that would share a record key."""
    specs = [
        FeedSpec(
            OVERALL,
            title[:24],
            "arXiv papers of the latest listing ranked by the attention they get; for each, the "
            "most-liked Bluesky post about it.",
        )
    ]
    for token in categories:
        found = resolve_filter(token)
        if found is None:
            raise ValueError(f"unknown category or archive {token!r}")
        rkey = rkey_of(found.label)
        if any(s.rkey == rkey for s in specs):
            raise ValueError(f"{token!r} would be a second feed named {rkey!r}")
        specs.append(
            FeedSpec(
                rkey,
                f"{title} · {found.label}"[:24],
                f"arXiv {found.label} papers of the latest listing ranked by the attention they "
                "get; for each, the most-liked Bluesky post about it.",
                found,
            )
        )
    return tuple(specs)


def feed_uri(publisher_did: str, rkey: str) -> str:
    return f"at://{publisher_did}/{GENERATOR}/{rkey}"


def find_feed(specs: tuple[FeedSpec, ...], publisher_did: str, uri: str) -> FeedSpec:
    for spec in specs:
        if uri == feed_uri(publisher_did, spec.rkey):
            return spec
    raise FeedRequestError("UnknownFeed", f"This server has no feed {uri[:200]!r}.")


def parse_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise FeedRequestError("InvalidRequest", f"limit: a number from 1 to {MAX_LIMIT}.")
    return int(raw)


def parse_cursor(raw: str | None) -> Cursor | None:
    """A cursor this server gave; InvalidRequest for anything else."""
    if raw is None or raw == "":
        return None
    bad = FeedRequestError("InvalidRequest", "cursor: not a cursor this feed gave.")
    parts = raw.split(":", 2) if len(raw) <= MAX_CURSOR else []
    if len(parts) != 3:
        raise bad
    day, score_text, paper_id = parts
    try:
        listing = date.fromisoformat(day)
        score = float(score_text)
    except ValueError:
        raise bad from None
    if not math.isfinite(score) or canonical_id(paper_id) != paper_id:
        raise bad
    return Cursor(listing, score, paper_id)


def post_uri(observation_key: str) -> str | None:
    """The at:// URI of a Bluesky post from its observation key (`<uri>#<arxiv id>`)."""
    uri = observation_key.rsplit("#", 1)[0]
    return uri if uri.startswith("at://") and "/app.bsky.feed.post/" in uri else None
