"""Deterministic synthetic arXiv data: papers over the real category mix, heavy-tailed attention."""

from __future__ import annotations

import functools
import json
import math
import random
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from itertools import accumulate
from typing import Any

from bot.domain.models import Observation, Paper, Post

FIRST_LISTING = date(2007, 4, 2)  # the first month of new-style (YYMM.NNNN) identifiers
LAST_LISTING = date(2026, 11, 20)  # a Friday; the bench clock is the evening after it
SOURCES = (("twitter", 0.55), ("bluesky", 0.25), ("mastodon", 0.12), ("reddit", 0.08))
DATA_VERSION = 1  # bump when the generator changes: the cached store is rebuilt

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

# Words spread over the middle of the vocabulary's Zipf ranks, so searches match a realistic
# fraction of papers (a few per cent for one word, a few thousand papers for two).
REAL_WORDS = [
    "learning",
    "neural",
    "network",
    "deep",
    "model",
    "models",
    "data",
    "quantum",
    "graph",
    "optimization",
    "diffusion",
    "transformer",
    "language",
    "vision",
    "image",
    "video",
    "detection",
    "segmentation",
    "reinforcement",
    "policy",
    "attention",
    "generative",
    "adversarial",
    "bayesian",
    "inference",
    "estimation",
    "stochastic",
    "robust",
    "efficient",
    "scalable",
    "sparse",
    "convex",
    "algorithm",
    "algorithms",
    "theory",
    "theorem",
    "bounds",
    "lower",
    "upper",
    "spectral",
    "manifold",
    "topology",
    "algebra",
    "groups",
    "operators",
    "equations",
    "nonlinear",
    "dynamics",
    "dynamical",
    "chaos",
    "turbulence",
    "fluid",
    "plasma",
    "magnetic",
    "spin",
    "superconductivity",
    "phase",
    "transition",
    "topological",
    "insulator",
    "lattice",
    "gauge",
    "field",
    "string",
    "black",
    "hole",
    "cosmology",
    "dark",
    "matter",
    "energy",
    "galaxy",
    "galaxies",
    "star",
    "stars",
    "stellar",
    "planet",
    "exoplanet",
    "supernova",
    "gravitational",
    "waves",
    "neutrino",
    "higgs",
    "collider",
    "boson",
    "fermion",
    "entanglement",
    "qubit",
    "circuit",
    "circuits",
    "error",
    "correction",
    "channel",
    "coding",
    "wireless",
    "communication",
    "signal",
    "speech",
    "audio",
    "recognition",
    "translation",
    "retrieval",
    "recommendation",
    "federated",
    "privacy",
    "security",
    "attack",
    "adversarial",
    "verification",
    "program",
    "synthesis",
    "compiler",
    "distributed",
    "parallel",
    "hardware",
    "memory",
    "cache",
    "robot",
    "robots",
    "navigation",
    "planning",
    "control",
    "controller",
    "multi",
    "agent",
    "game",
    "equilibrium",
    "market",
    "finance",
    "risk",
    "portfolio",
    "causal",
    "causality",
    "survival",
    "regression",
    "classification",
    "clustering",
    "kernel",
    "gaussian",
    "process",
    "sampling",
    "monte",
    "carlo",
    "markov",
    "chain",
    "variational",
    "autoencoder",
    "contrastive",
    "self",
    "supervised",
    "pretraining",
    "fine",
    "tuning",
    "instruction",
    "alignment",
    "reasoning",
    "benchmark",
    "dataset",
    "evaluation",
    "large",
    "small",
    "efficient",
    "fast",
    "accurate",
    "interpretable",
    "explainable",
    "fairness",
    "bias",
    "medical",
    "clinical",
    "protein",
    "molecule",
    "molecular",
    "drug",
    "cell",
    "gene",
    "genome",
    "brain",
    "neurons",
    "cortex",
    "epidemic",
    "networks",
    "social",
    "temporal",
    "spatial",
    "point",
    "cloud",
    "3d",
    "scene",
    "depth",
    "pose",
    "tracking",
    "rendering",
    "radiance",
    "fields",
    "implicit",
    "representation",
    "geometry",
    "mesh",
    "shape",
    "text",
    "prompt",
    "multimodal",
    "embodied",
    "zero",
    "shot",
    "few",
    "continual",
    "meta",
    "transfer",
    "domain",
    "adaptation",
    "generalization",
    "uncertainty",
    "calibration",
    "active",
    "online",
    "bandit",
    "regret",
    "convergence",
    "gradient",
    "descent",
    "momentum",
    "adaptive",
    "second",
    "order",
    "hessian",
    "pruning",
    "quantization",
    "distillation",
    "compression",
    "mixture",
    "experts",
    "scaling",
    "laws",
    "emergent",
    "chain",
    "thought",
    "agents",
    "tools",
    "code",
    "mathematical",
    "proof",
    "formal",
    "lean",
    "solver",
    "equation",
    "partial",
    "differential",
    "elliptic",
    "hyperbolic",
    "parabolic",
    "boundary",
    "stability",
    "existence",
    "uniqueness",
    "regularity",
    "asymptotic",
    "random",
    "matrix",
    "matrices",
    "tensor",
    "tensors",
    "polynomial",
    "combinatorial",
    "enumeration",
    "permutation",
]

