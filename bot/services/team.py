"""The team's own attention: reactions and thread replies on the bot's paper messages, counted per
channel, shown on that channel's items and (with `[scoring] team_weight`) in its own ordering.

Adapters translate platform events into `reaction` and `reply`; who reacted is kept only as a
salted hash (bot/store/team.py), never a user id, never message text.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain.models import Digest, DigestItem
from bot.store import Ranked, Store
from bot.store.team import REPLY, TeamLog

if TYPE_CHECKING:
    pass

POOL = 100  # papers past a digest's N that team attention may lift into it


# A subscription digest shared by channels: (listing, filter, N, the channel when its own
# reactions reorder it).
class TeamAttention:
    def __init__(self, store: Store, clock: Callable[[], datetime], weight: float = 0.0) -> None:
        self.store = store
        self.log = TeamLog(store)
        self.clock = clock
        self.weight = weight
        self._salt: str | None = None

    # -- hashing -------------------------------------------------------------------------------

    def _hash(self, *parts: str) -> str:
        if self._salt is None:
            self._salt = self.log.salt()
        text = "\x00".join(parts).encode("utf-8")
        return hmac.new(self._salt.encode(), text, hashlib.sha256).hexdigest()[:32]

    def member(self, platform: str, user: str) -> str:
        """The salted hash that stands for a user: the same user, the same hash; not reversible."""
        return self._hash("member", platform, user)

    # -- what the bot posted -------------------------------------------------------------------

    def remember(self, platform: str, channel: str, messages: Sequence[tuple[str, str]]) -> None:
        """(message id, paper id): these messages of the bot are about that one paper."""
        self.log.remember(platform, channel, messages)

    def remember_card(
        self,
        platform: str,
        channel: str,
        message_ids: Sequence[str],
        paper_id: str,
        thread: str | None = None,
    ) -> None:
        """A paper card (one or more messages about one paper), and the thread it was posted in
        unless that is a digest's (a digest's thread is about several papers)."""
        ids = list(message_ids)
        if thread and self.store.deliveries.for_thread(platform, channel, thread) is None:
            ids.append(thread)
        self.log.remember(platform, channel, [(m, paper_id) for m in ids])

    # -- events --------------------------------------------------------------------------------

    def reaction(
        self,
        platform: str,
        channel: str | None,
        message_id: str,
        user: str,
        emoji: str,
        *,
        added: bool,
    ) -> bool:
        """A reaction added to (or removed from) one of the bot's messages. True when it counted
        (or was taken back); False for other messages and replayed events. Never raises on
        unknown messages. `channel` None: find the message by its id alone (Discord)."""
        if not user or not message_id:
            return False
        found = self.log.paper_of(platform, message_id, channel)
        if found is None:
            return False
        where, paper_id = found
        member = self.member(platform, user)
        what = self._hash("emoji", emoji or "?")
        if added:
            return self.log.add(platform, where, message_id, paper_id, member, what, self.clock())
        return self.log.remove(platform, where, message_id, member, what)

    def reply(self, platform: str, channel: str | None, thread: str, user: str) -> bool:
        """A reply in the thread of one of the bot's paper messages: counts once per member."""
        if not user or not thread:
            return False
        found = self.log.paper_of(platform, thread, channel)
        if found is None:
            return False
        where, paper_id = found
        member = self.member(platform, user)
        return self.log.add(platform, where, thread, paper_id, member, REPLY, self.clock())

    # -- reading -------------------------------------------------------------------------------

    def counts(self, platform: str, channel: str, paper_ids: Sequence[str]) -> dict[str, int]:
        return self.log.counts(platform, channel, paper_ids)

    def most(
        self, platform: str, channel: str, since: datetime, until: datetime, limit: int
    ) -> list[tuple[str, int]]:
        return self.log.most(platform, channel, since, until, limit)

    def reorders(self, platform: str, channel: str) -> bool:
        """Whether this channel's own digests are ordered differently from everyone's."""
        return self.weight > 0 and self.log.any_in(platform, channel)

    def pool(self, n: int) -> int:
        """How many papers to rank before re-ordering by team attention."""
        return n + POOL

    def rerank(self, ranked: list[Ranked], platform: str, channel: str, n: int) -> list[Ranked]:
        """Score + weight x team count, for this channel's ordering only; the scores shown stay
        the global ones."""
        if self.weight <= 0:
            return ranked[:n]
        team = self.counts(platform, channel, [r.paper_id for r in ranked])
        order = sorted(
            enumerate(ranked),
            key=lambda pair: (
                -(pair[1].score + self.weight * team.get(pair[1].paper_id, 0)),
                pair[0],
            ),
        )
        return [r for _, r in order][:n]

    def annotate(self, digest: Digest, platform: str, channel: str) -> Digest:
        """The digest with each item's team count for this channel."""
        team = self.counts(platform, channel, [i.paper.arxiv_id for i in digest.items])
        if not any(team.values()) and not any(i.team for i in digest.items):
            return digest
        items = tuple(replace(i, team=team.get(i.paper.arxiv_id, 0)) for i in digest.items)
        return replace(digest, items=items)

    def annotate_item(self, item: DigestItem, platform: str, channel: str) -> DigestItem:
        count = self.counts(platform, channel, [item.paper.arxiv_id]).get(item.paper.arxiv_id, 0)
        return replace(item, team=count) if count != item.team else item
