"""The Discord client: slash commands and mentions become command text for the engine, replies embeds."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord
from discord import app_commands

from adapters.discord.commands import category_choices, command_text, register_commands
from adapters.discord.config import DiscordConfig
from adapters.discord.publisher import NO_MENTIONS, DiscordPublisher, send_messages
from adapters.discord.render import (
    Message,
    render_reply_messages,
    render_thread_messages,
    thread_name,
)
from bot.domain.models import Reply, Request
from bot.services.engine import Engine

__all__ = ["DiscordBot", "category_choices", "command_text", "intents_for", "is_manager", "where"]

log = logging.getLogger(__name__)

PLATFORM = "discord"
# An answer slower than this (a paper fetched from arXiv) is deferred: Discord allows 3 s.
DEFER_AFTER_SECONDS = 2.0
NOT_A_COMMAND = "That is not a command I know. Try `/help`, or mention me with `top 5 cs.CV today`."


def intents_for(config: DiscordConfig) -> discord.Intents:
    """Only what the bot reads: servers, channel and DM messages; content only if configured.

    Without the privileged message-content intent Discord still delivers the content of messages
    that mention the bot and of DMs, so mentions work in every server.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.guild_reactions = True  # the team's reactions on digest items and paper cards
    intents.message_content = config.message_content
    return intents


def is_manager(
    member: discord.abc.User | None,
    permissions: discord.Permissions | None,
    manager_role: str | None,
) -> bool:
    """May this member change the channel's subscriptions: Manage Channels, or the configured role."""
    if permissions is not None and (permissions.manage_channels or permissions.administrator):
        return True
    if manager_role and isinstance(member, discord.Member):
        names = {r.name for r in member.roles}
        ids = {str(r.id) for r in member.roles} | {str(i) for i in getattr(member, "_roles", ())}
        return manager_role in ids or manager_role in names
    return False


async def where(channel: Any, client: discord.Client) -> tuple[str, str | None]:
    """(channel, thread) for a Request: a thread's messages belong to its parent channel."""
    if isinstance(channel, discord.Thread):
        return str(channel.parent_id), str(channel.id)
    if isinstance(channel, discord.PartialMessageable) and channel.guild_id is not None:
        try:  # not in the cache (e.g. an old thread): ask once
            fetched = await client.fetch_channel(channel.id)
        except discord.HTTPException as exc:
            log.warning("cannot resolve discord channel %s: %s", channel.id, exc)
        else:
            if isinstance(fetched, discord.Thread):
                return str(fetched.parent_id), str(fetched.id)
    return str(getattr(channel, "id", "")), None


