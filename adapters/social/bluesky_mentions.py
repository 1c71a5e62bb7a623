"""Bluesky: answers mentions and replies (atproto notifications) with a threaded reply post."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from adapters.social.bluesky import link_facets
from adapters.social.mentions import Mention, MentionPoller
from adapters.social.render import SocialPost
from adapters.social.thread import Budget
from bot.services.engine import Engine
from bot.store import Store

log = logging.getLogger(__name__)

REASONS = ("mention", "reply")
KEEP_HANDLED = 500  # post uris remembered as handled (a post notified as mention, then reply)


def field(obj: Any, name: str, camel: str | None = None) -> Any:
    """An attribute of an atproto model, or a key of the same thing as a plain dict."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(camel or name, obj.get(name))
    return getattr(obj, name, None)


def ref_id(ref: Any) -> str:
    """A strong reference as the publisher's post id: `at://...|cid` ("" when incomplete)."""
    uri, cid = field(ref, "uri"), field(ref, "cid")
    return f"{uri}|{cid}" if uri and cid else ""


def _is_link(feature: Any) -> bool:
    kind = field(feature, "py_type", "$type") or ""
    return str(kind).endswith("#link") and bool(field(feature, "uri"))


def record_links(record: Any) -> list[tuple[int, int, str]]:
    """(byte start, byte end, uri) of the record's link facets."""
    links = []
    for facet in field(record, "facets") or []:
        index = field(facet, "index")
        start, end = field(index, "byte_start", "byteStart"), field(index, "byte_end", "byteEnd")
        for feature in field(facet, "features") or []:
            if _is_link(feature) and isinstance(start, int) and isinstance(end, int):
                links.append((start, end, str(field(feature, "uri"))))
    return links


def expanded_text(record: Any) -> str:
    """The post's text with each link facet's (often shortened) label replaced by its target."""
    data = str(field(record, "text") or "").encode("utf-8")
    for start, end, uri in sorted(record_links(record), reverse=True):
        if 0 <= start <= end <= len(data):
            data = data[:start] + uri.encode("utf-8") + data[end:]
    return data.decode("utf-8", errors="replace")


def link_text(record: Any) -> str:
    """The post's text, its link facets' targets and its external embed's address."""
    uris = [uri for _, _, uri in record_links(record)]
    embed = field(record, "embed")
    for external in (field(embed, "external"), field(field(embed, "media"), "external")):
        if field(external, "uri"):
            uris.append(str(field(external, "uri")))
    return " ".join([str(field(record, "text") or ""), *uris])


