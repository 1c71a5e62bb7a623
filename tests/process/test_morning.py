"""A morning of `hotpapers run` as a subprocess: ingest, commands on Slack and Discord, digests
scheduled a minute ahead in New York and Tokyo, a Mastodon digest thread, `3` in a thread.

One process serves the whole module (the `morning` fixture: the scheduled minute is waited for
once, and the crash tests run meanwhile); the tests run in file order, each checks one thing
users see.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.fakes.slack_fake import BOT_USER
from tests.process.harness import wait_until
from tests.process.morning import ASKING, KIRITIMATI, NEW_YORK, TOKYO, Morning
from tests.process.world import slack_mention, slack_slash, slack_thread_message

pytestmark = pytest.mark.process


def test_ingest_reads_the_listing_and_the_attention_source(morning: Morning) -> None:
    bot = morning.bot
    bot.wait_for_line(r'Job "ingest arxiv.*executed successfully', timeout=30)
    bot.wait_for_line(r'Job "ingest hackernews.*executed successfully', timeout=30)
    assert morning.world.arxiv.requests_to("/rss/")
    assert morning.world.web.requests("/search_by_date")


def test_slack_slash_command_answers_with_the_ingested_papers(morning: Morning) -> None:
    w = morning.world
    w.loop.run(w.slack.send_envelope("slash_commands", slack_slash("top 3 today", ASKING)))
    [answer] = wait_until(lambda: morning.posted(ASKING), 20, "the answer to /hotpapers")
    text = str(answer.get("blocks")) + answer.get("text", "")
    assert "Hot Papers" in text
    assert "Process paper 1" in text  # HN's most-pointed paper from today's listing


def test_slack_mention_is_answered_in_its_thread(morning: Morning) -> None:
    w = morning.world
    ts = "1700000100.000100"
    w.loop.run(
        w.slack.send_envelope("events_api", slack_mention(f"<@{BOT_USER}> top 2 cs.LG", ASKING, ts))
    )
    replies = wait_until(
        lambda: [m for m in morning.posted(ASKING) if m.get("thread_ts") == ts],
        20,
        "the answer to the mention",
    )
    text = str(replies[0].get("blocks")) + replies[0].get("text", "")
    assert "cs.LG" in text and "Process paper 2" in text  # papers 2, 4, 6 are cs.LG


def test_discord_slash_command_and_mention_are_answered(morning: Morning) -> None:
    w = morning.world
    fake = w.discord
    assert fake is not None
    wait_until(lambda: w.read(lambda: fake.identifies), 30, "Discord's IDENTIFY")
    interaction = w.read(
        lambda: fake.interaction("top", [{"name": "count", "type": 4, "value": 3}])
    )
    w.loop.run(fake.send_interaction(interaction))
    path = f"/interactions/{interaction['id']}/{interaction['token']}/callback"
    [callback] = wait_until(
        lambda: w.read(lambda: [c for c in fake.calls if c.path == path]),
        20,
        "the interaction callback",
    )
    assert "Process paper 1" in str(callback.body)
    message = w.read(lambda: fake.user_message(f"<@{fake.world.bot_id}> top 2"))
    w.loop.run(fake.dispatch("MESSAGE_CREATE", message))
    [reply] = wait_until(
        lambda: w.read(
            lambda: [
                c.body
                for c in fake.posts()
                if str((c.body.get("message_reference") or {}).get("message_id")) == message["id"]
            ]
        ),
        20,
        "the reply to the Discord mention",
    )
    assert "Hot Papers" in reply["content"]


def digest_and_thread(morning: Morning, channel: str, timeout: float) -> list[dict[str, Any]]:
    """The channel's digest root and its thread, once the thread has stopped growing."""

    def found() -> list[dict[str, Any]] | None:
        messages = morning.posted(channel)
        roots = [m for m in messages if "thread_ts" not in m]
        if not roots:
            return None
        thread = [m for m in messages if m.get("thread_ts") == roots[0]["ts"]]
        return messages if thread else None

    left = (morning.fire_at - datetime.now(UTC)).total_seconds()
    wait_until(found, max(left, 0) + timeout, f"the scheduled digest in {channel}")
    previous: list[dict[str, Any]] = []

    def settled() -> list[dict[str, Any]] | None:
        nonlocal previous
        now = morning.posted(channel)
        same = len(now) == len(previous)
        previous = now
        return now if same else None

    return wait_until(settled, 20, f"the thread in {channel} to settle", interval=1.0)


def test_scheduled_digest_posts_in_new_york_with_its_thread(
    request: pytest.FixtureRequest, morning: Morning
) -> None:
    messages = digest_and_thread(morning, NEW_YORK, timeout=30)
    roots = [m for m in messages if "thread_ts" not in m]
    assert len(roots) == 1
    root = roots[0]
    assert root.get("metadata", {}).get("event_type") == "hotpapers_digest"
    assert "Process paper 1" in str(root.get("blocks")) + root.get("text", "")
    thread = [m for m in messages if m.get("thread_ts") == root["ts"]]
    assert len(thread) >= 3  # the abstracts of the top 3
    morning.seen["new_york_root"] = root["ts"]


def test_3_in_the_digest_thread_answers_item_3(
    request: pytest.FixtureRequest, morning: Morning
) -> None:
    root = morning.seen.get("new_york_root")
    assert root, "the New York digest was not posted"
    before = len(morning.posted(NEW_YORK))
    ts = "1700000300.000300"
    w = morning.world
    w.loop.run(w.slack.send_envelope("events_api", slack_thread_message("3", NEW_YORK, ts, root)))
    new = wait_until(
        lambda: morning.posted(NEW_YORK)[before:], 20, "the answer to `3` in the thread"
    )
    assert new[0].get("thread_ts") == root
    assert "Process paper 3" in str(new[0].get("blocks")) + new[0].get("text", "")


def test_scheduled_digest_posts_a_mastodon_thread(
    request: pytest.FixtureRequest, morning: Morning
) -> None:
    toots = morning.world.toots
    left = (morning.fire_at - datetime.now(UTC)).total_seconds()
    stored = wait_until(
        lambda: (lambda s: s if len(s) >= 2 else None)(toots.stored()),
        max(left, 0) + 30,
        "the Mastodon digest thread",
    )
    first_id, first = stored[0]
    assert "Process paper 1" in first["status"] or "Hot Papers" in first["status"]
    assert stored[1][1].get("in_reply_to_id") == first_id  # a thread, not loose toots


@pytest.mark.parametrize(
    ("zone", "channel"), [("Asia/Tokyo", TOKYO), ("Pacific/Kiritimati", KIRITIMATI)]
)
def test_scheduled_digest_ahead_of_new_york_posts_the_newest_listing(
    request: pytest.FixtureRequest, morning: Morning, zone: str, channel: str
) -> None:
    messages = digest_and_thread(morning, channel, timeout=15)
    roots = [m for m in messages if "thread_ts" not in m]
    assert len(roots) == 1
    assert "Process paper 1" in str(roots[0].get("blocks")) + roots[0].get("text", "")


def test_the_bot_is_still_running_after_the_morning(morning: Morning) -> None:
    assert morning.bot.running, morning.bot.tail()
    assert "Traceback" not in morning.bot.text("stderr"), morning.bot.tail(60)
