"""Builds the benchmark's store once (papers through the store, posts in bulk) and caches it."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TypeVar

from bot.bench.datagen import (
    DATA_VERSION,
    OBSERVATION_COLUMNS,
    Scale,
    attention_model,
    generate_papers,
    observation_rows,
)
from bot.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")
Progress = Callable[[str], None]
PAPER_CHUNK = 20_000
ROW_CHUNK = 200_000


def cache_path(scale: Scale, data_dir: Path) -> Path:
    return data_dir / f"{scale.name}-v{DATA_VERSION}-seed{scale.seed}.db"


def ensure_store(scale: Scale, data_dir: Path, progress: Progress | None = None) -> Path:
    """The scale's store file, built on first use and reused afterwards."""
    say = progress or (lambda _msg: None)
    path = cache_path(scale, data_dir)
    if path.is_file():
        say(f"reusing {path}")
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    build_store(scale, partial, say)
    os.replace(partial, path)
    say(f"built {path} in {time.perf_counter() - started:,.0f} s")
    return path


def build_store(scale: Scale, path: Path, say: Progress) -> None:
    store = Store.open(path)
    try:
        papers: list[tuple[str, object]] = []
        done = 0
        for chunk in _chunks(generate_papers(scale), PAPER_CHUNK):
            store.upsert_papers(chunk)
            papers.extend((p.arxiv_id, p.listing_date) for p in chunk)
            done += len(chunk)
            if done % 500_000 < PAPER_CHUNK:
                say(f"papers: {done:,} of {scale.papers:,}")
        model = attention_model(papers, scale.seed)  # type: ignore[arg-type]
        del papers
        _bulk_observations(store, observation_rows(model, scale.observations, scale.seed), say)
        say("scoring every paper through the store (rescore_all)")
        store.rescore_all()
        store.set_meta("bench", f"{scale.name} v{DATA_VERSION} seed {scale.seed}")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()


def _bulk_observations(store: Store, rows: Iterable[tuple[object, ...]], say: Progress) -> None:
    """Plain INSERTs with the secondary indexes dropped, then rebuilt: a one-off bulk load."""
    conn = store.conn
    indexes = [
        (name, sql)
        for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'observations' AND sql IS NOT NULL"
        )
    ]
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    columns = ", ".join(OBSERVATION_COLUMNS)
    marks = ", ".join("?" * len(OBSERVATION_COLUMNS))
    done = 0
    for chunk in _chunks(rows, ROW_CHUNK):
        with store.transaction():
            conn.executemany(f"INSERT INTO observations ({columns}) VALUES ({marks})", chunk)
        done += len(chunk)
        if done % 2_000_000 < ROW_CHUNK:
            say(f"observations: {done:,}")
    for name, sql in indexes:
        say(f"index {name}")
        conn.execute(sql)


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk
