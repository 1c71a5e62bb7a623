"""What a batch of ingest costs, in units a shared machine does not blur: CPU time and pages
written per observation, for Store.upsert_observations and for executemany into a bare table.

Wall-clock ingest rates swing 2x with the load of other processes; CPU time and the pages a
commit writes do not. Pages are counted as WAL frames with automatic checkpoints off (a
checkpoint copies the same pages into the database file once more). Each side runs in its own
process (`python -m bot.bench.ingest_cost MODE '{json}'`); the store's side takes its rows out
again afterwards, as the ingest worker does.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bot.bench.datagen import SCALES, Scale, row_to_observation
from bot.bench.figures import Figure

BATCH = 5_000  # as the ingest worker: about one source poll


def measure_ingest_cost(db: Path, scale: Scale, target: Path, say: Any) -> list[Figure]:
    """Figures: CPU µs per observation and pages written per observation, store vs bare table."""
    say("ingest cost: CPU time and pages written per observation (bot/bench/ingest_cost.py)")
    args = {"scale": scale.name, "db": str(db), "count": scale.ingest, "target": str(target)}
    try:
        store = _run("store", args)
        bare = _run("bare", args)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return [
            Figure("ingest.cost_error", "ingest cost", math.nan, "", math.nan, "", note=repr(exc))
        ]
    count = store["count"]
    detail = (
        f"{count:,} observations in batches of {BATCH:,}, WAL frames with automatic checkpoints "
        f"off; baseline: executemany of the same rows into a bare table"
    )
    return [
        Figure(
            "ingest.cpu_us_per_obs",
            "ingest CPU / observation",
            store["cpu_s"] / count * 1e6,
            "µs",
            bare["cpu_s"] / bare["count"] * 1e6,
            "executemany",
            detail=detail,
        ),
        Figure(
            "ingest.pages_per_obs",
            "ingest pages written / obs",
            store["frames"] / count,
            "pages",
            bare["frames"] / bare["count"],
            "executemany",
            detail=detail,
        ),
    ]


def _run(mode: str, args: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bot.bench.ingest_cost", mode, json.dumps(args)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],  # -m finds `bot` from the repository's root
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _wal_frames(db: Path, page_size: int) -> int:
    wal = Path(f"{db}-wal")
    size = wal.stat().st_size if wal.exists() else 0
    return max(size - 32, 0) // (page_size + 24)


def run_store(args: dict[str, Any]) -> dict[str, Any]:
    from bot.bench.worker import _batches, _ingest_rows, _revert_ingest
    from bot.store import Store

    scale = SCALES[args["scale"]]
    db = Path(args["db"])
    store = Store.open(db)
    _revert_ingest(store)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.conn.execute("PRAGMA wal_autocheckpoint = 0")
    (page_size,) = store.conn.execute("PRAGMA page_size").fetchone()
    cpu = 0.0
    wall = 0.0
    count = 0
    for batch in _batches(_ingest_rows(store.conn, args["count"], scale.seed), BATCH):
        observations = [row_to_observation(r) for r in batch]
        started, started_cpu = time.perf_counter(), time.process_time()
        store.upsert_observations(observations)
        cpu += time.process_time() - started_cpu
        wall += time.perf_counter() - started
        count += len(batch)
    frames = _wal_frames(db, page_size)
    store.conn.execute("PRAGMA wal_autocheckpoint = 1000")
    _revert_ingest(store)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return {"count": count, "cpu_s": cpu, "wall_s": wall, "frames": frames}


def run_bare(args: dict[str, Any]) -> dict[str, Any]:
    import sqlite3

    from bot.bench.worker import _batches, _ingest_rows, bare_table

    scale = SCALES[args["scale"]]
    source = sqlite3.connect(args["db"])
    rows = list(_ingest_rows(source, args["count"], scale.seed))
    source.close()
    target = Path(args["target"])
    conn, insert = bare_table(target, "wal_autocheckpoint = 0")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    cpu = 0.0
    count = 0
    for batch in _batches(rows, BATCH):  # one transaction per batch, as the store commits
        started_cpu = time.process_time()
        conn.execute("BEGIN")
        conn.executemany(insert, batch)
        conn.execute("COMMIT")
        cpu += time.process_time() - started_cpu
        count += len(batch)
    frames = _wal_frames(target, page_size)
    conn.close()
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    return {"count": count, "cpu_s": cpu, "frames": frames}


MODES = {"store": run_store, "bare": run_bare}

if __name__ == "__main__":
    result = MODES[sys.argv[1]](json.loads(sys.argv[2]))
    sys.stdout.write("\n" + json.dumps(result) + "\n")
