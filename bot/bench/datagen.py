"""Deterministic synthetic arXiv data: papers over the real category mix, heavy-tailed attention.

The parts live in days.py (listing calendar), categories.py, words.py and attention.py
(observations); this module holds the scales and the papers, and re-exports the rest."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.bench.attention import (
    OBSERVATION_COLUMNS,
    SOURCES,
    ObservationRow,
    PaperAttention,
    attention_model,
    observation_rows,
    row_to_observation,
)
from bot.bench.categories import ARCHIVE_SHARE, Picker, archive_weight, category_weights
from bot.bench.days import FIRST_LISTING, LAST_LISTING, listing_days, papers_per_day
from bot.bench.words import REAL_WORDS, search_phrases, vocabulary
from bot.domain.models import Paper

__all__ = [
    "DATA_VERSION",
    "FIRST_LISTING",
    "LAST_LISTING",
    "OBSERVATION_COLUMNS",
    "REAL_WORDS",
    "SCALES",
    "SOURCES",
    "ObservationRow",
    "PaperAttention",
    "Scale",
    "attention_model",
    "clock_for",
    "generate_papers",
    "listing_days",
    "observation_rows",
    "row_to_observation",
    "search_phrases",
]

DATA_VERSION = 1  # bump when the generator changes: the cached store is rebuilt

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
    "medium": Scale("medium", 300_000, 3_000_000, 500, 100, 10.0, 500, 30_000, 5),
    "arxiv": Scale("arxiv", 3_000_000, 30_000_000, 1_000, 1_000, 25.0, 1_000, 100_000, 7),
}


def clock_for(scale: Scale) -> datetime:
    """The bench's "now": the evening of the last listing day, UTC."""
    return datetime(LAST_LISTING.year, LAST_LISTING.month, LAST_LISTING.day, 18, tzinfo=UTC)


# -- papers -----------------------------------------------------------------------------------


def arxiv_id(day: date, sequence: int) -> str:
    width = 4 if day.year < 2015 and sequence < 10_000 else 5
    return f"{day:%y%m}.{sequence:0{width}d}"


def generate_papers(scale: Scale) -> Iterator[Paper]:
    """The scale's papers in listing order, deterministic for its seed."""
    rng = random.Random(scale.seed)
    words, word_weights = vocabulary()
    word_picker = Picker(words, word_weights)
    per_archive = {a: Picker(list(c), list(c.values())) for a, c in category_weights().items()}
    all_cats = [
        (c, w * ARCHIVE_SHARE[a]) for a, cs in category_weights().items() for c, w in cs.items()
    ]
    any_picker = Picker([c for c, _ in all_cats], [w for _, w in all_cats])
    archive_pickers: dict[int, Picker] = {}
    month = ""
    sequence = 0
    for day, count in papers_per_day(scale.papers):
        key = day.year * 12 + day.month
        if key not in archive_pickers:
            archive_pickers.clear()
            names = list(ARCHIVE_SHARE)
            archive_pickers[key] = Picker(names, [archive_weight(a, day) for a in names])
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
