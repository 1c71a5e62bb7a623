"""The answer to `team [N] [PERIOD]`: the papers this channel's members reacted to most."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.commands.team import Team
from bot.commands.types import Period
from bot.domain.models import Reply, Request
from bot.render.text import render_digest_text
from bot.store import Ranked

if TYPE_CHECKING:
    from bot.services.engine import Engine


def reaction_window(period: Period, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The reactions a period covers: `today` since local midnight, `week` the last 7 days..."""
    local = now.astimezone(zone)
    midnight = datetime.combine(local.date(), time(0), zone)
    if period.kind == "today":
        return midnight, now
    if period.kind == "yesterday":
        return midnight - timedelta(days=1), midnight
    if period.kind == "date" and period.on is not None:
        start = datetime.combine(period.on, time(0), zone)
        return start, start + timedelta(days=1)
    return now - timedelta(days=max(1, period.days)), now


def team_answer(engine: Engine, command: Team, request: Request, _fetch: bool) -> Reply:
    now = engine.clock()
    zone = ZoneInfo(request.timezone or engine.settings.timezone)
    since, until = reaction_window(command.period, now, zone)
    most = engine.team.most(request.platform, request.channel, since, until, command.n)
    if not most:
        return Reply(
            f"Nobody here has reacted to my papers {command.period.label} yet. React to a digest "
            f"item or a paper card with any emoji (or reply in its thread), then try `team month`."
        )
    title = f"What your team reacted to, {command.period.label}"
    ranked = [Ranked(paper_id, float(count)) for paper_id, count in most]
    digest = engine._build(title, ranked, (), f"team {command.period.label}", None, command.notes)
    counts = dict(most)  # members who reacted in the period, as ranked
    items = tuple(replace(i, team=counts.get(i.paper.arxiv_id, 0)) for i in digest.items)
    digest = replace(digest, items=items)
    return Reply(render_digest_text(digest), digest=digest)
