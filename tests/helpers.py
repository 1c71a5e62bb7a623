"""Small builders for tests: papers and observations with sensible defaults."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime

from bot.domain.models import Observation, Paper, Post


def paper(
    arxiv_id: str,
    listed: date,
    categories: tuple[str, ...] = ("cs.CV",),
    title: str | None = None,
    abstract: str = "",
) -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        title=title or f"Paper {arxiv_id}",
        authors=("Ada Lovelace", "Alan Turing"),
        abstract=abstract or f"Abstract of {arxiv_id}.",
        primary_category=categories[0],
        categories=categories,
        listing_date=listed,
    )


def aggregate(arxiv_id: str, reposts: int, likes: int, source: str = "archive") -> Observation:
    return Observation(
        source=source,
        key=arxiv_id,
        arxiv_id=arxiv_id,
        kind="aggregate",
        observed_at=datetime(2021, 4, 6, 9, 0, tzinfo=UTC),
        reposts=reposts,
        likes=likes,
    )


def post(
    arxiv_id: str,
    key: str,
    account: str,
    reposts: int = 0,
    likes: int = 0,
    *,
    source: str = "bluesky",
    is_repost: bool = False,
    when: datetime | None = None,
    followers: int | None = None,
) -> Observation:
    return Observation(
        source=source,
        key=key,
        arxiv_id=arxiv_id,
        kind="post",
        observed_at=when or datetime(2021, 4, 5, 12, 0, tzinfo=UTC),
        account=account,
        reposts=reposts,
        likes=likes,
        followers=followers,
        is_repost=is_repost,
        post=Post(
            source=source,
            url=f"https://example.social/{account}/{key}",
            author_name=account.title(),
            author_handle=account,
            text=f"Read {arxiv_id}!",
        ),
    )


async def until(predicate: Callable[[], bool]) -> None:
    """Until the bot has handled the events sent to it (a reaction changes nothing a fake platform
    could watch for); the timeout only guards against a hang."""

    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), 15)
