"""Hacker News: stories linking arXiv from the public Algolia search API (httpx)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.domain.models import Observation, Post
from bot.sources.attention.base import (
    FetchResult,
    Problems,
    SourceError,
    arxiv_ids_in,
    count,
    cursor_name,
    parse_time,
    text_of,
)
from bot.sources.attention.config import HackerNewsConfig
from bot.sources.attention.retry import now_seconds, with_retries
from bot.store import Store

log = logging.getLogger(__name__)

NAME = "hackernews"


def parse_hit(hit: Any, problems: Problems) -> list[Observation]:
    """A story: points count as likes, comments as replies; its submitter is the account."""
    if not isinstance(hit, dict):
        problems.skip(NAME, "a hit", f"expected an object, got {type(hit).__name__}")
        return []
    story_id = hit.get("objectID")
    if not isinstance(story_id, str) or not story_id:
        problems.skip(NAME, "a hit", f"no objectID ({story_id!r})")
        return []
    ids = arxiv_ids_in(text_of(hit.get("url")), text_of(hit.get("story_text")))
    if not ids:
        return []
    author = text_of(hit.get("author"))
    if not author:
        problems.skip(NAME, f"story {story_id}", "no author")
        return []
    posted = parse_time(hit.get("created_at_i")) or parse_time(hit.get("created_at"))
    points, comments = count(hit.get("points")), count(hit.get("num_comments"))
    title = text_of(hit.get("title"))
    post = Post(
        source=NAME,
        url=f"https://news.ycombinator.com/item?id={story_id}",
        author_name=author,
        author_handle=author,
        text=f"{title} {text_of(hit.get('url'))}".strip(),
        posted=posted,
        likes=points,
    )
    return [
        Observation(
            source=NAME,
            key=f"{story_id}#{arxiv_id}",
            arxiv_id=arxiv_id,
            kind="post",
            observed_at=posted,
            account=author.lower(),
            likes=points,
            replies=comments,
            post=post,
        )
        for arxiv_id in ids
    ]


def parse_page(page: Any) -> tuple[list[Observation], int | None, list[str]]:
    """Observations, the page count and skipped items of one search_by_date answer."""
    problems = Problems()
    if not isinstance(page, dict) or not isinstance(page.get("hits"), list):
        problems.skip(NAME, "a page", "no hits list")
        return [], None, problems.items
    found: list[Observation] = []
    for hit in page["hits"]:
        found.extend(parse_hit(hit, problems))
    pages = page.get("nbPages")
    return found, pages if isinstance(pages, int) else None, problems.items


@dataclass
class HackerNewsSource:
    config: HackerNewsConfig
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    name: str = NAME

    def fetch(self, store: Store) -> FetchResult:
        now = self.clock()
        window = int((now - timedelta(hours=max(self.config.refresh_hours, 1))).timestamp())
        last = store.get_cursor(cursor_name(self.name))
        since = min(int(last), window) if last and last.isdigit() else window
        observations: list[Observation] = []
        problems: list[str] = []
        complete = True
        with httpx.Client(
            base_url=self.config.base_url.rstrip("/"),
            timeout=self.config.timeout_seconds,
            headers={"User-Agent": "hotpapers"},
            transport=self.transport,
        ) as client:
            for page_no in range(self.config.max_pages):
                params: dict[str, str | int] = {
                    "query": self.config.query,
                    "tags": "story",
                    "numericFilters": f"created_at_i>{since}",
                    "hitsPerPage": self.config.page_size,
                    "page": page_no,
                }

                def get(p: dict[str, str | int] = params) -> Any:
                    response = client.get("/search_by_date", params=p)
                    response.raise_for_status()
                    return response.json()

                try:
                    page = with_retries(
                        NAME,
                        f"Hacker News search page {page_no + 1}",
                        get,
                        attempts=self.config.max_attempts,
                        sleep=self.sleep,
                        clock=now_seconds(self.clock),
                        max_wait_seconds=self.config.max_wait_seconds,
                    )
                except (httpx.HTTPError, ValueError, SourceError) as exc:
                    if page_no == 0:
                        if isinstance(exc, SourceError):
                            raise
                        raise SourceError(f"Hacker News search failed: {exc}") from None
                    complete = False
                    problems.append(f"page {page_no + 1}: {exc}")
                    log.warning("hackernews: page %d failed: %s", page_no + 1, exc)
                    break
                found, pages, skipped = parse_page(page)
                observations.extend(found)
                problems.extend(skipped)
                if pages is None or page_no + 1 >= pages:
                    break
        newest = max((o.observed_at for o in observations if o.observed_at), default=None)
        cursor = str(int(min(newest, now).timestamp())) if complete and newest else None
        return FetchResult(tuple(observations), cursor=cursor, problems=tuple(problems))
