"""Generated attention: which papers get observed, and the observation rows the store writes."""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any

from bot.bench.categories import Picker
from bot.bench.days import FIRST_LISTING, LAST_LISTING
from bot.domain.models import Observation, Post

SOURCES = (("twitter", 0.55), ("bluesky", 0.25), ("mastodon", 0.12), ("reddit", 0.08))


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
    src_picker = Picker([s for s, _ in SOURCES], [w for _, w in SOURCES])
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
