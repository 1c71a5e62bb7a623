"""`hotpapers run` killed, terminated, or started while Slack is unreachable."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import latest_listing
from bot.domain.subscription import Subscription
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore
from tests.fakes.slack_fake import BOT_USER, FakeSlack
from tests.helpers import aggregate, paper
from tests.process.harness import bot_process, free_port, wait_until
from tests.process.world import SECRETS, World, slack_mention, world

pytestmark = pytest.mark.process

FAN_OUT = [f"C0FAN{i:05d}" for i in range(20)]
ZONE = "America/New_York"


@pytest.fixture
def slack_world() -> Iterator[World]:
    with world(discord=False) as w:
        yield w


def seed(db: Path, now: datetime) -> None:
    """Papers with attention on the listing days a digest run now may use, and 20 subscriptions
    that were due two minutes ago (made hours before): the bot owes each channel one digest."""
    days = {latest_listing(now), now.astimezone(ZoneInfo(ZONE)).date()}
    store = Store.open(db)
    try:
        for n, day in enumerate(sorted(days)):
            ids = [f"{day:%y%m}.{80001 + 10 * n + i:05d}" for i in range(5)]
            store.upsert_papers(
                [
                    paper(pid, day, ("cs.CV",), title=f"Fan-out paper {i + 1}")
                    for i, pid in enumerate(ids)
                ]
            )
            store.upsert_observations(
                [aggregate(pid, 100 - 10 * i, 5) for i, pid in enumerate(ids)]
            )
        due = (now - timedelta(minutes=2)).astimezone(ZoneInfo(ZONE))
        subscriptions = SubscriptionStore(store)
        for channel in FAN_OUT:
            subscriptions.save(
                Subscription(
                    "slack",
                    channel,
                    ("cs.CV",),
                    n=3,
                    at=due.time().replace(second=0, microsecond=0),
                    timezone=ZONE,
                    days=tuple(range(7)),
                    created_by="U0ADMIN01",
                    created_at=now - timedelta(hours=3),
                )
            )
    finally:
        store.close()


def channel_state(slack: FakeSlack) -> dict[str, tuple[int, tuple[str, ...]]]:
    """channel -> (digest roots, texts of the first root's thread)."""
    state = {}
    for channel in FAN_OUT:
        messages = slack.channels.get(channel, [])
        roots = [m for m in messages if "thread_ts" not in m]
        thread = tuple(
            str(m.get("blocks")) + m.get("text", "")
            for m in messages
            if roots and m.get("thread_ts") == roots[0]["ts"]
        )
        state[channel] = (len(roots), thread)
    return state


def test_kill_9_during_a_fan_out_then_restart_gives_every_channel_one_complete_digest(
    slack_world: World, tmp_path: Path
) -> None:
    w = slack_world
    db = tmp_path / "hotpapers.db"
    seed(db, datetime.now(UTC))
    config = w.config(tmp_path / "hotpapers.toml", sources=False, discord=False, mastodon=False)
    w.read(lambda: w.slack.delays.update({"chat.postMessage": 0.05}))  # a fan-out takes seconds

    with bot_process(config, db, SECRETS) as first:
        wait_until(
            lambda: sum(roots for roots, _ in w.read(lambda: channel_state(w.slack)).values()) >= 3,
            30,
            "the fan-out to begin",
            interval=0.02,
        )
        first.kill()  # kill -9 in the middle of it
    before = w.read(lambda: channel_state(w.slack))
    unfinished = [c for c, (roots, _) in before.items() if roots == 0]
    assert unfinished, "the fan-out finished before the kill: nothing was interrupted"

    # What the killed process had already sent, Slack still processes (as the real one would
    # within milliseconds): let the slow fake finish that before the restart looks.
    wait_until(lambda: w.read(lambda: w.slack.in_flight == 0), 30, "Slack to finish the backlog")
    w.read(lambda: w.slack.delays.clear())
    with bot_process(config, db, SECRETS) as second:

        def complete() -> dict[str, tuple[int, tuple[str, ...]]] | None:
            state = w.read(lambda: channel_state(w.slack))
            threads = {thread for _, thread in state.values()}
            done = all(roots >= 1 for roots, _ in state.values()) and len(threads) == 1
            return state if done else None

        after = wait_until(complete, 60, "every channel to have its digest and thread", 0.2)
        assert second.running, second.tail()
    roots = {channel: count for channel, (count, _) in after.items()}
    assert roots == dict.fromkeys(FAN_OUT, 1)  # exactly one digest everywhere, none twice
    [thread] = {thread for _, thread in after.values()}
    assert len(thread) >= 3 and len(set(thread)) == len(thread)  # complete, no reply twice
    assert "Fan-out paper 1" in thread[0] + str(after)


def test_restart_catches_up_a_digest_missed_while_down_for_config_subscriptions(
    slack_world: World, tmp_path: Path
) -> None:
    w = slack_world
    db = tmp_path / "hotpapers.db"
    now = datetime.now(UTC)
    seed(db, now)  # the bot ran before: these rows exist since hours ago...
    store = Store.open(db)
    try:  # ...and came from the config, which the restart reads again
        subscriptions = SubscriptionStore(store)
        rows = subscriptions.all()
        for sub in rows:
            subscriptions.save(replace(sub, origin="config"))
    finally:
        store.close()
    entries = [
        {
            "platform": "slack",
            "channel": sub.channel,
            "categories": ["cs.CV"],
            "top": 3,
            "at": f"{sub.at:%H:%M}",
            "timezone": ZONE,
            "days": "daily",
        }
        for sub in rows
    ]
    config = w.config(
        tmp_path / "hotpapers.toml",
        sources=False,
        discord=False,
        mastodon=False,
        subscriptions=entries,
    )
    with bot_process(config, db, SECRETS) as bot:
        done = wait_until(
            lambda: (lambda s: s if all(r == 1 and len(t) >= 3 for r, t in s.values()) else None)(
                w.read(lambda: channel_state(w.slack))
            ),
            15,
            "the missed digests to be caught up in every channel",
            0.2,
        )
        assert bot.running, bot.tail()
    assert all(len(thread) >= 3 for _, thread in done.values())


def test_sigterm_exits_143_with_one_log_line_and_no_traceback(
    slack_world: World, tmp_path: Path
) -> None:
    w = slack_world
    config = w.config(tmp_path / "hotpapers.toml", sources=False, discord=False, mastodon=False)
    with bot_process(config, tmp_path / "hotpapers.db", SECRETS) as bot:
        bot.wait_for_line(r"Slack: connected in Socket Mode", timeout=30)
        code = bot.terminate()
        after = bot.text("stderr", since=bot.signalled_at or 0)
    assert "Traceback" not in bot.text("stderr"), bot.tail(40)
    said = [
        line
        for line in after.splitlines()
        if re.search(r" (INFO|WARNING) (bot|adapters)\.\S+: ", line)
        and re.search(r"(?i)sigterm|shutting down|stopping|stopped", line)
    ]
    assert len(said) == 1, after
    assert code == 143


def test_slack_unreachable_at_start_is_retried_and_then_answers(
    slack_world: World, tmp_path: Path
) -> None:
    w = slack_world
    port = free_port()  # nothing listens here yet: connection refused
    config = w.config(
        tmp_path / "hotpapers.toml",
        sources=False,
        discord=False,
        mastodon=False,
        slack_api_url=f"http://127.0.0.1:{port}/api/",
    )
    with bot_process(config, tmp_path / "hotpapers.db", SECRETS) as bot:
        # The bot's own line (slack_sdk's single quick retry is not enough to ride out an outage)
        bot.wait_for_line(
            r" (INFO|WARNING|ERROR) (bot|adapters)\.\S+: .*(?i:retry|retrying|unreachable)",
            timeout=30,
        )
        assert bot.running, bot.tail()
        late = w.loop.run(FakeSlack().start(port))  # Slack comes back
        try:
            ts = "1700000500.000500"
            w.loop.run(
                late.send_envelope(
                    "events_api", slack_mention(f"<@{BOT_USER}> top 2", "C0LATE0001", ts)
                ),
                timeout=60,
            )
            answer: list[dict[str, Any]] = wait_until(
                lambda: w.read(
                    lambda: [
                        m for m in late.channels.get("C0LATE0001", []) if m.get("thread_ts") == ts
                    ]
                ),
                30,
                "the answer once Slack is back",
            )
            assert answer and bot.running
        finally:
            w.loop.run(late.close())
