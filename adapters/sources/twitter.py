"""X/Twitter: API v2 recent search for posts linking arxiv.org, through tweepy (imported lazily)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
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
from bot.sources.attention.config import TwitterConfig
from bot.sources.attention.retry import now_seconds, with_retries
from bot.store import Store

log = logging.getLogger(__name__)

NAME = "twitter"
API_HOST = "https://api.twitter.com"
TWEET_FIELDS = [
    "created_at",
    "public_metrics",
    "entities",
    "referenced_tweets",
    "author_id",
    "lang",
]
EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"]
USER_FIELDS = ["username", "name", "public_metrics"]
PAID_TIER = (
    "X answered {status}: reading posts (recent search) needs a paid X API tier (Basic or "
    "pay-per-use) and a valid bearer token in the environment variable {env}"
)


# -- parsing (pure) -----------------------------------------------------------------------------


def _users(page: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    includes = page.get("includes")
    users = includes.get("users") if isinstance(includes, dict) else None
    if not isinstance(users, list):
        return {}
    return {u["id"]: u for u in users if isinstance(u, dict) and isinstance(u.get("id"), str)}


def _included_tweets(page: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    includes = page.get("includes")
    tweets = includes.get("tweets") if isinstance(includes, dict) else None
    if not isinstance(tweets, list):
        return {}
    return {t["id"]: t for t in tweets if isinstance(t, dict) and isinstance(t.get("id"), str)}


def _urls(tweet: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(t.co url, expanded url) pairs from the tweet's entities."""
    entities = tweet.get("entities")
    urls = entities.get("urls") if isinstance(entities, dict) else None
    found = []
    for u in urls if isinstance(urls, list) else []:
        if isinstance(u, dict):
            expanded = text_of(u.get("unwound_url")) or text_of(u.get("expanded_url"))
            found.append((text_of(u.get("url")), expanded))
    return found


def _plain_text(tweet: Mapping[str, Any]) -> str:
    text = text_of(tweet.get("text"))
    for short, expanded in _urls(tweet):
        if short and expanded:
            text = text.replace(short, expanded)
    return text


def _referenced(tweet: Mapping[str, Any], kind: str) -> str | None:
    refs = tweet.get("referenced_tweets")
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, dict) and ref.get("type") == kind and isinstance(ref.get("id"), str):
            return str(ref["id"])
    return None


def _tweet_observations(
    tweet: Mapping[str, Any],
    users: Mapping[str, Mapping[str, Any]],
    included: Mapping[str, Mapping[str, Any]],
    problems: Problems,
) -> list[Observation]:
    tweet_id = tweet.get("id")
    if not isinstance(tweet_id, str) or not tweet_id.isdigit():
        problems.skip(NAME, "a tweet", f"no usable id ({tweet_id!r})")
        return []
    original_id = _referenced(tweet, "retweeted")
    original = included.get(original_id) if original_id else None
    source_of_links = original if original is not None else tweet
    ids = arxiv_ids_in(*(e for _, e in _urls(source_of_links)), _plain_text(source_of_links))
    if not ids:
        return []
    author = users.get(text_of(tweet.get("author_id")), {})
    handle = text_of(author.get("username"))
    if not handle:
        problems.skip(NAME, f"tweet {tweet_id}", "its author is not in includes.users")
        return []
    metrics = tweet.get("public_metrics")
    metrics = metrics if isinstance(metrics, dict) else {}
    user_metrics = author.get("public_metrics")
    followers = user_metrics.get("followers_count") if isinstance(user_metrics, dict) else None
    is_repost = original_id is not None
    posted = parse_time(tweet.get("created_at"))
    # A retweet carries its original's counters: they are the original's, never the retweet's.
    reposts = 0 if is_repost else count(metrics.get("retweet_count"))
    likes = 0 if is_repost else count(metrics.get("like_count"))
    post = Post(
        source=NAME,
        url=f"https://x.com/{handle}/status/{tweet_id}",
        author_name=text_of(author.get("name")) or handle,
        author_handle=handle,
        text=_plain_text(tweet),
        posted=posted,
        lang=text_of(tweet.get("lang")),
        reposts=reposts,
        likes=likes,
    )
    return [
        Observation(
            source=NAME,
            key=f"{tweet_id}#{arxiv_id}",
            arxiv_id=arxiv_id,
            kind="post",
            observed_at=posted,
            account=handle.lower(),
            reposts=reposts,
            likes=likes,
            replies=0 if is_repost else count(metrics.get("reply_count")),
            quotes=0 if is_repost else count(metrics.get("quote_count")),
            followers=followers if isinstance(followers, int) and followers >= 0 else None,
            is_repost=is_repost,
            post=post,
        )
        for arxiv_id in ids
    ]


