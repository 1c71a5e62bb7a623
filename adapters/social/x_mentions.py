"""X: answers mentions (tweepy Client, OAuth 1.0a user context) in reply to each mention."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from adapters.social.mentions import Mention, MentionPoller
from adapters.social.thread import Budget
from bot.services.engine import Engine
from bot.store import Store

log = logging.getLogger(__name__)

EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"]
TWEET_FIELDS = ["author_id", "conversation_id", "created_at", "entities", "referenced_tweets"]
USER_FIELDS = ["username"]


def _urls(tweet: dict[str, Any]) -> list[dict[str, Any]]:
    entities = tweet.get("entities") or {}
    return [u for u in entities.get("urls") or [] if isinstance(u, dict)]


def expanded_text(tweet: dict[str, Any]) -> str:
    """The tweet's text with every t.co link replaced by the address it stands for."""
    text = str(tweet.get("text") or "")
    for url in _urls(tweet):
        short, full = url.get("url"), url.get("unwound_url") or url.get("expanded_url")
        if isinstance(short, str) and short and isinstance(full, str) and full:
            text = text.replace(short, full)
    return text


def link_text(tweet: dict[str, Any]) -> str:
    """The tweet's text and the full addresses of its links (never t.co ones)."""
    full = [str(u.get("unwound_url") or u.get("expanded_url") or "") for u in _urls(tweet)]
    return " ".join([expanded_text(tweet), *(f for f in full if f)])


def replied_to(tweet: dict[str, Any]) -> str | None:
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == "replied_to" and ref.get("id"):
            return str(ref["id"])
    return None


def _numeric(tweet: dict[str, Any]) -> int:
    raw = str(tweet.get("id") or "0")
    return int(raw) if raw.isdigit() else 0


class XMentions(MentionPoller):
    """Polls `get_users_mentions(since_id=cursor)` and answers with `create_tweet` in reply."""

    platform = "x"

    def __init__(
        self,
        client: Any,
        engine: Engine,
        store: Store,
        *,
        own_id: str | None = None,
        daily_budget: int | None = None,
        budget: Budget | None = None,
        clock: Callable[[], datetime] | None = None,
        max_pages: int = 5,
    ) -> None:
        super().__init__(
            client, engine, store, daily_budget=daily_budget, budget=budget, clock=clock
        )
        self.own_id = own_id
        self.max_pages = max(1, max_pages)
        self._includes: dict[str, dict[str, Any]] = {}  # referenced tweets and users of a poll

    def _cursor_of(self, item: Any) -> str:
        return str(item.get("id") or "")

    def _rate_limited(self, exc: Exception) -> bool:
        import tweepy

        return isinstance(exc, tweepy.errors.TooManyRequests)

    async def _new(self, cursor: str | None) -> list[Any]:
        if self.own_id is None:
            me = await asyncio.to_thread(self.client.get_me, user_auth=True)
            self.own_id = str(me["data"]["id"])
        tweets, self._includes = await asyncio.to_thread(self._fetch, cursor)
        return sorted(tweets, key=_numeric)

    def _fetch(self, since: str | None) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        """New mentions (all pages up to max_pages) and the referenced tweets/users by id.

        SDK calls only (run in a worker thread).
        """
        params: dict[str, Any] = {
            "expansions": EXPANSIONS,
            "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
            "max_results": 100 if since else 5,
            "user_auth": True,
        }
        if since and since != "0":
            params["since_id"] = since
        tweets: list[dict[str, Any]] = []
        includes: dict[str, dict[str, Any]] = {}
        for _ in range(self.max_pages if since else 1):
            page = self.client.get_users_mentions(self.own_id, **params) or {}
            tweets.extend(t for t in page.get("data") or [] if isinstance(t, dict))
            extra = page.get("includes") or {}
            for kind in ("tweets", "users"):
                for obj in extra.get(kind) or []:
                    if isinstance(obj, dict) and obj.get("id"):
                        includes[f"{kind}:{obj['id']}"] = obj
            token = (page.get("meta") or {}).get("next_token")
            if not token:
                break
            params["pagination_token"] = token
        return tweets, includes

    async def _answer(self, tweet: Any) -> int:
        includes = self._includes
        author_id = str(tweet.get("author_id") or "")
        if not author_id or author_id == self.own_id:
            return 0
        user = includes.get(f"users:{author_id}") or {}
        parent_id = replied_to(tweet)
        root = str(tweet.get("conversation_id") or "")
        mention = Mention(
            id=str(tweet["id"]),
            author=str(user.get("username") or author_id),
            text=expanded_text(tweet),
            thread_ids=tuple(dict.fromkeys(t for t in (parent_id, root) if t)),
        )
        parent = includes.get(f"tweets:{parent_id}") if parent_id else None
        if parent is not None and str(parent.get("author_id") or "") != self.own_id:
            mention = replace(mention, parent_text=link_text(parent))
        prepared = await self.answerer.prepare(mention)
        if prepared is None:
            return 0
        answer = await asyncio.to_thread(
            self.client.create_tweet, text=prepared.post.text, in_reply_to_tweet_id=mention.id
        )
        data = answer.get("data") if isinstance(answer, dict) else None
        self.answerer.posted(prepared, str((data or {}).get("id") or ""))
        return 1
