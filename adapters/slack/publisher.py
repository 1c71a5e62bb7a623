"""SlackPublisher: a digest as a channel message plus a thread of abstracts, marked for idempotency."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.web.slack_response import SlackResponse

from adapters.slack.render import (
    SlackMessage,
    digest_messages,
    digest_thread_messages,
    plain_messages,
)
from bot.domain.models import Digest
from bot.ports import DeliveryError, Sent

log = logging.getLogger(__name__)

EVENT_TYPE = "hotpapers_digest"  # the message metadata event_type that marks our digests
REPLY_EVENT_TYPE = "hotpapers_digest_reply"  # ...and the replies in their threads
# Errors that no retry will fix: the subscription is paused and an admin told.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "team_access_not_granted",
        "ekm_access_denied",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "invalid_arguments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
    }
)
Sleep = Callable[[float], Awaitable[None]]


class RateLimitRetry(AsyncRetryHandler):
    """Retries a 429 after its Retry-After (Slack did not act on a rate-limited call).

    Unlike slack_sdk's AsyncRateLimitErrorRetryHandler it takes the sleep function (tests pass a
    recorder) and gives up on waits longer than `max_wait`, so the caller can reschedule instead.
    """

    def __init__(
        self, max_retry_count: int = 3, *, max_wait: float = 60.0, sleep: Sleep | None = None
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.sleep: Sleep = sleep or asyncio.sleep

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after(response.headers)
        return wait is None or wait <= self.max_wait

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = retry_after(response.headers if response is not None else {})
        delay = 1.0 if wait is None else wait
        log.info("Slack rate limit on %s: waiting %.0f s as asked", _method(request.url), delay)
        state.next_attempt_requested = True
        await self.sleep(delay)
        state.increment_current_attempt()


def retry_after(headers: Any) -> float | None:
    """The Retry-After header (seconds) from slack_sdk's header dicts (values may be lists)."""
    try:
        items = headers.items()
    except AttributeError:
        return None
    for key, value in items:
        if str(key).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


def with_items(sent: Sent, digest: Digest, first: int) -> Sent:
    """Which thread message is which item: after the digest's own `first` messages, one per
    item in rank order (when the thread carries abstracts), so a reaction on one names its paper."""
    if not any(i.paper.abstract.strip() or i.posts for i in digest.items):
        return sent
    ids = sent.message_ids[first:]
    items = tuple((m, i.paper.arxiv_id) for m, i in zip(ids, digest.items, strict=False))
    return replace(sent, items=items)