def parse_page(page: Any) -> tuple[list[Observation], list[str]]:
    """Observations from one v2 tweets answer (search or lookup): its posts and the originals
    they retweet, quote or reply to (from includes.tweets) when those link arXiv."""
    problems = Problems()
    if not isinstance(page, dict):
        problems.skip(NAME, "a page", f"expected a JSON object, got {type(page).__name__}")
        return [], problems.items
    data = page.get("data", [])
    if not isinstance(data, list):
        problems.skip(NAME, "a page", "its data is not a list")
        return [], problems.items
    users = _users(page)
    included = _included_tweets(page)
    found: dict[str, Observation] = {}
    for tweet in [*data, *included.values()]:
        if not isinstance(tweet, dict):
            problems.skip(NAME, "a tweet", f"expected an object, got {type(tweet).__name__}")
            continue
        for o in _tweet_observations(tweet, users, included, problems):
            found.setdefault(o.key, o)
    return list(found.values()), problems.items


# -- fetching -----------------------------------------------------------------------------------


def _mount(client: Any, base_url: str, timeout: float) -> None:
    """tweepy has no base-URL or timeout option: the session's transport for api.twitter.com
    rewrites the host (tests) and gives every request a timeout (tweepy's has none)."""
    import requests.adapters

    base = base_url.rstrip("/")

    class Rewrite(requests.adapters.HTTPAdapter):
        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            if base and request.url and request.url.startswith(API_HOST):
                request.url = base + request.url[len(API_HOST) :]
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = timeout
            return super().send(request, *args, **kwargs)

    client.session.mount(API_HOST, Rewrite())


