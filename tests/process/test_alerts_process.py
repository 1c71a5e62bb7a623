"""Breakout alerts through a whole `hotpapers run`: the ingest jobs bring papers over an alert's
score, each is posted once in the alert's Slack channel; after a restart (and its ingest) none
is posted again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.domain.alerts import Alert
from bot.store import Store
from bot.store.alerts import AlertStore
from tests.process.harness import bot_process, wait_until
from tests.process.world import SECRETS, World, titles, world

pytestmark = pytest.mark.process

ALERTS = "C0ALERTS1"


@pytest.fixture
def alert_world() -> Iterator[World]:
    with world(discord=False) as w:
        yield w


def breakouts(w: World) -> list[dict[str, Any]]:
    posted = w.read(lambda: [dict(m) for m in w.slack.channels.get(ALERTS, [])])
    return [m for m in posted if "thread_ts" not in m and "Breakout" in _text(m)]


def _text(message: dict[str, Any]) -> str:
    return str(message.get("blocks")) + str(message.get("text", ""))


def test_an_ingest_that_brings_papers_over_the_score_alerts_once_even_across_a_restart(
    alert_world: World, tmp_path: Path
) -> None:
    w = alert_world
    db = tmp_path / "hotpapers.db"
    store = Store.open(db)
    try:
        AlertStore(store).save(Alert("slack", ALERTS, 1.0, ("cs.CV",)))
    finally:
        store.close()
    config = w.config(tmp_path / "hotpapers.toml", discord=False, mastodon=False)
    cs_cv = [title for i, title in enumerate(titles(w.listing).values()) if i % 2 == 0]

    with bot_process(config, db, SECRETS) as bot:
        bot.wait_for_line(r'Job "ingest arxiv.*executed successfully', timeout=60)
        bot.wait_for_line(r'Job "ingest hackernews.*executed successfully', timeout=60)
        posted = wait_until(lambda: len(breakouts(w)) >= 3 or None, 20, "three alerts")
        assert posted
        assert bot.terminate() == 143
    first = breakouts(w)
    assert len(first) == 3
    assert sorted(t for t in cs_cv if any(t in _text(m) for m in first)) == sorted(cs_cv)
    assert all("in the last 6 hours" in _text(m) for m in first)

    with bot_process(config, db, SECRETS) as bot:
        bot.wait_for_line(r'Job "ingest arxiv.*executed successfully', timeout=60)
        bot.wait_for_line(r'Job "ingest hackernews.*executed successfully', timeout=60)
        assert bot.terminate() == 143
    assert len(breakouts(w)) == 3
