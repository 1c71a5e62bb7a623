"""X: digest threads through tweepy's Client.create_tweet (OAuth 1.0a user context)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from adapters.social.config import SocialConfig
from adapters.social.thread import Budget, Ledger, ThreadPublisher, describe, seconds_until
from bot.publishing import DeliveryError
from bot.render.social import SocialPost

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
    ) -> None:
        super().__init__(daily_budget=daily_budget, ledger=ledger, budget=budget, clock=clock)
        self.client = client

    async def _post(self, post: SocialPost, *, root: str | None, parent: str | None) -> str:
        try:
            answer = await asyncio.to_thread(
                self.client.create_tweet, text=post.text, in_reply_to_tweet_id=parent
            )
        except Exception as exc:
            raise delivery_error(exc, self.clock()) from None
        data = answer.get("data") if isinstance(answer, dict) else None
        tweet_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(tweet_id, str) or not tweet_id:
            raise DeliveryError("X answered without a post id", transient=False)
        return tweet_id
