"""Runs every measurement against its baseline and collects the figures for the table and JSON."""

from __future__ import annotations

import json
import logging
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import bot
from bot.bench.build import ensure_store
from bot.bench.datagen import Scale
from bot.bench.figures import BenchResult, Figure, percentile

__all__ = ["BenchResult", "Figure", "percentile", "run_bench"]
from bot.bench.web import measure_web

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
REPO_ROOT = Path(bot.__file__).resolve().parent.parent
QUERY_LABELS = {
    "top_today": "top 5 cs.CV today",
    "top_week": "top 10 cs this week",
    "top_date": "top 5 2021-04-05",
    "trending": "trending 5 cs.LG",
    "paper": "paper <id>",
    "search": "search <words>",
    "top_topic": "top 10 week about <words>",
}
P99_TARGET_MS = {
    "top_today": 2.0,
    "top_week": 2.0,
    "top_date": 2.0,
    "top_topic": 25.0,
    "trending": 5.0,
    "paper": 5.0,
    "search": 25.0,
}
INGEST_TARGET = 0.2  # of the executemany ceiling
COLD_MARGIN_MS = 120.0  # over `python -c pass`


def run_bench(scale: Scale, data_dir: Path, progress: Progress | None = None) -> BenchResult:
    say = progress or (lambda _msg: None)
    result = BenchResult(scale=scale.name)
    started = time.perf_counter()
    db = ensure_store(scale, data_dir, say)
    result.info.update(
        {
            "database": str(db),
            "papers": scale.papers,
            "observations": scale.observations,
            "python": sys.version.split()[0],
            "sqlite": __import__("sqlite3").sqlite_version,
            "cpus": os.cpu_count(),
        }
    )
    say("ingest: the store's path (in its own process)")
    ingest = _worker("ingest", {"scale": scale.name, "db": str(db), "count": scale.ingest})
    say("ingest: executemany into a bare table (in its own process)")
    ceiling = _worker(
        "executemany",
        {
            "scale": scale.name,
            "db": str(db),
            "count": scale.ingest,
            "target": str(data_dir / "executemany-ceiling.db"),
        },
    )
    say("queries through the engine (in its own process)")
    queries = _worker(
        "queries",
        {"scale": scale.name, "db": str(db), "queries": scale.queries, "renders": scale.renders},
    )
    say("queries: naive GROUP BY baseline (in its own process)")
    naive = _worker(
        "naive",
        {
            "scale": scale.name,
            "db": str(db),
            "queries": scale.queries,
            "naive_queries": scale.naive_queries,
            "budget_s": scale.naive_budget_s,
        },
    )
    say("cold start of `hotpapers ask`")
    cold = _cold_start(db, scale.cold_runs)
    result.figures.extend(_ingest_figures(ingest, ceiling))
    result.figures.extend(_query_figures(queries, naive))
    result.figures.extend(_render_figures(queries))
    result.figures.extend(_cold_figures(cold))
    result.figures.extend(_memory_figures(queries, naive, ingest, ceiling))
    result.figures.append(_size_figure(db, scale, ceiling))
    from bot.bench.ingest_cost import measure_ingest_cost

    result.figures.extend(measure_ingest_cost(db, scale, data_dir / "ingest-cost-bare.db", say))
    result.info["query_failures"] = queries["failures"]
    result.info["query_examples"] = queries["examples"]
    result.info["naive_counts"] = {k: len(v) for k, v in naive["latencies_ms"].items()}
    result.info["cold_start_runs"] = cold
    fanout = _fanout(say)
    result.figures.extend(fanout)
    from bot.bench.jetstream import figures as jetstream_figures

    small = scale.name == "small"
    result.figures.extend(
        jetstream_figures(say, 10_000 if small else 50_000, 10**5 if small else 10**6)
    )
    from bot.bench.feed import measure_feed

    result.figures.extend(measure_feed(db, scale, say))
    result.figures.extend(measure_web(db, scale, say))  # bot/bench/web.py
    result.info["seconds"] = round(time.perf_counter() - started, 1)
    return result


# -- subprocesses -------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("HOTPAPERS_CONFIG", None)
    env.pop("HOTPAPERS_DB", None)
    return env


