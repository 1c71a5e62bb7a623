"""The morning's one `hotpapers run` process (session-scoped: see conftest.py for why)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.process.harness import BotProcess, bot_process
from tests.process.world import SECRETS, World, world

NEW_YORK = "C0NEWYORK1"
TOKYO = "C0TOKYO001"
KIRITIMATI = "C0KIRITI01"  # UTC+14: its date is ahead of the newest listing most of the day
ASKING = "C0ASKING01"
LEAD_SECONDS = 25  # the digests fire at the first whole minute at least this far ahead


@dataclass
class Morning:
    world: World
    bot: BotProcess
    fire_at: datetime  # UTC, the minute both scheduled digests fire
    seen: dict[str, Any] = field(default_factory=dict)  # what earlier tests found, for later ones

    def posted(self, channel: str) -> list[dict[str, Any]]:
        slack = self.world.slack
        return self.world.read(lambda: [dict(m) for m in slack.channels.get(channel, [])])


def fire_minute(now: datetime) -> datetime:
    ahead = now + timedelta(seconds=LEAD_SECONDS)
    return (ahead + timedelta(minutes=1)).replace(second=0, microsecond=0)


def at(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%H:%M}"


@pytest.fixture(scope="session")
def morning(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Morning]:
    tmp = tmp_path_factory.mktemp("morning")
    with world() as w:
        fire = fire_minute(datetime.now(UTC))
        common = {"categories": ["cs.CV", "cs.LG"], "top": 3, "days": "daily"}
        subscriptions = [
            {"platform": "slack", "channel": NEW_YORK, "at": at(fire, "America/New_York"),
             "timezone": "America/New_York", **common},
            {"platform": "slack", "channel": TOKYO, "at": at(fire, "Asia/Tokyo"),
             "timezone": "Asia/Tokyo", **common},
            {"platform": "slack", "channel": KIRITIMATI, "at": at(fire, "Pacific/Kiritimati"),
             "timezone": "Pacific/Kiritimati", **common},
            {"platform": "mastodon", "channel": "hotpapers", "at": at(fire, "America/New_York"),
             "timezone": "America/New_York", **common},
        ]  # fmt: skip
        config = w.config(tmp / "hotpapers.toml", subscriptions=subscriptions)
        with bot_process(config, tmp / "hotpapers.db", SECRETS) as bot:
            yield Morning(w, bot, fire)
