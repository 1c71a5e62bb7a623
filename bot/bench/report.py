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
    """The figures with short labels (fits 120 columns); notes and details are footnotes."""
    table = Table(
        title=f"hotpapers bench --scale {result.scale} "
        f"({result.info.get('papers', 0):,} papers, "
        f"{result.info.get('observations', 0):,} observations)",
        caption_justify="left",
    )
    table.add_column("figure", max_width=34)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("baseline", justify="right", no_wrap=True)
    table.add_column("baseline is", max_width=16)
    table.add_column("ratio", justify="right", no_wrap=True)
    table.add_column("target", max_width=22)
    notes: list[str] = []
    for f in result.figures:
        ratio = f.ratio
        mark = "" if f.met is None else (" ✓" if f.met else " ✗")
        label = f.label
        if f.note:
            notes.append(f.note)
            label += f" [{len(notes)}]"
        table.add_row(
            label,
            _number(f.value, f.unit),
            _number(f.baseline, f.unit),
            f.baseline_label,
            "—" if ratio is None else f"{ratio:,.3g}x",
            (f.target + mark).strip(),
        )
    if notes:
        table.caption = "\n".join(f"[{i}] {note}" for i, note in enumerate(notes, 1))
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
