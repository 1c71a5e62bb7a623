"""Posts digests to Discord channels: embeds, a thread of abstracts, and a key that prevents doubles."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
import discord

from bot.models import Digest
from bot.publishing import DeliveryError, Sent
from bot.render.discord import (
    Message,
    render_digest_messages,
    render_text_messages,
    render_thread_messages,
    thread_name,
)

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
THREAD_ALREADY_EXISTS = 160004  # Discord's JSON error code for a second thread on one message
HISTORY_LIMIT = 50  # recent messages scanned by find_published


def reference(idempotency_key: str) -> str:
    """A short, stable reference for a key: nonces are at most 25 characters."""
    return hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:16]


def nonce(ref: str, part: str) -> str:
    return f"hp{ref}{part}"[:25]


async def send_messages(
    target: discord.abc.Messageable,
    messages: Sequence[Message],
    *,
    nonces: Sequence[str] | None = None,
) -> list[discord.Message]:
    """Send rendered messages in order, never letting anything in them ping anyone."""
    sent = []
    for index, message in enumerate(messages):
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        embeds = [discord.Embed.from_dict(e) for e in message.get("embeds", ())]
        if embeds:
            kwargs["embeds"] = embeds
        if nonces is not None:
            kwargs["nonce"] = nonces[index]  # discord.py adds enforce_nonce=true with a nonce
        sent.append(await target.send(message.get("content") or None, **kwargs))
    return sent


def delivery_error(exc: BaseException) -> DeliveryError:
    """A discord.py or network failure as transient (retry) or permanent (pause the subscription)."""
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        # 50001 Missing Access, 50013 Missing Permissions, 10003 Unknown Channel: no retry helps.
        return DeliveryError(f"Discord refused: {exc.text or exc}", transient=False)
    if isinstance(exc, discord.RateLimited):
        return DeliveryError("rate limited by Discord", transient=True, retry_after=exc.retry_after)
    if isinstance(exc, discord.DiscordServerError):
        return DeliveryError(f"Discord server error {exc.status}", transient=True)
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429:
            return DeliveryError("rate limited by Discord", transient=True)
        return DeliveryError(f"Discord rejected the message: {exc.text or exc}", transient=False)
    if isinstance(exc, aiohttp.ClientError | OSError | asyncio.TimeoutError):
        return DeliveryError(f"network error talking to Discord: {exc!r}", transient=True)
    if isinstance(exc, json.JSONDecodeError):  # a truncated answer: the message may have landed
        return DeliveryError(f"Discord sent an unreadable answer: {exc.msg}", transient=True)
    if isinstance(exc, ValueError):  # a channel id that is not a number
        return DeliveryError(str(exc), transient=False)
    return DeliveryError(f"{type(exc).__name__}: {exc}", transient=True)


class DiscordPublisher:
    """bot.publishing.Publisher for Discord.

    Idempotency: every message carries a nonce derived from the key, with `enforce_nonce`, so a
    retry within Discord's dedup window returns the message already created instead of a second
    one. Nonces are not kept in message history, so each digest message also carries
    `ref <reference>` in its last embed's footer; `find_published` scans recent history for it.
    Rate limits (429) are waited out by discord.py's own limiter before anything reaches here.
    """

    platform = "discord"

    def __init__(self, client: discord.Client, *, history_limit: int = HISTORY_LIMIT) -> None:
        self.client = client
        self.history_limit = history_limit

    async def publish_digest(self, channel: str, digest: Digest, *, idempotency_key: str) -> Sent:
        ref = reference(idempotency_key)
        try:
            target = await self._channel(channel)
            messages = render_digest_messages(digest, marker=ref)
            nonces = [nonce(ref, str(i)) for i in range(len(messages))]
            posted = await send_messages(target, messages, nonces=nonces)
            root = posted[0]
            ids = [str(m.id) for m in posted]
            thread_id = await self._thread(target, root, digest, ref, ids)
        except DeliveryError:
            raise
        except Exception as exc:
            error = delivery_error(exc)
            log.warning("posting a digest to discord/%s failed: %s", channel, error)
            raise error from exc
        log.info("posted %s to discord/%s (%d messages)", idempotency_key, channel, len(ids))
        return Sent(message_ids=tuple(ids), thread=thread_id)

    async def _thread(
        self,
        target: discord.abc.Messageable,
        root: discord.Message,
        digest: Digest,
        ref: str,
        ids: list[str],
    ) -> str:
        """Start the digest's thread on its first message and post the abstracts there."""
        if isinstance(target, discord.Thread | discord.DMChannel):
            return str(target.id)  # no threads inside threads or DMs: `3` works right here
        try:
            thread = await root.create_thread(name=thread_name(digest), auto_archive_duration=1440)
        except discord.HTTPException as exc:
            if exc.code == THREAD_ALREADY_EXISTS:
                # The same nonce gave back the message posted before: so is its thread.
                log.info("digest %s was already posted with its thread", ref)
                return str(root.id)
            if isinstance(exc, discord.Forbidden):
                log.warning("no permission to start a thread in %s: %s", target, exc.text)
                return str(root.id)
            raise
        parts = render_thread_messages(digest)
        posted = await send_messages(
            thread, parts, nonces=[nonce(ref, f"t{i}") for i in range(len(parts))]
        )
        ids.extend(str(m.id) for m in posted)
        return str(thread.id)  # equals root.id: a thread started on a message takes its id

    async def find_published(self, channel: str, idempotency_key: str) -> Sent | None:
        ref = reference(idempotency_key)
        marker = f"ref {ref}"
        try:
            target = await self._channel(channel)
            me = self.client.user
            found: list[discord.Message] = []
            async for message in target.history(limit=self.history_limit):
                if me is not None and message.author.id != me.id:
                    continue
                footers = [e.footer.text or "" for e in message.embeds]
                if any(marker in text for text in footers) or (
                    message.nonce is not None and str(message.nonce).startswith(f"hp{ref}")
                ):
                    found.append(message)
        except Exception as exc:
            raise delivery_error(exc) from exc
        if not found:
            return None
        found.sort(key=lambda m: m.id)
        root = found[0]
        return Sent(message_ids=tuple(str(m.id) for m in found), thread=str(root.id))

    async def notify_admin(self, channel: str, text: str) -> None:
        """Best effort: the channel itself, else the server's system channel; never raises."""
        messages = render_text_messages(text)
        try:
            target = await self._channel(channel)
            await send_messages(target, messages)
            return
        except Exception as exc:
            log.warning("cannot notify discord/%s in the channel: %s", channel, exc)
        guild = getattr(self.client.get_channel(_snowflake(channel)), "guild", None)
        system = getattr(guild, "system_channel", None)
        if system is not None:
            try:
                await send_messages(system, messages)
            except Exception as exc:
                log.warning("cannot notify discord/%s in the system channel: %s", channel, exc)

    async def _channel(self, channel: str) -> discord.abc.Messageable:
        channel_id = _snowflake(channel)
        found = self.client.get_channel(channel_id)
        if found is None:
            found = await self.client.fetch_channel(channel_id)
        if not isinstance(found, discord.abc.Messageable):
            raise DeliveryError(f"channel {channel} cannot hold messages", transient=False)
        return found


def _snowflake(channel: str) -> int:
    text = str(channel).strip().lstrip("#")
    if not text.isdigit():
        raise ValueError(f"not a Discord channel id: {channel!r}")
    return int(text)