FIRST_NAMES = [
    "Ada",
    "Alan",
    "Grace",
    "Emmy",
    "Kurt",
    "John",
    "Maria",
    "Wei",
    "Li",
    "Yuki",
    "Arjun",
    "Fatima",
    "Lucas",
    "Sofia",
    "Chen",
    "Olga",
    "Ivan",
    "Amir",
    "Sara",
    "Tomas",
    "Elena",
    "Marco",
    "Noor",
    "Kenji",
    "Priya",
    "David",
    "Laura",
    "Hugo",
    "Mina",
    "Pavel",
    "Zhang",
    "Ana",
]
LAST_NAMES = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Noether",
    "Godel",
    "Neumann",
    "Curie",
    "Zhang",
    "Wang",
    "Tanaka",
    "Gupta",
    "Khan",
    "Silva",
    "Rossi",
    "Chen",
    "Ivanova",
    "Petrov",
    "Hosseini",
    "Cohen",
    "Novak",
    "Garcia",
    "Bianchi",
    "Ahmed",
    "Sato",
    "Patel",
    "Kim",
    "Muller",
    "Dubois",
    "Park",
    "Smirnov",
    "Liu",
    "Santos",
    "Kowalski",
    "Nguyen",
    "Okafor",
    "Larsen",
    "Moreau",
    "Yilmaz",
    "Haddad",
    "Berg",
]


@dataclass(frozen=True)
class Scale:
    """How big a benchmark run is."""

    name: str
    papers: int
    observations: int
    queries: int  # engine queries per kind
    naive_queries: int  # naive baseline queries per kind (each is slow: a scan)
    naive_budget_s: float  # and at most this long per kind
    renders: int  # renders per format
    ingest: int  # observations in the measured ingest (a day of attention)
    cold_runs: int
    seed: int = 20260601


SCALES: dict[str, Scale] = {
    "small": Scale("small", 10_000, 100_000, 300, 30, 3.0, 200, 10_000, 3),
    "arxiv": Scale("arxiv", 3_000_000, 30_000_000, 1_000, 1_000, 25.0, 1_000, 100_000, 7),
}


def clock_for(scale: Scale) -> datetime:
    """The bench's "now": the evening of the last listing day, UTC."""
    return datetime(LAST_LISTING.year, LAST_LISTING.month, LAST_LISTING.day, 18, tzinfo=UTC)


# -- categories -------------------------------------------------------------------------------


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