class DiscordBot:
    """One discord.py client with the command tree, the message handler and the publisher."""

    def __init__(
        self,
        engine: Engine,
        config: DiscordConfig,
        *,
        defer_after: float = DEFER_AFTER_SECONDS,
        **client_options: Any,
    ) -> None:
        self.engine = engine
        self.config = config
        self.defer_after = defer_after
        cls = discord.AutoShardedClient if config.sharded else discord.Client
        self.client: discord.Client = cls(
            intents=intents_for(config), allowed_mentions=NO_MENTIONS, **client_options
        )
        self.tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(self.client)
        self.publisher = DiscordPublisher(
            self.client, request_timeout=config.request_timeout_seconds
        )
        register_commands(self.tree, self.slash)
        self.tree.error(self._on_tree_error)
        self.client.event(self.on_message)
        self.client.event(self.on_raw_reaction_add)
        self.client.event(self.on_raw_reaction_remove)
        self.client.setup_hook = self.setup_hook  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        await self.sync_commands()

    async def sync_commands(self) -> list[app_commands.AppCommand]:
        """Register the slash commands globally (up to an hour to appear) or in one test guild."""
        guild_id = self.config.sync_guild
        if guild_id is None:
            synced = await self.tree.sync()
        else:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        log.info("synced %d slash commands (%s)", len(synced), self.config.sync)
        return synced

    # -- slash commands -----------------------------------------------------------------------

    async def slash(self, interaction: discord.Interaction, text: str) -> None:
        """Answer a slash command through the interaction callback (and follow-ups)."""
        channel, thread = await where(interaction.channel, self.client)
        is_dm = interaction.guild_id is None
        request = Request(
            text=text,
            user=str(interaction.user.id),
            channel=channel,
            thread=thread,
            platform=PLATFORM,
            is_admin=is_dm
            or is_manager(interaction.user, interaction.permissions, self.config.manager_role),
            addressed=True,  # a slash command
        )
        answering = asyncio.ensure_future(self.engine.handle_async(request))
        done, _ = await asyncio.wait({answering}, timeout=self.defer_after)
        if not done:  # e.g. a paper fetched from arXiv: say "thinking…" within Discord's 3 s
            await interaction.response.defer(thinking=True)
        reply = await answering or Reply(NOT_A_COMMAND, ok=False)
        messages = render_reply_messages(reply)
        private = not reply.ok  # mistakes and refusals are shown to the asker only
        first = messages[0]
        root: object
        if interaction.response.is_done():
            root = await interaction.edit_original_response(
                content=first.get("content") or None,
                embeds=_embeds(first),
                allowed_mentions=NO_MENTIONS,
            )
        else:
            response = await interaction.response.send_message(
                first.get("content") or None,
                embeds=_embeds(first),
                allowed_mentions=NO_MENTIONS,
                ephemeral=private,
            )
            root = response.resource
        for more in messages[1:]:
            await interaction.followup.send(
                more.get("content") or "",
                embeds=_embeds(more),
                allowed_mentions=NO_MENTIONS,
                ephemeral=private,
                wait=True,
            )
        if isinstance(root, discord.Message) and not private:
            await self._digest_thread(request, reply, root, interaction.channel)

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        log.warning(
            "slash command %s failed: %r",
            getattr(interaction.command, "name", "?"),
            error,
            exc_info=error,
        )
        if not interaction.response.is_done():
            try:
                await interaction.response.send_message(
                    "Sorry, something went wrong on my side. Try again, or `/help`.",
                    ephemeral=True,
                    allowed_mentions=NO_MENTIONS,
                )
            except discord.HTTPException as exc:
                log.warning("could not report the failure: %s", exc)

    # -- messages -------------------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        """Mentions and DMs always; other messages only with the message-content intent."""
        try:
            await self._on_message(message)
        except discord.HTTPException as exc:
            log.warning("answering discord message %s failed: %s", message.id, exc)

    async def _on_message(self, message: discord.Message) -> None:
        me = self.client.user
        if me is None or message.author.bot or message.author.id == me.id:
            return
        mentioned = self._mentions_me(message, me.id)
        is_dm = message.guild is None
        if not mentioned and not is_dm:
            # talk in the thread of one of the bot's paper cards (a thread takes the id of the
            # message it was started on): the team's attention, once per member, never the text
            self.engine.team.reply(PLATFORM, None, str(message.channel.id), str(message.author.id))
        if not (mentioned or is_dm or self.config.message_content):
            return
        body = self._without_my_mentions(message, me.id)
        channel, thread = await where(message.channel, self.client)
        # For the bot: a mention, a DM, or in its own digest thread a number or a command word.
        addressed = (
            mentioned
            or is_dm
            or (
                thread is not None
                and self.engine.looks_like_command(body)
                and self.engine.is_digest_thread(PLATFORM, channel, thread)
            )
        )
        permissions = None
        if isinstance(message.author, discord.Member) and not is_dm:
            permissions = _permissions_in(message.channel, message.author)
        request = Request(
            text=body,
            user=str(message.author.id),
            channel=channel,
            thread=thread,
            platform=PLATFORM,
            is_admin=is_dm or is_manager(message.author, permissions, self.config.manager_role),
            addressed=addressed,
        )
        if addressed:
            answer = await self.engine.handle_async(request) or Reply(NOT_A_COMMAND, ok=False)
            await self._reply_to(message, request, answer)
            return
        # Overheard (message-content intent on): only a pasted arXiv link is answered.
        arxiv_id = self.engine.pasted_paper(body, in_thread=thread is not None)
        if arxiv_id is None:
            return
        reply = await self.engine.handle_async(request)
        if reply is None or not reply.ok:
            return
        if thread is None:
            await self._answer_in_new_thread(message, request, reply, arxiv_id)
        else:
            await self._reply_to(message, request, reply)

    # -- reactions ----------------------------------------------------------------------------

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self._reaction(payload, added=True)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        self._reaction(payload, added=False)

    def _reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        """Any emoji on a digest item or a paper card: the team's attention, once per member."""
        me = self.client.user
        if me is not None and payload.user_id == me.id:
            return
        self.engine.team.reaction(
            PLATFORM,
            None,
            str(payload.message_id),
            str(payload.user_id),
            str(payload.emoji),
            added=added,
        )

    def _mentions_me(self, message: discord.Message, my_id: int) -> bool:
        if my_id in message.raw_mentions:
            return True
        role = message.guild.self_role if message.guild is not None else None
        return role is not None and role.id in message.raw_role_mentions

    def _without_my_mentions(self, message: discord.Message, my_id: int) -> str:
        role = message.guild.self_role if message.guild is not None else None
        pattern = rf"<@!?{my_id}>"
        if role is not None:
            pattern += rf"|<@&{role.id}>"
        return " ".join(re.sub(pattern, " ", message.content or "").split())

    async def _reply_to(self, message: discord.Message, request: Request, reply: Reply) -> None:
        messages = render_reply_messages(reply)
        first = messages[0]
        root = await message.reply(
            first.get("content") or None,
            embeds=_embeds(first),
            allowed_mentions=NO_MENTIONS,
            mention_author=False,
        )
        await send_messages(message.channel, messages[1:])
        await self._digest_thread(request, reply, root, message.channel)

    async def _answer_in_new_thread(
        self, message: discord.Message, request: Request, reply: Reply, arxiv_id: str
    ) -> None:
        """A pasted link gets its paper card in a thread on that message (a reply if not allowed)."""
        if isinstance(message.channel, discord.TextChannel):
            try:
                thread = await message.create_thread(name=f"arXiv:{arxiv_id}"[:100])
            except discord.HTTPException as exc:
                log.info("cannot open a thread for a pasted link: %s", exc)
            else:
                sent = await send_messages(thread, render_reply_messages(reply))
                ids = [str(m.id) for m in sent]
                self.engine.record_reply(request, reply, ids, str(thread.id))
                return
        await self._reply_to(message, request, reply)

    async def _digest_thread(
        self, request: Request, reply: Reply, root: discord.Message, channel: Any
    ) -> None:
        """A digest answer gets a thread of abstracts, remembered so `3` there works later."""
        if reply.paper is not None:  # a paper card: the team's reactions on it count
            self.engine.record_reply(request, reply, [str(root.id)], request.thread or "")
            return
        digest = reply.digest
        if digest is None or not digest.items:
            return
        if request.thread is not None or not isinstance(channel, discord.TextChannel):
            # already in a thread (or a DM): items are answered right there
            where_id = request.thread or str(getattr(channel, "id", ""))
            self.engine.record_reply(request, reply, [str(root.id)], where_id)
            return
        try:
            thread = await root.create_thread(name=thread_name(digest), auto_archive_duration=1440)
        except discord.HTTPException as exc:
            log.warning("cannot start a thread on the digest: %s", exc)
            return
        sent = await send_messages(thread, render_thread_messages(digest))
        self.engine.record_reply(request, reply, [str(root.id)], str(thread.id))
        papers = [(str(m.id), i.paper.arxiv_id) for m, i in zip(sent, digest.items, strict=False)]
        self.engine.team.remember(PLATFORM, request.channel, papers)  # one message per paper


def _embeds(message: Message) -> list[discord.Embed]:
    return [discord.Embed.from_dict(e) for e in message.get("embeds", ())]


def _permissions_in(channel: Any, member: discord.Member) -> discord.Permissions | None:
    try:
        return channel.permissions_for(member)
    except Exception:  # a partial channel: fall back to the member's server-wide permissions
        return getattr(member, "guild_permissions", None)
