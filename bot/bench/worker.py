"""The measured paths, each run in its own process so its peak RSS is its own.

`python -m bot.bench.worker MODE '{json args}'` prints one JSON object on its last stdout line.
"""

from __future__ import annotations

import json
import random
import resource
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.bench.datagen import (
    LAST_LISTING,
    OBSERVATION_COLUMNS,
    SCALES,
    attention_model,
    clock_for,
    observation_rows,
    row_to_observation,
    search_phrases,
)

INGEST_BATCH = 5_000  # observations per store call, about one source poll
QUERY_KINDS: dict[str, str] = {
    "top_today": "top 5 cs.CV today",
    "top_week": "top 10 cs this week",
    "top_date": "top 5 2021-04-05",
    "trending": "trending 5 cs.LG",
    "paper": "paper {id}",
    "search": "search {words}",
    "top_topic": "top 10 week about {words}",
}
RENDER_CANDIDATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "text": ("bot.render.text", ("render_digest_text",)),
    "markdown": ("bot.render.markdown", ("render_markdown",)),
    "json": ("bot.render.jsonfmt", ("render_json",)),
    "slack": ("adapters.slack.render", ("digest_messages", "render_digest_slack")),
    "discord": ("adapters.discord.render", ("render_digest_messages", "render_digest_discord")),
}


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: on Linux ru_maxrss carries the parent's
    peak across fork and exec, so a child would report at least its parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


# -- inputs shared by the engine path and the naive baseline ------------------------------------


