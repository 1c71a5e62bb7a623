"""Bluesky: digest threads through atproto's send_post, links as facets, replies by reference."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from adapters.social.config import SocialConfig
from adapters.social.render import SocialPost
from adapters.social.thread import (
    Budget,
    Ledger,
    ThreadPublisher,
    describe,
    post_failed,
    seconds_until,
)
from bot.ports import DeliveryError

log = logging.getLogger(__name__)


def make_client(config: SocialConfig, secrets: Mapping[str, str]) -> Any:
    """A logged-in atproto Client (login reads the account's profile for its DID)."""
    from atproto import Client

    client = Client(base_url=config.base_url)
    client.login(secrets["handle"], secrets["app_password"])
    return client


def post_id(uri: str, cid: str) -> str:
    """One string for a post's strong reference: `at://...|cid` (replies need both)."""
    return f"{uri}|{cid}"


def split_id(value: str) -> tuple[str, str]:
    uri, _, cid = value.partition("|")
    return uri, cid


def delivery_error(exc: BaseException, now: datetime) -> DeliveryError:
    from atproto_client.exceptions import NetworkError, RequestException

    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", 0)
    if isinstance(exc, RequestException) and status == 429:
        headers = getattr(response, "headers", None) or {}
        lowered = {str(k).lower(): v for k, v in dict(headers).items()}
        try:
            reset: float | None = float(lowered.get("ratelimit-reset"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            reset = None
        return DeliveryError(
            "Bluesky rate limit reached", transient=True, retry_after=seconds_until(reset, now)
        )
    if isinstance(exc, NetworkError):
        return DeliveryError(f"Bluesky unreachable: {describe(exc)}", transient=True)
    if status in (400, 401, 403):
        return DeliveryError(f"Bluesky refused the post ({status})", transient=False)
    return DeliveryError(f"posting to Bluesky failed: {describe(exc)}", transient=True)


def link_facets(post: SocialPost) -> list[Any]:
    """The post's links as Bluesky facets (UTF-8 byte offsets, computed by the renderer)."""
    from atproto import models

    return [
        models.AppBskyRichtextFacet.Main(
            index=models.AppBskyRichtextFacet.ByteSlice(
                byte_start=link.byte_start, byte_end=link.byte_end
            ),
            features=[models.AppBskyRichtextFacet.Link(uri=link.uri)],
        )
        for link in post.links
    ]


class BlueskyPublisher(ThreadPublisher):
    platform = "bluesky"

    def __init__(
        self,
        client: Any,
        *,
        daily_budget: int | None = None,
        ledger: Ledger | None = None,
        budget: Budget | None = None,
        clock: Callable[[], datetime] | None = None,
        thread: bool = True,
    ) -> None:
        super().__init__(
            daily_budget=daily_budget, ledger=ledger, budget=budget, clock=clock, thread=thread
        )
        self.client = client

    async def _post(self, post: SocialPost, *, root: str | None, parent: str | None) -> str:
        from atproto import models

        facets = link_facets(post)
        reply = None
        if root and parent:
            root_uri, root_cid = split_id(root)
            parent_uri, parent_cid = split_id(parent)
            reply = models.AppBskyFeedPost.ReplyRef(
                root=models.ComAtprotoRepoStrongRef.Main(uri=root_uri, cid=root_cid),
                parent=models.ComAtprotoRepoStrongRef.Main(uri=parent_uri, cid=parent_cid),
            )
        try:
            answer = await asyncio.to_thread(
                self.client.send_post, post.text, reply_to=reply, facets=facets or None
            )
        except Exception as exc:
            raise post_failed(delivery_error(exc, self.clock()), exc) from None
        uri, cid = getattr(answer, "uri", ""), getattr(answer, "cid", "")
        if not uri or not cid:
            error = DeliveryError("Bluesky answered without a post reference", transient=False)
            raise post_failed(error, None)
        return post_id(str(uri), str(cid))

    def _did(self) -> str:
        did = getattr(getattr(self.client, "me", None), "did", None)
        if not isinstance(did, str) or not did:
            raise ValueError("the Bluesky client is not logged in (no DID)")
        return did

    async def _find_posted(
        self, post: SocialPost, *, root: str | None, parent: str | None
    ) -> str | None:
        did = self._did()
        if parent:
            parent_uri, _ = split_id(parent)
            answer = await asyncio.to_thread(self.client.get_post_thread, uri=parent_uri, depth=1)
            thread = getattr(answer, "thread", None)
            return own_reply(getattr(thread, "replies", None) or [], did)
        answer = await asyncio.to_thread(self.client.get_author_feed, actor=did, limit=10)
        return own_first_post(getattr(answer, "feed", None) or [], did, post.text)


def _view_id(view: Any) -> str | None:
    uri, cid = getattr(view, "uri", None), getattr(view, "cid", None)
    return post_id(str(uri), str(cid)) if uri and cid else None


def own_reply(replies: list[Any], did: str) -> str | None:
    """Our reply among a post's replies (thread views): a digest thread has one per parent."""
    for reply in replies:
        view = getattr(reply, "post", None)  # not-found and blocked replies have none
        if getattr(getattr(view, "author", None), "did", None) == did:
            return _view_id(view)
    return None


def own_first_post(feed: list[Any], did: str, text: str) -> str | None:
    """In our author feed, a post of ours (not a repost, not a reply) with exactly `text`."""
    for item in feed:
        view = getattr(item, "post", None)
        record = getattr(view, "record", None)
        if getattr(item, "reason", None) is not None:
            continue
        if getattr(getattr(view, "author", None), "did", None) != did:
            continue
        if getattr(record, "reply", None) is None and getattr(record, "text", None) == text:
            return _view_id(view)
    return None
