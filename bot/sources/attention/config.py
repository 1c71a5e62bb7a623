"""Settings of each attention source under [sources.<name>], checked with errors naming the key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.errors import ConfigError


@dataclass(frozen=True)
class MastodonInstance:
    url: str
    access_token_env: str = ""  # optional; search needs a token, hashtag timelines do not


@dataclass(frozen=True)
class TwitterConfig:
    enabled: bool = True
    interval_minutes: int = 30
    bearer_token_env: str = "X_BEARER_TOKEN"
    query: str = "url:arxiv.org"
    page_size: int = 100
    max_pages: int = 5
    refresh_hours: int = 24  # stored posts younger than this get their counters refreshed
    max_wait_seconds: int = 900  # the longest wait for a rate-limit reset within one run
    max_rate_limit_waits: int = 2
    max_attempts: int = 3  # requests per call in all, for 429, 5xx, timeouts and resets
    timeout_seconds: float = 20.0
    base_url: str = ""  # tests: http://127.0.0.1:PORT (replaces https://api.twitter.com)


JETSTREAM_INSTANCES = (
    "wss://jetstream1.us-east.bsky.network",
    "wss://jetstream2.us-east.bsky.network",
    "wss://jetstream1.us-west.bsky.network",
    "wss://jetstream2.us-west.bsky.network",
)
BLUESKY_MODES = ("jetstream", "search")


@dataclass(frozen=True)
class BlueskyConfig:
    enabled: bool = True
    mode: str = "jetstream"  # jetstream: a listener in `hotpapers run`; search: the old poller
    instances: tuple[str, ...] = JETSTREAM_INSTANCES  # the first one used, the others fallbacks
    replay_seconds: int = 5  # a reconnect resumes this far before the stored cursor
    track_days: int = 7  # posts older than this stop being tracked
    batch_seconds: float = 1.0  # events are stored once per this long (one transaction)
    stall_seconds: float = 60.0  # a socket silent this long is reconnected
    failures_before_switch: int = 3  # failed connections in a row before the next instance
    appview_url: str = "https://public.api.bsky.app"  # getPosts (reconciliation), no login needed
    reconcile_per_minute: int = 60  # getPosts calls (25 posts each) a minute at most; 0: off
    reconcile_minutes: int = 60  # each tracked post is re-checked at most this often
    interval_minutes: int = 30
    handle_env: str = "BSKY_HANDLE"
    app_password_env: str = "BSKY_APP_PASSWORD"
    base_url: str = "https://bsky.social"
    query: str = "arxiv.org"
    domain: str = "arxiv.org"
    page_size: int = 100
    max_pages: int = 5
    refresh_hours: int = 24
    max_attempts: int = 3
    max_wait_seconds: int = 120
    timeout_seconds: float = 20.0


@dataclass(frozen=True)
class MastodonConfig:
    enabled: bool = True
    interval_minutes: int = 30
    instances: tuple[MastodonInstance, ...] = (MastodonInstance("https://mastodon.social"),)
    hashtags: tuple[str, ...] = ("arxiv",)
    links: tuple[str, ...] = ()  # trending-link timelines (/api/v1/timelines/link?url=)
    search: str = ""  # full-text search query (needs an access token), e.g. "arxiv.org"
    page_size: int = 40
    max_pages: int = 3
    max_attempts: int = 3
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class HackerNewsConfig:
    enabled: bool = True
    interval_minutes: int = 60
    base_url: str = "https://hn.algolia.com/api/v1"
    query: str = "arxiv.org"
    page_size: int = 100
    max_pages: int = 5
    refresh_hours: int = 48
    timeout_seconds: float = 20.0
    max_attempts: int = 3
    max_wait_seconds: int = 120


@dataclass(frozen=True)
class HuggingFaceConfig:
    enabled: bool = True
    interval_minutes: int = 120
    base_url: str = "https://huggingface.co"
    days: int = 3  # today and the days before it
    timeout_seconds: float = 20.0
    max_attempts: int = 3
    max_wait_seconds: int = 120


SourceConfig = TwitterConfig | BlueskyConfig | MastodonConfig | HackerNewsConfig | HuggingFaceConfig

_CLASSES: dict[str, type[Any]] = {
    "twitter": TwitterConfig,
    "bluesky": BlueskyConfig,
    "mastodon": MastodonConfig,
    "hackernews": HackerNewsConfig,
    "huggingface": HuggingFaceConfig,
}

_LIMITS = {
    "interval_minutes": (1, 7 * 24 * 60),
    "page_size": (1, 100),
    "max_pages": (1, 100),
    "refresh_hours": (0, 24 * 7),
    "max_wait_seconds": (0, 3600),
    "max_rate_limit_waits": (0, 10),
    "max_attempts": (1, 10),
    "days": (1, 30),
    "replay_seconds": (0, 3600),
    "track_days": (1, 30),
    "failures_before_switch": (1, 100),
    "reconcile_per_minute": (0, 3000),
    "reconcile_minutes": (1, 7 * 24 * 60),
}


def from_mapping(name: str, d: Mapping[str, Any], where: str) -> SourceConfig:
    """The settings of [sources.<name>]; raises ConfigError naming the file, section and key."""
    cls = _CLASSES.get(name)
    section = f"[sources.{name}]"
    if cls is None:
        raise ConfigError(
            f"{where}: {section}: unknown source; known: {', '.join(sorted(_CLASSES))}"
        )
    if not isinstance(d, Mapping):
        raise ConfigError(f"{where}: {section} must be a table")
    defaults = cls()
    known = set(cls.__dataclass_fields__)
    values: dict[str, Any] = {}
    for key, value in d.items():
        if key not in known:
            raise ConfigError(
                f"{where}: {section} unknown key {key!r}; known: {', '.join(sorted(known))}"
            )
        values[key] = _check(key, value, getattr(defaults, key), where, section, name)
    if name == "twitter" and "page_size" in values and not 10 <= values["page_size"] <= 100:
        raise ConfigError(f"{where}: {section} page_size: X allows 10 to 100")
    if name == "mastodon" and "page_size" in values and values["page_size"] > 40:
        raise ConfigError(f"{where}: {section} page_size: Mastodon allows at most 40")
    result: SourceConfig = cls(**values)
    return result


def _check(key: str, value: Any, default: Any, where: str, section: str, name: str) -> Any:
    bad = f"{where}: {section} {key}:"
    if key == "instances" and name == "bluesky":
        return _websocket_urls(value, bad)
    if key == "instances":
        return _instances(value, bad)
    if key == "mode" and value not in BLUESKY_MODES:
        raise ConfigError(f"{bad} expected one of {', '.join(BLUESKY_MODES)}, got {value!r}")
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{bad} expected true or false, got {value!r}")
        return value
    if isinstance(default, int):
        lo, hi = _LIMITS.get(key, (0, 10**6))
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ConfigError(f"{bad} expected a whole number from {lo} to {hi}, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{bad} expected a number > 0, got {value!r}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{bad} expected a string, got {value!r}")
        if (
            key in ("base_url", "appview_url")
            and value
            and not value.startswith(("http://", "https://"))
        ):
            raise ConfigError(f"{bad} expected an http(s) URL, got {value!r}")
        if key.endswith("_env") and value and not value.replace("_", "").isalnum():
            raise ConfigError(f"{bad} expected the NAME of an environment variable, got {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{bad} expected a list of strings, got {value!r}")
        if key == "hashtags":
            return tuple(v.lstrip("#") for v in value)
        return tuple(value)
    raise ConfigError(f"{bad} unsupported value {value!r}")  # pragma: no cover


def _websocket_urls(value: Any, bad: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{bad} expected a non-empty list of ws:// or wss:// URLs")
    for url in value:
        if not isinstance(url, str) or not url.startswith(("ws://", "wss://")):
            raise ConfigError(f"{bad} expected a ws:// or wss:// URL, got {url!r}")
    return tuple(u.rstrip("/") for u in value)


def _instances(value: Any, bad: str) -> tuple[MastodonInstance, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{bad} expected a list of URLs or tables {{url, access_token_env}}")
    found = []
    for item in value:
        url: Any
        token_env: Any
        if isinstance(item, str):
            url, token_env = item, ""
        elif isinstance(item, dict) and set(item) <= {"url", "access_token_env"}:
            url, token_env = item.get("url"), item.get("access_token_env", "")
        else:
            raise ConfigError(f"{bad} expected a URL or {{url, access_token_env}}, got {item!r}")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(f"{bad} expected an http(s) URL, got {url!r}")
        if not isinstance(token_env, str):
            raise ConfigError(f"{bad} access_token_env: expected a string, got {token_env!r}")
        found.append(MastodonInstance(url.rstrip("/"), token_env))
    return tuple(found)


def configured(sources: Mapping[str, Mapping[str, Any]], where: str) -> dict[str, SourceConfig]:
    """The attention sources among a config's [sources.*] tables (others, like arxiv, ignored)."""
    return {
        name: from_mapping(name, table, where)
        for name, table in sources.items()
        if name in _CLASSES
    }


# Long-running source services `hotpapers run` starts beside the adapters: name -> source.
LISTENERS = {"bluesky-jetstream": "bluesky"}


def polled(settings: SourceConfig) -> bool:
    """Whether the scheduler polls this source (Bluesky in jetstream mode listens instead)."""
    return not (isinstance(settings, BlueskyConfig) and settings.mode == "jetstream")


def listeners(sources: Mapping[str, Mapping[str, Any]], where: str) -> list[str]:
    """The listeners the config asks for: bluesky-jetstream when [sources.bluesky] is there,
    enabled, in mode "jetstream" (the default)."""
    found = configured(sources, where)
    return [
        name
        for name, source in LISTENERS.items()
        if source in found and found[source].enabled and not polled(found[source])
    ]
