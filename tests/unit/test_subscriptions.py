"""Subscriptions through chat commands and the config: who may change them, what they confirm."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.domain.errors import ConfigError
from bot.domain.models import Request
from bot.services.engine import Engine
from bot.services.subscriptions import SubscriptionService
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore

NOW = datetime(2021, 4, 5, 7, 0, tzinfo=UTC)


@pytest.fixture
def store() -> Store:
    return Store.memory()


def chat(store: Store, changes: list[str]) -> Engine:
    service = SubscriptionService(
        store, on_change=lambda: changes.append("changed"), clock=lambda: NOW
    )
    return Engine(store, clock=lambda: NOW, subscriptions=service)


def say(engine: Engine, text: str, *, admin: bool) -> str:
    reply = engine.handle(
        Request(
            text=text, user="U1", channel="papers", platform="slack", is_admin=admin, addressed=True
        )
    )
    assert reply is not None
    return reply.text


def test_unauthorised_subscribe_is_refused_with_a_reason(store: Store) -> None:
    changes: list[str] = []
    engine = chat(store, changes)

    refused = say(engine, "subscribe cs.CV top 5 at 09:00 Europe/Berlin", admin=False)

    assert refused.startswith("Sorry, only channel admins can subscribe this channel")
    assert "posts to everyone here" in refused
    assert SubscriptionStore(store).all() == []
    assert changes == []

    accepted = say(engine, "subscribe cs.CV cs.LG top 5 at 09:00 Europe/Berlin", admin=True)

    assert accepted == (
        "Subscribed this channel to the top 5 of cs.CV cs.LG at 09:00 Europe/Berlin on listing days."
    )
    (sub,) = SubscriptionStore(store).all()
    assert (sub.platform, sub.channel, sub.filters, sub.n) == (
        "slack",
        "papers",
        ("cs.CV", "cs.LG"),
        5,
    )
    assert (sub.at, sub.timezone, sub.days, sub.origin) == (time(9), "Europe/Berlin", None, "chat")
    assert changes == ["changed"]  # the scheduler is told: no restart needed

    assert say(engine, "unsubscribe cs.CV cs.LG", admin=False).startswith(
        "Sorry, only channel admins can unsubscribe this channel"
    )
    assert len(SubscriptionStore(store).all()) == 1


def test_config_entries_are_validated_naming_the_entry_and_key(store: Store) -> None:
    service = SubscriptionService(store, clock=lambda: NOW)
    good = {
        "platform": "discord",
        "channel": "123",
        "categories": ["cs.CV"],
        "at": "08:30",
        "timezone": "America/New_York",
        "days": "daily",
        "on_empty": "note",
        "abstracts": False,
    }
    bad = {"platform": "slack", "channel": "C9", "categories": ["cs.CVV"]}

    with pytest.raises(ConfigError) as error:
        service.sync_config_subscriptions([good, bad], where="bot.toml")

    assert str(error.value) == (
        "bot.toml: [[subscriptions]] #2 (slack C9) categories: unknown category 'cs.CVV' "
        "— did you mean cs.CV?"
    )
    assert SubscriptionStore(store).all() == []  # nothing half-applied

    (sub,) = service.sync_config_subscriptions([good], where="bot.toml")
    assert (sub.origin, sub.at, sub.days, sub.on_empty, sub.abstracts) == (
        "config",
        time(8, 30),
        tuple(range(7)),
        "note",
        False,
    )
    service.sync_config_subscriptions([], where="bot.toml")
    assert SubscriptionStore(store).all() == []  # an entry removed from the config is removed