@dataclass
class TwitterSource:
    config: TwitterConfig
    bearer_token: str | None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    name: str = NAME

    def _client(self) -> Any:
        if not self.bearer_token:
            raise SourceError(
                f"no X bearer token: set the environment variable {self.config.bearer_token_env}"
            )
        try:
            import tweepy
        except ImportError:
            raise SourceError(
                "the twitter source needs tweepy: pip install 'hotpapers[twitter]'"
            ) from None
        logging.getLogger("tweepy.client").setLevel(logging.INFO)  # its debug log prints the token
        client = tweepy.Client(
            bearer_token=self.bearer_token, return_type=dict, wait_on_rate_limit=False
        )
        client.session.headers["Accept"] = "application/json"
        _mount(client, self.config.base_url, self.config.timeout_seconds)
        return client

    def _call(self, func: Callable[..., Any], **params: Any) -> Any:
        """One API call, retried on 429 (waiting for x-rate-limit-reset up to max_wait_seconds),
        5xx, timeouts, resets and bad JSON: at most max_attempts requests (and at most
        max_rate_limit_waits + 1), then a SourceError naming the fault."""
        import tweepy

        def once() -> Any:
            try:
                return func(**params)
            except (tweepy.errors.Unauthorized, tweepy.errors.Forbidden) as exc:
                status = getattr(exc.response, "status_code", "401/403")
                raise SourceError(
                    PAID_TIER.format(status=status, env=self.config.bearer_token_env)
                ) from None

        return with_retries(
            NAME,
            "X search" if "query" in params else "X lookup",
            once,
            attempts=min(self.config.max_attempts, self.config.max_rate_limit_waits + 1),
            sleep=self.sleep,
            clock=now_seconds(self.clock),
            max_wait_seconds=float(self.config.max_wait_seconds),
        )

    def fetch(self, store: Store) -> FetchResult:
        client = self._client()
        since_id = store.get_cursor(cursor_name(self.name))
        observations: list[Observation] = []
        problems: list[str] = []
        newest: str | None = None
        next_token: str | None = None
        complete = True
        for page_no in range(self.config.max_pages):
            params: dict[str, Any] = {
                "query": self.config.query,
                "max_results": self.config.page_size,
                "tweet_fields": TWEET_FIELDS,
                "expansions": EXPANSIONS,
                "user_fields": USER_FIELDS,
            }
            if since_id:
                params["since_id"] = since_id
            if next_token:
                params["next_token"] = next_token
            try:
                page = self._call(client.search_recent_tweets, **params)
            except SourceError:
                if not observations:
                    raise
                complete = False
                problems.append("a later search page failed; the cursor stays for a re-read")
                break
            except Exception as exc:  # truncated JSON, 5xx, connection reset
                if not observations and page_no == 0:
                    raise SourceError(f"X search failed: {type(exc).__name__}: {exc}") from None
                complete = False
                problems.append(f"search page {page_no + 1}: {type(exc).__name__}")
                log.warning("twitter: search page %d failed: %s", page_no + 1, exc)
                break
            found, skipped = parse_page(page)
            observations.extend(found)
            problems.extend(skipped)
            meta = page.get("meta") if isinstance(page, dict) else None
            meta = meta if isinstance(meta, dict) else {}
            if newest is None and isinstance(meta.get("newest_id"), str):
                newest = meta["newest_id"]
            next_token = meta.get("next_token") if isinstance(meta.get("next_token"), str) else None
            if not next_token:
                break
        refreshed, refresh_problems = self._refresh(client, store, {o.key for o in observations})
        observations.extend(refreshed)
        problems.extend(refresh_problems)
        cursor = newest if complete and newest and _newer(newest, since_id) else None
        return FetchResult(tuple(observations), cursor=cursor, problems=tuple(problems))

    def _refresh(
        self, client: Any, store: Store, fresh: set[str]
    ) -> tuple[list[Observation], list[str]]:
        """New counters for stored posts younger than refresh_hours (not re-read by the search)."""
        if self.config.refresh_hours <= 0:
            return [], []
        since = self.clock() - timedelta(hours=self.config.refresh_hours)
        rows = store.conn.execute(
            "SELECT DISTINCT key FROM observations WHERE source = ? AND kind = 'post' "
            "AND observed_at >= ?",
            (self.name, since.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")),
        ).fetchall()
        ids = sorted({k.split("#")[0] for (k,) in rows if k not in fresh} - {""})
        found: list[Observation] = []
        problems: list[str] = []
        for i in range(0, len(ids), 100):
            try:
                page = self._call(
                    client.get_tweets,
                    ids=ids[i : i + 100],
                    tweet_fields=TWEET_FIELDS,
                    expansions=EXPANSIONS,
                    user_fields=USER_FIELDS,
                )
            except Exception as exc:
                problems.append(f"counter refresh failed: {exc}")
                log.warning("twitter: counter refresh failed: %s", exc)
                break
            got, skipped = parse_page(page)
            found.extend(o for o in got if o.key not in fresh)
            problems.extend(skipped)
        return found, problems


def _newer(candidate: str, current: str | None) -> bool:
    if current is None:
        return True
    if candidate.isdigit() and current.isdigit():
        return int(candidate) > int(current)
    return candidate != current
