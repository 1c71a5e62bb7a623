"""Mastodon: statuses linking arXiv on configured instances, through Mastodon.py (imported lazily)."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

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
from bot.sources.attention.config import MastodonConfig, MastodonInstance
from bot.sources.attention.retry import with_retries
from bot.store import Store

log = logging.getLogger(__name__)

NAME = "mastodon"


# -- parsing (pure) -----------------------------------------------------------------------------


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)
        elif tag == "br":
            self.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.text.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def html_text_and_links(content: str) -> tuple[str, list[str]]:
    """Plain text (the full URLs included: Mastodon hides their ends in spans) and link hrefs."""
    parser = _Html()
    try:
        parser.feed(content)
        parser.close()
    except Exception:  # HTMLParser is lenient; be safe anyway
        return content, []
    return "".join(parser.text).strip(), parser.links


def account_handle(account: Mapping[str, Any], instance: str) -> str:
    """user@host for everyone: local accounts' `acct` has no host, so the instance's is added."""
    acct = text_of(account.get("acct")) or text_of(account.get("username"))
    if not acct:
        return ""
    if "@" not in acct:
        host = urlsplit(text_of(account.get("url"))).hostname or urlsplit(instance).hostname or ""
        acct = f"{acct}@{host}" if host else acct
    return acct.lower()


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return parse_time(value.isoformat())
    return parse_time(value)


def _status_observations(
    status: Mapping[str, Any],
    instance: str,
    problems: Problems,
    is_repost: bool = False,
    original_links: list[str] | None = None,
) -> list[Observation]:
    uri = text_of(status.get("uri")) or text_of(status.get("url"))
    account = status.get("account")
    if not uri:
        problems.skip(NAME, "a status", f"no uri (id {status.get('id')!r})")
        return []
    if not isinstance(account, Mapping):
        problems.skip(NAME, uri, "no account")
        return []
    handle = account_handle(account, instance)
    if not handle:
        problems.skip(NAME, uri, "no account handle")
        return []
    text, links = html_text_and_links(text_of(status.get("content")))
    card = status.get("card")
    card_url = text_of(card.get("url")) if isinstance(card, Mapping) else ""
    ids = arxiv_ids_in(*(original_links or []), *links, card_url, text)
    if not ids:
        return []
    posted = _time(status.get("created_at"))
    reposts = 0 if is_repost else count(status.get("reblogs_count"))
    likes = 0 if is_repost else count(status.get("favourites_count"))
    followers = account.get("followers_count")
    post = Post(
        source=NAME,
        url=text_of(status.get("url")) or uri,
        author_name=text_of(account.get("display_name")) or handle,
        author_handle=handle,
        text=text,
        posted=posted,
        lang=text_of(status.get("language")),
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
            account=handle,
            reposts=reposts,
            likes=likes,
            replies=0 if is_repost else count(status.get("replies_count")),
            quotes=0 if is_repost else count(status.get("quotes_count")),
            followers=followers
            if isinstance(followers, int) and not isinstance(followers, bool) and followers >= 0
            else None,
            is_repost=is_repost,
            post=None if is_repost else post,
        )
        for arxiv_id in ids
    ]


def parse_status(status: Any, instance: str, problems: Problems) -> list[Observation]:
    """Observations from one Status: a reblog is a repost (it adds nothing) and its original
    is observed with its own counters, which already hold the reblog."""
    if not isinstance(status, Mapping):
        problems.skip(NAME, "a status", f"expected an object, got {type(status).__name__}")
        return []
    original = status.get("reblog")
    if isinstance(original, Mapping):
        first = _status_observations(original, instance, problems)
        _, links = html_text_and_links(text_of(original.get("content")))
        card = original.get("card")
        links += [text_of(card.get("url"))] if isinstance(card, Mapping) else []
        repost = [
            o
            for o in _status_observations(
                status, instance, problems, is_repost=True, original_links=links
            )
            if any(f.arxiv_id == o.arxiv_id for f in first)
        ]
        return first + repost
    return _status_observations(status, instance, problems)


def parse_statuses(statuses: Any, instance: str) -> tuple[list[Observation], list[str]]:
    problems = Problems()
    if not isinstance(statuses, list):
        problems.skip(NAME, "a timeline page", "not a list of statuses")
        return [], problems.items
    found: dict[str, Observation] = {}
    for status in statuses:
        for o in parse_status(status, instance, problems):
            found.setdefault(o.key, o)
    return list(found.values()), problems.items


# -- fetching -----------------------------------------------------------------------------------


def _id_value(value: Any) -> int:
    text = str(value)
    return int(text) if text.isdigit() else -1


@dataclass
class MastodonSource:
    config: MastodonConfig
    tokens: Mapping[str, str] = field(default_factory=dict)  # instance url -> access token
    sleep: Callable[[float], None] = time.sleep
    name: str = NAME

    def _retry(self, what: str, func: Callable[[], Any]) -> Any:
        """429, 5xx, timeouts, resets and bad JSON retried: max_attempts requests in all."""
        return with_retries(NAME, what, func, attempts=self.config.max_attempts, sleep=self.sleep)

    def _client(self, instance: MastodonInstance) -> Any:
        try:
            from mastodon import Mastodon
        except ImportError:
            raise SourceError(
                "the mastodon source needs Mastodon.py: pip install 'hotpapers[mastodon]'"
            ) from None
        return Mastodon(
            api_base_url=instance.url,
            access_token=self.tokens.get(instance.url) or None,
            ratelimit_method="throw",
            version_check_mode="none",
            request_timeout=self.config.timeout_seconds,
            user_agent="hotpapers",
        )

    def _timelines(self, client: Any, instance: MastodonInstance) -> Iterator[tuple[str, Any]]:
        for tag in self.config.hashtags:
            yield (
                f"tag:{tag}",
                lambda since, c=client, t=tag: c.timeline_hashtag(
                    t, since_id=since, limit=self.config.page_size
                ),
            )
        for link in self.config.links:
            yield (
                f"link:{link}",
                lambda since, c=client, u=link: c.timeline_link(
                    u, since_id=since, limit=self.config.page_size
                ),
            )

    def fetch(self, store: Store) -> FetchResult:
        try:
            cursors = json.loads(store.get_cursor(cursor_name(self.name)) or "{}")
        except ValueError:
            cursors = {}
        cursors = cursors if isinstance(cursors, dict) else {}
        observations: list[Observation] = []
        problems: list[str] = []
        failures = 0
        attempts = 0
        for instance in self.config.instances:
            client = self._client(instance)
            for timeline, first_page in self._timelines(client, instance):
                attempts += 1
                key = f"{instance.url} {timeline}"
                try:
                    found, skipped, newest = self._read(client, key, first_page, cursors.get(key))
                except Exception as exc:
                    failures += 1
                    why = str(exc) if isinstance(exc, SourceError) else type(exc).__name__
                    problems.append(f"{key}: {why}")
                    log.warning("mastodon: %s failed: %s", key, why)
                    continue
                observations.extend(found)
                problems.extend(skipped)
                if newest is not None:
                    cursors[key] = newest
            if self.config.search and self.tokens.get(instance.url):
                attempts += 1
                try:
                    result = self._retry(
                        f"{instance.url} search",
                        functools.partial(
                            client.search_v2,
                            self.config.search,
                            result_type="statuses",
                            resolve=False,
                            limit=self.config.page_size,
                        ),
                    )
                    statuses = result.get("statuses") if isinstance(result, Mapping) else None
                    found, skipped = parse_statuses(statuses, instance.url)
                    observations.extend(found)
                    problems.extend(skipped)
                except Exception as exc:
                    failures += 1
                    why = str(exc) if isinstance(exc, SourceError) else type(exc).__name__
                    problems.append(f"{instance.url} search: {why}")
                    log.warning("mastodon: %s search failed: %s", instance.url, why)
        if attempts and failures == attempts:
            raise SourceError(f"every Mastodon timeline failed: {'; '.join(problems[-3:])}")
        return FetchResult(
            tuple(observations),
            cursor=json.dumps(cursors, sort_keys=True),
            problems=tuple(problems),
        )

    def _read(
        self, client: Any, key: str, first_page: Any, since: str | None
    ) -> tuple[list[Observation], list[str], str | None]:
        """Newest first, page by page, down to the last status seen (since_id)."""
        instance = key.split(" ", 1)[0]
        observations: list[Observation] = []
        problems: list[str] = []
        newest: str | None = since
        page = self._retry(key, lambda: first_page(since))
        for _ in range(self.config.max_pages):
            if not isinstance(page, list) or not page:
                if page is not None and not isinstance(page, list):
                    problems.append(f"{instance}: a page that is not a list")
                break
            fresh = [s for s in page if not since or _id_value(_get(s, "id")) > _id_value(since)]
            found, skipped = parse_statuses(fresh, instance)
            observations.extend(found)
            problems.extend(skipped)
            for s in fresh:
                sid = _get(s, "id")
                if sid is not None and _id_value(sid) > _id_value(newest):
                    newest = str(sid)
            if len(fresh) < len(page):
                break
            try:
                page = self._retry(key, functools.partial(client.fetch_next, page))
            except SourceError as exc:  # the cursor stays: the next run re-reads these pages
                problems.append(f"{key}: next page: {exc}")
                return observations, problems, since
        return observations, problems, newest


def _get(status: Any, key: str) -> Any:
    return status.get(key) if isinstance(status, Mapping) else None
