"""Where the Jetstream listener runs: beside the adapters in `hotpapers run` (not as a polled
job) when [sources.bluesky] is in jetstream mode, and alone under `hotpapers ingest bluesky`."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import Running, build_app
from bot.cli.ingest import parse_duration
from bot.cli.main import cli
from bot.config import load_config
from bot.services.ingest import ingest_jobs
from tests.adapters.jetstream_fake import FakeJetstream, recorded


def write_config(tmp_path: Path, bluesky: str) -> Path:
    path = tmp_path / "hotpapers.toml"
    path.write_text(
        f'[bot]\ndatabase = "{tmp_path / "hp.sqlite"}"\n\n[sources.bluesky]\n{bluesky}\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("table", "listening", "polling"),
    [
        ("", True, False),  # jetstream is the default
        ('mode = "jetstream"', True, False),
        ('mode = "search"', False, True),
        ("enabled = false", False, False),
    ],
)
def test_run_listens_or_polls_by_mode(
    tmp_path: Path, table: str, listening: bool, polling: bool
) -> None:
    config = load_config(write_config(tmp_path, table))
    app = build_app(config=config)
    try:
        names = Running(app, io.StringIO(), interactive=False).adapter_names()
        jobs = ingest_jobs(config, lambda: None)  # type: ignore[arg-type,return-value]
    finally:
        app.close()
    assert names[0] == "console"
    assert ("bluesky-jetstream" in names) is listening
    assert ("bluesky" in jobs) is polling


def test_durations() -> None:
    assert parse_duration("10m") == 600 and parse_duration("90s") == 90
    assert parse_duration("2h") == 7200 and parse_duration("5") == 5
    with pytest.raises(ValueError, match="like 30s, 10m or 2h"):
        parse_duration("soon")


@pytest.fixture
def fake() -> Iterator[FakeJetstream]:
    """The fake Jetstream on its own loop in a thread (the CLI runs its own loop)."""
    server = FakeJetstream([json.dumps(e) for e in recorded()])
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        async with server.running():
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    ready.wait(30)
    yield server
    loop.call_soon_threadsafe(stop.set)
    thread.join(30)


def test_ingest_bluesky_listens_for_a_while(tmp_path: Path, fake: FakeJetstream) -> None:
    path = write_config(tmp_path, f'instances = ["{fake.url}"]\nbatch_seconds = 0.05')
    result = CliRunner().invoke(cli, ["ingest", "bluesky", "--config", str(path), "--for", "2s"])
    assert result.exit_code == 0, result.output
    assert "bluesky-jetstream: listening for 2 s" in result.output
    assert "Jetstream events read" in result.output
    assert fake.requests  # it connected; the first start asks for no cursor
    assert "cursor" not in fake.requests[0]


def test_ingest_bluesky_rejects_a_bad_duration(tmp_path: Path) -> None:
    path = write_config(tmp_path, "")
    result = CliRunner().invoke(cli, ["ingest", "bluesky", "--config", str(path), "--for", "x"])
    assert result.exit_code == 2
    assert "like 30s, 10m or 2h" in result.output
    assert "Traceback" not in result.output


def test_run_with_the_listener_still_ends_with_the_console_input(
    tmp_path: Path, fake: FakeJetstream
) -> None:
    from bot.app import run_bot

    path = write_config(tmp_path, f'instances = ["{fake.url}"]\nbatch_seconds = 0.05')
    app = build_app(path)
    try:
        status = asyncio.run(run_bot(app, io.StringIO("help\n"), interactive=False))
    finally:
        app.close()
    assert status == 0
