"""Answers mentions: poll since a stored cursor, run the command through the engine, reply in thread.

This module holds what every platform shares (the command in a mention, the digest-thread lookup
for `3`, the daily budget) and the Mastodon poller; X and Bluesky are in x_mentions.py and
bluesky_mentions.py. A mention that is only "@bot" (no command) in reply to someone else's post
linking an arXiv paper is answered with that paper's card.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from adapters.social.render import SocialPost, reply_post
from adapters.social.thread import Budget, MemoryBudget
from bot.domain.ids import find_arxiv_ids
from bot.domain.models import Reply, Request
from bot.services.engine import Engine
from bot.store import Store

log = logging.getLogger(__name__)

_HANDLE = re.compile(r"(?<![\w@])@[\w.-]+(?:@[\w.-]+\w)?")
_TAG = re.compile(r"<[^>]+>")
_HREF = re.compile(r"""href=["']([^"']+)["']""")


@dataclass(frozen=True)
class Mention:
    id: str  # the post to reply to
    author: str  # handle without "@" (Mastodon: acct, user@instance for remote users)
    text: str  # the visible text (links expanded to their targets where the platform shortens)
    parent_text: str = ""  # someone else's post it replies to, text with its links ("" if none)
    thread_ids: tuple[str, ...] = ()  # the replied-to post, then the thread's root (if known)


def html_text(content: str, *, links: bool = False) -> str:
    """Mastodon's HTML content as text; with `links`, every link's target appended too."""
    text = re.sub(r"<br\s*/?>|</p>", "\n", content or "")
    text = html.unescape(_TAG.sub("", text)).strip()
    if links:
        text = " ".join([text, *(html.unescape(h) for h in _HREF.findall(content or ""))])
    return text


def command_text(mention: Mention, *, in_thread: bool = False) -> str | None:
    """What to ask the engine, or None to stay silent (no command and no paper to answer with).

    `in_thread`: the mention is a reply inside one of the bot's digest threads, where a bare
    number (`3`) asks for that item.
    """
    body = " ".join(_HANDLE.sub(" ", mention.text).split())
    if body and Engine.understands(body, in_thread=in_thread):
        return body
    found = find_arxiv_ids(mention.parent_text)
    if found:
        return f"paper {found[0].id}"
    return None


@dataclass(frozen=True)
class Answer:
    """A prepared answer: the request the engine answered, its reply and the post to make."""

    request: Request
    reply: Reply
    post: SocialPost


class Answerer:
    """What every platform's mention poller shares: requests, digest threads, the daily budget.

    A mention replying inside one of the bot's digest threads is asked with `thread` set to
    the post it replies to (or the thread's root) and the channel the digest's delivery
    recorded (a subscription's channel, even one removed since), so the engine's thread lookup
    answers `3`. Store and engine calls only: callers run it on the event loop's thread.
    """

    def __init__(
        self,
        engine: Engine,
        store: Store,
        platform: str,
        *,
        daily_budget: int | None = None,
        budget: Budget | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.platform = platform
        self.daily_budget = daily_budget
        self.budget: Budget = budget or MemoryBudget()
        self.clock = clock or (lambda: datetime.now(UTC))
        self._warned = False

    def new_poll(self) -> None:
        self._warned = False

    def _day(self) -> str:
        return self.clock().astimezone(UTC).date().isoformat()

    def has_budget(self) -> bool:
        """Whether one more post fits today's budget; the first refusal of a poll is logged."""
        if self.daily_budget is None or self.budget.used(self._day()) < self.daily_budget:
            return True
        if not self._warned:
            self._warned = True
            log.warning(
                "%s: the daily posting budget (%d) is used up: mentions are not answered "
                "until midnight UTC",
                self.platform,
                self.daily_budget,
            )
        return False

    def digest_thread(self, thread_ids: Sequence[str]) -> tuple[str, str] | None:
        """(channel, thread id) of the bot's digest delivery one of `thread_ids` belongs to."""
        for thread in thread_ids:
            found = self.store.deliveries.for_thread_any(self.platform, thread)
            if found is not None:
                return found.channel, thread
        return None

    def request(self, mention: Mention) -> Request | None:
        """The engine request for `mention`, or None when there is nothing to answer."""
        found = self.digest_thread([t for t in mention.thread_ids if t])
        text = command_text(mention, in_thread=found is not None)
        if text is None:
            return None
        channel, thread = found if found is not None else (self.platform, None)
        return Request(
            text=text,
            user=mention.author,
            channel=channel,
            thread=thread,
            platform=self.platform,
            addressed=True,
        )

    async def prepare(self, mention: Mention, prefix: str = "") -> Answer | None:
        """The answer to post, or None (nothing to say, or no budget left today).

        An unknown paper is fetched from arXiv in a worker thread (Engine.handle_async).
        """
        request = self.request(mention)
        if request is None or not self.has_budget():
            return None
        reply = await self.engine.handle_async(request)
        if reply is None:
            return None
        return Answer(request, reply, reply_post(self.platform, reply, prefix=prefix))

    def posted(self, prepared: Answer, post_id: str) -> None:
        """Count the post against the budget; a digest answer can then be asked `3` too."""
        self.budget.spend(self._day(), 1)
        if prepared.reply.digest is not None and post_id:
            request = replace(prepared.request, channel=self.platform)
            self.engine.record_reply(request, prepared.reply, [post_id], post_id)


class MentionPoller:
    """The poll every platform shares: read what came after the stored cursor, answer each
    item oldest first, advance the cursor past it.

    The first poll (no cursor) answers nothing: it records the newest item as the cursor, so a
    new bot does not answer its whole backlog at once. One failing mention never stops the
    others; a rate limit stops the poll and the rest wait for the next one. Subclasses run SDK
    calls in worker threads; the store and the engine are used on the event loop's thread only.
    """

    platform = "social"
    nothing_seen = "0"  # the cursor after a first poll that found nothing

    def __init__(
        self,
        client: Any,
        engine: Engine,
        store: Store,
        *,
        daily_budget: int | None = None,
        budget: Budget | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.client = client
        self.engine = engine
        self.store = store
        self.answerer = Answerer(
            engine, store, self.platform, daily_budget=daily_budget, budget=budget, clock=clock
        )

    @property
    def cursor_name(self) -> str:
        return f"mentions:{self.platform}"

    async def _new(self, cursor: str | None) -> list[Any]:
        """The items after `cursor` (None: the newest page), oldest first."""
        raise NotImplementedError

    def _cursor_of(self, item: Any) -> str:
        raise NotImplementedError

    def _rate_limited(self, exc: Exception) -> bool:
        raise NotImplementedError

    async def _answer(self, item: Any) -> int:
        """1 when an answer was posted, else 0."""
        raise NotImplementedError

    def _done(self, item: Any) -> None:
        """Called after each item, answered or not: the cursor moves past it."""
        cursor = self._cursor_of(item)
        if cursor:
            self.store.set_cursor(self.cursor_name, cursor)

    async def poll_once(self) -> int:
        """Answer every new mention (oldest first); the number answered. Never raises."""
        cursor = self.store.get_cursor(self.cursor_name)
        try:
            items = await self._new(cursor)
        except Exception as exc:
            log.warning("%s: reading mentions failed: %s", self.platform, type(exc).__name__)
            return 0
        if cursor is None:
            newest = (self._cursor_of(items[-1]) if items else "") or self.nothing_seen
            self.store.set_cursor(self.cursor_name, newest)
            log.info(
                "%s: first poll: %d earlier mentions left unanswered (newest %s); "
                "answering new ones from now on",
                self.platform,
                len(items),
                newest,
            )
            return 0
        self.answerer.new_poll()
        answered = 0
        for item in items:
            try:
                answered += await self._answer(item)
            except Exception as exc:
                if self._rate_limited(exc):
                    log.warning(
                        "%s: rate limited: the remaining mentions wait for the next poll",
                        self.platform,
                    )
                    break
                log.warning(  # one bad mention never stops the others
                    "%s: answering %s failed: %s",
                    self.platform,
                    self._cursor_of(item),
                    type(exc).__name__,
                )
            self._done(item)
        return answered


class MastodonMentions(MentionPoller):
    """Polls `notifications(types=["mention"], min_id=cursor)` and replies with status_post."""

    platform = "mastodon"

    def __init__(
        self,
        client: Any,
        engine: Engine,
        store: Store,
        *,
        own_account: str = "",
        visibility: str = "unlisted",
        daily_budget: int | None = None,
        budget: Budget | None = None,
        clock: Callable[[], datetime] | None = None,
        page_size: int = 40,
        max_pages: int = 5,
    ) -> None:
        super().__init__(
            client, engine, store, daily_budget=daily_budget, budget=budget, clock=clock
        )
        self.own = own_account.lower().lstrip("@")
        self.visibility = visibility
        self.page_size = max(1, page_size)
        self.max_pages = max(1, max_pages)

    def _cursor_of(self, item: Any) -> str:
        return str(item.get("id") or "")

    def _rate_limited(self, exc: Exception) -> bool:
        from mastodon import MastodonRatelimitError

        return isinstance(exc, MastodonRatelimitError)

    async def _new(self, cursor: str | None) -> list[Any]:
        """Mentions after the cursor, oldest first. `min_id` pages forward from the cursor, so a
        burst of more than a page between two polls is read in full (up to `max_pages`)."""
        if cursor is None or cursor == "0":  # first run, or nothing seen yet: the newest page
            notes = await asyncio.to_thread(
                self.client.notifications, types=["mention"], limit=self.page_size
            )
            return sorted(notes or [], key=_numeric_id)
        found: dict[str, Any] = {}
        for _ in range(self.max_pages):
            page = await asyncio.to_thread(
                self.client.notifications, types=["mention"], min_id=cursor, limit=self.page_size
            )
            after = int(cursor) if cursor.isdigit() else 0
            fresh = [n for n in page or [] if _numeric_id(n) > after]
            for note in fresh:
                found[str(note.get("id"))] = note
            if len(page or []) < self.page_size or not fresh:
                break
            cursor = str(max(_numeric_id(n) for n in fresh))
        else:
            log.warning(
                "mastodon: more than %d mentions since the last poll: the rest wait",
                self.page_size * self.max_pages,
            )
        return sorted(found.values(), key=_numeric_id)

    async def _answer(self, note: Any) -> int:
        status = note.get("status") or {}
        account = status.get("account") or {}
        acct = str(account.get("acct") or "")
        if not status or not acct or acct.lower() == self.own:
            return 0
        raw_parent = status.get("in_reply_to_id")
        parent_id = str(raw_parent) if raw_parent is not None else None
        mention = Mention(
            id=str(status.get("id")),
            author=acct,
            text=html_text(str(status.get("content") or "")),
            thread_ids=(parent_id,) if parent_id is not None else (),
        )
        if parent_id is not None and self.answerer.digest_thread(mention.thread_ids) is None:
            # Not a reply to one of the bot's digest posts: maybe deeper inside a digest thread
            # (under someone else's reply), or under someone's post linking a paper.
            ancestors = await self._ancestors(mention.id)
            nearest_first = [str(a.get("id")) for a in reversed(ancestors) if a.get("id")]
            mention = replace(mention, thread_ids=tuple(dict.fromkeys([parent_id, *nearest_first])))
            if self.answerer.request(mention) is None:
                parent = next((a for a in ancestors if str(a.get("id")) == parent_id), None)
                if parent is None:
                    parent = await self._status(parent_id)
                mention = replace(mention, parent_text=self._parent_text(parent))
        prepared = await self.answerer.prepare(mention, prefix=f"@{acct} ")
        if prepared is None:
            return 0
        posted = await asyncio.to_thread(
            self.client.status_post,
            prepared.post.text,
            in_reply_to_id=mention.id,
            visibility=self.visibility,
            idempotency_key=f"hotpapers:answer:{mention.id}",
        )
        self.answerer.posted(prepared, str(posted.get("id") or ""))
        return 1

    async def _ancestors(self, status_id: str) -> list[Any]:
        """The statuses above `status_id` in its thread, root first ([] when unreadable)."""
        try:
            context = await asyncio.to_thread(self.client.status_context, status_id)
        except Exception as exc:
            log.info("mastodon: cannot read the thread of %s: %s", status_id, type(exc).__name__)
            return []
        ancestors = (context or {}).get("ancestors") or []
        return [a for a in ancestors if a]

    async def _status(self, status_id: str) -> Any:
        try:
            return await asyncio.to_thread(self.client.status, status_id)
        except Exception as exc:
            log.info(
                "mastodon: cannot read the replied-to status %s: %s", status_id, type(exc).__name__
            )
            return None

    def _parent_text(self, parent: Any) -> str:
        """The replied-to status's text and links; "" for the bot's own (its links are ours)."""
        if not parent:
            return ""
        acct = str((parent.get("account") or {}).get("acct") or "")
        if acct.lower() == self.own:
            return ""
        return html_text(str(parent.get("content") or ""), links=True)


def _numeric_id(note: Any) -> int:
    raw = str(note.get("id", "0") or "0")
    return int(raw) if raw.isdigit() else 0
