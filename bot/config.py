"""The TOML configuration: read with tomllib, checked at start, errors name file, section and key."""

from __future__ import annotations

import codecs
import math
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.errors import ConfigError
from bot.domain.scoring import FeedBotRule, ScoringConfig

KNOWN_SECTIONS = {
    "bot",
    "digest",
    "scoring",
    "schedule",
    "sources",
    "adapters",
    "subscriptions",
    "alerts",
    "web",
}
MAX_BYTES = 1024 * 1024  # a config is a few kB; anything bigger is the wrong file
MAX_DEPTH = 16  # tables and arrays nested deeper than this are not a config
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# the `source` of observations: the archive import, its non-X links, and the attention sources
WEIGHT_SOURCES = ("archive", "web", "twitter", "bluesky", "mastodon", "hackernews", "huggingface")
MAX_WEIGHT = 1000.0


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
    team_weight: float = 0.0  # a channel's own reactions in its own digests' order (0: off)
    misfire_grace_seconds: int = 3600
    commands_per_user_per_minute: int = 10  # 0 turns the limit off
    commands_per_channel_per_minute: int = 30
    command_seconds: float = 5.0  # a command's database work is cut off after this; 0: no limit
    alerts_per_channel_per_day: int = 5  # [alerts] per_channel_per_day: breakout alerts' cap
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
    data = parse_toml(read_text(path), path)
    return parse_config(data, path)


