"""The scheduler's ingest jobs: one per enabled source, the same code as `hotpapers ingest SOURCE`.

The composition root builds them once from the config, with the one store provider and the one
scoring configuration of the process; a job never opens a store of its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.sources.attention.config import SourceConfig, configured, polled

if TYPE_CHECKING:
    from bot.config import Config
    from bot.sources.arxiv.config import ArxivSourceConfig
    from bot.store import Store

StoreProvider = Callable[[], AbstractContextManager["Store"]]
Jobs = dict[str, tuple[Callable[[], object], float]]  # name -> (job, interval minutes)


def ingest_jobs(config: Config, stores: StoreProvider) -> Jobs:
    """One job per enabled source of the config (arXiv listings and every attention source)."""
    where = str(config.path or "config")
    jobs: Jobs = {}
    arxiv_table = config.sources.get("arxiv")
    if arxiv_table is not None:
        from bot.sources.arxiv.config import from_mapping

        arxiv = from_mapping(arxiv_table, f"{where}: [sources.arxiv]")
        if arxiv.enabled:
            jobs["arxiv"] = (
                functools.partial(run_listings, stores, arxiv),
                float(arxiv.interval_minutes),
            )
    for name, settings in configured(config.sources, where).items():
        if settings.enabled and polled(settings):  # a listener runs beside, not on a schedule
            job = functools.partial(run_attention, stores, name, settings, arxiv_table)
            jobs[name] = (job, float(settings.interval_minutes))
    return jobs


def run_listings(stores: StoreProvider, config: ArxivSourceConfig) -> object:
    """The latest RSS listings of the configured categories (runs in a worker thread)."""
    from bot.sources.arxiv.client import ArxivClient
    from bot.sources.arxiv.ingest import ingest_listings

    with stores() as store, ArxivClient.from_config(config) as client:
        return ingest_listings(store, client, config.categories, datetime.now(UTC))


def run_attention(
    stores: StoreProvider,
    name: str,
    settings: SourceConfig,
    arxiv_table: Mapping[str, Any] | None,
) -> object:
    """One attention source once; papers it mentions that we do not know are looked up."""
    from bot.sources.attention.ingest import arxiv_lookup_from_config, ingest_source

    with stores() as store:
        lookup = arxiv_lookup_from_config(store, arxiv_table or {})
        return ingest_source(store, name, settings, lookup)
