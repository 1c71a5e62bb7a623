"""Subscriptions with `about`/`by` filters and a weekly/monthly cadence: the grammar, the
stored rows, what chat and the config file say about them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from bot.commands.grammar import Invalid, Subscribe, Unsubscribe, parse_command
from bot.domain.errors import ConfigError
from bot.domain.models import Request
from bot.domain.subscription import Subscription
from bot.domain.topics import TextFilter
from bot.services.engine import Engine
from bot.services.subscription_config import parse_config_subscription
from bot.services.subscriptions import SubscriptionService
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore

NOW = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


def parsed(text: str) -> Subscribe:
    command = parse_command(text, addressed=True)
    assert isinstance(command, Subscribe), command
    return command


def refused(text: str) -> str:
    command = parse_command(text, addressed=True)
    assert isinstance(command, Invalid), command
    return command.message


# -- grammar ---------------------------------------------------------------------------------


def test_subscribe_reads_a_topic_with_categories_time_and_zone() -> None:
    command = parsed('subscribe cs.CV about "3d reconstruction" top 5 at 09:00 Europe/Berlin')
    assert [f.label for f in command.filters] == ["cs.CV"]
    assert command.text == TextFilter((("3d reconstruction",),))
    assert (command.n, command.at, command.timezone, command.cadence) == (
        5,
        time(9, 0),
        "Europe/Berlin",
        "daily",
    )


def test_subscribe_reads_an_author_alone() -> None:
    command = parsed('subscribe by "Yann LeCun"')
    assert command.text == TextFilter((), "Yann LeCun")
    assert command.filters == () and command.days is None


def test_subscribe_weekly_takes_its_one_day() -> None:
    command = parsed("subscribe weekly mon 09:00 top 10 cs.LG")
    assert (command.cadence, command.days, command.n, command.at) == (
        "weekly",
        (0,),
        10,
        time(9, 0),
    )
    assert parsed("subscribe about diffusion weekly on friday").days == (4,)


def test_subscribe_monthly_needs_no_day() -> None:
    command = parsed("subscribe monthly 09:00 top 10 cs.LG")
    assert (command.cadence, command.days, command.n) == ("monthly", None, 10)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "subscribe weekly",
            "Which day should the weekly digest go out? Try `subscribe weekly mon",
        ),
        ("subscribe weekly top 10 cs.LG at 09:00", "Which day should the weekly digest go out?"),
        ("subscribe weekly mon wed", "A weekly digest goes out on one day of the week. Try `"),
        ("subscribe weekly weekdays", "A weekly digest goes out on one day of the week."),
        ("subscribe monthly sun", "first listing day of each month, so it takes no day. Try `"),
        ("subscribe monthly mon-fri 09:00", "so it takes no day. Try `subscribe monthly 09:00"),
        ("subscribe weekly monthly mon", "Weekly or monthly? One at a time"),
    ],
)
def test_a_cadence_with_the_wrong_days_gets_a_friendly_answer(text: str, says: str) -> None:
    message = refused(text)
    assert says in message
    assert "Traceback" not in message


def test_an_unbalanced_quote_reads_like_tops() -> None:
    mine = refused('subscribe about "unbalanced')
    tops = refused('top about "unbalanced')
    shared = 'A quote in `"unbalanced` is not closed. Put phrases between two quotes, e.g. `'
    assert mine.startswith(shared) and tops.startswith(shared)
    assert "`subscribe " in mine  # an example that works for subscribe


def test_fts_syntax_in_a_subscription_topic_is_plain_words() -> None:
    command = parsed("subscribe about NEAR(a* -b:c) at 09:00")
    assert command.text is not None and command.text.about == (("NEAR a", "b c"),)


def test_unsubscribe_can_name_a_topic_and_a_cadence() -> None:
    command = parse_command("unsubscribe weekly cs.LG about diffusion", addressed=True)
    assert isinstance(command, Unsubscribe)
    assert command.cadence == "weekly" and command.text == TextFilter((("diffusion",),))


# -- the store -------------------------------------------------------------------------------


def test_topic_author_and_cadence_round_trip_and_make_separate_subscriptions() -> None:
    subs = SubscriptionStore(Store.memory())
    base = Subscription("slack", "C1", ("cs.CV",), 5, time(9, 0), "Europe/Berlin")
    topic = Subscription(
        "slack",
        "C1",
        ("cs.CV",),
        5,
        time(9, 0),
        "Europe/Berlin",
        about=(("3d reconstruction", "mesh"), ("nerf",)),
        by="Yann LeCun",
    )
    weekly = Subscription("slack", "C1", ("cs.CV",), 10, time(8, 0), "UTC", (0,), cadence="weekly")
    for sub in (base, topic, weekly):
        subs.save(sub)
    stored = {(s.about, s.by, s.cadence): s for s in subs.all()}
    assert len(stored) == 3
    again = stored[((("3d reconstruction", "mesh"), ("nerf",)), "Yann LeCun", "daily")]
    assert again.text_filter == TextFilter((("3d reconstruction", "mesh"), ("nerf",)), "Yann LeCun")
    assert again.label == 'cs.CV about "3d reconstruction" mesh OR nerf by "Yann LeCun"'
    assert stored[((), "", "weekly")].days == (0,) and stored[((), "", "weekly")].n == 10
    # Saving the same identity again updates it rather than adding one.
    subs.save(Subscription("slack", "C1", ("cs.CV",), 7, time(8, 0), "UTC", (2,), cadence="weekly"))
    assert len(subs.all()) == 3
    found = subs.find("slack", "C1", ["cs.CV"], cadence="weekly")
    assert found is not None and (found.n, found.days) == (7, (2,))


def test_an_older_database_keeps_its_subscriptions_through_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = Store.open(path)
    store.conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm010_subscription_text'")
    store.conn.executescript(
        "DROP TABLE subscriptions; CREATE TABLE subscriptions (id INTEGER PRIMARY KEY, "
        "platform TEXT NOT NULL, channel TEXT NOT NULL, filters TEXT NOT NULL DEFAULT '', "
        "n INTEGER NOT NULL DEFAULT 5, at TEXT NOT NULL DEFAULT '09:00', timezone TEXT NOT NULL "
        "DEFAULT 'UTC', days TEXT, options TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL "
        "DEFAULT 'active', created_by TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, "
        "origin TEXT NOT NULL DEFAULT 'chat', UNIQUE (platform, channel, filters));"
        "INSERT INTO subscriptions (id, platform, channel, filters, n, at, timezone, days, "
        "created_at) VALUES (7, 'slack', 'C1', 'cs.CV', 3, '08:30', 'Europe/Berlin', 'mon,wed', "
        "'2026-01-01T00:00:00+00:00');"
    )
    store.close()

    store = Store.open(path)
    (sub,) = SubscriptionStore(store).all()
    assert (sub.id, sub.filters, sub.n, sub.at, sub.days) == (7, ("cs.CV",), 3, time(8, 30), (0, 2))
    assert (sub.about, sub.by, sub.cadence) == ((), "", "daily")
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute(
            "INSERT INTO subscriptions (platform, channel, filters, created_at) "
            "VALUES ('slack', 'C1', 'cs.CV', 'x')"
        )
    store.close()


# -- chat ------------------------------------------------------------------------------------


def say(engine: Engine, text: str) -> str:
    reply = engine.handle(
        Request(
            text=text, user="U1", channel="papers", platform="slack", is_admin=True, addressed=True
        )
    )
    assert reply is not None
    return reply.text


@pytest.fixture
def engine() -> Engine:
    store = Store.memory()
    service = SubscriptionService(store, clock=lambda: NOW)
    return Engine(store, clock=lambda: NOW, subscriptions=service)


def test_chat_subscribes_lists_and_unsubscribes_by_topic_and_cadence(engine: Engine) -> None:
    assert say(
        engine, 'subscribe cs.CV about "3d reconstruction" top 5 at 09:00 Europe/Berlin'
    ) == (
        'Subscribed this channel to the top 5 of cs.CV about "3d reconstruction" at 09:00 '
        "Europe/Berlin on listing days."
    )
    assert say(engine, "subscribe cs.CV at 09:00 Europe/Berlin") == (
        "Subscribed this channel to the top 5 of cs.CV at 09:00 Europe/Berlin on listing days."
    )
    assert say(engine, "subscribe weekly mon 09:00 top 10 cs.LG UTC") == (
        "Subscribed this channel to the weekly top 10 of cs.LG (the last 7 days) at 09:00 UTC "
        "every Monday."
    )
    assert say(engine, 'subscribe monthly 08:00 by "Yann LeCun" UTC') == (
        'Subscribed this channel to the monthly top 5 of all categories by "Yann LeCun" (the last 30 days) at '
        "08:00 UTC on the first listing day of each month."
    )
    assert say(engine, "subscribe weekly fri 09:00 top 10 cs.LG UTC") == (
        "Updated this channel: now the weekly top 10 of cs.LG (the last 7 days) at 09:00 UTC "
        "every Friday."
    )
    listed = say(engine, "subscriptions")
    assert listed.splitlines() == [
        "Subscriptions of this channel:",
        '• the monthly top 5 of all categories by "Yann LeCun" (the last 30 days) at 08:00 UTC on the first '
        "listing day of each month",
        "• the top 5 of cs.CV at 09:00 Europe/Berlin on listing days",
        '• the top 5 of cs.CV about "3d reconstruction" at 09:00 Europe/Berlin on listing days',
        "• the weekly top 10 of cs.LG (the last 7 days) at 09:00 UTC every Friday",
    ]
    assert say(engine, 'unsubscribe cs.CV about "3d reconstruction"') == (
        'Unsubscribed this channel from the top 5 of cs.CV about "3d reconstruction" at 09:00 '
        "Europe/Berlin on listing days."
    )
    assert say(engine, "unsubscribe weekly about diffusion").startswith(
        "This channel has no subscription to about diffusion weekly."
    )
    assert say(engine, "unsubscribe weekly").startswith("Unsubscribed this channel from the weekly")
    assert len(say(engine, "subscriptions").splitlines()) == 3


# -- the config file -------------------------------------------------------------------------


def entry(**keys: object) -> dict[str, object]:
    return {"platform": "slack", "channel": "C1", **keys}


def test_config_entries_take_about_by_cadence_and_day() -> None:
    sub = parse_config_subscription(
        entry(
            categories=["cs.CV"],
            about='"3d reconstruction" OR nerf',
            by="Yann LeCun",
            cadence="weekly",
            day="Mon",
        ),
        1,
    )
    assert (sub.about, sub.by, sub.cadence, sub.days) == (
        (("3d reconstruction",), ("nerf",)),
        "Yann LeCun",
        "weekly",
        (0,),
    )
    monthly = parse_config_subscription(entry(cadence="monthly"), 2)
    assert (monthly.cadence, monthly.days) == ("monthly", None)


@pytest.mark.parametrize(
    ("keys", "says"),
    [
        ({"about": '"unbalanced'}, 'about: A quote in `"unbalanced` is not closed'),
        ({"about": ""}, "about: expected a non-empty string"),
        ({"by": "!!!"}, "by: `by` needs"),
        ({"about": "diffusion by LeCun"}, "about: use the `about` and `by` keys for each"),
        ({"cadence": "yearly"}, 'cadence: expected "daily", "weekly" or "monthly"'),
        ({"cadence": "weekly"}, 'day: a weekly subscription needs its day, e.g. day = "mon"'),
        ({"cadence": "weekly", "day": "someday"}, "day: a weekly subscription needs its day"),
        ({"cadence": "weekly", "day": "mon", "days": "mon"}, "days: a weekly subscription takes"),
        ({"cadence": "monthly", "day": "sun"}, "day: only a weekly subscription takes a day"),
        ({"cadence": "monthly", "days": "mon"}, "days: a monthly subscription runs on the first"),
    ],
)
def test_config_mistakes_name_the_entry_and_key(keys: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config_subscription(entry(**keys), 3)
    assert str(raised.value).startswith("config: [[subscriptions]] #3 (slack C1) ")
    assert says in str(raised.value)


def test_config_sync_keeps_two_entries_that_differ_only_in_topic() -> None:
    store = Store.memory()
    service = SubscriptionService(store, clock=lambda: NOW)
    saved = service.sync_config_subscriptions(
        [entry(categories="cs.CV", about="diffusion"), entry(categories="cs.CV", about="nerf")]
    )
    assert sorted(s.topic_text for s in saved) == ["diffusion", "nerf"]
    assert len(SubscriptionStore(store).all()) == 2
    with pytest.raises(ConfigError, match="#2: same platform, channel, categories, about"):
        service.sync_config_subscriptions([entry(about="nerf"), entry(about="nerf")])