def _method(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def delivery_error(exc: BaseException, what: str) -> DeliveryError:
    """A DeliveryError for a failed Slack call: permanent for the errors no retry fixes."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        if not isinstance(response, AsyncSlackResponse | SlackResponse):
            # slack_sdk could not parse the answer (truncated or not JSON): it may have landed.
            return DeliveryError(f"{what}: Slack sent an unreadable answer", transient=True)
        code = str(response.get("error") or "") if response is not None else ""
        status = response.status_code if response is not None else 0
        if status == 429 or code == "ratelimited":
            wait = retry_after(response.headers) if response is not None else None
            return DeliveryError(f"{what}: rate limited by Slack", transient=True, retry_after=wait)
        if code in PERMANENT_ERRORS:
            return DeliveryError(f"{what}: Slack said {code}", transient=False)
        return DeliveryError(f"{what}: Slack said {code or status}", transient=True)
    return DeliveryError(f"{what}: {type(exc).__name__}: {exc}", transient=True)


NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


def without_blind_retries(client: AsyncWebClient) -> AsyncWebClient:
    """The client for posting, without slack_sdk's connection-error retry.

    That handler re-sends a request after the connection drops, even when Slack had already
    stored the message (a drop after accepting it): a double post. Without it the error reaches
    the delivery service, which looks in conversations.history before posting again.
    """
    handlers = [
        h for h in client.retry_handlers if not isinstance(h, AsyncConnectionErrorRetryHandler)
    ]
    if len(handlers) == len(client.retry_handlers):
        return client
    poster = copy.copy(client)
    poster.retry_handlers = handlers
    return poster


class SlackPublisher:
    """Implements bot.ports.Publisher for Slack.

    The root message carries message metadata `{"event_type": "hotpapers_digest",
    "event_payload": {"key": idempotency_key}}`; `find_published` looks for it in
    `conversations.history`, and `publish_digest` looks first too, so a retried delivery never
    posts a second root. 429s are retried inside the web client (RateLimitRetry, honouring
    Retry-After); a wait longer than its `max_wait` surfaces as a transient DeliveryError with
    `retry_after`.
    """

    platform = "slack"

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        admins: Sequence[str] = (),
        history_limit: int = 200,
    ) -> None:
        self.client = client
        self._posting_client = without_blind_retries(client)
        self.admins = tuple(admins)
        self.history_limit = history_limit

    @property
    def _poster(self) -> AsyncWebClient:
        """The posting copy, aimed where the client is now: run_slack sets the client's base URL
        and proxy from the config after this publisher was made from it."""
        poster = self._posting_client
        poster.base_url, poster.proxy = self.client.base_url, self.client.proxy
        return poster

    # publish_digest looks for the digest first and then posts only what its thread lacks.
    finishes_found_digests = True

    async def publish_digest(self, channel: str, digest: Digest, *, idempotency_key: str) -> Sent:
        sent = await self._publish_digest(channel, digest, idempotency_key)
        return with_items(sent, digest, len(digest_messages(digest)))

    async def _publish_digest(self, channel: str, digest: Digest, idempotency_key: str) -> Sent:
        try:
            existing = await self._find(channel, idempotency_key)
        except (SlackApiError, *NETWORK_ERRORS) as exc:
            # e.g. no channels:history scope, or a public channel the bot posts to without
            # being a member: posting still works, we just cannot look first.
            log.info("could not check %s for %s before posting: %s", channel, idempotency_key, exc)
            existing = None
        messages = digest_messages(digest)
        thread = list(messages[1:])
        if any(i.paper.abstract.strip() or i.posts for i in digest.items):
            thread.extend(digest_thread_messages(digest))
        if existing is not None:
            # The digest landed before (e.g. its answer was lost): finish its thread, never
            # post the digest again.
            root_ts = existing.thread
            ids = [root_ts, *await self._replies(channel, root_ts)]
            if len(ids) - 1 >= len(thread):
                log.info("digest %s is already in %s: not posting again", idempotency_key, channel)
                return Sent(tuple(ids), root_ts)
            log.info(
                "digest %s is already in %s with %d of %d thread replies: finishing its thread",
                idempotency_key,
                channel,
                len(ids) - 1,
                len(thread),
            )
            return await self._post_thread(
                channel, idempotency_key, root_ts, ids, thread[len(ids) - 1 :]
            )
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"key": idempotency_key}}
        try:
            root = await self._post(channel, messages[0], metadata=metadata)
        except (SlackApiError, *NETWORK_ERRORS) as exc:
            raise delivery_error(exc, f"posting {idempotency_key} to {channel}") from None
        root_ts = str(root["ts"])
        return await self._post_thread(channel, idempotency_key, root_ts, [root_ts], thread)

    async def _replies(self, channel: str, root_ts: str) -> list[str]:
        """The bot's replies already in a digest's thread (oldest first); [] if unreadable."""
        try:
            response = await self.client.conversations_replies(
                channel=channel, ts=root_ts, limit=1000, include_all_metadata=True
            )
        except (SlackApiError, *NETWORK_ERRORS) as exc:
            log.info("could not read the thread of %s in %s: %s", root_ts, channel, exc)
            return []
        return [
            str(m["ts"])
            for m in response.get("messages") or []
            if m.get("ts") != root_ts
            and (m.get("metadata") or {}).get("event_type") == REPLY_EVENT_TYPE
        ]

    async def _post_thread(
        self,
        channel: str,
        idempotency_key: str,
        root_ts: str,
        ids: list[str],
        thread: Sequence[SlackMessage],
    ) -> Sent:
        """Post `thread` as replies under `root_ts`; a failure keeps what is out (never raises)."""
        metadata = {"event_type": REPLY_EVENT_TYPE, "event_payload": {"key": idempotency_key}}
        for number, message in enumerate(thread, start=1):
            try:
                answer = await self._post(channel, message, thread_ts=root_ts, metadata=metadata)
            except (SlackApiError, *NETWORK_ERRORS) as exc:
                # The digest itself is out; posting it again would double it. Keep what we have.
                log.warning(
                    "digest %s is in %s but its thread stopped at reply %d of %d: %s",
                    idempotency_key,
                    channel,
                    number,
                    len(thread),
                    delivery_error(exc, "thread reply"),
                )
                return Sent(tuple(ids), root_ts, extras={"thread_incomplete": "true"})
            ids.append(str(answer["ts"]))
        return Sent(tuple(ids), root_ts)

    async def find_published(self, channel: str, idempotency_key: str) -> Sent | None:
        try:
            return await self._find(channel, idempotency_key)
        except (SlackApiError, *NETWORK_ERRORS) as exc:
            raise delivery_error(exc, f"reading the history of {channel}") from None

    async def notify_admin(self, channel: str, text: str) -> None:
        """Tell the channel; if that fails, the configured admins by direct message (best effort)."""
        if await self._say(channel, text):
            return
        for admin in self.admins:
            await self._say(admin, text)

    async def _say(self, target: str, text: str) -> bool:
        try:
            for message in plain_messages(text):
                await self._post(target, message)
        except (SlackApiError, *NETWORK_ERRORS) as exc:
            log.warning("could not notify %s: %s", target, delivery_error(exc, "notify"))
            return False
        return True

    async def _find(self, channel: str, key: str) -> Sent | None:
        response = await self.client.conversations_history(
            channel=channel, limit=self.history_limit, include_all_metadata=True
        )
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == EVENT_TYPE and payload.get("key") == key:
                ts = str(message["ts"])
                return Sent((ts,), ts)
        return None

    async def _post(
        self,
        channel: str,
        message: SlackMessage,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Any:
        return await self._poster.chat_postMessage(
            channel=channel,
            text=message.text,
            blocks=list(message.blocks),
            thread_ts=thread_ts,
            metadata=metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