def _time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class BlueskyMentions(MentionPoller):
    """Polls `app.bsky.notification.listNotifications` (mentions and replies), newest first.

    The cursor is the newest notification seen ("indexedAt|uri"); paging stops there. The first
    poll answers nothing: it records the newest notification as the cursor ("|" when there is
    none yet: then everything the next poll sees is new). A post can be notified twice (as
    "mention" and as "reply", possibly in different polls): the last KEEP_HANDLED handled post
    uris are kept in the store's meta, so it is answered once.
    """

    platform = "bluesky"
    nothing_seen = "|"  # started, nothing seen yet: everything the next poll sees is new

    def __init__(
        self,
        client: Any,
        engine: Engine,
        store: Store,
        *,
        own_did: str,
        daily_budget: int | None = None,
        budget: Budget | None = None,
        clock: Callable[[], datetime] | None = None,
        max_pages: int = 5,
        page_size: int = 50,
    ) -> None:
        super().__init__(
            client, engine, store, daily_budget=daily_budget, budget=budget, clock=clock
        )
        self.own_did = own_did
        self.max_pages = max(1, max_pages)
        self.page_size = page_size
        self._handled: list[str] = []  # post uris handled lately, oldest first (from the store)

    @property
    def handled_key(self) -> str:
        return f"mentions:{self.platform}:handled"

    def _load_handled(self) -> list[str]:
        try:
            loaded = json.loads(self.store.get_meta(self.handled_key) or "[]")
        except ValueError:
            return []
        return [u for u in loaded if isinstance(u, str)] if isinstance(loaded, list) else []

    def _cursor_of(self, item: Any) -> str:
        return _key(item)

    def _rate_limited(self, exc: Exception) -> bool:
        return getattr(getattr(exc, "response", None), "status_code", 0) == 429

    async def _new(self, cursor: str | None) -> list[Any]:
        notes = await asyncio.to_thread(self._fetch, cursor)
        self._handled = self._load_handled()
        return list(reversed(notes))

    def _is_new(self, note: Any) -> bool:
        uri = str(field(note, "uri") or "")
        return bool(uri) and uri not in self._handled and field(note, "reason") in REASONS

    def _done(self, item: Any) -> None:
        if self._is_new(item):
            self._handled = [*self._handled, str(field(item, "uri"))][-KEEP_HANDLED:]
            self.store.set_meta(self.handled_key, json.dumps(self._handled))
        super()._done(item)

    def _fetch(self, cursor: str | None) -> list[Any]:
        """Notifications newer than the cursor, newest first (one page on the first poll).

        SDK calls only (run in a worker thread).
        """
        stop_time, _, stop_uri = (cursor or "").partition("|")
        stop_at = _time(stop_time) if stop_time else None
        found: list[Any] = []
        page_cursor: str | None = None
        for _ in range(self.max_pages if cursor else 1):
            params: dict[str, Any] = {"limit": self.page_size, "reasons": list(REASONS)}
            if page_cursor:
                params["cursor"] = page_cursor
            page = self.client.app.bsky.notification.list_notifications(params=params)
            for note in field(page, "notifications") or []:
                indexed = _time(str(field(note, "indexed_at", "indexedAt") or ""))
                if stop_at is not None and (
                    indexed < stop_at or (indexed == stop_at and field(note, "uri") == stop_uri)
                ):
                    return found
                found.append(note)
            page_cursor = field(page, "cursor")
            if not page_cursor:
                break
        return found

    async def _answer(self, note: Any) -> int:
        author = field(note, "author")
        if not self._is_new(note) or field(author, "did") == self.own_did:
            return 0
        record = field(note, "record")
        reply = field(record, "reply")
        parent, root = field(reply, "parent"), field(reply, "root")
        me = {"uri": str(field(note, "uri")), "cid": str(field(note, "cid"))}
        mention = Mention(
            id=ref_id(me),
            author=str(field(author, "handle") or field(author, "did") or ""),
            text=expanded_text(record),
            thread_ids=tuple(dict.fromkeys(t for t in (ref_id(parent), ref_id(root)) if t)),
        )
        if (
            field(note, "reason") == "mention"
            and field(parent, "uri")
            and self.answerer.request(mention) is None
        ):
            parent_text = await asyncio.to_thread(self._parent_text, str(field(parent, "uri")))
            mention = replace(mention, parent_text=parent_text)
        prepared = await self.answerer.prepare(mention)
        if prepared is None:
            return 0
        root_ref = root if ref_id(root) else me
        sent = await asyncio.to_thread(self._send, prepared.post, root=root_ref, parent=me)
        self.answerer.posted(prepared, ref_id(sent))
        return 1

    def _parent_text(self, uri: str) -> str:
        """The replied-to post's text and links; "" for the bot's own posts or when unreadable.

        SDK calls only (run in a worker thread).
        """
        try:
            posts = field(self.client.get_posts([uri]), "posts") or []
        except Exception as exc:
            log.info("bluesky: cannot read the replied-to post: %s", type(exc).__name__)
            return ""
        if not posts or field(field(posts[0], "author"), "did") == self.own_did:
            return ""
        return link_text(field(posts[0], "record"))

    def _send(self, post: SocialPost, *, root: Any, parent: Any) -> Any:
        from atproto import models

        def strong(ref: Any) -> Any:
            return models.ComAtprotoRepoStrongRef.Main(
                uri=str(field(ref, "uri")), cid=str(field(ref, "cid"))
            )

        facets = link_facets(post)
        reply_to = models.AppBskyFeedPost.ReplyRef(root=strong(root), parent=strong(parent))
        return self.client.send_post(post.text, reply_to=reply_to, facets=facets or None)


def _key(note: Any) -> str:
    return f"{field(note, 'indexed_at', 'indexedAt')}|{field(note, 'uri')}"
