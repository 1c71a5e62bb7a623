"""The composition root: builds the store and engine (and later sources, scheduler, adapters)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config, default_database, load_config
from bot.domain.models import Paper
from bot.services.engine import Engine, EngineSettings, PaperFetch
from bot.services.rate_limits import RateLimiter, RateLimits
from bot.services.subscriptions import SubscriptionService
from bot.store import Store

log = logging.getLogger(__name__)


@dataclass
class App:
    config: Config
    store: Store
    engine: Engine
    subscriptions: SubscriptionService

    def close(self) -> None:
        self.store.close()


def database_path(config: Config, db: str | Path | None) -> Path:
    """--db first, then the config's [bot] database; with no config at all, the bundled sample."""
    if db is not None:
        return Path(db)
    if config.database is not None:
        return config.database
    if config.is_default:
        from bot.store.sample import sample_database

        return sample_database()
    return default_database()


def build_app(config_path: str | Path | None = None, db: str | Path | None = None) -> App:
    config = load_config(config_path)
    store = Store.open(database_path(config, db), config.scoring)
    if not config.is_default:  # a config file's scoring is the one in force (rescores on change)
        store.apply_scoring(config.scoring)
    subscriptions = SubscriptionService(store, default_timezone=config.timezone)
    engine = Engine(
        store,
        EngineSettings(
            timezone=config.timezone,
            title=config.digest_title,
            min_score=config.min_score,
            command_seconds=config.command_seconds,
        ),
        subscriptions=subscriptions,
        paper_fetch=_arxiv_fetch(config),
        limiter=RateLimiter(
            RateLimits(
                per_user=config.commands_per_user_per_minute,
                per_channel=config.commands_per_channel_per_minute,
            )
        ),
    )
    return App(config=config, store=store, engine=engine, subscriptions=subscriptions)


def _arxiv_fetch(config: Config) -> PaperFetch | None:
    """`paper <id>` on an unknown id asks arXiv, when the arXiv source is configured.

    Network only (the store is written by the engine), so adapters may run it in a worker thread.
    """
    table = config.sources.get("arxiv")
    if table is None:
        return None

    def fetch(ids: Sequence[str]) -> Sequence[Paper]:
        from bot.sources.attention.ingest import arxiv_client

        with arxiv_client(table) as client:
            result = client.lookup(list(ids))
        return result.papers

    return fetch
