"""Reading and checking the TOML config: every bad value is ONE line naming file, section and key.

`validate()` is the check both `run` and `doctor` make; these tests call it on configs written to
tmp_path, as a user would write them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import load_config
from bot.config_check import validate
from bot.domain.errors import ConfigError

ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
SUB = '[[subscriptions]]\nplatform = "console"\nchannel = "main"\n'


def problem(path: Path, text: str | bytes) -> str:
    """The error `run` (and `doctor`) report for a config file holding `text`."""
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as caught:
        validate(load_config(path), env=ENV)
    return str(caught.value)


# (config text, section shown, key shown, more words the line must hold)
BAD_VALUES = [
    ("[scoring.weights]\narchive = inf\n", "[scoring.weights]", "archive", "finite"),
    ("[scoring.weights]\narchive = -inf\n", "[scoring.weights]", "archive", "finite"),
    ("[scoring.weights]\narchive = 1e308\n", "[scoring.weights]", "archive", "from 0 to"),
    ("[scoring]\nfeed_bot_weight = nan\n", "[scoring]", "feed_bot_weight", "finite"),
    ("[scoring]\nfeed_bot_weight = 3\n", "[scoring]", "feed_bot_weight", "from 0 to 1"),
    ("[digest]\nmin_score = inf\n", "[digest]", "min_score", "finite"),
    ("[digest]\nmin_score = 1e300\n", "[digest]", "min_score", "from 0 to"),
    ("[bot]\ncommand_seconds = nan\n", "[bot]", "command_seconds", "finite"),
    ("[bot]\ncommand_seconds = 1e12\n", "[bot]", "command_seconds", "from 0 to"),
    ("[bot]\nlog_level = 'LOUD'\n", "[bot]", "log_level", "DEBUG"),
    ("[bot]\ntimezone = 'Europe/Berln'\n", "[bot]", "timezone", "did you mean 'Europe/Berlin'"),
    ("[sources.arxiv]\ntimeout_seconds = inf\n", "[sources.arxiv]", "timeout_seconds", "finite"),
    ("[sources.arxiv]\ninterval_minutes = 'hourly'\n", "[sources.arxiv]", "interval_minutes", ""),
    (
        "[sources.hackernews]\ntimeout_seconds = nan\n",
        "[sources.hackernews]",
        "timeout_seconds",
        "",
    ),
    (
        "[adapters.discord]\nrequest_timeout_seconds = nan\n",
        "[adapters.discord]",
        "request_timeout_seconds",
        "",
    ),
    (SUB + "at = '25:99'\n", "[[subscriptions]] #1", "at", "25:99"),
    (SUB + "top = '5'\n", "[[subscriptions]] #1", "top", "'5'"),
    (SUB + "timezone = 'Europe/Berln'\n", "[[subscriptions]] #1", "timezone", "Europe/Berln"),
]


@pytest.mark.parametrize(("text", "section", "key", "words"), BAD_VALUES)
def test_a_bad_value_is_one_line_naming_file_section_and_key(
    tmp_path: Path, text: str, section: str, key: str, words: str
) -> None:
    path = tmp_path / "bot.toml"
    line = problem(path, text)
    assert "\n" not in line
    assert line.startswith(f"{path}: {section}")
    assert key in line
    assert words in line


MISSPELT = [
    ("[digestt]\ntop = 3\n", "[digestt]", "did you mean [digest]?"),
    ("[bot]\nlog_levl = 'INFO'\n", "[bot] log_levl", "did you mean 'log_level'?"),
    ("[sources.hackernewz]\n", "[sources.hackernewz]", "did you mean [sources.hackernews]?"),
    ("[adapters.slak]\n", "[adapters.slak]", "did you mean [adapters.slack]?"),
    (SUB + "on_emtpy = 'note'\n", "[[subscriptions]] #1", "did you mean 'on_empty'?"),
    ("[sources.arxiv]\nintervall_minutes = 60\n", "[sources.arxiv]", "'interval_minutes'"),
    ("[sources.hackernews]\nmax_pagez = 3\n", "[sources.hackernews] max_pagez", "'max_pages'"),
    ("[adapters.slack]\nbot_tokn_env = 'T'\n", "[adapters.slack] bot_tokn_env", "'bot_token_env'"),
    ("[adapters.discord]\ntoken_evn = 'T'\n", "[adapters.discord] token_evn", "'token_env'"),
    ("[adapters.x]\napi_kye_env = 'T'\n", "[adapters.x] api_kye_env", "'api_key_env'"),
    ("[scoring.weights]\ntwiter = 2\n", "[scoring.weights] twiter", "did you mean 'twitter'?"),
    ('[[subscriptions]]\nplatform = "slak"\nchannel = "C1"\n', "platform", "'slack'"),
]


@pytest.mark.parametrize(("text", "shown", "hint"), MISSPELT)
def test_a_misspelt_name_gets_a_did_you_mean(
    tmp_path: Path, text: str, shown: str, hint: str
) -> None:
    path = tmp_path / "bot.toml"
    line = problem(path, text)
    assert "\n" not in line
    assert line.startswith(f"{path}: ")
    assert shown in line
    assert hint in line


def test_an_unknown_section_without_a_close_name_lists_the_known_ones(tmp_path: Path) -> None:
    line = problem(tmp_path / "bot.toml", "[zzzzzz]\n")
    assert "unknown section [zzzzzz]" in line and "known: adapters, alerts, bot" in line


# (file content, words of the one-line error)
BAD_FILES = [
    (b"\x00\x01\x02\xff\xfe binary \x00", "not a UTF-8 text file"),
    ('[bot]\ntimezone = "UTC"\n'.encode("utf-16"), "UTF-16"),
    (b"[bot]\ntimezone = '\xe9t\xe9'\n", "not a UTF-8 text file"),
    (b"x = " + b"[" * 2000 + b"]" * 2000 + b"\n", "nested too deeply"),
    (b"# " + b"a" * (1024 * 1024 + 10) + b"\n", "too big"),
    (b"[bot\n", "not valid TOML"),
]


@pytest.mark.parametrize(("content", "words"), BAD_FILES)
def test_a_file_that_is_not_a_sane_toml_text_is_one_line(
    tmp_path: Path, content: bytes, words: str
) -> None:
    path = tmp_path / "bot.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    line = str(caught.value)
    assert "\n" not in line and line.startswith(f"{path}: ") and words in line


def test_a_utf8_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_bytes('[digest]\ntitle = "Heiße Papiere"\n'.encode("utf-8-sig"))
    assert load_config(path).digest_title == "Heiße Papiere"


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused_at_once(special: str) -> None:
    if not Path(special).exists():
        pytest.skip(f"no {special} here")
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(special)


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(tmp_path)


def test_a_good_config_passes_and_keeps_its_values(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_text(
        '[bot]\nlog_level = "debug"\ntimezone = "Europe/Berlin"\n'
        "[scoring]\nfeed_bot_weight = 0.5\n[scoring.weights]\ntwitter = 2\narchive = 1e3\n"
        "[sources.hackernews]\nmax_pages = 3\n[adapters.slack]\n[adapters.console]\n" + SUB,
        "utf-8",
    )
    config = load_config(path)
    validate(config, env=ENV)
    assert config.log_level == "DEBUG"
    assert config.scoring.source_weights == {"twitter": 2.0, "archive": 1000.0}


def test_the_example_config_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    env = {
        **ENV,
        "DISCORD_BOT_TOKEN": "d",
        "BSKY_HANDLE": "h.bsky.social",
        "BSKY_APP_PASSWORD": "p",
    }
    validate(load_config(example), env=env)


def test_log_level_names_are_the_logging_ones(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    for name in ("debug", "INFO", "Warning", "ERROR", "critical"):
        path.write_text(f'[bot]\nlog_level = "{name}"\n', "utf-8")
        assert logging.getLevelName(load_config(path).log_level) == getattr(logging, name.upper())
