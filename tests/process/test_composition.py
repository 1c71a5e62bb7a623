"""The composition root through the real process (issue 14 defects 4 and 6)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.services.subscriptions import SubscriptionStore
from bot.store import Store
from tests.process.harness import bot_process, wait_until
from tests.process.world import SECRETS, World, slack_slash, world

ASKING = "C0PROCASK"


@pytest.fixture
def slack_world() -> Iterator[World]:
    with world() as w:
        yield w


def test_the_console_beside_slack_runs_both(slack_world: World, tmp_path: Path) -> None:
    """`[adapters.console]` beside Slack: the console greets (and its input ends at once: stdin
    is /dev/null), and Slack keeps answering (before: only the console ran, then the process
    ended)."""
    w = slack_world
    config = w.config(tmp_path / "hotpapers.toml", sources=False, discord=False, mastodon=False)
    config.write_text(config.read_text() + "\n[adapters.console]\n", encoding="utf-8")
    with bot_process(config, tmp_path / "hotpapers.db", SECRETS) as bot:
        bot.wait_for_line(r"Slack: connected in Socket Mode", timeout=30)
        assert "Ask me:" in bot.text("stdout")  # the console's greeting
        w.loop.run(w.slack.send_envelope("slash_commands", slack_slash("help top", ASKING)))
        wait_until(lambda: w.read(lambda: w.slack.channels.get(ASKING)) or None, 20, "the answer")
        assert bot.running, bot.tail()
        assert bot.terminate() == 143


def test_a_subscription_removed_from_the_config_file_stops(
    slack_world: World, tmp_path: Path
) -> None:
    w = slack_world
    db = tmp_path / "hotpapers.db"
    entry = {"platform": "slack", "channel": ASKING, "at": "09:00", "timezone": "UTC"}
    with_one = w.config(
        tmp_path / "one.toml", sources=False, discord=False, mastodon=False, subscriptions=[entry]
    )
    without = w.config(tmp_path / "none.toml", sources=False, discord=False, mastodon=False)
    for config, expected in ((with_one, [ASKING]), (without, [])):
        with bot_process(config, db, SECRETS) as bot:
            bot.wait_for_line(r"scheduler started", timeout=30)
            assert bot.terminate() == 143
        store = Store.open(db, read_only=True)
        try:
            assert [s.channel for s in SubscriptionStore(store).active()] == expected
        finally:
            store.close()


def test_a_stop_while_ingest_jobs_run_prints_no_traceback(
    slack_world: World, tmp_path: Path
) -> None:
    """Issue 15 defect 10: a normal stop printed `Job "ingest …" raised an exception …
    CancelledError` tracebacks. The sources' jobs start at once; the stop comes while they run."""
    w = slack_world
    config = w.config(tmp_path / "hotpapers.toml", discord=False, mastodon=False)
    with bot_process(config, tmp_path / "hotpapers.db", SECRETS) as bot:
        bot.wait_for_line(r"scheduler started", timeout=30)
        code = bot.terminate()
    stderr = bot.text("stderr")
    assert code == 143, bot.tail()
    assert "Traceback" not in stderr and "raised an exception" not in stderr, bot.tail(40)


def test_slack_in_http_mode_verifies_requests_and_answers(
    slack_world: World, tmp_path: Path
) -> None:
    """`[adapters.slack] mode = "http"`: the bot listens on a port, refuses an unsigned request
    with 401, and answers a signed slash command in the channel."""
    import hashlib
    import hmac
    import time
    import urllib.error
    import urllib.parse
    import urllib.request

    from tests.process.harness import free_port

    w = slack_world
    port = free_port()
    config = w.config(tmp_path / "hotpapers.toml", sources=False, discord=False, mastodon=False)
    text = config.read_text(encoding="utf-8")
    assert 'mode = "socket"' in text
    config.write_text(
        text.replace('mode = "socket"', f'mode = "http"\nhost = "127.0.0.1"\nport = {port}'),
        encoding="utf-8",
    )
    secret = "process-signing-secret"
    env = {**SECRETS, "SLACK_SIGNING_SECRET": secret}
    body = urllib.parse.urlencode(slack_slash("help top", ASKING))
    url = f"http://127.0.0.1:{port}/slack/events"

    def post(signature: str, stamp: str) -> int:
        request = urllib.request.Request(
            url,
            data=body.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signature,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    with bot_process(config, tmp_path / "hotpapers.db", env) as bot:
        bot.wait_for_line(r"Slack: listening for events", timeout=30)
        stamp = str(int(time.time()))
        assert post("v0=" + "0" * 64, stamp) == 401
        digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
        assert post("v0=" + digest.hexdigest(), stamp) == 200
        [answer] = wait_until(
            lambda: w.read(lambda: w.slack.channels.get(ASKING)) or None, 20, "the answer"
        )
        assert "top" in str(answer.get("blocks")) + answer.get("text", "")
        assert bot.terminate() == 143