class _Picker:
    """Weighted choice by bisect over cumulative weights (random.choices without the overhead)."""

    def __init__(self, items: Sequence[str], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> str:
        return self.items[bisect_left(self.cum, rng.random() * self.total)]


# -- listing days -------------------------------------------------------------------------------


def listing_days() -> list[date]:
    """Every weekday from the first to the last listing (holidays are ignored)."""
    days = []
    day = FIRST_LISTING
    while day <= LAST_LISTING:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def papers_per_day(total: int) -> list[tuple[date, int]]:
    """`total` papers over the listing days, growing about 4.5x from 2007 to 2026."""
    days = listing_days()
    span = len(days) - 1 or 1
    weights = [math.exp(math.log(4.5) * i / span) for i in range(len(days))]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    short = total - sum(counts)
    for i in range(short):  # the remainder goes to the latest days
        counts[len(counts) - 1 - (i % len(counts))] += 1
    return list(zip(days, counts, strict=True))


# -- words ------------------------------------------------------------------------------------


@functools.cache
def vocabulary() -> tuple[list[str], list[float]]:
    """About 5,000 words with Zipf weights; the real domain words sit at ranks 20-500."""
    rng = random.Random(7)
    syllables = [
        "ka",
        "lo",
        "mi",
        "ne",
        "ru",
        "ta",
        "vo",
        "si",
        "de",
        "pa",
        "fu",
        "gri",
        "stel",
        "tron",
        "qua",
        "lex",
        "mor",
        "zen",
        "dal",
        "phi",
    ]
    synthetic: list[str] = []
    seen: set[str] = set(REAL_WORDS)
    while len(synthetic) < 4_700:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            synthetic.append(word)
    real = list(dict.fromkeys(REAL_WORDS))
    words = synthetic[:20]
    step = max(1, 480 // len(real))
    rest = synthetic[20:]
    for word in real:
        words.append(word)
        words.extend(rest[: step - 1])
        rest = rest[step - 1 :]
    words.extend(rest)
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    return words, weights


def search_phrases(count: int, seed: int) -> list[str]:
    """What people search for: one or two domain words (a third of them one word)."""
    rng = random.Random(seed)
    real = list(dict.fromkeys(REAL_WORDS))
    phrases = []
    for i in range(count):
        if i % 3 == 0:
            phrases.append(rng.choice(real))
        else:
            phrases.append(f"{rng.choice(real)} {rng.choice(real)}")
    return phrases


# -- papers -----------------------------------------------------------------------------------


def arxiv_id(day: date, sequence: int) -> str:
    width = 4 if day.year < 2015 and sequence < 10_000 else 5
    return f"{day:%y%m}.{sequence:0{width}d}"


def generate_papers(scale: Scale) -> Iterator[Paper]:
    """The scale's papers in listing order, deterministic for its seed."""
    rng = random.Random(scale.seed)
    words, word_weights = vocabulary()
    word_picker = _Picker(words, word_weights)
    per_archive = {a: _Picker(list(c), list(c.values())) for a, c in category_weights().items()}
    all_cats = [
        (c, w * ARCHIVE_SHARE[a]) for a, cs in category_weights().items() for c, w in cs.items()
    ]
    any_picker = _Picker([c for c, _ in all_cats], [w for _, w in all_cats])
    archive_pickers: dict[int, _Picker] = {}
    month = ""
    sequence = 0
    for day, count in papers_per_day(scale.papers):
        key = day.year * 12 + day.month
        if key not in archive_pickers:
            archive_pickers.clear()
            names = list(ARCHIVE_SHARE)
            archive_pickers[key] = _Picker(names, [archive_weight(a, day) for a in names])
        archive_picker = archive_pickers[key]
        if f"{day:%y%m}" != month:
            month, sequence = f"{day:%y%m}", 0
        for _ in range(count):
            sequence += 1
            archive = archive_picker.pick(rng)
            primary = per_archive[archive].pick(rng)
            cats = [primary]
            extra = 0 if rng.random() < 0.45 else (1 if rng.random() < 0.7 else 2)
            for _ in range(extra):
                other = (
                    per_archive[archive].pick(rng) if rng.random() < 0.6 else any_picker.pick(rng)
                )
                if other not in cats:
                    cats.append(other)
            title = " ".join(word_picker.pick(rng) for _ in range(rng.randint(5, 11)))
            abstract = " ".join(word_picker.pick(rng) for _ in range(rng.randint(18, 30)))
            authors = tuple(
                f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                for _ in range(1 + min(int(rng.expovariate(0.5)), 11))
            )
            yield Paper(
                arxiv_id=arxiv_id(day, sequence),
                title=title[:1].upper() + title[1:],
                authors=authors,
                abstract=abstract[:1].upper() + abstract[1:] + ".",
                primary_category=primary,
                categories=tuple(cats),
                listing_date=day,
                submitted=datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=1),
                version=1,
            )


# -- observations -------------------------------------------------------------------------------

ObservationRow = tuple[Any, ...]  # the 19 columns the store writes, in its order
OBSERVATION_COLUMNS = (
    "source",
    "key",
    "paper_id",
    "kind",
    "observed_at",
    "account",
    "reposts",
    "likes",
    "replies",
    "quotes",
    "followers",
    "is_repost",
    "weight",
    "url",
    "author_name",
    "author_handle",
    "text",
    "lang",
    "html",
)


@dataclass(frozen=True)
class PaperAttention:
    """Which papers get attention, and how much: the lognormal popularity behind the Zipf tail."""

    ids: list[str]
    listed: list[date]
    cum: list[float]

    def pick(self, rng: random.Random) -> int:
        return bisect_left(self.cum, rng.random() * self.cum[-1])


def attention_model(papers: Sequence[tuple[str, date]], seed: int) -> PaperAttention:
    """Popularity = lognormal(0, 1.7) x a growth factor (social attention rose ~30x since 2007)."""
    rng = random.Random(seed + 1)
    span = (LAST_LISTING - FIRST_LISTING).days
    weights = []
    for _, listed in papers:
        t = (listed - FIRST_LISTING).days / span
        weights.append(rng.lognormvariate(0.0, 1.7) * math.exp(math.log(30) * t))
    return PaperAttention(
        ids=[p[0] for p in papers],
        listed=[p[1] for p in papers],
        cum=list(accumulate(weights)),
    )


_EPOCH = datetime(1970, 1, 1)
_LAST_SECOND = (
    datetime(LAST_LISTING.year, LAST_LISTING.month, LAST_LISTING.day, 23, 59) - _EPOCH
).total_seconds()


def observation_rows(
    model: PaperAttention, count: int, seed: int, first_key: int = 0, source_prefix: str = ""
) -> Iterator[ObservationRow]:
    """`count` posts as store rows: heavy-tailed counters, mostly within days of the listing."""
    rng = random.Random(seed)
    src_picker = _Picker([s for s, _ in SOURCES], [w for _, w in SOURCES])
    day_seconds: dict[date, float] = {}
    for n in range(first_key, first_key + count):
        i = model.pick(rng)
        listed = model.listed[i]
        base = day_seconds.get(listed)
        if base is None:
            base = day_seconds[listed] = (
                datetime(listed.year, listed.month, listed.day) - _EPOCH
            ).total_seconds()
        delay = min(rng.lognormvariate(2.8, 1.4) * 3600.0, 400 * 86400.0)
        seconds = min(base + delay, _LAST_SECOND)
        observed = (_EPOCH + timedelta(seconds=int(seconds))).isoformat()
        source = source_prefix + src_picker.pick(rng)
        account = f"u{int(1_000_000 ** rng.random()) - 1}"
        likes = min(int(rng.lognormvariate(0.6, 1.8)), 250_000)
        reposts = int(likes * rng.random() * 0.35)
        key = f"{n:010d}"
        yield (
            source,
            key,
            model.ids[i],
            "post",
            observed,
            account,
            reposts,
            likes,
            int(likes * rng.random() * 0.1),
            int(reposts * rng.random() * 0.2),
            int(rng.lognormvariate(5.0, 2.0)),
            int(rng.random() < 0.08),
            1.0,
            f"https://{source}.example/{account}/{key}",
            account,
            account,
            f"Worth reading: arXiv:{model.ids[i]}",
            "en",
            "",
        )


def row_to_observation(row: ObservationRow) -> Observation:
    """A generated row as the Observation a source adapter would hand to the store."""
    when = datetime.fromisoformat(row[4]).replace(tzinfo=UTC)
    return Observation(
        source=row[0],
        key=row[1],
        arxiv_id=row[2],
        kind=row[3],
        observed_at=when,
        account=row[5],
        reposts=row[6],
        likes=row[7],
        replies=row[8],
        quotes=row[9],
        followers=row[10],
        is_repost=bool(row[11]),
        post=Post(
            source=row[0],
            url=row[13],
            author_name=row[14],
            author_handle=row[15],
            text=row[16],
            posted=when,
            lang=row[17],
            html=row[18],
            reposts=row[6],
            likes=row[7],
        ),
    )
