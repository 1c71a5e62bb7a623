"""X: digest threads through tweepy's Client.create_tweet (OAuth 1.0a user context)."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import unicodedata
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

API_HOST = "https://api.twitter.com"


DEFAULT_TIMEOUT = 30.0  # seconds; tweepy sends without a timeout, so a hung connection never ends


def redirect(client: Any, base_url: str, *, timeout: float | None = DEFAULT_TIMEOUT) -> None:
    """tweepy has no base-URL or timeout option: set both in the session's transport.

    Requests to api.twitter.com go to `base_url` instead (a fake in tests), and every request
    without a timeout of its own gets `timeout` seconds.
    """
    import requests.adapters

    base = base_url.rstrip("/")

    class Transport(requests.adapters.HTTPAdapter):
        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            if base != API_HOST and request.url and request.url.startswith(API_HOST):
                request.url = base + request.url[len(API_HOST) :]
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = timeout
            return super().send(request, *args, **kwargs)

    client.session.mount(API_HOST, Transport())


def make_client(
    config: SocialConfig, secrets: Mapping[str, str], *, timeout: float = DEFAULT_TIMEOUT
) -> Any:
    import tweepy

    logging.getLogger("tweepy.client").setLevel(logging.INFO)  # its debug log prints tokens
    client = tweepy.Client(
        consumer_key=secrets["api_key"],
        consumer_secret=secrets["api_secret"],
        access_token=secrets["access_token"],
        access_token_secret=secrets["access_secret"],
        return_type=dict,
        wait_on_rate_limit=False,
    )
    redirect(client, config.base_url, timeout=timeout)
    return client


def _header(exc: Any, name: str) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    raw: Any = headers.get(name)
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


def delivery_error(exc: BaseException, now: datetime) -> DeliveryError:
    """X's answer as a DeliveryError: 429 transient with the reset; auth/bad request permanent."""
    import tweepy

    if isinstance(exc, tweepy.errors.TooManyRequests):
        wait = seconds_until(_header(exc, "x-rate-limit-reset"), now)
        return DeliveryError("X rate limit reached", transient=True, retry_after=wait)
    if isinstance(exc, tweepy.errors.Unauthorized | tweepy.errors.Forbidden):
        status = getattr(getattr(exc, "response", None), "status_code", "401/403")
        return DeliveryError(
            f"X refused the post ({status}): check the app's write permission and tokens",
            transient=False,
        )
    if isinstance(exc, tweepy.errors.BadRequest):
        return DeliveryError(f"X rejected the post: {exc}", transient=False)
    return DeliveryError(f"posting to X failed: {describe(exc)}", transient=True)


URL = re.compile(r"https?://\S+")


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", html.unescape(text))


def same_text(ours: str, theirs: str) -> bool:
    """Whether X's text of a tweet is our text: X escapes &<> and shows every link (bare domains
    too) as a t.co URL, so only what comes before its first URL is compared."""
    ours, theirs = _normal(ours), _normal(theirs)
    cut = URL.search(theirs)
    if cut is None:
        return theirs.strip() == ours.strip()
    head = theirs[: cut.start()]
    return bool(head.strip()) and ours.startswith(head)


def find_tweet(tweets: list[Any], text: str, parent: str | None) -> str | None:
    """Among our latest tweets, the reply to `parent` (there is one per parent in a digest
    thread) or, without a parent, the first post with `text` that is no reply."""
    for tweet in tweets:
        if not isinstance(tweet, dict) or not isinstance(tweet.get("id"), str):
            continue
        refs = tweet.get("referenced_tweets") or []
        replied = next(
            (r.get("id") for r in refs if isinstance(r, dict) and r.get("type") == "replied_to"),
            None,
        )
        if parent is not None and replied == parent:
            return str(tweet["id"])
        if parent is None and replied is None and same_text(text, str(tweet.get("text", ""))):
            return str(tweet["id"])
    return None


class XPublisher(ThreadPublisher):
    platform = "x"

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
        self._own_id: str | None = None

    async def _post(self, post: SocialPost, *, root: str | None, parent: str | None) -> str:
        try:
            answer = await asyncio.to_thread(
                self.client.create_tweet, text=post.text, in_reply_to_tweet_id=parent
            )
        except Exception as exc:
            raise post_failed(delivery_error(exc, self.clock()), exc) from None
        data = answer.get("data") if isinstance(answer, dict) else None
        tweet_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(tweet_id, str) or not tweet_id:
            raise post_failed(DeliveryError("X answered without a post id", transient=False), None)
        return tweet_id

    async def _me(self) -> str:
        if self._own_id is None:
            answer = await asyncio.to_thread(self.client.get_me, user_auth=True)
            data = answer.get("data") if isinstance(answer, dict) else None
            own = data.get("id") if isinstance(data, dict) else None
            if not isinstance(own, str) or not own:
                raise ValueError("X answered /2/users/me without an id")
            self._own_id = own
        return self._own_id

    async def _find_posted(
        self, post: SocialPost, *, root: str | None, parent: str | None
    ) -> str | None:
        answer = await asyncio.to_thread(
            self.client.get_users_tweets,
            id=await self._me(),
            max_results=10,
            tweet_fields=["referenced_tweets", "conversation_id"],
            user_auth=True,
        )
        if not isinstance(answer, dict):
            raise ValueError("X answered the timeline without a JSON object")
        tweets = answer.get("data") or []
        if not isinstance(tweets, list):
            raise ValueError("X answered the timeline without a list of tweets")
        return find_tweet(tweets, post.text, parent)
