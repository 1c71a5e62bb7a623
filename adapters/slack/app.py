"""The Bolt app: slash command, mentions, DMs, digest-thread replies and arXiv link unfurls."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.config import SlackConfig
from adapters.slack.publisher import NETWORK_ERRORS
from adapters.slack.render import (
    ACTION_PREFIX,
    SlackMessage,
    paper_card,
    reply_messages,
    unfurl_blocks,
)
from bot.domain.models import Reply, Request
from bot.services.engine import Engine

log = logging.getLogger(__name__)

COMMAND = "/hotpapers"
PLATFORM = "slack"
ADDRESSED = COMMAND + " "  # the grammar's prefix for "this message is for the bot"
USER_CACHE_SECONDS = 600.0
MAX_UNFURLS = 5
NOT_UNDERSTOOD = "That is not a command I know. Try `help`."
# Where chat.postMessage cannot reach, a slash command still answers through its response_url.
CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
_ARXIV_LINK = re.compile(r"arxiv\.org/", re.IGNORECASE)


@dataclass(frozen=True)
class UserInfo:
    is_admin: bool
    timezone: str | None


class SlackBot:
    """Translates Slack events into engine Requests and engine Replies into Slack calls."""

    def __init__(
        self,
        engine: Engine,
        config: SlackConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.config = config
        self.clock = clock
        self._users: dict[str, tuple[float, UserInfo]] = {}

    # -- who is asking ---------------------------------------------------------------------

    async def user_info(self, client: AsyncWebClient, user: str) -> UserInfo:
        """Admin rights (workspace admin/owner, or listed in the config) and the user's timezone."""
        listed = user in self.config.admins
        cached = self._users.get(user)
        if cached is not None and cached[0] > self.clock():
            return cached[1]
        try:
            response = await client.users_info(user=user)
        except (SlackApiError, *NETWORK_ERRORS) as exc:
            log.warning("users.info for %s failed (%s); treating as a member", user, exc)
            return UserInfo(is_admin=listed, timezone=None)
        profile = response.get("user") or {}
        info = UserInfo(
            is_admin=listed
            or bool(
                profile.get("is_admin")
                or profile.get("is_owner")
                or profile.get("is_primary_owner")
            ),
            timezone=str(profile["tz"]) if profile.get("tz") else None,
        )
        self._users[user] = (self.clock() + USER_CACHE_SECONDS, info)
        return info

    async def request(
        self,
        client: AsyncWebClient,
        text: str,
        user: str,
        channel: str,
        thread: str | None,
        *,
        addressed: bool,
    ) -> Request:
        """`addressed`: the event says the message is for the bot (see `Request.addressed`)."""
        info = await self.user_info(client, user)
        return Request(
            text=text,
            user=user,
            channel=channel,
            thread=thread,
            platform=PLATFORM,
            is_admin=info.is_admin,
            timezone=info.timezone,
            addressed=addressed,
        )

    # -- answering ---------------------------------------------------------------------------

    async def post(
        self,
        client: AsyncWebClient,
        channel: str,
        messages: Sequence[SlackMessage],
        thread_ts: str | None,
    ) -> list[str]:
        """Post messages; a top-level answer's further parts go in the first one's thread."""
        ids: list[str] = []
        for message in messages:
            target = thread_ts or (ids[0] if ids else None)
            response = await client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=list(message.blocks),
                thread_ts=target,
                unfurl_links=False,
                unfurl_media=False,
            )
            ids.append(str(response["ts"]))
        return ids

    async def answer(
        self, client: AsyncWebClient, request: Request, reply: Reply, thread_ts: str | None
    ) -> None:
        """Post a reply (in `thread_ts`, or top level) and remember a digest for `3` later (and
        a paper card, for the team's reactions on it)."""
        ids = await self.post(client, request.channel, reply_messages(reply), thread_ts)
        if (reply.digest is not None or reply.paper is not None) and ids:
            self.engine.record_reply(request, reply, ids, thread=thread_ts or ids[0])

    # -- listeners -----------------------------------------------------------------------------

    async def on_command(
        self,
        ack: Callable[..., Awaitable[Any]],
        command: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
        client: AsyncWebClient,
    ) -> None:
        await ack()  # within Slack's 3 s; the answer follows as messages
        request = await self.request(
            client,
            ADDRESSED + str(command.get("text") or ""),
            str(command.get("user_id") or ""),
            str(command.get("channel_id") or ""),
            None,
            addressed=True,
        )
        reply = await self.engine.handle_async(request) or Reply(NOT_UNDERSTOOD, ok=False)
        if self.config.slash_replies == "in_channel":
            try:
                await self.answer(client, request, reply, None)
                return
            except SlackApiError as exc:
                if exc.response.get("error") not in CANNOT_POST:
                    raise
                log.info(
                    "cannot post in %s (%s): answering through response_url",
                    request.channel,
                    exc.response.get("error"),
                )
        for message in reply_messages(reply):
            await respond(
                text=message.text,
                blocks=list(message.blocks),
                response_type=self.config.slash_replies,
                replace_original=False,
            )

    async def on_mention(
        self, event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        user = str(event.get("user") or "")
        if not user or user == context.get("bot_user_id") or event.get("bot_id"):
            return
        channel = str(event.get("channel") or "")
        thread = event.get("thread_ts")
        root = str(thread or event.get("ts") or "")
        text = str(event.get("text") or "")
        request = await self.request(client, text, user, channel, thread, addressed=True)
        reply = await self.engine.handle_async(request) or Reply(NOT_UNDERSTOOD, ok=False)
        await self.answer(client, request, reply, root or None)

    async def on_message(
        self, event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        if event.get("subtype") not in (None, "thread_broadcast", "file_share"):
            return  # edits, deletions, joins, bot messages
        user = str(event.get("user") or "")
        bot_user = context.get("bot_user_id")
        if not user or user == bot_user or event.get("bot_id"):
            return
        text = str(event.get("text") or "")
        channel = str(event.get("channel") or "")
        thread = event.get("thread_ts")
        if event.get("channel_type") == "im":
            direct = await self.request(
                client, ADDRESSED + text, user, channel, thread, addressed=True
            )
            answer = await self.engine.handle_async(direct) or Reply(NOT_UNDERSTOOD, ok=False)
            await self.answer(client, direct, answer, thread)
            return
        if not thread or thread == event.get("ts"):
            return  # only replies inside a thread
        if not self.engine.looks_like_command(text):
            # talk in the thread of one of the bot's paper cards: the team's attention (counted
            # once per member, never the text)
            self.engine.team.reply(PLATFORM, channel, str(thread), user)
        if bot_user and f"<@{bot_user}" in text:
            return  # a mention: app_mention answers it
        if self.config.unfurl and _ARXIV_LINK.search(text):
            return  # a pasted link: link_shared answers it
        if not self.engine.is_digest_thread(PLATFORM, channel, str(thread)):
            return  # not a digest's thread: people talking among themselves
        # the bot's digest thread: a number or a command word is for the bot; other talk is not,
        # but a pasted arXiv link or id there is still looked up
        addressed = self.engine.looks_like_command(text)
        if not addressed and self.engine.pasted_paper(text, in_thread=True) is None:
            return
        request = await self.request(client, text, user, channel, str(thread), addressed=addressed)
        reply = await self.engine.handle_async(request)
        if reply is not None:
            await self.answer(client, request, reply, str(thread))

    async def on_link_shared(
        self, event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        user = str(event.get("user") or "")
        channel = str(event.get("channel") or "")
        if not user or user == context.get("bot_user_id"):
            return
        if channel.startswith("D"):
            return  # a direct message: the DM listener answers the whole message
        request = await self.request(client, "", user, channel, None, addressed=True)
        cards = []
        seen: set[str] = set()
        for link in event.get("links") or []:
            url = str(link.get("url") or "")
            if not _ARXIV_LINK.search(url) or url in seen:
                continue
            seen.add(url)
            reply = await self.engine.handle_async(replace(request, text=f"paper {url}"))
            if reply is not None and reply.paper is not None:
                cards.append((url, reply))
            if len(cards) >= MAX_UNFURLS:
                break
        if not cards:
            return
        message_ts = str(event.get("message_ts") or "")
        if self.config.unfurl and await self._unfurl(client, event, channel, message_ts, cards):
            return
        if not message_ts or channel == "COMPOSER":
            return
        root = str(event.get("thread_ts") or message_ts)
        for _, reply in cards:
            assert reply.paper is not None
            ids = await self.post(client, channel, paper_card(reply.paper), root)
            self.engine.team.remember_card(PLATFORM, channel, ids, reply.paper.paper.arxiv_id)

    async def on_reaction(self, event: dict[str, Any], context: dict[str, Any]) -> None:
        """Any emoji on a digest item or a paper card: the team's attention, once per member."""
        user = str(event.get("user") or "")
        item = event.get("item") or {}
        if not user or user == context.get("bot_user_id") or item.get("type") != "message":
            return
        self.engine.team.reaction(
            PLATFORM,
            str(item.get("channel") or ""),
            str(item.get("ts") or ""),
            user,
            str(event.get("reaction") or ""),
            added=event.get("type") == "reaction_added",
        )

    async def _unfurl(
        self,
        client: AsyncWebClient,
        event: dict[str, Any],
        channel: str,
        message_ts: str,
        cards: list[tuple[str, Reply]],
    ) -> bool:
        unfurls = {
            url: {"blocks": unfurl_blocks(reply.paper)} for url, reply in cards if reply.paper
        }
        where: dict[str, Any]
        if channel and channel != "COMPOSER" and message_ts:
            where = {"channel": channel, "ts": message_ts}
        else:
            where = {"unfurl_id": event.get("unfurl_id"), "source": event.get("source")}
        try:
            await client.chat_unfurl(unfurls=unfurls, **where)
        except (SlackApiError, *NETWORK_ERRORS) as exc:
            log.info("chat.unfurl in %s failed (%s): replying in the thread instead", channel, exc)
            return False
        return True


async def _ack_only(ack: Callable[..., Awaitable[Any]]) -> None:
    await ack()  # the abs/pdf buttons are links; Slack still tells the app they were clicked


def build_app(
    engine: Engine,
    config: SlackConfig,
    *,
    client: AsyncWebClient,
    signing_secret: str | None = None,
    process_before_response: bool = False,
) -> AsyncApp:
    """A Bolt AsyncApp wired to the engine. Signatures are verified for HTTP requests.

    Socket Mode needs no signing secret (Bolt skips verification for socket requests);
    HTTP mode must pass one, or every request is refused with 401.
    """
    bot = SlackBot(engine, config)
    app = AsyncApp(
        name="hotpapers",
        client=client,
        signing_secret=signing_secret or "",
        process_before_response=process_before_response,
    )
    app.command(COMMAND)(bot.on_command)
    app.event("app_mention")(bot.on_mention)
    app.event("message")(bot.on_message)
    app.event("link_shared")(bot.on_link_shared)
    app.event("reaction_added")(bot.on_reaction)
    app.event("reaction_removed")(bot.on_reaction)
    app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(_ack_only)
    return app
