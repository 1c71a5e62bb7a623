"""Posts digests to Discord channels: embeds, a thread of abstracts, and a key that prevents doubles."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import aiohttp
import discord

from adapters.discord.render import (
    Message,
    render_digest_messages,
    render_text_messages,
    render_thread_messages,
    thread_name,
)
from bot.domain.models import Digest
from bot.ports import DeliveryError, Sent

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
THREAD_ALREADY_EXISTS = 160004  # Discord's JSON error code for a second thread on one message
HISTORY_LIMIT = 50  # recent messages scanned by find_published
THREAD_HISTORY_LIMIT = 100  # messages read back from a digest's thread to see what it lacks
REQUEST_TIMEOUT = 30.0  # seconds per Discord REST request (discord.py's session has none)

T = TypeVar("T")


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
    """bot.ports.Publisher for Discord.

    Idempotency: every message carries a nonce derived from the key, with `enforce_nonce`, so a
    retry within Discord's dedup window returns the message already created instead of a second
    one. Nonces are not kept in message history, so each digest message also carries
    `ref <reference>` in its last embed's footer; `find_published` scans recent history for it,
    and so does `publish_digest` before posting: a digest already in the channel is not posted
    again, only its thread is finished (started if missing, and given the abstract messages it
    lacks, matched by their text and embed titles in the thread's history).
    Rate limits (429) are waited out by discord.py's own limiter before anything reaches here.
    Each REST request gets at most `request_timeout` seconds (a transient DeliveryError after).
    """

    platform = "discord"
    # publish_digest looks for the digest first and then posts only what its thread lacks.
    finishes_found_digests = True

    def __init__(
        self,
        client: discord.Client,
        *,
        history_limit: int = HISTORY_LIMIT,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.client = client
        self.history_limit = history_limit
        self.request_timeout = request_timeout

    async def publish_digest(self, channel: str, digest: Digest, *, idempotency_key: str) -> Sent:
        ref = reference(idempotency_key)
        try:
            target = await self._bounded(self._channel(channel))
            messages = render_digest_messages(digest, marker=ref)
            found = await self._posted_parts(target, ref, len(messages))
            if found:
                log.info(
                    "digest %s is already in discord/%s (%d of %d messages): finishing it",
                    idempotency_key,
                    channel,
                    len(found),
                    len(messages),
                )
            posted: list[discord.Message] = []
            for index, message in enumerate(messages):
                if index in found:
                    posted.append(found[index])
                    continue
                posted += await self._send(target, [message], [nonce(ref, str(index))])
            root = posted[0]
            ids = [str(m.id) for m in posted]
            items: list[tuple[str, str]] = []
            thread_id = await self._thread(target, root, digest, ref, ids, items)
        except DeliveryError as exc:
            log.warning("posting a digest to discord/%s failed: %s", channel, exc)
            raise
        except Exception as exc:
            error = delivery_error(exc)
            log.warning("posting a digest to discord/%s failed: %s", channel, error)
            raise error from exc
        log.info("posted %s to discord/%s (%d messages)", idempotency_key, channel, len(ids))
        return Sent(message_ids=tuple(ids), thread=thread_id, items=tuple(items))

    async def _posted_parts(
        self, target: discord.abc.Messageable, ref: str, count: int
    ) -> dict[int, discord.Message]:
        """The digest's messages already in the channel, by index; {} when history is unreadable."""
        try:
            history = await self._bounded(self._history(target, self.history_limit))
        except DeliveryError as error:
            if not error.transient:
                raise
            log.info("could not check %s for digest %s before posting: %s", target, ref, error)
            return {}
        except discord.Forbidden as exc:
            # No Read Message History: posting still works, the nonces still dedup for a while.
            log.info("could not read %s before posting digest %s: %s", target, ref, exc.text)
            return {}
        except Exception as exc:
            log.info("could not check %s for digest %s before posting: %r", target, ref, exc)
            return {}
        found: dict[int, discord.Message] = {}
        for message in sorted(history, key=lambda m: m.id):
            index = part_index(message, ref, count)
            if index is not None and index not in found:
                found[index] = message
        return found

    async def _thread(
        self,
        target: discord.abc.Messageable,
        root: discord.Message,
        digest: Digest,
        ref: str,
        ids: list[str],
        items: list[tuple[str, str]],
    ) -> str:
        """Start the digest's thread on its first message (or find it) and give it every abstract.

        `items` gets (message id, paper id) of each paper's message in the thread (one each)."""
        if isinstance(target, discord.Thread | discord.DMChannel):
            return str(target.id)  # no threads inside threads or DMs: `3` works right here
        parts = render_thread_messages(digest)
        nonces = [nonce(ref, f"t{i}") for i in range(len(parts))]
        papers = [i.paper.arxiv_id for i in digest.items]
        indices = list(range(len(parts)))
        try:
            thread = await self._bounded(
                root.create_thread(name=thread_name(digest), auto_archive_duration=1440)
            )
        except discord.HTTPException as exc:
            if isinstance(exc, discord.Forbidden):
                log.warning("no permission to start a thread in %s: %s", target, exc.text)
                return str(root.id)
            if exc.code != THREAD_ALREADY_EXISTS:
                raise
            # Posted before (the answer was lost, or the abstracts failed): finish that thread.
            existing = await self._bounded(self.client.fetch_channel(root.id))
            if not isinstance(existing, discord.Thread):
                return str(root.id)
            history = await self._bounded(self._history(existing, THREAD_HISTORY_LIMIT))
            there = {signature_of(m): m for m in history if self._mine(m)}
            signatures = [rendered_signature(part) for part in parts]
            missing = [i for i, sig in enumerate(signatures) if sig not in there]
            items.extend(
                (str(there[sig].id), papers[i])
                for i, sig in enumerate(signatures)
                if sig in there and i < len(papers)
            )
            if not missing:
                log.info("digest %s was already posted with its whole thread", ref)
                return str(existing.id)
            log.info(
                "digest %s has its thread with %d of %d abstract messages: posting the rest",
                ref,
                len(parts) - len(missing),
                len(parts),
            )
            thread = existing
            parts = [parts[i] for i in missing]
            nonces = [nonces[i] for i in missing]
            indices = missing
        posted = await self._send(thread, parts, nonces)
        ids.extend(str(m.id) for m in posted)
        items.extend(
            (str(m.id), papers[i]) for i, m in zip(indices, posted, strict=False) if i < len(papers)
        )
        return str(thread.id)  # equals root.id: a thread started on a message takes its id

    async def find_published(self, channel: str, idempotency_key: str) -> Sent | None:
        ref = reference(idempotency_key)
        marker = f"ref {ref}"
        try:
            target = await self._bounded(self._channel(channel))
            history = await self._bounded(self._history(target, self.history_limit))
        except DeliveryError:
            raise
        except Exception as exc:
            raise delivery_error(exc) from exc
        found: list[discord.Message] = []
        for message in history:
            if not self._mine(message):
                continue
            footers = [e.footer.text or "" for e in message.embeds]
            if any(marker in text for text in footers) or (
                message.nonce is not None and str(message.nonce).startswith(f"hp{ref}")
            ):
                found.append(message)
        if not found:
            return None
        found.sort(key=lambda m: m.id)
        root = found[0]
        return Sent(message_ids=tuple(str(m.id) for m in found), thread=str(root.id))

    async def notify_admin(self, channel: str, text: str) -> None:
        """Best effort: the channel itself, else the server's system channel; never raises."""
        messages = render_text_messages(text)
        try:
            target = await self._bounded(self._channel(channel))
            await self._send(target, messages)
            return
        except Exception as exc:
            log.warning("cannot notify discord/%s in the channel: %s", channel, exc)
        guild = getattr(self.client.get_channel(_snowflake(channel)), "guild", None)
        system = getattr(guild, "system_channel", None)
        if system is not None:
            try:
                await self._send(system, messages)
            except Exception as exc:
                log.warning("cannot notify discord/%s in the system channel: %s", channel, exc)

    async def _send(
        self,
        target: discord.abc.Messageable,
        messages: Sequence[Message],
        nonces: Sequence[str] | None = None,
    ) -> list[discord.Message]:
        """send_messages with the request timeout on every message."""
        sent: list[discord.Message] = []
        for index, message in enumerate(messages):
            one = None if nonces is None else [nonces[index]]
            sent += await self._bounded(send_messages(target, [message], nonces=one))
        return sent

    async def _history(self, target: Any, limit: int) -> list[discord.Message]:
        return [message async for message in target.history(limit=limit)]

    def _mine(self, message: discord.Message) -> bool:
        me = self.client.user
        return me is None or message.author.id == me.id

    async def _bounded(self, call: Awaitable[T]) -> T:
        """One REST request (or one page of them) within `request_timeout` seconds."""
        try:
            return await asyncio.wait_for(call, self.request_timeout)
        except TimeoutError:
            raise DeliveryError(
                f"Discord did not answer within {self.request_timeout:g} s (request timeout)",
                transient=True,
            ) from None

    async def _channel(self, channel: str) -> discord.abc.Messageable:
        channel_id = _snowflake(channel)
        found = self.client.get_channel(channel_id)
        if found is None:
            found = await self.client.fetch_channel(channel_id)
        if not isinstance(found, discord.abc.Messageable):
            raise DeliveryError(f"channel {channel} cannot hold messages", transient=False)
        return found


def part_index(message: discord.Message, ref: str, count: int) -> int | None:
    """Which of a digest's `count` messages this is, by the `ref <ref>[ · i/n]` footer marker."""
    marker = f"ref {ref}"
    for embed in message.embeds:
        text = embed.footer.text or ""
        at = text.find(marker)
        if at < 0:
            continue
        rest = text[at + len(marker) :]
        if count == 1:
            return 0 if not rest.startswith(" · ") else None
        match = re.match(r" · (\d+)/(\d+)", rest)
        if match and int(match.group(2)) == count and 1 <= int(match.group(1)) <= count:
            return int(match.group(1)) - 1
    return None


def signature_of(message: discord.Message) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What tells one of our thread messages apart in history: its text and its embeds' titles."""
    return (
        (message.content or "").strip(),
        tuple(((e.title or "").strip(), (e.url or "").strip()) for e in message.embeds),
    )


def rendered_signature(message: Message) -> tuple[str, tuple[tuple[str, str], ...]]:
    return (
        (message.get("content") or "").strip(),
        tuple(
            (str(e.get("title") or "").strip(), str(e.get("url") or "").strip())
            for e in message.get("embeds", ())
        ),
    )


def _snowflake(channel: str) -> int:
    text = str(channel).strip().lstrip("#")
    if not text.isdigit():
        raise ValueError(f"not a Discord channel id: {channel!r}")
    return int(text)
