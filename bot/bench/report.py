"""The benchmark's figures as one rich table, and as JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

from rich.table import Table

from bot.bench.runner import BenchResult


def _number(value: float | None, unit: str = "") -> str:
    if value is None or math.isnan(value):
        return "—"
    if unit == "obs/s" or abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 1:
        text = f"{value:,.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}".strip()


def result_table(result: BenchResult) -> Table:
    table = Table(
        title=f"hotpapers bench --scale {result.scale} "
        f"({result.info.get('papers', 0):,} papers, "
        f"{result.info.get('observations', 0):,} observations)"
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("baseline is")
    table.add_column("ratio", justify="right")
    table.add_column("target")
    for f in result.figures:
        ratio = f.ratio
        mark = "" if f.met is None else (" ✓" if f.met else " ✗")
        table.add_row(
            f.label + (f" [{f.note}]" if f.note else ""),
            _number(f.value, f.unit),
            _number(f.baseline, f.unit),
            f.baseline_label,
            "—" if ratio is None else f"{ratio:,.3g}x",
            (f.target + mark).strip(),
        )
    return table


def write_json(result: BenchResult, path: Path) -> None:
    def clean(value: object) -> object:
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(clean(result.as_dict()), indent=2) + "\n", encoding="utf-8")
