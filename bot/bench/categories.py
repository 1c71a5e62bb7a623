"""The bench's category mix: archive shares over time, busy categories, weighted picks."""

from __future__ import annotations

import functools
import json
import random
from bisect import bisect_left
from collections.abc import Sequence
from datetime import date
from importlib import resources
from itertools import accumulate
from typing import Any

from bot.bench.days import FIRST_LISTING, LAST_LISTING

# Approximate share of new arXiv submissions by archive (primary category), 2007-2025.
ARCHIVE_SHARE: dict[str, float] = {
    "cs": 0.30,
    "math": 0.20,
    "cond-mat": 0.085,
    "astro-ph": 0.075,
    "physics": 0.06,
    "quant-ph": 0.05,
    "eess": 0.035,
    "hep-ph": 0.03,
    "stat": 0.03,
    "hep-th": 0.025,
    "gr-qc": 0.015,
    "q-bio": 0.012,
    "math-ph": 0.01,
    "nucl-th": 0.008,
    "hep-ex": 0.007,
    "q-fin": 0.006,
    "econ": 0.006,
    "nlin": 0.006,
    "hep-lat": 0.004,
    "nucl-ex": 0.004,
}
# Categories known to be far busier than their siblings (relative weight inside the archive).
HEAVY: dict[str, float] = {
    "cs.LG": 12,
    "cs.CV": 10,
    "cs.CL": 7,
    "cs.AI": 5,
    "cs.RO": 3,
    "cs.CR": 2.5,
    "cs.IT": 2,
    "cs.SY": 1.5,
    "cs.HC": 1.5,
    "cs.DS": 1.5,
    "math.AP": 2,
    "math.PR": 2,
    "math.CO": 2,
    "math.OC": 2,
    "math.AG": 1.5,
    "math.NT": 1.5,
    "math.DG": 1.5,
    "math.NA": 1.5,
    "astro-ph.GA": 2,
    "astro-ph.CO": 2,
    "astro-ph.SR": 1.5,
    "astro-ph.HE": 1.5,
    "cond-mat.mes-hall": 2,
    "cond-mat.mtrl-sci": 2,
    "cond-mat.str-el": 1.5,
    "cond-mat.stat-mech": 1.5,
    "stat.ME": 2,
    "stat.ML": 2,
    "eess.SP": 2,
    "eess.IV": 1.5,
    "physics.optics": 2,
    "physics.flu-dyn": 1.5,
}
LATE_ARCHIVES = {"eess": date(2017, 9, 1), "econ": date(2017, 9, 1)}


@functools.cache
def _taxonomy() -> dict[str, Any]:
    text = resources.files("bot").joinpath("data/taxonomy.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def category_weights() -> dict[str, dict[str, float]]:
    """archive -> {category: weight inside the archive}, active categories only, no aliases."""
    tax = _taxonomy()
    aliases = set(tax["category_aliases"])
    found: dict[str, dict[str, float]] = {}
    for cat, info in sorted(tax["categories"].items()):
        if not info.get("active") or cat in aliases or info.get("archive") not in ARCHIVE_SHARE:
            continue
        found.setdefault(info["archive"], {})[cat] = HEAVY.get(cat, 1.0)
    return found


def archive_weight(archive: str, day: date) -> float:
    """An archive's share on a day: cs grows from about 15% to about 45% over the period."""
    start = LATE_ARCHIVES.get(archive)
    if start is not None and day < start:
        return 0.0
    share = ARCHIVE_SHARE[archive]
    if archive == "cs":
        t = (day - FIRST_LISTING).days / (LAST_LISTING - FIRST_LISTING).days
        share *= 0.45 + 1.45 * t * t
    return share


class Picker:
    """Weighted choice by bisect over cumulative weights (random.choices without the overhead)."""

    def __init__(self, items: Sequence[str], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> str:
        return self.items[bisect_left(self.cum, rng.random() * self.total)]
