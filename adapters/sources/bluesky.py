"""Bluesky: app.bsky.feed.searchPosts with domain=arxiv.org, through atproto (imported lazily)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

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
from bot.sources.attention.bluesky_links import embed_links, expand_links, facet_links
from bot.sources.attention.config import BlueskyConfig
from bot.sources.attention.retry import now_seconds, with_retries
from bot.store import Store

log = logging.getLogger(__name__)

NAME = "bluesky"


# -- parsing (pure) -----------------------------------------------------------------------------


def post_url(uri: str, handle: str) -> str:
    rkey = uri.rsplit("/", 1)[-1]
    return f"https://bsky.app/profile/{handle}/post/{rkey}"


def parse_post(view: Any, problems: Problems) -> list[Observation]:
    """Observations from one PostView; a post linking two papers gives two."""
    if not isinstance(view, dict):
        problems.skip(NAME, "a post", f"expected an object, got {type(view).__name__}")
        return []
    uri = view.get("uri")
    author = view.get("author")
    record = view.get("record")
    if not isinstance(uri, str) or not uri.startswith("at://"):
        problems.skip(NAME, "a post", f"no usable uri ({uri!r})")
        return []
    if not isinstance(author, dict) or not isinstance(author.get("handle"), str):
        problems.skip(NAME, uri, "no author handle")
        return []
    if not isinstance(record, dict):
        problems.skip(NAME, uri, "no record")
        return []
    text = text_of(record.get("text"))
    links = facet_links(record)
    urls = (
        [u for _, _, u in links] + embed_links(record.get("embed")) + embed_links(view.get("embed"))
    )
    ids = arxiv_ids_in(*urls, text)
    if not ids:
        return []
    handle = author["handle"]
    posted = parse_time(record.get("createdAt")) or parse_time(view.get("indexedAt"))
    reposts, likes = count(view.get("repostCount")), count(view.get("likeCount"))
    langs = record.get("langs")
    post = Post(
        source=NAME,
        url=post_url(uri, handle),
        author_name=text_of(author.get("displayName")) or handle,
        author_handle=handle,
        text=expand_links(text, links),
        posted=posted,
        lang=langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else "",
        reposts=reposts,
        likes=likes,
    )
    return [
        Observation(
            source=NAME,
            key=f"{uri}#{arxiv_id}",
            arxiv_id=arxiv_id,
            kind="post",
            observed_at=posted,
            account=handle.lower(),
            reposts=reposts,
            likes=likes,
            replies=count(view.get("replyCount")),
            quotes=count(view.get("quoteCount")),
            followers=None,  # a PostView's author carries no follower count
            is_repost=False,  # search returns posts; a repost is a record of its own, never here
            post=post,
        )
        for arxiv_id in ids
    ]


def parse_search(page: Any) -> tuple[list[Observation], str | None, list[str]]:
    """Observations, the next-page cursor and skipped items of one searchPosts answer."""
    problems = Problems()
    if not isinstance(page, dict) or not isinstance(page.get("posts"), list):
        problems.skip(NAME, "a search page", "no posts list")
        return [], None, problems.items
    found: list[Observation] = []
    for view in page["posts"]:
        found.extend(parse_post(view, problems))
    cursor = page.get("cursor")
    return found, cursor if isinstance(cursor, str) and cursor else None, problems.items


# -- fetching -----------------------------------------------------------------------------------


@dataclass
class BlueskySource:
    config: BlueskyConfig
    handle: str | None = None
    app_password: str | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] = time.sleep
    name: str = NAME

    def _client(self) -> Any:
        try:
            from atproto import Client
            from atproto_client.request import Request
        except ImportError:
            raise SourceError(
                "the bluesky source needs atproto: pip install 'hotpapers[bluesky]'"
            ) from None
        client = Client(
            base_url=self.config.base_url, request=Request(timeout=self.config.timeout_seconds)
        )
        if self.handle and self.app_password:
            try:
                client.login(self.handle, self.app_password, fetch_bsky_profile=False)
            except Exception as exc:
                raise SourceError(
                    f"Bluesky login failed for the account in {self.config.handle_env}: "
                    f"{type(exc).__name__}"
                ) from None
        return client

    def _search(self, client: Any, params: dict[str, Any]) -> Any:
        """One raw searchPosts page (a dict), so one bad post never costs the whole page;
        retried on 429 (ratelimit-reset), 5xx, timeouts, resets and bad JSON, max_attempts in all."""
        from atproto import models

        def once() -> Any:
            response = client.invoke_query(
                "app.bsky.feed.searchPosts",
                params=models.AppBskyFeedSearchPosts.Params(**params),
                output_encoding="application/json",
            )
            return response.content

        return with_retries(
            NAME,
            "Bluesky search",
            once,
            attempts=self.config.max_attempts,
            sleep=self.sleep,
            clock=now_seconds(self.clock),
            max_wait_seconds=float(self.config.max_wait_seconds),
        )

    def fetch(self, store: Store) -> FetchResult:
        client = self._client()
        now = self.clock()
        window = now - timedelta(hours=max(self.config.refresh_hours, 1))
        last = parse_time(store.get_cursor(cursor_name(self.name)))
        # Re-read the last refresh_hours (fresh counters); after downtime, from the last post seen.
        since = min(last, window) if last else window
        observations: list[Observation] = []
        problems: list[str] = []
        page_cursor: str | None = None
        complete = True
        for page_no in range(self.config.max_pages):
            params: dict[str, Any] = {
                "q": self.config.query,
                "domain": self.config.domain or None,
                "sort": "latest",
                "since": since.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "limit": self.config.page_size,
            }
            if page_cursor:
                params["cursor"] = page_cursor
            try:
                page = self._search(client, params)
            except SourceError:
                if page_no == 0:
                    raise
                complete = False
                problems.append(f"search page {page_no + 1} failed after retries")
                break
            except Exception as exc:
                if page_no == 0:
                    raise SourceError(f"Bluesky search failed: {_describe(exc)}") from None
                complete = False
                problems.append(f"search page {page_no + 1}: {_describe(exc)}")
                log.warning("bluesky: search page %d failed: %s", page_no + 1, _describe(exc))
                break
            found, page_cursor, skipped = parse_search(page)
            if page_no == 0 and not isinstance(page, dict):
                raise SourceError("Bluesky search answered something that is not JSON")
            observations.extend(found)
            problems.extend(skipped)
            if not page_cursor:
                break
        newest = max((o.observed_at for o in observations if o.observed_at), default=None)
        cursor = None
        if complete and newest is not None:
            newest = min(newest, now)
            cursor = newest.strftime("%Y-%m-%dT%H:%M:%SZ")
        return FetchResult(tuple(observations), cursor=cursor, problems=tuple(problems))


def _describe(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return f"{type(exc).__name__} (HTTP {status})" if status else type(exc).__name__