def _worker(mode: str, args: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bot.bench.worker", mode, json.dumps(args)],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench worker {mode} failed:\n{done.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


def _cold_start(db: Path, runs: int) -> dict[str, Any]:
    from bot.bench.cold import compile_bytecode

    compile_bytecode(REPO_ROOT)  # start from .pyc files, as an installed hotpapers does
    ask = [
        sys.executable,
        "-c",
        "import sys; sys.argv[0] = 'hotpapers'; from bot.cli.main import main; main()",
        "ask",
        "--db",
        str(db),
        "top 5 cs.CV today",
    ]
    bare = [sys.executable, "-c", "pass"]
    timings: dict[str, list[float]] = {"ask": [], "python": []}
    error = ""
    for _ in range(runs):
        for name, cmd in (("python", bare), ("ask", ask)):
            started = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, env=_env(), check=False)
            timings[name].append((time.perf_counter() - started) * 1000.0)
            if done.returncode != 0 and name == "ask" and not error:
                error = (done.stderr or done.stdout)[-500:]
    return {"ms": timings, "error": error}


# -- figures --------------------------------------------------------------------------------------


def _ingest_figures(ingest: Mapping[str, Any], ceiling: Mapping[str, Any]) -> list[Figure]:
    value, base = ingest["per_second"], ceiling["per_second"]
    ratio = value / base if base else math.nan
    return [
        Figure(
            "ingest.per_second",
            "ingest (upsert_observations)",
            value,
            "obs/s",
            base,
            "executemany",
            f">= {INGEST_TARGET:g}x",
            ratio >= INGEST_TARGET,
            detail=f"{ingest['count']:,} observations over {ingest['papers_touched']:,} papers "
            f"through Store.upsert_observations, against executemany into a bare table",
        )
    ]


def _query_figures(queries: Mapping[str, Any], naive: Mapping[str, Any]) -> list[Figure]:
    figures = []
    for kind, label in QUERY_LABELS.items():
        times = queries["latencies_ms"].get(kind, [])
        cpu = queries.get("cpu_ms", {}).get(kind, [])
        base = naive["latencies_ms"].get(kind, [])
        for q in (50, 99):
            value = percentile(times, q)
            target = ""
            met = None
            if q == 99 and kind in P99_TARGET_MS:
                target = f"<= {P99_TARGET_MS[kind]:g} ms"
                met = value <= P99_TARGET_MS[kind]
            figures.append(
                Figure(
                    f"query.{kind}.p{q}",
                    f"{label} p{q}",
                    value,
                    "ms",
                    percentile(base, q),
                    "naive GROUP BY",
                    target,
                    met,
                    detail=f"{len(times):,} queries through the engine (parse + query + render), "
                    f"CPU time p{q} {percentile(cpu, q):.3g} ms; "
                    f"baseline: {len(base):,} naive GROUP BY over observations",
                )
            )
    return figures


def _render_figures(queries: Mapping[str, Any]) -> list[Figure]:
    renders: Mapping[str, list[float]] = queries.get("renders_ms", {})
    base = statistics.median(renders["baseline"]) if renders.get("baseline") else math.nan
    return [
        Figure(
            f"render.{fmt}",
            f"render 10 items: {fmt}",
            statistics.median(times),
            "ms",
            base,
            "repr(digest)",
        )
        for fmt, times in renders.items()
        if fmt != "baseline" and times
    ]


def _cold_figures(cold: Mapping[str, Any]) -> list[Figure]:
    ask = cold["ms"]["ask"]
    bare = cold["ms"]["python"]
    value = statistics.median(ask) if ask else math.nan
    base = statistics.median(bare) if bare else math.nan
    limit = base + COLD_MARGIN_MS
    return [
        Figure(
            "cold_start.ask",
            "cold start: hotpapers ask",
            value,
            "ms",
            base,
            "python -c pass",
            f"<= +{COLD_MARGIN_MS:g} ms ({limit:,.0f})",
            value <= limit and not cold.get("error"),
            "failed: " + cold["error"].strip().splitlines()[-1] if cold.get("error") else "",
            detail=f'hotpapers ask "top 5 cs.CV today", median of {len(ask)} runs, from bytecode '
            "(bot/bench/cold.py)",
        )
    ]


