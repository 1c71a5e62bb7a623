"""One code path for `hotpapers ingest <source>` and the scheduler's ingest jobs."""

from __future__ import annotations

import functools
import importlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.sources.attention import SOURCE_NAMES
from bot.sources.attention.base import Lookup, Source, SourceReport, run_source
from bot.sources.attention.config import (
    BlueskyConfig,
    HackerNewsConfig,
    HuggingFaceConfig,
    MastodonConfig,
    SourceConfig,
    TwitterConfig,
    from_mapping,
)
from bot.store import Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def build_source(
    name: str,
    config: SourceConfig,
    *,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Clock = _now,
) -> Source:
    """The source object for a name and its settings; secrets come from `env` (os.environ)."""
    env = os.environ if env is None else env

    def secret(var: str) -> str | None:
        return env.get(var) or None if var else None

    if isinstance(config, TwitterConfig):
        TwitterSource = _sdk_source("twitter", "TwitterSource")

        return TwitterSource(config, secret(config.bearer_token_env), sleep=sleep, clock=clock)
    if isinstance(config, BlueskyConfig):
        BlueskySource = _sdk_source("bluesky", "BlueskySource")

        return BlueskySource(
            config,
            secret(config.handle_env),
            secret(config.app_password_env),
            clock=clock,
            sleep=sleep,
        )
    if isinstance(config, MastodonConfig):
        MastodonSource = _sdk_source("mastodon", "MastodonSource")

        tokens = {
            i.url: token
            for i in config.instances
            if (token := secret(i.access_token_env)) is not None
        }
        return MastodonSource(config, tokens, sleep=sleep)
    if isinstance(config, HackerNewsConfig):
        from bot.sources.attention.hackernews import HackerNewsSource

        return HackerNewsSource(config, clock=clock, sleep=sleep)
    if isinstance(config, HuggingFaceConfig):
        from bot.sources.attention.huggingface import HuggingFaceSource

        return HuggingFaceSource(config, clock=clock, sleep=sleep)
    raise ValueError(f"no attention source {name!r}")


def _sdk_source(module: str, name: str) -> Callable[..., Source]:
    """Sources built on a platform SDK live in adapters/sources and are loaded only by name."""
    factory: Callable[..., Source] = getattr(
        importlib.import_module(f"adapters.sources.{module}"), name
    )
    return factory


def ingest_source(
    store: Store,
    name: str,
    config: SourceConfig | Mapping[str, Any],
    lookup: Lookup | None,
    *,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Clock = _now,
) -> SourceReport:
    """Run one attention source once: fetch, weigh feed bots, store, look unknown papers up.

    Never raises for a source failure (the report says what failed; the next run retries).
    `config` is the parsed settings or the raw [sources.<name>] table (ConfigError if wrong).
    """
    if name not in SOURCE_NAMES:
        raise ValueError(f"unknown attention source {name!r}; known: {', '.join(SOURCE_NAMES)}")
    settings = config if not isinstance(config, Mapping) else from_mapping(name, config, "config")
    if not settings.enabled:
        log.info("source %s is disabled in the config", name)
        return SourceReport(name, ok=True, problems=("disabled in the config",))
    source = build_source(name, settings, env=env, sleep=sleep, clock=clock)
    report = run_source(store, source, lookup)
    log.info("%s", report.summary())
    return report


def arxiv_client(table: Mapping[str, Any], where: str = "[sources.arxiv]") -> Any:
    """The arXiv source's polite client (the process-wide limiter), from its [sources.arxiv] table."""
    from bot.sources.arxiv.client import ArxivClient
    from bot.sources.arxiv.config import from_mapping as arxiv_config

    return ArxivClient.from_config(arxiv_config(table, where))


def arxiv_lookup_from_config(store: Store, table: Mapping[str, Any]) -> Lookup:
    """The lookup for unknown papers that `hotpapers ingest` and the scheduler's jobs pass on."""
    from bot.sources.arxiv.ingest import lookup_papers

    return functools.partial(lookup_papers, store, arxiv_client(table))
