"""Tokens set in the environment never show up in logs, stdout, stderr or the database, on error paths too."""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bot.cli.main import cli
from tests.fakes.slack_fake import FakeSlack

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-1111-SECRETBOT-7f3a9c",
    "SLACK_APP_TOKEN": "xapp-1-SECRETAPP-c4d2e8",
    "SLACK_SIGNING_SECRET": "SECRETSIGN-5b6a7c8d",
    "BSKY_HANDLE": "hotpapers-test.bsky.social",
    "BSKY_APP_PASSWORD": "SECRETBSKY-abcd-efgh-ijkl",
    "DISCORD_BOT_TOKEN": "SECRETDISCORD.MTIz.NDU2",
}
# The handle is an account name, not a secret; everything else must never be seen.
HIDDEN = {k: v for k, v in SECRETS.items() if k != "BSKY_HANDLE"}


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("HOTPAPERS_CONFIG", raising=False)
    monkeypatch.delenv("HOTPAPERS_DB", raising=False)
    return SECRETS


def write_config(path: Path, extra: str) -> Path:
    path.write_text(f'[bot]\ntimezone = "UTC"\n{extra}')
    return path


def db_text(db: Path) -> str:
    """Every stored value of every table, as one string."""
    if not db.exists():
        return ""
    conn = sqlite3.connect(db)
    try:
        names = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not r[0].startswith("sqlite_")
        ]
        parts: list[str] = []
        for name in names:
            try:
                rows = conn.execute(f'SELECT * FROM "{name}"').fetchall()
            except sqlite3.DatabaseError:
                continue  # an FTS shadow table that cannot be read on its own
            parts.extend(repr(row) for row in rows)
        return "\n".join(parts)
    finally:
        conn.close()


def assert_no_secret(result: Result, caplog: pytest.LogCaptureFixture, db: Path) -> None:
    seen = {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "exception": repr(result.exception) if result.exception else "",
        "logs": "\n".join(
            r.getMessage() + (repr(r.exc_info[1]) if r.exc_info else "") for r in caplog.records
        ),
        "database": db_text(db),
    }
    for where, text in seen.items():
        for name, value in HIDDEN.items():
            assert value not in text, f"${name} leaked into {where}"


