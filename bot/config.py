"""The TOML configuration: read with tomllib, checked at start, errors name file, section and key."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.errors import ConfigError
from bot.domain.scoring import FeedBotRule, ScoringConfig

KNOWN_SECTIONS = {"bot", "digest", "scoring", "schedule", "sources", "adapters", "subscriptions"}


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    database: Path | None = None
    timezone: str = "UTC"
    log_level: str = "INFO"
    digest_title: str = "Hot Papers"
    digest_top: int = 5
    min_score: float = 1.0
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    feed_bots: FeedBotRule | None = None  # the same rule as scoring.feed_bots (None: defaults)
    misfire_grace_seconds: int = 3600
    commands_per_user_per_minute: int = 10  # 0 turns the limit off
    commands_per_channel_per_minute: int = 30
    command_seconds: float = 5.0  # a command's database work is cut off after this; 0: no limit
    sources: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    adapters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    subscriptions: tuple[Mapping[str, Any], ...] = ()

    @property
    def is_default(self) -> bool:
        """Nothing configured: run the console on the bundled sample data."""
        return self.path is None

    def secret(self, section: str, key: str) -> str | None:
        """A secret's value from the environment variable the config names (never the file)."""
        table = self.adapters.get(section) or self.sources.get(section) or {}
        variable = table.get(key)
        return os.environ.get(str(variable)) if variable else None


def default_database() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("hotpapers")) / "hotpapers.db"


def load_config(path: str | Path | None) -> Config:
    if path is None:
        return Config()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror}") from None
    return parse_config(data, path)


def parse_config(data: Mapping[str, Any], path: Path) -> Config:
    where = str(path)
    for section in data:
        if section not in KNOWN_SECTIONS:
            raise ConfigError(
                f"{where}: unknown section [{section}]; known: {', '.join(sorted(KNOWN_SECTIONS))}"
            )
    bot = _table(
        data,
        "bot",
        where,
        {
            "database",
            "timezone",
            "log_level",
            "commands_per_user_per_minute",
            "commands_per_channel_per_minute",
            "command_seconds",
        },
    )
    digest = _table(data, "digest", where, {"title", "top", "min_score"})
    scoring = _table(
        data,
        "scoring",
        where,
        {
            "weights",
            "one_post_per_account",
            "reposts_are_posts",
            "blocklist",
            "own_accounts",
            "reach_weighting",
            "feed_bot_weighting",
            "feed_bot_links_per_day",
            "feed_bot_weight",
        },
    )
    schedule = _table(data, "schedule", where, {"misfire_grace_seconds"})
    timezone = _str(bot, "timezone", "UTC", where, "bot")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}: [bot] timezone: unknown timezone {timezone!r} (e.g. 'Europe/Berlin')"
        ) from None
    database = bot.get("database")
    db_path = None
    if database is not None:
        if not isinstance(database, str) or not database:
            raise ConfigError(f"{where}: [bot] database: expected a file path")
        db_path = (path.parent / Path(database).expanduser()).resolve()
    weights = scoring.get("weights", {})
    if not isinstance(weights, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in weights.values()
    ):
        raise ConfigError(f"{where}: [scoring] weights: expected a table of source = number >= 0")
    excluded = frozenset(
        a.lower().lstrip("@")
        for key in ("blocklist", "own_accounts")
        for a in _str_list(scoring, key, where, "scoring")
    )
    feed_bots = FeedBotRule(
        enabled=_bool(scoring, "feed_bot_weighting", True, where, "scoring"),
        max_links_per_day=_int(scoring, "feed_bot_links_per_day", 20, where, "scoring", 1, 100_000),
        weight=float(_number(scoring, "feed_bot_weight", 0.25, where, "scoring")),
    )
    top = _int(digest, "top", 5, where, "digest", 1, 25)
    subscriptions = data.get("subscriptions", [])
    if not isinstance(subscriptions, list) or not all(isinstance(s, dict) for s in subscriptions):
        raise ConfigError(f"{where}: [[subscriptions]]: expected an array of tables")
    return Config(
        path=path,
        database=db_path,
        timezone=timezone,
        log_level=_str(bot, "log_level", "INFO", where, "bot").upper(),
        digest_title=_str(digest, "title", "Hot Papers", where, "digest"),
        digest_top=top,
        min_score=float(_number(digest, "min_score", 1.0, where, "digest")),
        scoring=ScoringConfig(
            source_weights={str(k): float(v) for k, v in weights.items()},
            one_post_per_account=_bool(scoring, "one_post_per_account", True, where, "scoring"),
            reposts_are_posts=_bool(scoring, "reposts_are_posts", False, where, "scoring"),
            excluded_accounts=excluded,
            reach_weighting=_bool(scoring, "reach_weighting", False, where, "scoring"),
            feed_bots=feed_bots,
        ),
        feed_bots=feed_bots,
        misfire_grace_seconds=_int(
            schedule, "misfire_grace_seconds", 3600, where, "schedule", 0, 7 * 86400
        ),
        commands_per_user_per_minute=_int(
            bot, "commands_per_user_per_minute", 10, where, "bot", 0, 10_000
        ),
        commands_per_channel_per_minute=_int(
            bot, "commands_per_channel_per_minute", 30, where, "bot", 0, 10_000
        ),
        command_seconds=float(_number(bot, "command_seconds", 5.0, where, "bot")),
        sources=_subtables(data, "sources", where),
        adapters=_subtables(data, "adapters", where),
        subscriptions=tuple(subscriptions),
    )


def _table(data: Mapping[str, Any], name: str, where: str, keys: set[str]) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [{name}] must be a table")
    for key in table:
        if key not in keys:
            raise ConfigError(
                f"{where}: [{name}] unknown key {key!r}; known: {', '.join(sorted(keys))}"
            )
    return table


def _subtables(data: Mapping[str, Any], name: str, where: str) -> dict[str, dict[str, Any]]:
    table = data.get(name, {})
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise ConfigError(f"{where}: [{name}] must hold tables like [{name}.NAME]")
    return {str(k): dict(v) for k, v in table.items()}


def _str(table: Mapping[str, Any], key: str, default: str, where: str, section: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: [{section}] {key}: expected a string, got {value!r}")
    return value


def _bool(table: Mapping[str, Any], key: str, default: bool, where: str, section: str) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: [{section}] {key}: expected true or false, got {value!r}")
    return value


def _number(table: Mapping[str, Any], key: str, default: float, where: str, section: str) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{where}: [{section}] {key}: expected a number >= 0, got {value!r}")
    return float(value)


def _int(
    table: Mapping[str, Any], key: str, default: int, where: str, section: str, lo: int, hi: int
) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(
            f"{where}: [{section}] {key}: expected a whole number from {lo} to {hi}, got {value!r}"
        )
    return value


def _str_list(table: Mapping[str, Any], key: str, where: str, section: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: [{section}] {key}: expected a list of strings")
    return value
