"""Builds the benchmark's store once (papers through the store, posts in bulk) and caches it."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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
PAPER_CHUNK = 50_000
ROW_CHUNK = 500_000
RECOUNT_PAPERS = 100_000  # papers rescored per transaction
BUILD_CACHE_KIB = 1_000_000  # 1 GB of page cache while building


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
    """Papers through the store and posts in bulk, with the build's own settings: no fsync and no
    journal (a failed build is thrown away), a large page cache, the triggers and indexes a bulk
    load would update row by row dropped and rebuilt once at the end, post weights set before the
    indexes exist, and the aggregates counted in ranges of papers, a transaction each."""
    store = Store.open(path)
    try:
        conn = store.conn
        conn.execute("PRAGMA synchronous = OFF")
        mode = conn.execute("PRAGMA journal_mode = OFF").fetchone()[0]  # each page written once
        say(f"journal: {mode}")
        conn.execute(f"PRAGMA threads = {os.cpu_count() or 1}")  # index builds sort in parallel
        conn.execute(f"PRAGMA cache_size = -{BUILD_CACHE_KIB}")
        papers: list[tuple[str, object]] = []
        done = 0
        with _dropped(store, "trigger", "papers", say):
            for chunk in _chunks(generate_papers(scale), PAPER_CHUNK):
                store.upsert_papers(chunk)
                papers.extend((p.arxiv_id, p.listing_date) for p in chunk)
                done += len(chunk)
                if done % 500_000 < PAPER_CHUNK:
                    say(f"papers: {done:,} of {scale.papers:,}")
            say("full-text index (rebuilt once)")
            conn.execute("INSERT INTO papers_fts (papers_fts) VALUES ('rebuild')")
        model = attention_model(papers, scale.seed)  # type: ignore[arg-type]
        ranges = _id_ranges(sorted(p[0] for p in papers), RECOUNT_PAPERS)
        del papers
        with _dropped(store, "index", "observations", say):
            _bulk_observations(store, observation_rows(model, scale.observations, scale.seed), say)
            say("post weights (the feed-bot rule), before the indexes exist")
            store.reweigh_all()
        say(f"scoring every paper through the store, in {len(ranges)} ranges of papers")
        for first, end in ranges:
            store.recount_papers(first, end)
        store.set_meta("bench", f"{scale.name} v{DATA_VERSION} seed {scale.seed}")
    finally:
        store.close()
    with sqlite3.connect(path) as conn:  # back to the store's journal, for the bench's processes
        conn.execute("PRAGMA journal_mode = WAL")


def _id_ranges(ids: list[str], size: int) -> list[tuple[str, str]]:
    """Half-open (first, end) ranges covering every id in sorted `ids`, `size` ids each."""
    starts = ids[::size]
    return list(zip(starts, [*starts[1:], "\U0010ffff"], strict=True))


@contextmanager
def _dropped(store: Store, kind: str, table: str, say: Progress) -> Iterator[None]:
    """The table's triggers or secondary indexes dropped inside, created again on the way out."""
    conn = store.conn
    found = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = ? AND tbl_name = ? AND sql IS NOT NULL",
        (kind, table),
    ).fetchall()
    for name, _ in found:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    yield
    for name, sql in found:
        say(f"{kind} {name}")
        conn.execute(sql)


def _bulk_observations(store: Store, rows: Iterable[tuple[object, ...]], say: Progress) -> None:
    """Plain INSERTs in large transactions (the secondary indexes are dropped meanwhile)."""
    conn = store.conn
    columns = ", ".join(OBSERVATION_COLUMNS)
    marks = ", ".join("?" * len(OBSERVATION_COLUMNS))
    done = 0
    for chunk in _chunks(rows, ROW_CHUNK):
        with store.transaction():
            conn.executemany(f"INSERT INTO observations ({columns}) VALUES ({marks})", chunk)
        done += len(chunk)
        if done % 2_000_000 < ROW_CHUNK:
            say(f"observations: {done:,}")


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk
