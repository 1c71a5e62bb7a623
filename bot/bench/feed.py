"""The Bluesky feed's `getFeedSkeleton` in process (the store query and the JSON), beside the
engine's `top` for the same listing and filter, in the same run.

Inside a transaction rolled back at the end (the cached store is left as it was; only the
m010_feed index is added, once, by the store's migration): the latest listing is widened to
LISTING papers (the most recently listed ones) when smaller, the size of a busy arXiv day, so
that the small scale's few papers a day still fill pages; and the Bluesky rows of its papers,
plain keys in the bench store, get at:// keys."""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot.bench.datagen import Scale, clock_for
from bot.domain.feeds import feed_specs, feed_uri
from bot.services.engine import Engine, EngineSettings
from bot.services.feed import FeedGenerator, FeedSettings
from bot.store import Store

if TYPE_CHECKING:
    from bot.bench.runner import Figure

PUBLISHER = "did:plc:bench"
CATEGORIES = ("cs.CV", "cs.LG", "cs")
PAGE = 50
TARGET_MS = 5.0
LISTING = 2_000  # papers in the listing measured: a busy arXiv day, cross-lists included

WIDEN = (
    "SELECT paper_id FROM paper_scores WHERE listing_date IS NOT NULL "
    "ORDER BY listing_date DESC, paper_id LIMIT ?"
)

AT_KEYS = (
    "UPDATE observations SET key = 'at://did:plc:' || account || '/app.bsky.feed.post/' || key "
    "|| '#' || paper_id WHERE source = 'bluesky' AND key NOT LIKE 'at://%' AND paper_id IN "
    "(SELECT paper_id FROM paper_scores WHERE listing_date = ?)"
)


def measure_feed(db: Path, scale: Scale, say: Callable[[str], None]) -> list[Figure]:
    from bot.bench.runner import Figure, percentile

    say("Bluesky feed: getFeedSkeleton vs top (bot/bench/feed.py)")
    store = Store.open(db)
    conn = store.conn
    try:
        now = clock_for(scale)
        listing = store.latest_listing_date(now.date())
        if listing is None:
            return []
        conn.execute("BEGIN IMMEDIATE")
        try:
            widened = _widen(store, listing)
            moved = conn.execute(AT_KEYS, (listing.isoformat(),)).rowcount
            (feed_ms, cpu_ms), (top_ms, top_cpu), items = _measure(
                store, now.date(), listing, scale.queries
            )
        finally:
            conn.execute("ROLLBACK")
    finally:
        store.close()
    p99, base = percentile(feed_ms, 99), percentile(top_ms, 99)
    note = (
        f"{len(feed_ms)} pages of {PAGE} (first and next pages; feeds: all, "
        f"{', '.join(CATEGORIES)}); listing {listing} ({widened} papers): {moved} Bluesky posts, "
        f"{items} feed items in all; median {percentile(feed_ms, 50):.2f} ms"
    )
    return [
        Figure(
            "feed.skeleton_p99",
            "Bluesky feed: getFeedSkeleton p99 (store query + JSON)",
            p99,
            "ms",
            base,
            f"engine top {PAGE} for the same listing and filter, p99",
            f"<= {TARGET_MS:g} ms",
            p99 <= TARGET_MS,
            note,
        ),
        Figure(
            "feed.skeleton_cpu_p99",
            "Bluesky feed: getFeedSkeleton p99 CPU time (without waiting for a shared CPU)",
            percentile(cpu_ms, 99),
            "ms",
            percentile(top_cpu, 99),
            f"engine top {PAGE}, p99 CPU time",
            f"<= {TARGET_MS:g} ms",
            percentile(cpu_ms, 99) <= TARGET_MS,
        ),
    ]


def _widen(store: Store, listing: date) -> int:
    """The papers of `listing` once widened to LISTING (if it had fewer)."""
    day = listing.isoformat()
    (count,) = store.conn.execute(
        "SELECT count(*) FROM paper_scores WHERE listing_date = ?", (day,)
    ).fetchone()
    if count >= LISTING:
        return int(count)
    ids = [(day, r[0]) for r in store.conn.execute(WIDEN, (LISTING,))]
    for table in ("paper_scores", "paper_categories"):
        store.conn.executemany(f"UPDATE {table} SET listing_date = ? WHERE paper_id = ?", ids)
    return len(ids)


def _measure(
    store: Store, today: date, listing: date, rounds: int
) -> tuple[tuple[list[float], list[float]], tuple[list[float], list[float]], int]:
    specs = feed_specs(CATEGORIES)
    settings = FeedSettings("feed.example.org", PUBLISHER, specs)
    engine = Engine(store, EngineSettings())
    generator = FeedGenerator(store, settings, lambda: today, engine.settings.min_score)
    feed_ms: list[float] = []
    cpu_ms: list[float] = []
    top_ms: list[float] = []
    top_cpu: list[float] = []
    cursors: dict[str, str | None] = {spec.rkey: None for spec in specs}
    items = 0
    for n in range(rounds):
        spec = specs[n % len(specs)]
        uri = feed_uri(PUBLISHER, spec.rkey)
        gc.collect()  # the engine's garbage is not the feed's: collected before the clock starts
        started, cpu = time.perf_counter(), time.thread_time()
        page = generator.skeleton(uri, str(PAGE), cursors[spec.rkey])
        json.dumps(page, separators=(",", ":"))
        feed_ms.append((time.perf_counter() - started) * 1000)
        cpu_ms.append((time.thread_time() - cpu) * 1000)
        items += len(page["feed"])
        cursors[spec.rkey] = page.get("cursor")  # the next page, or the first again
        filters = [spec.filter] if spec.filter else []
        gc.collect()
        started, cpu = time.perf_counter(), time.thread_time()
        engine.digest(on=listing, filters=filters, n=PAGE)
        top_ms.append((time.perf_counter() - started) * 1000)
        top_cpu.append((time.thread_time() - cpu) * 1000)
    return (feed_ms, cpu_ms), (top_ms, top_cpu), items
