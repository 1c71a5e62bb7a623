"""The composition root: builds the store and engine (and later sources, scheduler, adapters)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.abuse import RateLimiter, RateLimits
from bot.config import Config, default_database, load_config
from bot.engine import Engine, EngineSettings, PaperLookup
from bot.store import Store
from bot.subscriptions import SubscriptionService

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
        from bot.sample import sample_database

        return sample_database()
    return default_database()


def build_app(config_path: str | Path | None = None, db: str | Path | None = None) -> App:
    config = load_config(config_path)
    store = Store.open(database_path(config, db), config.scoring)
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
        paper_lookup=_arxiv_lookup(config, store),
        limiter=RateLimiter(
            RateLimits(
                per_user=config.commands_per_user_per_minute,
                per_channel=config.commands_per_channel_per_minute,
            )
        ),
    )
    return App(config=config, store=store, engine=engine, subscriptions=subscriptions)


def _arxiv_lookup(config: Config, store: Store) -> PaperLookup | None:
    """`paper <id>` on an unknown id asks arXiv, when the arXiv source is configured."""
    table = config.sources.get("arxiv")
    if table is None:
        return None

    def lookup(ids: Sequence[str]) -> object:
        from bot.sources.attention.ingest import arxiv_lookup_from_config

        return arxiv_lookup_from_config(store, table)(list(ids))

    return lookup
