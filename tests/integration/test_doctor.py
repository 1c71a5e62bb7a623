"""`hotpapers doctor` checks exactly what `hotpapers run` checks, exits non-zero on any problem,
and creates nothing (no database, no folders)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli.main import cli

REPO = Path(__file__).resolve().parents[2]
TOKENS = {"SLACK_BOT_TOKEN": "xoxb-test-1", "SLACK_APP_TOKEN": "xapp-test-1"}
SUB = '[[subscriptions]]\nplatform = "console"\nchannel = "main"\n'


@pytest.fixture(autouse=True)
def private_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in ("HOTPAPERS_CONFIG", "HOTPAPERS_DB", "SLACK_SIGNING_SECRET", *TOKENS):
        monkeypatch.delenv(name, raising=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(f'[bot]\ndatabase = "{tmp_path / "bot.db"}"\n{text}', "utf-8")
    return path


def invoke(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> Result:
    return CliRunner().invoke(cli, list(args), env=env, input=stdin)


def error_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("Error: ")]


# Configs `run` refuses; `doctor` must refuse each with the same one line.
BAD = [
    pytest.param(SUB + 'at = "25:99"\n', "at:", id="at-25:99"),
    pytest.param(SUB + 'timezone = "Europe/Berln"\n', "timezone:", id="Europe/Berln"),
    pytest.param(SUB + 'on_emtpy = "note"\n', "did you mean 'on_empty'", id="on_emtpy"),
    pytest.param(SUB + 'top = "5"\n', "top:", id="top-string"),
    pytest.param('[sources.arxiv]\ninterval_minutes = "hourly"\n', "interval_minutes", id="hourly"),
    pytest.param("[sources.hackernewz]\n", "[sources.hackernews]?", id="hackernewz"),
    pytest.param("[adapters.slak]\n", "[adapters.slack]?", id="slak"),
    pytest.param("[scoring.weights]\narchive = inf\n", "archive", id="weight-inf"),
    pytest.param("[scoring]\nfeed_bot_weight = nan\n", "feed_bot_weight", id="weight-nan"),
    pytest.param('[adapters.slack]\nmode = "http"\n', "SLACK_SIGNING_SECRET", id="http-secret"),
]


@pytest.mark.parametrize(("text", "words"), BAD)
def test_doctor_and_run_refuse_the_same_config_with_the_same_line(
    tmp_path: Path, text: str, words: str
) -> None:
    config = write(tmp_path, text)
    doctor = invoke("doctor", "--config", str(config), env=TOKENS)
    assert doctor.exit_code == 1, doctor.output
    assert not (tmp_path / "bot.db").exists()  # doctor creates nothing
    run = invoke("run", "--config", str(config), env=TOKENS)
    assert run.exit_code == 1, run.output
    refused = error_lines(run)
    assert len(refused) == 1 and words in refused[0], run.output
    assert refused[0].startswith(f"Error: {config}: ")
    assert refused == error_lines(doctor)
    assert "Traceback" not in doctor.output + run.output


def test_doctor_on_a_good_config_exits_0_and_creates_nothing(tmp_path: Path) -> None:
    config = write(tmp_path, "[sources.hackernews]\nmax_pages = 2\n" + SUB)
    result = invoke("doctor", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "not created yet" in result.output
    assert not (tmp_path / "bot.db").exists()
    assert not (tmp_path / "data").exists() and not (tmp_path / "cache").exists()


def test_doctor_without_a_config_or_database_creates_nothing(tmp_path: Path) -> None:
    result = invoke("doctor")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "data").exists() and not (tmp_path / "cache").exists()


def test_doctor_in_socket_mode_does_not_ask_for_the_signing_secret(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        '[adapters.slack]\nmode = "socket"\nbot_token_env = "SLACK_BOT_TOKEN"\n'
        'app_token_env = "SLACK_APP_TOKEN"\nsigning_secret_env = "SLACK_SIGNING_SECRET"\n',
    )
    result = invoke("doctor", "--config", str(config), env=TOKENS)
    assert result.exit_code == 0, result.output
    assert "$SLACK_APP_TOKEN set" in result.output
    assert "SLACK_SIGNING_SECRET" not in result.output


def test_doctor_names_a_missing_token_of_the_mode(tmp_path: Path) -> None:
    config = write(tmp_path, '[adapters.slack]\nmode = "socket"\n')
    result = invoke("doctor", "--config", str(config), env={"SLACK_BOT_TOKEN": "xoxb-1"})
    assert result.exit_code == 1
    assert "$SLACK_APP_TOKEN MISSING" in result.output
    assert "xoxb-1" not in result.output


def corrupt(db: Path) -> None:
    """A real database whose table pages are overwritten with garbage."""
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.executemany("INSERT INTO t VALUES (?)", [(f"row {i}" * 20,) for i in range(3000)])
    conn.close()
    data = bytearray(db.read_bytes())
    for offset in range(4096 * 3, len(data) - 4096, 4096 * 5):
        data[offset : offset + 200] = b"\xa5" * 200
    db.write_bytes(bytes(data))


def test_doctor_on_a_corrupted_database_exits_non_zero(tmp_path: Path) -> None:
    config = write(tmp_path, "")
    corrupt(tmp_path / "bot.db")
    result = invoke("doctor", "--config", str(config))
    assert result.exit_code == 1, result.output
    assert error_lines(result) and "database" in error_lines(result)[0], result.output
    assert "Traceback" not in result.output


def test_doctor_on_a_file_that_is_not_a_database_exits_non_zero(tmp_path: Path) -> None:
    config = write(tmp_path, "")
    (tmp_path / "bot.db").write_bytes(b"this is not sqlite at all\n" * 200)
    result = invoke("doctor", "--config", str(config))
    assert result.exit_code == 1, result.output
    assert error_lines(result) and "not a hotpapers database" in error_lines(result)[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("table", "module", "extra"),
    [
        ("[adapters.slack]\n", "aiohttp", "slack"),
        ("[adapters.discord]\n", "discord", "discord"),
        ("[adapters.x]\n", "tweepy", "twitter"),
        ("[sources.bluesky]\n", "atproto", "bluesky"),
        ("[adapters.mastodon]\nbase_url = 'https://m.example'\n", "mastodon", "mastodon"),
    ],
)
def test_a_missing_pip_extra_is_one_line_saying_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str, module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # `import module` fails as if not installed
    config = write(tmp_path, table)
    secrets = {
        **TOKENS,
        "DISCORD_BOT_TOKEN": "d",
        "X_API_KEY": "k",
        "X_API_SECRET": "s",
        "X_ACCESS_TOKEN": "t",
        "X_ACCESS_SECRET": "a",
        "BSKY_HANDLE": "h.bsky.social",
        "BSKY_APP_PASSWORD": "p",
        "MASTODON_ACCESS_TOKEN": "m",
    }
    for command in ("doctor", "run"):
        result = invoke(command, "--config", str(config), env=secrets)
        assert result.exit_code == 1, result.output
        lines = error_lines(result)
        assert len(lines) == 1 and f"pip install 'hotpapers[{extra}]'" in lines[0], result.output
        assert "Traceback" not in result.output


def test_run_without_aiohttp_says_pip_install_in_one_line(tmp_path: Path) -> None:
    """The whole process, as a user sees it: no 40-line ModuleNotFoundError."""
    config = write(tmp_path, "[adapters.slack]\n")
    code = (
        "import sys; sys.modules['aiohttp'] = None; "
        "from bot.cli.main import main; sys.argv = ['hotpapers', *sys.argv[1:]]; main()"
    )
    env = {**os.environ, **TOKENS, "PYTHONPATH": str(REPO), "XDG_DATA_HOME": str(tmp_path / "d")}
    done = subprocess.run(
        [sys.executable, "-c", code, "run", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Error: {config}: [adapters.slack] needs the slack extra (aiohttp is not installed): "
        "pip install 'hotpapers[slack]'"
    ]
