"""The scheduler's ingest jobs for every configured source: the same code as `hotpapers ingest`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bot.sources.attention.base import Lookup
from bot.sources.attention.config import configured
from bot.sources.attention.ingest import arxiv_lookup_from_config
from bot.sources.attention.ingest import ingest_jobs as attention_jobs
from bot.store import Store

if TYPE_CHECKING:
    from bot.app import App

Jobs = dict[str, tuple[Callable[[], object], float]]


def ingest_jobs(app: App) -> Jobs:
    """name -> (job, interval minutes); each job opens its own Store in its worker thread."""
    sources = app.config.sources
    where = str(app.config.path or "config")
    db_path = app.store.path
    jobs: Jobs = {}
    arxiv_table = sources.get("arxiv")
    if arxiv_table is not None:
        from bot.sources.arxiv.config import from_mapping
        from bot.sources.arxiv.ingest import listings_job

        arxiv = from_mapping(arxiv_table, f"{where}: [sources.arxiv]")
        if arxiv.enabled:
            jobs["arxiv"] = (listings_job(db_path, arxiv), float(arxiv.interval_minutes))
    lookup = functools.partial(_lookup, table=arxiv_table or {})
    jobs.update(
        attention_jobs(
            configured(sources, where), db_path, app.store.scoring, lookup, app.config.feed_bots
        )
    )
    return jobs


def _lookup(store: Store, *, table: Mapping[str, Any]) -> Lookup:
    return arxiv_lookup_from_config(store, table)
