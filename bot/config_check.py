"""What `run` checks before it starts anything, and `doctor` checks the same way: `validate()`.

Every [adapters.*], [sources.*] and [[subscriptions]] table is parsed by the same from_mapping
functions `run` uses; misspelt names get a "did you mean"; a missing pip extra is one line saying
what to install; the secrets the chosen mode needs must be set. Each problem is one line naming
the file, the section and the key.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.config import Config, did_you_mean
from bot.domain.errors import ConfigError

ADAPTERS = ("console", "slack", "discord", "x", "bluesky", "mastodon", "web")
SOURCES = ("arxiv", "twitter", "bluesky", "mastodon", "hackernews", "huggingface")
# pip extra -> the modules it installs (pyproject.toml's [project.optional-dependencies])
EXTRAS: Mapping[str, tuple[str, ...]] = {
    "slack": ("slack_bolt", "slack_sdk", "aiohttp"),
    "discord": ("discord",),
    "twitter": ("tweepy",),
    "bluesky": ("atproto",),
    "mastodon": ("mastodon",),
    "web": ("aiohttp",),
}
ADAPTER_EXTRA = {"slack": "slack", "discord": "discord", "x": "twitter"} | {
    name: name for name in ("bluesky", "mastodon", "web")
}
SOURCE_EXTRA = {"twitter": "twitter", "bluesky": "bluesky", "mastodon": "mastodon"}


@dataclass(frozen=True)
class Secret:
    """An environment variable the configured mode needs (its value is never kept here)."""

    owner: str  # "adapter slack", "source bluesky"
    section: str  # "[adapters.slack]"
    key: str  # "app_token_env"
    variable: str  # "SLACK_APP_TOKEN"
    what: str
    required: bool = True
    public: bool = False  # an account name, not a secret: not redacted from logs


@dataclass(frozen=True)
class Checked:
    secrets: tuple[Secret, ...]
    problems: tuple[str, ...]


def validate(config: Config, env: Mapping[str, str] | None = None) -> tuple[Secret, ...]:
    """`run`'s and `doctor`'s check: raises ConfigError with one line per problem."""
    checked = check(config, os.environ if env is None else env)
    if checked.problems:
        raise ConfigError("\n".join(checked.problems))
    return checked.secrets


def check(config: Config, env: Mapping[str, str]) -> Checked:
    """Every problem of the adapters, sources and subscriptions (none when nothing is configured)."""
    where = str(config.path or "config")
    secrets: list[Secret] = []
    problems: list[str] = []
    steps: list[tuple[Callable[..., list[Secret]], str, Mapping[str, Any]]] = [
        *((_adapter, name, table) for name, table in config.adapters.items()),
        *((_source, name, table) for name, table in config.sources.items()),
    ]
    for step, name, table in steps:
        try:
            secrets.extend(step(name, table, where))
        except ConfigError as exc:
            problems.append(str(exc))
    try:
        _subscriptions(config, where)
    except ConfigError as exc:
        problems.append(str(exc))
    problems.extend(_single_posts_without_page(config, where))
    for secret in secrets:
        if secret.required and not (env.get(secret.variable) or "").strip():
            problems.append(
                f"{where}: {secret.section} {secret.key}: the environment variable "
                f"{secret.variable} is not set ({secret.what})"
            )
    return Checked(tuple(secrets), tuple(problems))


def secret_variables(config: Config) -> set[str]:
    """Every environment variable the config names for a secret (for redacting logs)."""
    names: set[str] = set()
    for kind, tables in (("adapters", config.adapters), ("sources", config.sources)):
        for name, table in tables.items():
            try:
                parsed = _adapter_secrets if kind == "adapters" else _source_secrets
                names.update(s.variable for s in parsed(name, table, "config") if not s.public)
            except (ConfigError, ValueError, TypeError):
                pass
            names.update(_named_env(table))
    return names


def _named_env(value: Any) -> Iterable[str]:
    """Values of `*_env` keys anywhere in a table (instances = [{access_token_env = ...}])."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key.endswith("_env") and key != "handle_env" and isinstance(item, str) and item:
                yield item
            else:
                yield from _named_env(item)
    elif isinstance(value, list):
        for item in value:
            yield from _named_env(item)


def _unknown_keys(table: Mapping[str, Any], known: Iterable[str], label: str) -> None:
    known = set(known)
    for key in table:
        if key not in known:
            raise ConfigError(f"{label} {key}: unknown key{did_you_mean(str(key), known)}")


def _extra(extra: str, label: str) -> None:
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            missing = exc.name or module
            raise ConfigError(
                f"{label} needs the {extra} extra ({missing} is not installed): "
                f"pip install 'hotpapers[{extra}]'"
            ) from None


# -- adapters ---------------------------------------------------------------------------------------


def _adapter(name: str, table: Mapping[str, Any], where: str) -> list[Secret]:
    section = f"[adapters.{name}]"
    if name not in ADAPTERS:
        raise ConfigError(
            f"{where}: {section}: unknown adapter{did_you_mean(name, ADAPTERS, '[adapters.{}]')}"
        )
    if name == "console":
        return []
    _unknown_keys(table, _adapter_keys(name), f"{where}: {section}")
    secrets = _adapter_secrets(name, table, where)
    _extra(ADAPTER_EXTRA[name], f"{where}: {section}")
    return secrets


