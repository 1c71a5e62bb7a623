"""Answers mentions: poll since a stored cursor, run the command through the engine, reply in thread.

Implemented for Mastodon (notifications API). A mention that is only "@bot" (no command) in reply
to a post linking an arXiv paper is answered with that paper's card.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from typing import Any

from bot.commands.grammar import parse_command
from bot.engine import Engine
from bot.ids import find_arxiv_ids
from bot.models import Request
from bot.render.social import SocialPost, reply_post
from bot.store import Store

log = logging.getLogger(__name__)

_HANDLE = re.compile(r"(?<![\w@])@[\w.-]+(?:@[\w.-]+\w)?")
_TAG = re.compile(r"<[^>]+>")
_HREF = re.compile(r"""href=["']([^"']+)["']""")


@dataclass(frozen=True)
class Mention:
    id: str  # the post to reply to
    author: str  # handle without "@" (Mastodon: acct, user@instance for remote users)
    text: str  # the visible text
    parent_text: str = ""  # the post it replies to, plain text with its links ("" if none)


def html_text(content: str, *, links: bool = False) -> str:
    """Mastodon's HTML content as text; with `links`, every link's target appended too."""
    text = re.sub(r"<br\s*/?>|</p>", "\n", content or "")
    text = html.unescape(_TAG.sub("", text)).strip()
    if links:
        text = " ".join([text, *(html.unescape(h) for h in _HREF.findall(content or ""))])
    return text


def command_text(mention: Mention) -> str | None:
    """What to ask the engine, or None to stay silent (no command and no paper to answer with)."""
    body = " ".join(_HANDLE.sub(" ", mention.text).split())
    if body and parse_command(body, addressed=False) is not None:
        return body
    found = find_arxiv_ids(mention.parent_text)
    if found:
        return f"paper {found[0].id}"
    return None


def answer(engine: Engine, platform: str, mention: Mention, prefix: str = "") -> SocialPost | None:
    text = command_text(mention)
    if text is None:
        return None
    request = Request(
        text=text, user=mention.author, channel=platform, platform=platform, addressed=True
    )
    reply = engine.handle(request)
    if reply is None:
        return None
    return reply_post(platform, reply, prefix=prefix)


class MastodonMentions:
    """Polls `notifications(types=["mention"], since_id=cursor)` and replies with status_post."""

    platform = "mastodon"

    def __init__(
        self,
        client: Any,
        engine: Engine,
        store: Store,
        *,
        own_account: str = "",
        visibility: str = "unlisted",
    ) -> None:
        self.client = client
        self.engine = engine
        self.store = store
        self.own = own_account.lower().lstrip("@")
        self.visibility = visibility

    @property
    def cursor_name(self) -> str:
        return f"mentions:{self.platform}"

    def poll_once(self) -> int:
        """Answer every new mention (oldest first); the number answered. Never raises."""
        since = self.store.get_cursor(self.cursor_name)
        try:
            notes = self.client.notifications(types=["mention"], since_id=since, limit=40)
        except Exception as exc:
            log.warning("mastodon: reading notifications failed: %s", type(exc).__name__)
            return 0
        answered = 0
        for note in sorted(notes or [], key=lambda n: int(str(n.get("id", "0")) or 0)):
            note_id = str(note.get("id") or "")
            try:
                answered += self._answer(note)
            except Exception as exc:  # one bad mention never stops the others
                log.warning("mastodon: answering notification %s failed: %s", note_id, exc)
            if note_id:
                self.store.set_cursor(self.cursor_name, note_id)
        return answered

    def _answer(self, note: Any) -> int:
        status = note.get("status") or {}
        account = status.get("account") or {}
        acct = str(account.get("acct") or "")
        if not status or not acct or acct.lower() == self.own:
            return 0
        parent_text = ""
        parent_id = status.get("in_reply_to_id")
        if parent_id is not None:
            try:
                parent_text = html_text(
                    str(self.client.status(parent_id).get("content") or ""), links=True
                )
            except Exception as exc:
                log.info("mastodon: cannot read the replied-to status %s: %s", parent_id, exc)
        mention = Mention(
            id=str(status.get("id")),
            author=acct,
            text=html_text(str(status.get("content") or "")),
            parent_text=parent_text,
        )
        post = answer(self.engine, self.platform, mention, prefix=f"@{acct} ")
        if post is None:
            return 0
        self.client.status_post(
            post.text,
            in_reply_to_id=mention.id,
            visibility=self.visibility,
            idempotency_key=f"hotpapers:answer:{mention.id}",
        )
        return 1