CONFIG = """
[sources.bluesky]
mode = "search"
handle_env = "BSKY_HANDLE"
app_password_env = "BSKY_APP_PASSWORD"
base_url = "http://127.0.0.1:{port}"

[adapters.slack]
mode = "socket"
bot_token_env = "SLACK_BOT_TOKEN"
app_token_env = "SLACK_APP_TOKEN"

[adapters.discord]
token_env = "DISCORD_BOT_TOKEN"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "hotpapers.toml", CONFIG.format(port=dead_port()))


def invoke(args: list[str], caplog: pytest.LogCaptureFixture) -> Result:
    caplog.set_level(logging.DEBUG)
    return CliRunner().invoke(cli, ["-v", *args])


def test_doctor_says_set_without_showing_the_values(
    env: dict[str, str], config: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "bot.db"
    result = invoke(["doctor", "--config", str(config), "--db", str(db)], caplog)
    assert "$SLACK_BOT_TOKEN set" in result.stdout
    assert_no_secret(result, caplog, db)


def test_ask_with_every_secret_set_shows_none(
    env: dict[str, str], config: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "bot.db"
    for text in ("help", "top 3 cs.CV 2021-04-05", "paper 9999.99999", "frobnicate"):
        result = invoke(["ask", "--config", str(config), "--db", str(db), text], caplog)
        assert result.stdout.strip()
        assert_no_secret(result, caplog, db)


def test_ingest_bluesky_against_a_dead_port_fails_without_the_password(
    env: dict[str, str], config: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "bot.db"
    result = invoke(["ingest", "bluesky", "--config", str(config), "--db", str(db)], caplog)
    assert result.exit_code != 0
    assert_no_secret(result, caplog, db)


class FakeSlackThread:
    """The fake Slack Web API on its own event loop (the CLI's `run` makes its own)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.fake: FakeSlack | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.fake = self.loop.run_until_complete(FakeSlack().start())
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> FakeSlack:
        self.thread.start()
        assert self.ready.wait(30)
        assert self.fake is not None
        return self.fake

    def __exit__(self, *exc: Any) -> None:
        assert self.fake is not None
        asyncio.run_coroutine_threadsafe(self.fake.close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)


@pytest.fixture
def slack_refusing_auth() -> Iterator[FakeSlack]:
    with FakeSlackThread() as fake:
        for method in ("auth.test", "apps.connections.open", "users.info", "conversations.info"):
            fake.failures[(method, None)] = "invalid_auth"
        yield fake  # the config's [adapters.slack] api_url points at it


@pytest.mark.parametrize(
    ("refused", "variable"),
    [("auth.test", "SLACK_BOT_TOKEN"), ("apps.connections.open", "SLACK_APP_TOKEN")],
)
def test_run_with_slack_refusing_a_token_stops_and_names_the_variable_not_the_value(
    env: dict[str, str],
    tmp_path: Path,
    slack_refusing_auth: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    refused: str,
    variable: str,
) -> None:
    """A revoked token is a configuration error: the run stops at once (no endless retries),
    says which environment variable holds the refused token, and never prints its value."""
    for method in ("auth.test", "apps.connections.open", "users.info", "conversations.info"):
        if method != refused:
            slack_refusing_auth.failures.pop((method, None), None)
    config = write_config(
        tmp_path / "slack.toml",
        '[adapters.slack]\nmode = "socket"\n'
        'bot_token_env = "SLACK_BOT_TOKEN"\napp_token_env = "SLACK_APP_TOKEN"\n'
        f'api_url = "{slack_refusing_auth.api_url}"\n',
    )
    db = tmp_path / "bot.db"
    outcome: list[Result] = []
    args = ["run", "--config", str(config), "--db", str(db)]
    runner = threading.Thread(target=lambda: outcome.append(invoke(args, caplog)), daemon=True)
    runner.start()
    runner.join(120)
    assert outcome, "run kept going with a refused token"
    result = outcome[0]
    assert result.exit_code != 0
    output = result.stdout + result.stderr
    assert f"Slack refused the token in ${variable}" in output
    assert "invalid_auth" in output
    assert "Traceback" not in output
    assert any(c.method == refused for c in slack_refusing_auth.calls)
    assert_no_secret(result, caplog, db)


# -- the whole process at -v: third-party loggers (requests_oauthlib) included --------------------

X_SECRETS = {
    "X_API_KEY": "SECRETXKEY-9f8e7d",
    "X_API_SECRET": "SECRETXSECRET-6c5b4a",
    "X_ACCESS_TOKEN": "1580000000000000001-SECRETXTOKEN-3d2c",
    "X_ACCESS_SECRET": "SECRETXACCESS-1b0a9f",
}
REPO = Path(__file__).resolve().parents[2]


def start_bot(args: list[str], env: dict[str, str], tmp_path: Path) -> Any:
    import os
    import subprocess
    import sys

    full = {
        **os.environ,
        **env,
        "PYTHONPATH": str(REPO),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    for name in ("HOTPAPERS_CONFIG", "HOTPAPERS_DB"):
        full.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        env=full,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_run_at_verbose_with_x_never_logs_the_x_keys(tmp_path: Path) -> None:
    """`hotpapers -v run` with [adapters.x]: the mention poll signs its requests with OAuth 1.0a;
    requests_oauthlib's debug lines used to carry client_key and resource_owner_key."""
    import signal

    from tests.fakes.attention_fakes import serve
    from tests.fakes.social_fakes import BOT_X_ID, XMentionsFake

    with serve() as fake:
        XMentionsFake().install(fake)
        config = write_config(
            tmp_path / "x.toml",
            f'database = "{tmp_path / "bot.db"}"\n[adapters.x]\nbase_url = "{fake.url}"\n',
        )
        bot = start_bot(["-v", "run", "--config", str(config)], X_SECRETS, tmp_path)
        try:
            for _ in range(1200):  # until the first poll has asked for the mentions (or it died)
                if fake.requests(f"/2/users/{BOT_X_ID}/mentions") or bot.poll() is not None:
                    break
                threading.Event().wait(0.05)
            assert fake.requests(f"/2/users/{BOT_X_ID}/mentions"), "the bot never polled"
        finally:
            bot.send_signal(signal.SIGTERM)
            out, err = bot.communicate(timeout=60)
    assert "DEBUG" in err  # -v: debug lines were written (and the signing ones among them)
    for name, value in X_SECRETS.items():
        assert value not in out + err, f"${name} leaked into the output"
        assert value not in db_text(tmp_path / "bot.db"), f"${name} leaked into the database"


@pytest.mark.parametrize(
    ("level", "verbose", "shown", "hidden"),
    [
        ("INFO", False, " INFO bot.scheduler: scheduler started", " DEBUG "),
        ("WARNING", False, None, " INFO "),
        ("WARNING", True, " DEBUG ", None),  # -v wins over the config
    ],
)
def test_the_configured_log_level_is_applied(
    tmp_path: Path, level: str, verbose: bool, shown: str | None, hidden: str | None
) -> None:
    config = write_config(
        tmp_path / "bot.toml",
        f'log_level = "{level}"\ndatabase = "{tmp_path / "bot.db"}"\n[adapters.console]\n',
    )
    args = ["-v"] if verbose else []
    bot = start_bot([*args, "run", "--config", str(config)], {}, tmp_path)
    out, err = bot.communicate("help\n", timeout=120)
    assert bot.returncode == 0, err
    assert "top" in out  # the console answered
    if shown:
        assert shown in err
    if hidden:
        assert hidden not in err