def read_text(path: Path) -> str:
    """The file's text, if it is a regular UTF-8 file of at most MAX_BYTES (never /dev/zero)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path}: not a regular file (a config is a TOML text file)")
        if info.st_size > MAX_BYTES:
            raise ConfigError(
                f"{path}: too big for a config ({info.st_size:,} bytes; at most 1 MB)"
            )
        with path.open("rb") as file:
            raw = file.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{path}: too big for a config (more than 1 MB)")
    return decode(raw, path)


def decode(raw: bytes, path: Path) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ConfigError(f"{path}: not a UTF-8 text file (it is UTF-16: save it as UTF-8)")
    raw = raw.removeprefix(codecs.BOM_UTF8)
    if b"\x00" in raw:
        raise ConfigError(f"{path}: not a UTF-8 text file (it holds NUL bytes: a binary file?)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: not a UTF-8 text file (line {line}: byte {raw[exc.start]:#04x}; save it as UTF-8)"
        ) from None


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    import tomllib  # here: `hotpapers ask --db` without a config file never parses TOML

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not a config: arrays or tables nested too deeply") from None
    _check_values(data, (), str(path), 0)
    return data


def _check_values(value: Any, at: tuple[str | int, ...], where: str, depth: int) -> None:
    """Every number finite, nothing nested deeper than MAX_DEPTH (errors name section and key)."""
    if depth > MAX_DEPTH:
        raise ConfigError(f"{where}: {_place(at)}: nested too deeply")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: {_place(at)}: expected a finite number, got {value!r}")
    items: Iterable[tuple[str | int, Any]] = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items:
        _check_values(item, (*at, key), where, depth + 1)


def _place(at: tuple[str | int, ...]) -> str:
    """`[section.sub] key`, or `[[subscriptions]] #2 key`, for a path of keys and indexes."""
    names = [str(k) for k in at if isinstance(k, str)]
    if at[:1] == ("subscriptions",) and len(at) >= 2 and isinstance(at[1], int):
        rest = " ".join(str(k) for k in at[2:] if isinstance(k, str))
        return f"[[subscriptions]] #{at[1] + 1} {rest}".rstrip()
    if len(names) <= 1:
        return f"[{names[0]}]" if names else "[?]"
    return f"[{'.'.join(names[:-1])}] {names[-1]}"


def did_you_mean(word: str, known: Iterable[str], template: str = "'{}'") -> str:
    """ "; did you mean 'x'?" for the closest known name, or "; known: a, b, c"."""
    import difflib

    names = sorted(set(known))
    lowered = {n.lower(): n for n in names}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {template.format(lowered[close[0]])}?"
    return f"; known: {', '.join(names)}"


def parse_config(data: Mapping[str, Any], path: Path) -> Config:
    where = str(path)
    for section in data:
        if section not in KNOWN_SECTIONS:
            hint = did_you_mean(section, KNOWN_SECTIONS, "[{}]")
            raise ConfigError(f"{where}: unknown section [{section}]{hint}")
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
            "team_weight",
        },
    )
    schedule = _table(data, "schedule", where, {"misfire_grace_seconds"})
    alerts = _table(data, "alerts", where, {"per_channel_per_day"})
    timezone = _str(bot, "timezone", "UTC", where, "bot")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}: [bot] timezone: unknown timezone {timezone!r}{_zone_hint(timezone)}"
        ) from None
    database = bot.get("database")
    db_path = None
    if database is not None:
        if not isinstance(database, str) or not database:
            raise ConfigError(f"{where}: [bot] database: expected a file path")
        db_path = (path.parent / Path(database).expanduser()).resolve()
    weights = _weights(scoring.get("weights", {}), where)
    excluded = frozenset(
        a.lower().lstrip("@")
        for key in ("blocklist", "own_accounts")
        for a in _str_list(scoring, key, where, "scoring")
    )
    feed_bots = FeedBotRule(
        enabled=_bool(scoring, "feed_bot_weighting", True, where, "scoring"),
        max_links_per_day=_int(scoring, "feed_bot_links_per_day", 20, where, "scoring", 1, 100_000),
        weight=float(_number(scoring, "feed_bot_weight", 0.25, where, "scoring", 1.0)),
    )
    top = _int(digest, "top", 5, where, "digest", 1, 25)
    subscriptions = data.get("subscriptions", [])
    if not isinstance(subscriptions, list) or not all(isinstance(s, dict) for s in subscriptions):
        raise ConfigError(f"{where}: [[subscriptions]]: expected an array of tables")
    return Config(
        path=path,
        database=db_path,
        timezone=timezone,
        log_level=_log_level(bot, where),
        digest_title=_str(digest, "title", "Hot Papers", where, "digest"),
        digest_top=top,
        min_score=_number(digest, "min_score", 1.0, where, "digest", 1e9),
        scoring=ScoringConfig(
            source_weights=weights,
            one_post_per_account=_bool(scoring, "one_post_per_account", True, where, "scoring"),
            reposts_are_posts=_bool(scoring, "reposts_are_posts", False, where, "scoring"),
            excluded_accounts=excluded,
            reach_weighting=_bool(scoring, "reach_weighting", False, where, "scoring"),
            feed_bots=feed_bots,
        ),
        feed_bots=feed_bots,
        team_weight=_number(scoring, "team_weight", 0.0, where, "scoring", MAX_WEIGHT),
        misfire_grace_seconds=_int(
            schedule, "misfire_grace_seconds", 3600, where, "schedule", 0, 7 * 86400
        ),
        commands_per_user_per_minute=_int(
            bot, "commands_per_user_per_minute", 10, where, "bot", 0, 10_000
        ),
        commands_per_channel_per_minute=_int(
            bot, "commands_per_channel_per_minute", 30, where, "bot", 0, 10_000
        ),
        command_seconds=_number(bot, "command_seconds", 5.0, where, "bot", 3600.0),
        alerts_per_channel_per_day=_int(alerts, "per_channel_per_day", 5, where, "alerts", 0, 1000),
        sources=_subtables(data, "sources", where),
        adapters=_adapters(data, where),
        subscriptions=tuple(subscriptions),
    )


def _table(data: Mapping[str, Any], name: str, where: str, keys: set[str]) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [{name}] must be a table")
    for key in table:
        if key not in keys:
            raise ConfigError(f"{where}: [{name}] {key}: unknown key{did_you_mean(key, keys)}")
    return table


def _subtables(data: Mapping[str, Any], name: str, where: str) -> dict[str, dict[str, Any]]:
    table = data.get(name, {})
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise ConfigError(f"{where}: [{name}] must hold tables like [{name}.NAME]")
    return {str(k): dict(v) for k, v in table.items()}


def _adapters(data: Mapping[str, Any], where: str) -> dict[str, dict[str, Any]]:
    """`[adapters.NAME]` tables; a top-level `[web]` is another name for `[adapters.web]`."""
    adapters = _subtables(data, "adapters", where)
    if "web" in data:
        if "web" in adapters:
            raise ConfigError(
                f"{where}: [web] and [adapters.web] are the same table; keep one of them"
            )
        if not isinstance(data["web"], dict):
            raise ConfigError(f"{where}: [web] must be a table")
        adapters["web"] = dict(data["web"])
    return adapters


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


def _number(
    table: Mapping[str, Any], key: str, default: float, where: str, section: str, hi: float
) -> float:
    value = table.get(key, default)
    if not _is_number(value) or not 0 <= value <= hi:
        raise ConfigError(
            f"{where}: [{section}] {key}: expected a number from 0 to {hi:g}, got {value!r}"
        )
    return float(value)


def _is_number(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


def _weights(weights: Any, where: str) -> dict[str, float]:
    if not isinstance(weights, dict):
        raise ConfigError(f"{where}: [scoring] weights: expected a table of source = number")
    for source, value in weights.items():
        if source not in WEIGHT_SOURCES:
            hint = did_you_mean(source, WEIGHT_SOURCES)
            raise ConfigError(f"{where}: [scoring.weights] {source}: unknown source{hint}")
        if not _is_number(value) or not 0 <= value <= MAX_WEIGHT:
            raise ConfigError(
                f"{where}: [scoring.weights] {source}: expected a number from 0 to "
                f"{MAX_WEIGHT:g}, got {value!r}"
            )
    return {str(k): float(v) for k, v in weights.items()}


def _log_level(bot: Mapping[str, Any], where: str) -> str:
    value = _str(bot, "log_level", "INFO", where, "bot")
    if value.upper() not in LOG_LEVELS:
        hint = did_you_mean(value.upper(), LOG_LEVELS)
        raise ConfigError(f"{where}: [bot] log_level: unknown level {value!r}{hint}")
    return value.upper()


def _zone_hint(name: str) -> str:
    from zoneinfo import available_timezones

    hint = did_you_mean(name, available_timezones())
    return hint if hint.startswith("; did") else " (e.g. 'Europe/Berlin')"


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
