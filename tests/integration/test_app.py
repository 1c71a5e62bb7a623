"""The composition root (bot/app.py): what `hotpapers run` builds and how it runs it."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import adapters
from adapters import AdapterContext
from bot.app import Running, build_app
from bot.ports import Publisher


def write_config(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


SUBSCRIPTION = """
[[subscriptions]]
platform = "console"
channel = "console"
at = "{at}"
timezone = "UTC"
days = "daily"
"""


async def test_a_subscription_removed_from_the_config_file_is_stopped(tmp_path: Path) -> None:
    db = tmp_path / "hp.db"
    with_one = write_config(tmp_path / "one.toml", SUBSCRIPTION.format(at="09:00"))
    app = build_app(with_one, db)
    running = Running(app, io.StringIO(), interactive=False)
    running._scheduler().shutdown()
    assert [s.channel for s in app.subscriptions.subscriptions.active()] == ["console"]
    app.close()

    without = write_config(tmp_path / "none.toml", "[bot]\ntimezone = 'UTC'\n")
    app = build_app(without, db)
    running = Running(app, io.StringIO(), interactive=False)
    scheduler = running._scheduler()
    try:
        assert app.subscriptions.subscriptions.active() == []
        assert not [job for job in scheduler.aps.get_jobs() if job.id.startswith("digest:")]
    finally:
        scheduler.shutdown()
        app.close()


async def test_a_restart_catches_up_a_config_subscription_missed_while_down(
    tmp_path: Path,
) -> None:
    """The digest due an hour ago (config subscription made before that) is run late, once."""
    db = tmp_path / "hp.db"
    due = (datetime.now(UTC) - timedelta(hours=1)).replace(second=0, microsecond=0)
    config = write_config(tmp_path / "hp.toml", SUBSCRIPTION.format(at=f"{due:%H:%M}"))
    app = build_app(config, db)
    app.subscriptions.sync_config_subscriptions(app.config.subscriptions, where="first start")
    app.store.conn.execute(  # the subscription was made two days ago
        "UPDATE subscriptions SET created_at = ?",
        ((datetime.now(UTC) - timedelta(days=2)).isoformat(),),
    )
    running = Running(app, io.StringIO(), interactive=False)
    scheduler = running._scheduler()
    try:
        (job,) = [j for j in scheduler.aps.get_jobs() if j.id.startswith("digest:")]
        assert job.next_run_time is not None
        assert job.next_run_time <= datetime.now(UTC)  # scheduled at the missed time: caught up
    finally:
        scheduler.shutdown()
        app.close()


class _Recorder:
    def __init__(self, name: str, runs: list[str]) -> None:
        self.name = name
        self.runs = runs

    @property
    def publisher(self) -> Publisher | None:
        return None

    async def run(self) -> None:
        self.runs.append(self.name)
        await asyncio.Event().wait()  # serves until cancelled


async def test_the_console_beside_another_adapter_runs_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[str] = []

    async def load_dummy(context: AdapterContext) -> Any:
        return _Recorder(context.name, runs)

    monkeypatch.setitem(adapters.REGISTRY, "dummy", (__name__, "_load_dummy", None))
    monkeypatch.setitem(globals(), "_load_dummy", load_dummy)
    config = write_config(tmp_path / "hp.toml", "[adapters.console]\n[adapters.dummy]\n")
    app = build_app(config, tmp_path / "hp.db")
    running = Running(app, io.StringIO("help\n"), interactive=False)  # the console reads EOF
    task = asyncio.create_task(running.run())
    for _ in range(200):
        if "dummy" in runs:
            break
        await asyncio.sleep(0.01)
    assert runs == ["dummy"]
    assert not task.done()  # the console's end of input does not stop the other adapter
    running._on_signal(15)
    assert await task == 143
    app.close()


async def test_an_adapter_that_fails_is_restarted_and_the_others_keep_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[int] = []

    class Flaky(_Recorder):
        async def run(self) -> None:
            attempts.append(1)
            if len(attempts) < 3:
                raise ConnectionError("Cannot connect to host slack.com:443")
            await asyncio.Event().wait()

    async def load_flaky(context: AdapterContext) -> Any:
        return Flaky(context.name, [])

    monkeypatch.setitem(adapters.REGISTRY, "flaky", (__name__, "_load_flaky", None))
    monkeypatch.setitem(globals(), "_load_flaky", load_flaky)
    monkeypatch.setattr("bot.app.RESTART_DELAYS", (0.01,))
    config = write_config(tmp_path / "hp.toml", "[adapters.flaky]\n")
    app = build_app(config, tmp_path / "hp.db")
    running = Running(app, io.StringIO(), interactive=False)
    task = asyncio.create_task(running.run())
    for _ in range(300):
        if len(attempts) >= 3:
            break
        await asyncio.sleep(0.01)
    assert len(attempts) == 3
    assert "adapter flaky: ConnectionError: Cannot connect to host slack.com:443; retrying" in (
        caplog.text
    )
    assert not task.done()
    running._on_signal(15)
    assert await task == 143
    app.close()