def _memory_figures(
    queries: Mapping[str, Any],
    naive: Mapping[str, Any],
    ingest: Mapping[str, Any],
    ceiling: Mapping[str, Any],
) -> list[Figure]:
    return [
        Figure(
            "rss.query",
            "peak RSS: query path",
            queries["rss_mb"],
            "MB",
            naive["rss_mb"],
            "naive, sqlite3",
            "<= 150 MB",
            queries["rss_mb"] <= 150,
        ),
        Figure(
            "rss.ingest",
            "peak RSS: ingest path",
            ingest["rss_mb"],
            "MB",
            ceiling["rss_mb"],
            "executemany",
        ),
    ]


def _size_figure(db: Path, scale: Scale, ceiling: Mapping[str, Any]) -> Figure:
    size = sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.is_file())
    per_million = size / (scale.observations / 1e6) / 1e6
    base = ceiling["bytes"] / (ceiling["count"] / 1e6) / 1e6 if ceiling["count"] else math.nan
    return Figure(
        "size.per_million_observations",
        "database per 1M observations",
        per_million,
        "MB",
        base,
        "bare table",
        detail=f"the whole file, {size / 1e9:,.2f} GB, papers and FTS included; baseline: a bare "
        f"table of the same rows",
    )


# -- the fan-out hook -----------------------------------------------------------------------------


def _fanout(say: Progress) -> list[Figure]:
    """Figures from the fan-out benchmark (bot/bench/fanout.py): it needs aiohttp (the slack extra)."""
    try:
        from bot.bench.fanout import measure_fanout
    except ImportError as exc:
        log.warning("fan-out benchmark skipped: %s (pip install 'hotpapers[slack]')", exc)
        return [Figure("fanout.error", "fan-out", math.nan, "", math.nan, "", note=repr(exc))]
    say("fan-out (bot/bench/fanout.py)")
    return _as_figures(measure_fanout())


def _as_figures(raw: Any) -> list[Figure]:
    if isinstance(raw, Figure):
        return [raw]
    if isinstance(raw, Mapping):
        if "elapsed_s" in raw and "minimum_s" in raw:  # bench/fanout.py's shape
            return [
                Figure(
                    "fanout.elapsed",
                    f"fan-out to {raw.get('channels')} channels",
                    float(raw["elapsed_s"]),
                    "s",
                    float(raw["minimum_s"] or math.nan),
                    "rate-limit min",
                    detail=f"one digest to {raw.get('channels')} channels: "
                    f"{raw.get('delivered')} delivered, {raw.get('duplicates')} duplicates, "
                    f"{raw.get('rejected_429')} answered 429; baseline: the rate-limit minimum at "
                    f"{raw.get('global_rate_per_s')}/s",
                )
            ]
        if "value" in raw:
            return [_figure_from_mapping(raw)]
        out: list[Figure] = []
        for name, value in raw.items():
            if isinstance(value, int | float):
                out.append(Figure(f"fanout.{name}", str(name), float(value), "", math.nan, ""))
            elif isinstance(value, Mapping):
                out.append(_figure_from_mapping({"label": name, **value}))
        return out
    if is_dataclass(raw) and not isinstance(raw, type):
        return [_figure_from_mapping(asdict(raw))]
    if isinstance(raw, list | tuple):
        return [f for item in raw for f in _as_figures(item)]
    return []


def _figure_from_mapping(d: Mapping[str, Any]) -> Figure:
    label = str(d.get("label") or d.get("name") or d.get("key") or "fan-out")
    baseline = d.get("baseline")
    return Figure(
        key="fanout." + str(d.get("key") or label).replace(" ", "_"),
        label=label,
        value=float(d.get("value", math.nan)),
        unit=str(d.get("unit", "")),
        baseline=float(baseline) if isinstance(baseline, int | float) else math.nan,
        baseline_label=str(d.get("baseline_label", "")),
        target=str(d.get("target", "")),
        met=d.get("met") if isinstance(d.get("met"), bool) else None,
        note=str(d.get("note", "")),
    )