def query_inputs(conn: sqlite3.Connection, count: int, seed: int) -> dict[str, list[str]]:
    """The texts to ask: fixed commands, and paper ids / search words that vary per query."""
    rng = random.Random(seed)
    (max_rowid,) = conn.execute("SELECT max(rowid) FROM papers").fetchone()
    hot = [
        r[0]
        for r in conn.execute(
            "SELECT paper_id FROM paper_scores WHERE listing_date >= ? "
            "ORDER BY score DESC LIMIT 50",
            ((LAST_LISTING - timedelta(days=365)).isoformat(),),
        )
    ]
    ids: list[str] = []
    while len(ids) < count:
        if hot and len(ids) % 2 == 0:  # half among the most discussed papers (the worst case)
            ids.append(hot[len(ids) // 2 % len(hot)])
            continue
        row = conn.execute(
            "SELECT arxiv_id FROM papers WHERE rowid = ?", (rng.randint(1, max_rowid or 1),)
        ).fetchone()
        if row:
            ids.append(row[0])
    words = search_phrases(count, seed)
    texts: dict[str, list[str]] = {}
    for kind, template in QUERY_KINDS.items():
        if kind == "paper":
            texts[kind] = [template.format(id=i) for i in ids]
        elif kind in ("search", "top_topic"):
            texts[kind] = [template.format(words=w) for w in words]
        else:
            texts[kind] = [template] * count
    return texts


# -- the engine path ----------------------------------------------------------------------------


def run_queries(args: dict[str, Any]) -> dict[str, Any]:
    from bot.domain.models import Request
    from bot.services.engine import Engine
    from bot.store import Store

    scale = SCALES[args["scale"]]
    store = Store.open(args["db"])
    engine = Engine(store, clock=lambda: clock_for(scale))
    texts = query_inputs(store.conn, args["queries"], scale.seed)
    latencies: dict[str, list[float]] = {}
    cpu_times: dict[str, list[float]] = {}  # CPU time: what a query costs without disk waits
    failures: dict[str, int] = {}
    examples: dict[str, str] = {}
    for kind, asks in texts.items():
        for text in asks[: max(5, len(asks) // 20)]:  # warm-up, not measured
            engine.handle(Request(text=text, addressed=True))
        times = []
        cpu = []
        bad = 0
        for text in asks:
            started, cpu_started = time.perf_counter(), time.process_time()
            reply = engine.handle(Request(text=text, addressed=True))
            times.append(_ms(started))
            cpu.append((time.process_time() - cpu_started) * 1000.0)
            if reply is None or (not reply.ok and kind not in ("search", "top_topic")):
                bad += 1
            if kind not in examples and reply is not None:
                examples[kind] = reply.text[:300]
        latencies[kind] = times
        cpu_times[kind] = cpu
        failures[kind] = bad
    renders = _renders(engine, args["renders"])
    result = {
        "latencies_ms": latencies,
        "cpu_ms": cpu_times,
        "failures": failures,
        "examples": examples,
        "renders_ms": renders,
        "rss_mb": peak_rss_mb(),
    }
    store.close()
    return result


def _renders(engine: Any, count: int) -> dict[str, list[float]]:
    """ms per render of one 10-item digest, per format, and the baseline (repr of the digest)."""
    import importlib

    from bot.commands.types import Period

    digest = engine.digest(period=Period(kind="days", days=30, label="month"), n=10)
    if not hasattr(digest, "items"):
        return {}
    renderers: dict[str, Callable[[Any], Any]] = {"baseline": repr}
    for fmt, (module_name, names) in RENDER_CANDIDATES.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in names:
            func = getattr(module, name, None)
            if callable(func):
                renderers[fmt] = func
                break
    out: dict[str, list[float]] = {}
    for fmt, func in renderers.items():
        try:
            func(digest)
        except Exception as exc:  # a renderer with another signature: skipped, said why
            print(f"render {fmt} skipped: {exc!r}", file=sys.stderr)
            continue
        times = []
        for _ in range(count):
            started = time.perf_counter()
            func(digest)
            times.append(_ms(started))
        out[fmt] = times
    return out


# -- the naive baseline: GROUP BY over raw observations ----------------------------------------


def naive_sql(kind: str, text: str, today: date) -> tuple[str, list[object]]:
    joined = (
        "SELECT o.paper_id, sum(o.reposts + o.likes) AS s FROM papers p "
        "JOIN observations o ON o.paper_id = p.arxiv_id WHERE {where} "
        "GROUP BY o.paper_id ORDER BY s DESC LIMIT {n}"
    )
    if kind == "top_today":
        return joined.format(
            where="p.listing_date = ? AND (' ' || p.categories || ' ') LIKE ?", n=5
        ), [today.isoformat(), "% cs.CV %"]
    if kind == "top_week":
        return joined.format(
            where="p.listing_date BETWEEN ? AND ? AND (' ' || p.categories) LIKE ?", n=10
        ), [(today - timedelta(days=6)).isoformat(), today.isoformat(), "% cs.%"]
    if kind == "top_date":
        return joined.format(where="p.listing_date = ?", n=5), ["2021-04-05"]
    if kind == "trending":
        end = today + timedelta(days=1)
        return joined.format(
            where="o.observed_at >= ? AND o.observed_at < ? "
            "AND (' ' || p.categories || ' ') LIKE ?",
            n=5,
        ), [today.isoformat(), end.isoformat(), "% cs.LG %"]
    if kind == "top_topic":
        words = text.split()[4:]
        where = " AND ".join("(p.title || ' ' || p.abstract) LIKE ?" for _ in words)
        return joined.format(where=f"p.listing_date BETWEEN ? AND ? AND {where}", n=10), [
            (today - timedelta(days=6)).isoformat(),
            today.isoformat(),
            *(f"%{w}%" for w in words),
        ]
    if kind == "paper":
        return (
            "SELECT p.title, o.source, count(*), sum(o.reposts), sum(o.likes) FROM papers p "
            "JOIN observations o ON o.paper_id = p.arxiv_id WHERE p.arxiv_id = ? "
            "GROUP BY o.source",
            [text.split()[1]],
        )
    words = text.split()[1:]
    where = " AND ".join("(p.title || ' ' || p.abstract) LIKE ?" for _ in words)
    return joined.format(where=where, n=5), [f"%{w}%" for w in words]


def run_naive(args: dict[str, Any]) -> dict[str, Any]:
    scale = SCALES[args["scale"]]
    conn = sqlite3.connect(args["db"])
    conn.execute("PRAGMA cache_size = -65536")
    texts = query_inputs(conn, args["queries"], scale.seed)
    latencies: dict[str, list[float]] = {}
    for kind, asks in texts.items():
        times: list[float] = []
        deadline = time.perf_counter() + args["budget_s"]
        for text in asks[: args["naive_queries"]]:
            sql, params = naive_sql(kind, text, LAST_LISTING)
            started = time.perf_counter()
            conn.execute(sql, params).fetchall()
            times.append(_ms(started))
            if time.perf_counter() > deadline and len(times) >= 3:
                break
        latencies[kind] = times
    conn.close()
    return {"latencies_ms": latencies, "rss_mb": peak_rss_mb()}


# -- ingest: the store's path, and executemany into a bare table --------------------------------


def _ingest_rows(conn: sqlite3.Connection, count: int, seed: int) -> Any:
    since = (LAST_LISTING - timedelta(days=30)).isoformat()
    recent = [
        (r[0], date.fromisoformat(r[1]))
        for r in conn.execute(
            "SELECT arxiv_id, listing_date FROM papers WHERE listing_date >= ? ORDER BY arxiv_id",
            (since,),
        )
    ]
    model = attention_model(recent, seed + 99)
    return observation_rows(model, count, seed + 7, source_prefix="bench-")


def _batches(rows: Any, size: int) -> Any:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_ingest(args: dict[str, Any]) -> dict[str, Any]:
    from bot.store import Store

    scale = SCALES[args["scale"]]
    store = Store.open(args["db"])
    _revert_ingest(store)
    total = 0.0
    count = 0
    touched: set[str] = set()
    for batch in _batches(_ingest_rows(store.conn, args["count"], scale.seed), INGEST_BATCH):
        observations = [row_to_observation(r) for r in batch]
        touched.update(r[2] for r in batch)
        started = time.perf_counter()
        store.upsert_observations(observations)
        total += time.perf_counter() - started
        count += len(batch)
    rss = peak_rss_mb()
    _revert_ingest(store)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return {
        "count": count,
        "seconds": total,
        "per_second": count / total if total else 0.0,
        "papers_touched": len(touched),
        "rss_mb": rss,
    }


def _revert_ingest(store: Any) -> None:
    """Take the measured observations out again, so the cached store stays as built."""
    ids = [
        r[0]
        for r in store.conn.execute(
            "SELECT DISTINCT paper_id FROM observations WHERE source >= 'bench-' "
            "AND source < 'bench.'"
        )
    ]
    if not ids:
        return
    with store.transaction():
        store.conn.execute(
            "DELETE FROM observations WHERE source >= 'bench-' AND source < 'bench.'"
        )
        store.refresh_attention(ids)


def bare_table(target: Path, *pragmas: str) -> tuple[sqlite3.Connection, str]:
    """A new database at `target` holding a bare observations table (no index, no key), and the
    INSERT for it: the ingest ceiling's baseline."""
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    conn = sqlite3.connect(target, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", *pragmas):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute(f"CREATE TABLE observations ({', '.join(OBSERVATION_COLUMNS)})")
    insert = (
        f"INSERT INTO observations ({', '.join(OBSERVATION_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(OBSERVATION_COLUMNS))})"
    )
    return conn, insert


def run_executemany(args: dict[str, Any]) -> dict[str, Any]:
    scale = SCALES[args["scale"]]
    source = sqlite3.connect(args["db"])
    rows = _ingest_rows(source, args["count"], scale.seed)
    source.close()
    target = Path(args["target"])
    conn, insert = bare_table(target)
    total = 0.0
    count = 0
    conn.execute("BEGIN")
    for batch in _batches(rows, INGEST_BATCH):
        started = time.perf_counter()
        conn.executemany(insert, batch)
        total += time.perf_counter() - started
        count += len(batch)
    started = time.perf_counter()
    conn.execute("COMMIT")
    total += time.perf_counter() - started
    rss = peak_rss_mb()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    size = target.stat().st_size
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    return {
        "count": count,
        "seconds": total,
        "per_second": count / total if total else 0.0,
        "bytes": size,
        "rss_mb": rss,
    }


def run_idle(args: dict[str, Any]) -> dict[str, Any]:
    return {"rss_mb": peak_rss_mb()}


MODES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "queries": run_queries,
    "naive": run_naive,
    "ingest": run_ingest,
    "executemany": run_executemany,
    "idle": run_idle,
}


def main(argv: list[str]) -> int:
    mode, raw = argv[0], argv[1] if len(argv) > 1 else "{}"
    result = MODES[mode](json.loads(raw))
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
