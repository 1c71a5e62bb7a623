"""Subscriptions from chat: `subscribe`, `unsubscribe` and `subscriptions`, and the config's."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.commands import grammar as g
from bot.domain.models import Reply, Request
from bot.domain.subscription import (
    MAX_N,
    Subscription,
    channel_name,
    normalise_filters,
    same_order,
)
from bot.services.subscription_config import parse_config_subscriptions
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore

log = logging.getLogger(__name__)


# -- chat commands ------------------------------------------------------------------------------


class SubscriptionService:
    """Answers `subscribe`, `unsubscribe` and `subscriptions`; only channel admins change things."""

    def __init__(
        self,
        store: Store,
        on_change: Callable[[], object] | None = None,
        *,
        default_timezone: str = "UTC",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.subscriptions = SubscriptionStore(store)
        self.on_change = on_change
        self.default_timezone = default_timezone
        self.clock = clock or (lambda: datetime.now(UTC))

    def __call__(self, command: g.Command, request: Request) -> Reply:
        if isinstance(command, g.Subscriptions):
            return self._list(request)
        if not isinstance(command, g.Subscribe | g.Unsubscribe):
            return Reply("I don't know that one. Try `help subscribe`.", ok=False)
        if not request.is_admin:
            verb = "subscribe" if isinstance(command, g.Subscribe) else "unsubscribe"
            return Reply(
                f"Sorry, only channel admins can {verb} {channel_name(request.platform, request.channel)}: "
                f"a subscription posts to everyone here. Ask an admin, or use `top 5 today` "
                f"to get a digest just now.",
                ok=False,
            )
        if isinstance(command, g.Subscribe):
            return self._subscribe(command, request)
        return self._unsubscribe(command, request)

    def _subscribe(self, command: g.Subscribe, request: Request) -> Reply:
        filters = normalise_filters(f.label for f in command.filters)
        zone = command.timezone or request.timezone or self.default_timezone
        where = channel_name(request.platform, request.channel)
        text = command.text
        about, by = (text.about, text.by) if text else ((), "")
        existing = self.subscriptions.find(
            request.platform, request.channel, filters, about=about, by=by, cadence=command.cadence
        )
        if existing is not None and existing.origin == "config":
            if existing.status == "paused":
                resumed = self.subscriptions.save(replace(existing, status="active"))
                self._changed()
                return Reply(f"Resumed {where}: {resumed.describe()} (set in the config file).")
            return Reply(
                f"{_sentence(where)} already gets {existing.describe()}; that subscription comes from the "
                f"bot's config file, so change it there.",
                ok=False,
            )
        sub = Subscription(
            platform=request.platform,
            channel=request.channel,
            filters=filters,
            n=max(1, min(command.n, MAX_N)),
            at=command.at,
            timezone=zone,
            days=command.days,
            abstracts=existing.abstracts if existing else True,
            on_empty=existing.on_empty if existing else "skip",
            created_by=request.user,
            created_at=self.clock(),
            about=about,
            by=by,
            cadence=command.cadence,
        )
        saved = self.subscriptions.save(sub)
        self._changed()
        log.info(
            "subscription %s %s/%s: %s (by %s)",
            "updated" if existing else "created",
            request.platform,
            request.channel,
            saved.describe(),
            request.user,
        )
        if existing is None:
            return Reply(f"Subscribed {where} to {saved.describe()}.")
        return Reply(f"Updated {where}: now {saved.describe()}.")

    def _unsubscribe(self, command: g.Unsubscribe, request: Request) -> Reply:
        where = channel_name(request.platform, request.channel)
        mine = self.subscriptions.all(request.platform, request.channel)
        mine = [s for s in mine if _chosen(s, command)]
        if not mine:
            asked = [f.label for f in command.filters]
            asked += [command.text.text] if command.text else []
            asked += [command.cadence] if command.cadence else []
            what = " to " + " ".join(asked) if asked else ""
            return Reply(
                f"{_sentence(where)} has no subscription{what}. `subscriptions` lists this channel's.",
                ok=False,
            )
        from_config = [s for s in mine if s.origin == "config"]
        removed = [s for s in mine if s.origin != "config"]
        for sub in removed:
            assert sub.id is not None
            self.subscriptions.delete(sub.id)
        if removed:
            self._changed()
        lines = [f"Unsubscribed {where} from {s.describe()}." for s in removed]
        lines.extend(
            f"{_sentence(where)} still gets {s.describe()}: it comes from the bot's config file, so remove "
            f"it there."
            for s in from_config
        )
        return Reply("\n".join(lines), ok=bool(removed))

    def _list(self, request: Request) -> Reply:
        where = channel_name(request.platform, request.channel)
        mine = self.subscriptions.all(request.platform, request.channel)
        if not mine:
            return Reply(
                f"{_sentence(where)} has no subscriptions. An admin can add one: "
                f"`subscribe cs.CV top 5 at 09:00 Europe/Berlin`."
            )
        lines = [f"Subscriptions of {where}:"]
        for sub in mine:
            flags = [f for f in (_paused(sub), _config(sub)) if f]
            lines.append(f"• {sub.describe()}" + (f" ({', '.join(flags)})" if flags else ""))
        return Reply("\n".join(lines))

    def _changed(self) -> None:
        if self.on_change is None:
            return
        try:
            self.on_change()
        except Exception:
            log.exception("rescheduling after a subscription change failed")

    # -- config ------------------------------------------------------------------------------

    def sync_config_subscriptions(
        self,
        entries: Sequence[Mapping[str, Any]],
        *,
        where: str = "config",
        default_timezone: str | None = None,
    ) -> list[Subscription]:
        """Make the `[[subscriptions]]` entries the config-origin rows (added, updated, removed).

        Raises ConfigError naming the entry and key when an entry is wrong; nothing changes then.
        A paused config subscription stays paused until its entry changes or an admin resumes it.
        """
        wanted = parse_config_subscriptions(
            entries, where=where, default_timezone=default_timezone or self.default_timezone
        )
        keep: set[int] = set()
        saved = []
        for sub in wanted:
            existing = self.subscriptions.find_same(sub)
            status = "active"
            if existing is not None and existing.origin == "config" and same_order(existing, sub):
                status = existing.status  # a paused one stays paused until its entry changes
            stored = self.subscriptions.save(replace(sub, status=status, created_at=self.clock()))
            assert stored.id is not None
            keep.add(stored.id)
            saved.append(stored)
        for old in self.subscriptions.all(origin="config"):
            if old.id is not None and old.id not in keep:
                log.info("config subscription removed: %s/%s", old.platform, old.channel)
                self.subscriptions.delete(old.id)
        self._changed()
        return saved


def _chosen(sub: Subscription, command: g.Unsubscribe) -> bool:
    """Whether `unsubscribe ...` names this subscription: its categories (when given), exactly
    its topic and author (when either is given) and its cadence (when given)."""
    if command.filters and sub.filters != normalise_filters(f.label for f in command.filters):
        return False
    if command.text and sub.text_filter != command.text:
        return False
    return command.cadence is None or sub.cadence == command.cadence


def _paused(sub: Subscription) -> str:
    return "paused: posting failed; `subscribe` again to resume" if sub.status == "paused" else ""


def _config(sub: Subscription) -> str:
    return "from the config file" if sub.origin == "config" else ""


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
