"""Jetstream v1 events, translated (pure): which frames are posts linking arXiv, likes, reposts,
replies, quotes and deletes, and the observations a tracked post gives.

A frame is `{did, time_us, kind, commit: {operation, collection, rkey, record}}`; link facets
count UTF-8 bytes of the text. Nothing here touches the network or the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.domain.models import Observation, Post
from bot.sources.attention.base import arxiv_ids_in, parse_time, text_of
from bot.sources.attention.bluesky_links import embed_links, expand_links, facet_links

SOURCE = "bluesky"
POST = "app.bsky.feed.post"
LIKE = "app.bsky.feed.like"
REPOST = "app.bsky.feed.repost"
COLLECTIONS = (POST, LIKE, REPOST)
MAX_EVENT_BYTES = 256 * 1024  # a post record is a few KB at most; bigger frames are skipped
FUTURE_SLACK_US = 5 * 60 * 1_000_000  # a time_us further ahead of the clock is not trusted


class BadEvent(ValueError):
    """A frame that cannot be read (the message says why, in one line)."""


@dataclass(frozen=True)
class Event:
    """One relevant commit. kind: post | like | repost | delete.

    post: arxiv_ids it links; refs the posts it replies to or quotes (at:// URIs).
    like/repost: subject, the post liked or reposted. delete: collection says what went."""

    kind: str
    uri: str
    did: str
    time_us: int
    collection: str
    subject: str = ""
    arxiv_ids: tuple[str, ...] = ()
    reply_to: str = ""
    quotes: str = ""
    text: str = ""
    created: datetime | None = None
    lang: str = ""


def decode(frame: str | bytes) -> Any:
    """The JSON of one frame; BadEvent when it is too big or not JSON."""
    if len(frame) > MAX_EVENT_BYTES:
        raise BadEvent(f"a frame of {len(frame)} bytes (over {MAX_EVENT_BYTES})")
    try:
        return json.loads(frame)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadEvent(f"not JSON ({str(exc)[:80]})") from None


_TIME_US = re.compile(r'"time_us":(\d+)')
_AT_URI = re.compile(r'at://[^"]+')
_LIKE_OR_REPOST = ('"collection":"app.bsky.feed.like"', '"collection":"app.bsky.feed.repost"')


def untracked_engagement(frame: str | bytes, tracked: Container[str], now_us: int) -> int | None:
    """The time_us of a frame that is surely a like or repost create of no tracked post, found
    without decoding it (most of the stream); None when the frame needs `decode` and
    `parse_event`. Conservative: a frame with any backslash (so every quote is JSON's own),
    without a subject, or naming any tracked URI anywhere is left to the full path."""
    if (
        not isinstance(frame, str)
        or len(frame) > MAX_EVENT_BYTES
        or "\\" in frame
        or '"operation":"create"' not in frame
        or '"subject":' not in frame
        or '"kind":"commit"' not in frame
        or (_LIKE_OR_REPOST[0] not in frame and _LIKE_OR_REPOST[1] not in frame)
    ):
        return None
    found = _TIME_US.search(frame)
    if found is None:
        return None
    time_us = int(found.group(1))
    if not 0 < time_us <= now_us + FUTURE_SLACK_US:
        return None
    for uri in _AT_URI.findall(frame):
        if uri in tracked:
            return None
    return time_us


def time_of(message: Any) -> int | None:
    value = message.get("time_us") if isinstance(message, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def parse_event(message: Any, now_us: int) -> Event | None:
    """The event in a decoded frame; None for what we do not count (identity and account
    events, other collections, updates); BadEvent for a malformed commit or a future time."""
    if not isinstance(message, dict):
        raise BadEvent("a frame that is not an object")
    if message.get("kind") != "commit":
        return None
    commit = message.get("commit")
    if not isinstance(commit, dict):
        raise BadEvent("a commit without its commit object")
    collection = commit.get("collection")
    if collection not in COLLECTIONS:
        return None
    did, rkey, operation = message.get("did"), commit.get("rkey"), commit.get("operation")
    time_us = time_of(message)
    if not isinstance(did, str) or not did.startswith("did:") or not isinstance(rkey, str):
        raise BadEvent(f"a {collection} commit without did or rkey")
    if time_us is None:
        raise BadEvent(f"a {collection} commit without time_us")
    if time_us > now_us + FUTURE_SLACK_US:
        raise BadEvent(f"a time_us {time_us} ahead of the clock ({now_us})")
    uri = f"at://{did}/{collection}/{rkey}"
    if operation == "delete":
        return Event("delete", uri, did, time_us, str(collection))
    if operation != "create":
        return None  # updates change no counter (post edits are not in Bluesky's app)
    record = commit.get("record")
    if not isinstance(record, dict):
        raise BadEvent(f"a {collection} create without a record")
    if collection == POST:
        return _post(uri, did, time_us, record)
    subject = record.get("subject")
    target = subject.get("uri") if isinstance(subject, dict) else None
    if not isinstance(target, str) or not target.startswith("at://"):
        raise BadEvent(f"a {collection} without a subject uri")
    kind = "like" if collection == LIKE else "repost"
    return Event(kind, uri, did, time_us, str(collection), subject=target)


def _post(uri: str, did: str, time_us: int, record: Mapping[str, Any]) -> Event:
    text = text_of(record.get("text"))
    links = facet_links(record)
    embed = record.get("embed")
    ids = arxiv_ids_in(*[u for _, _, u in links], *embed_links(embed), text)
    reply = record.get("reply")
    parent = reply.get("parent") if isinstance(reply, dict) else None
    reply_to = parent.get("uri") if isinstance(parent, dict) else ""
    langs = record.get("langs")
    return Event(
        "post",
        uri,
        did,
        time_us,
        POST,
        arxiv_ids=tuple(ids),
        reply_to=reply_to if isinstance(reply_to, str) else "",
        quotes=quoted_uri(embed),
        text=expand_links(text, links),
        created=parse_time(record.get("createdAt")),
        lang=langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else "",
    )


def quoted_uri(embed: Any) -> str:
    """The at:// URI of the post a record embed quotes (record or recordWithMedia), or ''."""
    if not isinstance(embed, dict):
        return ""
    record = embed.get("record")
    if isinstance(record, dict) and isinstance(record.get("record"), dict):
        record = record["record"]  # recordWithMedia: {record: {record: strongRef}}
    uri = record.get("uri") if isinstance(record, dict) else None
    return uri if isinstance(uri, str) and "/app.bsky.feed.post/" in uri else ""


# -- tracked posts as observations ---------------------------------------------------------------


@dataclass(frozen=True)
class Tracked:
    """A tracked post and its counters, as the store keeps it."""

    uri: str
    did: str
    arxiv_ids: tuple[str, ...]
    created: datetime | None
    text: str = ""
    lang: str = ""
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    handle: str = ""  # resolved from the DID (app.bsky.actor.getProfiles), "" until then
    name: str = ""  # the author's display name, when resolved


def post_url(uri: str) -> str:
    """The bsky.app address of an at:// post URI (a DID works where a handle does)."""
    parts = uri.removeprefix("at://").split("/")
    return f"https://bsky.app/profile/{parts[0]}/post/{parts[-1]}"


def observation_key(uri: str, arxiv_id: str) -> str:
    """Like the search source's key, so a post seen by both is one observation."""
    return f"{uri}#{arxiv_id}"


def observations(post: Tracked) -> list[Observation]:
    """One observation per paper the post links (or inherits as a reply or quote). The account
    is the handle once resolved (as the search mode's), the DID until then."""
    who = post.handle or post.did
    shown = Post(
        source=SOURCE,
        url=post_url(post.uri),
        author_name=post.name or who,
        author_handle=who,
        text=post.text,
        posted=post.created,
        lang=post.lang,
        reposts=post.reposts,
        likes=post.likes,
    )
    return [
        Observation(
            source=SOURCE,
            key=observation_key(post.uri, arxiv_id),
            arxiv_id=arxiv_id,
            kind="post",
            observed_at=post.created,
            account=who.lower(),
            reposts=post.reposts,
            likes=post.likes,
            replies=post.replies,
            quotes=post.quotes,
            followers=None,
            is_repost=False,
            post=shown,
        )
        for arxiv_id in post.arxiv_ids
    ]


def event_time(time_us: int) -> datetime:
    return datetime.fromtimestamp(time_us / 1_000_000, UTC)
