"""Platform adapters, loaded by name only when configured: each only translates.

The registry maps an `[adapters.NAME]` table to the function that builds its adapter
(`bot.ports.Adapter`) from an `AdapterContext`. Importing this package imports no platform SDK.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from bot.domain.errors import ConfigError

if TYPE_CHECKING:
    from bot.ports import Adapter, Publisher
    from bot.services.engine import Engine
    from bot.store import Store


@dataclass(frozen=True)
class AdapterContext:
    """What the composition root hands an adapter: its table and the ports it may use."""

    name: str
    table: Mapping[str, Any]
    where: str  # "FILE [adapters.NAME]", for messages
    env: Mapping[str, str]
    engine: Engine
    store: Store  # ledgers, budgets and mention cursors of the social adapters
    publishers: MutableMapping[str, Publisher]  # a publisher joins while its adapter is connected
    stdin: TextIO | None = None  # the console's input
    interactive: bool = False  # the console's input is a terminal


Loader = Callable[[AdapterContext], Awaitable["Adapter"]]

# name -> (module, loader function, pip extra that brings its SDK)
REGISTRY: dict[str, tuple[str, str, str | None]] = {
    "console": ("adapters.console", "load", None),
    "slack": ("adapters.slack.service", "load", "slack"),
    "discord": ("adapters.discord.service", "load", "discord"),
    "x": ("adapters.social.service", "load", "twitter"),
    "bluesky": ("adapters.social.service", "load", "bluesky"),
    "mastodon": ("adapters.social.service", "load", "mastodon"),
    "web": ("adapters.web.service", "load", "web"),
    # a source listener, not a chat platform: started for [sources.bluesky] mode = "jetstream"
    "bluesky-jetstream": ("adapters.sources.jetstream", "load", "bluesky"),
}


def loader(name: str, where: str = "config") -> Loader:
    """The loader of adapter `name` (its module imported now); ConfigError if unknown or its
    pip extra is not installed."""
    if name not in REGISTRY:
        raise ConfigError(f"{where}: unknown adapter {name!r}; known: {', '.join(REGISTRY)}")
    module_name, function, extra = REGISTRY[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        hint = f": pip install 'hotpapers[{extra}]'" if extra else ""
        raise ConfigError(f"{where}: needs {exc.name}, which is not installed{hint}") from None
    load: Loader = getattr(module, function)
    return load


def feed_publisher() -> Callable[..., Any]:
    """`hotpapers bluesky publish-feed`'s writer (adapters.social.bluesky_feed.publish_feeds),
    imported now; the atproto SDK is imported only when it logs in."""
    module = importlib.import_module("adapters.social.bluesky_feed")
    publish: Callable[..., Any] = module.publish_feeds
    return publish


def site_builder() -> Callable[..., Any]:
    """`hotpapers site build`'s writer (adapters.web.static.build_site), imported now; it needs
    no pip extra."""
    module = importlib.import_module("adapters.web.static")
    build: Callable[..., Any] = module.build_site
    return build


def web_public_url(table: Mapping[str, Any], where: str) -> str | None:
    """`[adapters.web] public_url` as the web adapter reads it (normalised, ending in "/"); a
    ConfigError names a bad one. The core links digests to their pages there."""
    from adapters.web.config import WebConfig

    return WebConfig.from_mapping(table, where).public_url