def _single_posts_without_page(config: Config, where: str) -> list[str]:
    """`[adapters.x] thread = false` posts one post linking the digest's page: it needs the
    site's public address."""
    from adapters.social.config import NEEDS_PAGE

    if (config.adapters.get("web") or {}).get("public_url"):
        return []
    return [
        f"{where}: [adapters.{name}] {NEEDS_PAGE}"
        for name in ("x", "bluesky", "mastodon")
        if (config.adapters.get(name) or {}).get("thread") is False
    ]


def _adapter_keys(name: str) -> set[str]:
    if name == "slack":
        from adapters.slack.config import KEYS as SLACK_KEYS

        return set(SLACK_KEYS)
    if name == "discord":
        from adapters.discord.config import KEYS as DISCORD_KEYS

        return set(DISCORD_KEYS)
    if name == "web":
        from adapters.web.config import KEYS as WEB_KEYS

        return set(WEB_KEYS)
    from adapters.social.config import keys

    return keys(name)


def _adapter_secrets(name: str, table: Mapping[str, Any], where: str) -> list[Secret]:
    """Parse the table as `run` does; the secrets its mode needs."""
    owner, section = f"adapter {name}", f"[adapters.{name}]"
    if name == "slack":
        from adapters.slack.config import SlackConfig

        slack = SlackConfig.from_mapping(table, where)
        second = (
            ("app_token_env", slack.app_token_env, "the app-level token, xapp-...")
            if slack.mode == "socket"
            else ("signing_secret_env", slack.signing_secret_env, "the app's signing secret")
        )
        return [
            Secret(owner, section, "bot_token_env", slack.bot_token_env, "the bot token, xoxb-..."),
            Secret(owner, section, *second),
        ]
    if name == "discord":
        from adapters.discord.config import DiscordConfig

        discord = DiscordConfig.from_mapping(table, where)
        return [Secret(owner, section, "token_env", discord.token_env, "the bot token")]
    if name == "web":
        from adapters.web.config import WebConfig

        WebConfig.from_mapping(table, where)
        return []
    if name in ("x", "bluesky", "mastodon"):
        from adapters.social.config import SECRETS, SocialConfig

        social = SocialConfig.from_mapping(name, table, where)
        return [
            Secret(
                owner,
                section,
                key,
                variable,
                SECRETS[name][key][1],
                public=key == "handle_env",
            )
            for key, variable in social.secret_envs
        ]
    return []


# -- sources ----------------------------------------------------------------------------------------


def _source(name: str, table: Mapping[str, Any], where: str) -> list[Secret]:
    section = f"[sources.{name}]"
    if name not in SOURCES:
        raise ConfigError(
            f"{where}: {section}: unknown source{did_you_mean(name, SOURCES, '[sources.{}]')}"
        )
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: {section} must be a table")
    _unknown_keys(table, _source_keys(name), f"{where}: {section}")
    secrets = _source_secrets(name, table, where)
    if name in SOURCE_EXTRA and table.get("enabled", True):
        _extra(SOURCE_EXTRA[name], f"{where}: {section}")
    return secrets


def _source_keys(name: str) -> set[str]:
    if name == "arxiv":
        from bot.sources.arxiv.config import KEYS as ARXIV_KEYS

        return set(ARXIV_KEYS)
    return set(_source_class(name).__dataclass_fields__)


def _source_class(name: str) -> Any:
    from bot.sources.attention import config as attention

    return {
        "twitter": attention.TwitterConfig,
        "bluesky": attention.BlueskyConfig,
        "mastodon": attention.MastodonConfig,
        "hackernews": attention.HackerNewsConfig,
        "huggingface": attention.HuggingFaceConfig,
    }[name]


def _source_secrets(name: str, table: Mapping[str, Any], where: str) -> list[Secret]:
    """Parse the table as `run` does; the secrets an enabled source needs."""
    owner, section = f"source {name}", f"[sources.{name}]"
    if name == "arxiv":
        from bot.sources.arxiv.config import from_mapping as arxiv_from_mapping

        arxiv_from_mapping(table, f"{where}: {section}")
        return []
    from bot.sources.attention import config as attention

    parsed = attention.from_mapping(name, table, where)
    if not parsed.enabled:
        return []
    if isinstance(parsed, attention.TwitterConfig):
        return [
            Secret(owner, section, "bearer_token_env", parsed.bearer_token_env, "X bearer token")
        ]
    if isinstance(parsed, attention.BlueskyConfig):
        login = "the login for search; without it, public endpoints only"
        return [
            Secret(owner, section, "handle_env", parsed.handle_env, login, False, public=True),
            Secret(owner, section, "app_password_env", parsed.app_password_env, login, False),
        ]
    if isinstance(parsed, attention.MastodonConfig):
        return [
            Secret(owner, section, "access_token_env", i.access_token_env, i.url, required=False)
            for i in parsed.instances
            if i.access_token_env
        ]
    return []


# -- subscriptions ----------------------------------------------------------------------------------


def _subscriptions(config: Config, where: str) -> None:
    from bot.services.subscription_config import CONFIG_KEYS, parse_config_subscriptions

    for number, entry in enumerate(config.subscriptions, start=1):
        label = f"{where}: [[subscriptions]] #{number}"
        _unknown_keys(entry, CONFIG_KEYS, label)
        platform = entry.get("platform")
        if isinstance(platform, str) and platform.strip() not in ADAPTERS:
            raise ConfigError(
                f"{label} platform: unknown platform {platform!r}{did_you_mean(platform, ADAPTERS)}"
            )
    parse_config_subscriptions(config.subscriptions, where=where, default_timezone=config.timezone)
