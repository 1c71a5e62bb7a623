"""Hugging Face daily papers: community upvotes per paper as an aggregate observation (httpx)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.domain.ids import parse_arxiv_id
from bot.domain.models import Observation
from bot.sources.attention.base import FetchResult, Problems, SourceError, count, text_of
from bot.sources.attention.config import HuggingFaceConfig
from bot.sources.attention.retry import now_seconds, with_retries
from bot.store import Store

log = logging.getLogger(__name__)

NAME = "huggingface"


def parse_item(item: Any, measured: datetime, problems: Problems) -> Observation | None:
    """One daily-papers item: paper.upvotes as likes, numComments as replies; key hf:<id>."""
    if not isinstance(item, dict):
        problems.skip(NAME, "an item", f"expected an object, got {type(item).__name__}")
        return None
    paper = item.get("paper")
    if not isinstance(paper, dict):
        problems.skip(NAME, "an item", "no paper object")
        return None
    raw = text_of(paper.get("id"))
    found = parse_arxiv_id(raw) if raw else None
    if found is None or not raw.lower().startswith(found.id.lower()):
        problems.skip(NAME, f"paper {raw!r}", "not an arXiv id")
        return None
    upvotes = paper.get("upvotes", item.get("upvotes"))
    return Observation(
        source=NAME,
        key=f"hf:{found.id}",
        arxiv_id=found.id,
        kind="aggregate",
        observed_at=measured,
        likes=count(upvotes),
        replies=count(item.get("numComments")),
    )


def parse_day(payload: Any, measured: datetime) -> tuple[list[Observation], list[str]]:
    problems = Problems()
    if not isinstance(payload, list):
        problems.skip(NAME, "a day", "expected a JSON list of papers")
        return [], problems.items
    found = [o for item in payload if (o := parse_item(item, measured, problems)) is not None]
    return found, problems.items


@dataclass
class HuggingFaceSource:
    config: HuggingFaceConfig
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    name: str = NAME

    def fetch(self, store: Store) -> FetchResult:
        now = self.clock()
        today = now.astimezone(UTC).date()
        found: dict[str, Observation] = {}
        problems: list[str] = []
        failed = 0
        with httpx.Client(
            base_url=self.config.base_url.rstrip("/"),
            timeout=self.config.timeout_seconds,
            headers={"User-Agent": "hotpapers"},
            transport=self.transport,
        ) as client:
            for back in range(self.config.days):
                day = today - timedelta(days=back)

                def get(when: str = day.isoformat()) -> Any:
                    response = client.get("/api/daily_papers", params={"date": when})
                    response.raise_for_status()
                    return response.json()

                try:
                    payload = with_retries(
                        NAME,
                        f"Hugging Face daily papers of {day}",
                        get,
                        attempts=self.config.max_attempts,
                        sleep=self.sleep,
                        clock=now_seconds(self.clock),
                        max_wait_seconds=self.config.max_wait_seconds,
                    )
                except (httpx.HTTPError, ValueError, SourceError) as exc:
                    failed += 1
                    problems.append(
                        f"{day}: {exc}"
                        if isinstance(exc, SourceError)
                        else f"{day}: {type(exc).__name__}"
                    )
                    log.warning("huggingface: daily papers of %s failed: %s", day, exc)
                    continue
                observations, skipped = parse_day(payload, now)
                problems.extend(skipped)
                for o in observations:  # a paper on several days: its latest counters win
                    found.setdefault(o.key, o)
        if failed == self.config.days:
            raise SourceError(f"Hugging Face daily papers failed: {'; '.join(problems)}")
        return FetchResult(tuple(found.values()), problems=tuple(problems))
