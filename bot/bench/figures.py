"""A benchmark figure (a value beside its baseline from the same run) and a run's result."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measured value beside its baseline from the same run."""

    key: str
    label: str
    value: float
    unit: str
    baseline: float
    baseline_label: str
    target: str = ""
    met: bool | None = None
    note: str = ""
    detail: str = ""  # what the short label leaves out: a footnote under the table, in the JSON

    @property
    def ratio(self) -> float | None:
        if not self.baseline or math.isnan(self.baseline) or math.isnan(self.value):
            return None
        return self.value / self.baseline

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        return data


@dataclass
class BenchResult:
    scale: str
    figures: list[Figure] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "figures": [f.as_dict() for f in self.figures],
            "info": self.info,
        }


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
