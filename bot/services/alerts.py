"""Breakout alerts from chat: `alert ... above N`, `alerts` and `unalert N|all`. Only channel
admins add or remove them (an alert posts to everyone here), as with subscriptions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from bot.commands.alerts import AlertAdd, AlertList, Unalert
from bot.commands.types import Command
from bot.domain.alerts import MAX_ALERTS_PER_CHANNEL, Alert, threshold_text
from bot.domain.models import Reply, Request
from bot.domain.subscription import channel_name, normalise_filters
from bot.domain.topics import TextFilter
from bot.store import Store
from bot.store.alerts import AlertStore

log = logging.getLogger(__name__)


class AlertService:
    """Answers `alert`, `alerts` and `unalert` (the checks themselves: bot/services/alert_check.py)."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] | None = None) -> None:
        self.alerts = AlertStore(store)
        self.clock = clock or (lambda: datetime.now(UTC))

    def __call__(self, command: Command, request: Request) -> Reply:
        if isinstance(command, AlertList):
            return self._list(request)
        if not isinstance(command, AlertAdd | Unalert):
            return Reply("I don't know that one. Try `help alert`.", ok=False)
        if not request.is_admin:
            verb = "add alerts to" if isinstance(command, AlertAdd) else "remove alerts from"
            return Reply(
                f"Sorry, only channel admins can {verb} "
                f"{channel_name(request.platform, request.channel)}: an alert posts to everyone "
                f"here. Ask an admin, or use `top 5 week` to see what is taking off now.",
                ok=False,
            )
        if isinstance(command, AlertAdd):
            return self._add(command, request)
        return self._remove(command, request)

    def _add(self, command: AlertAdd, request: Request) -> Reply:
        where = channel_name(request.platform, request.channel)
        alert = Alert(
            platform=request.platform,
            channel=request.channel,
            threshold=command.threshold,
            filters=normalise_filters(f.label for f in command.filters),
            text=command.text or TextFilter(),
            created_by=request.user,
            created_at=self.clock(),
        )
        mine = self.alerts.all(request.platform, request.channel)
        same = [a for a in mine if (a.filters, a.text) == (alert.filters, alert.text)]
        if not same and len(mine) >= MAX_ALERTS_PER_CHANNEL:
            return Reply(
                f"{_sentence(where)} has {len(mine)} alerts, the most I keep per channel. Remove "
                f"one first: `alerts` lists them, `unalert 2` removes the second.",
                ok=False,
            )
        saved, existed = self.alerts.save(alert)
        log.info(
            "alert %s %s/%s: %s (by %s)",
            "updated" if existed else "created",
            request.platform,
            request.channel,
            saved.describe(),
            request.user,
        )
        if existed:
            return Reply(f"Updated the alert of {where}: now {saved.describe()}.")
        return Reply(
            f"Alert set ({saved.describe()}): I'll post each matching paper here once, when its "
            f"score crosses {threshold_text(saved.threshold)} within 7 days of its listing. "
            f"`alerts` lists this channel's alerts."
        )

    def _remove(self, command: Unalert, request: Request) -> Reply:
        where = channel_name(request.platform, request.channel)
        mine = self.alerts.all(request.platform, request.channel)
        if not mine:
            return Reply(
                f"{_sentence(where)} has no alerts. Add one with `alert cs.CV above 300`.",
                ok=False,
            )
        if command.number is None:
            gone = mine
        elif command.number > len(mine):
            span = "`unalert 1`" if len(mine) == 1 else f"`unalert 1` to `unalert {len(mine)}`"
            return Reply(
                f"{_sentence(where)} has no alert {command.number}: it has {len(mine)} "
                f"({span}). `alerts` lists them.",
                ok=False,
            )
        else:
            gone = [mine[command.number - 1]]
        self.alerts.delete(a.id for a in gone if a.id is not None)
        log.info("alerts removed from %s/%s: %d", request.platform, request.channel, len(gone))
        return Reply("\n".join(f"Removed the alert {a.describe()}." for a in gone))

    def _list(self, request: Request) -> Reply:
        where = channel_name(request.platform, request.channel)
        mine = self.alerts.all(request.platform, request.channel)
        if not mine:
            return Reply(
                f"{_sentence(where)} has no alerts. An admin can add one: "
                f'`alert cs.CV above 300` or `alert about "protein folding" above 100`.'
            )
        lines = [f"Alerts of {where}:"]
        lines.extend(f"{i}. {a.describe()}" for i, a in enumerate(mine, start=1))
        if len(mine) == 1:
            lines.append("`unalert 1` removes it.")
        else:
            lines.append("`unalert 2` removes the second; `unalert all` removes them all.")
        return Reply("\n".join(lines))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
