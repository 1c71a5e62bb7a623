"""Breakout alerts from chat (`alert`, `alerts`, `unalert`) and their rows in the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import cli
from bot.config import parse_config
from bot.domain.alerts import Alert
from bot.domain.errors import ConfigError
from bot.domain.models import Request
from bot.domain.topics import TextFilter
from bot.services.alerts import AlertService
from bot.services.engine import Engine
from bot.store import Store
from bot.store.alerts import AlertStore

NOW = datetime(2021, 4, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def store() -> Store:
    return Store.memory()


def say(store: Store, text: str, *, admin: bool = True, channel: str = "papers") -> str:
    engine = Engine(store, clock=lambda: NOW, alerts=AlertService(store, clock=lambda: NOW))
    reply = engine.handle(
        Request(
            text=text, user="U1", channel=channel, platform="slack", is_admin=admin, addressed=True
        )
    )
    assert reply is not None
    return reply.text


def test_the_store_keeps_an_alert_as_it_was_said(store: Store) -> None:
    alerts = AlertStore(store)
    wanted = Alert(
        platform="discord",
        channel="42",
        threshold=12.5,
        filters=("cs.CV", "cs.LG"),
        text=TextFilter(about=(("gaussian splatting",), ("nerf",)), by="Yann LeCun"),
        created_by="U1",
        created_at=NOW,
    )
    saved, existed = alerts.save(wanted)
    assert not existed and saved.id is not None
    assert alerts.all("discord", "42") == [saved]
    assert (saved.filters, saved.text, saved.threshold) == (wanted.filters, wanted.text, 12.5)
    assert (
        saved.describe()
        == 'cs.CV cs.LG about "gaussian splatting" OR nerf by "Yann LeCun" above 12.5'
    )

    again, existed = alerts.save(Alert("discord", "42", 300, wanted.filters, wanted.text))
    assert existed and again.id == saved.id and again.threshold == 300
    alerts.delete([saved.id])
    assert alerts.all() == []


def test_only_admins_add_or_remove_alerts(store: Store) -> None:
    refused = say(store, "alert cs.CV above 300", admin=False)
    assert refused.startswith("Sorry, only channel admins can add alerts to this channel")
    assert "posts to everyone here" in refused
    assert AlertStore(store).all() == []

    assert say(store, "alert cs.CV above 300").startswith("Alert set (cs.CV above 300): I'll post")
    refused = say(store, "unalert all", admin=False)
    assert refused.startswith("Sorry, only channel admins can remove alerts from this channel")
    assert len(AlertStore(store).all()) == 1
    # anyone may list them
    assert "1. cs.CV above 300" in say(store, "alerts", admin=False)


def test_alerts_are_numbered_and_unalert_removes_by_number(store: Store) -> None:
    assert say(store, "alerts") == (
        "This channel has no alerts. An admin can add one: `alert cs.CV above 300` or "
        '`alert about "protein folding" above 100`.'
    )
    say(store, "alert cs.CV above 300")
    say(store, 'alert about "protein folding" above 100')
    say(store, 'alert cs.LG by "Yann LeCun" above 50')
    say(store, "alert cs.CV above 1000", channel="elsewhere")
    assert say(store, "alerts").splitlines() == [
        "Alerts of this channel:",
        "1. cs.CV above 300",
        '2. about "protein folding" above 100',
        '3. cs.LG by "Yann LeCun" above 50',
        "`unalert 2` removes the second; `unalert all` removes them all.",
    ]
    assert say(store, "alert cs.CV above 250") == (
        "Updated the alert of this channel: now cs.CV above 250."
    )
    assert say(store, "unalert 2") == 'Removed the alert about "protein folding" above 100.'
    assert say(store, "unalert 99") == (
        "This channel has no alert 99: it has 2 (`unalert 1` to `unalert 2`). `alerts` lists them."
    )
    assert say(store, "unalert all").splitlines() == [
        "Removed the alert cs.CV above 250.",
        'Removed the alert cs.LG by "Yann LeCun" above 50.',
    ]
    assert say(store, "unalert 1").startswith("This channel has no alerts.")
    assert [a.channel for a in AlertStore(store).all()] == ["elsewhere"]


def test_hotpapers_ask_sets_lists_and_removes_alerts(tmp_path: Path) -> None:
    db = str(tmp_path / "alerts.db")

    def ask(text: str) -> str:
        result = CliRunner().invoke(cli, ["ask", "--db", db, text])
        assert "Traceback" not in result.output
        return result.output.strip()

    assert ask("alert cs.CV above 300").startswith("Alert set (cs.CV above 300)")
    assert ask("alerts").splitlines() == [
        "Alerts of #console:",
        "1. cs.CV above 300",
        "`unalert 1` removes it.",
    ]
    assert ask("alert above abc") == (
        "`abc` is not a score. Give a number after `above`, e.g. `alert cs.CV above 300`."
    )
    assert ask("unalert 1") == "Removed the alert cs.CV above 300."


def test_the_per_day_cap_is_configured_in_alerts(tmp_path: Path) -> None:
    path = tmp_path / "hotpapers.toml"
    assert parse_config({}, path).alerts_per_channel_per_day == 5
    assert (
        parse_config({"alerts": {"per_channel_per_day": 2}}, path).alerts_per_channel_per_day == 2
    )
    with pytest.raises(ConfigError, match=r"\[alerts\] per_channel_per_day: expected a whole"):
        parse_config({"alerts": {"per_channel_per_day": -1}}, path)
    with pytest.raises(ConfigError, match=r"\[alerts\] per_day: unknown key"):
        parse_config({"alerts": {"per_day": 3}}, path)
