"""Tracked Bluesky posts' counters checked against the AppView (app.bsky.feed.getPosts, 25 URIs a
call, through the atproto SDK; the public AppView needs no login), in the background of the
Jetstream listener: likes given while the bot was down beyond the replay window, or before a
post was tracked, are not lost. The rule (bot/store/jetstream_reconcile.py): each counter
becomes max(AppView's count, engagements we hold keyed); the difference is "unattributed".

Rate-limited (reconcile_per_minute calls a minute), the never or longest unchecked posts first,
each at most every reconcile_minutes; 429 and 5xx are retried (tenacity, Retry-After honoured).
One log line a pass: "reconciled 250 posts: 12 corrected (+31 likes, +4 reposts)".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sources.attention.base import SourceError
from bot.sources.attention.config import BlueskyConfig
from bot.sources.attention.retry import fault_of, with_retries
from bot.store import Store
from bot.store.jetstream_reconcile import Corrections, Counts, HandleLog, ReconcileLog

log = logging.getLogger(__name__)

NAME = "bluesky-jetstream"
PER_CALL = 25  # getPosts takes at most 25 URIs
START_DELAY = 60.0  # the first pass waits for the replay after a (re)start to be stored
IDLE_SECONDS = 60.0  # the wait after a pass that found fewer posts due than a minute's budget
PROFILE_CALLS = 4  # getProfiles calls (25 DIDs each) a pass at most


class BadAnswer(ValueError):
    """A getPosts answer that is not {"posts": [...]}."""


def _count(view: dict[str, Any], name: str) -> int | None:
    value = view.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadAnswer(f"{name} {value!r}")
    return value


def parse_profiles(content: Any) -> dict[str, tuple[str, str]]:
    """(handle, display name) of each DID in a getProfiles answer; BadAnswer without a list.
    A profile without a usable handle ("handle.invalid") is left out: its DID stays shown."""
    profiles = content.get("profiles") if isinstance(content, dict) else None
    if not isinstance(profiles, list):
        raise BadAnswer("an answer without a profiles list")
    found: dict[str, tuple[str, str]] = {}
    for profile in profiles:
        if not isinstance(profile, dict):
            continue
        did, handle, name = profile.get("did"), profile.get("handle"), profile.get("displayName")
        if not isinstance(did, str) or not isinstance(handle, str) or "." not in handle:
            continue
        if handle == "handle.invalid":
            continue
        found[did] = (handle, name.strip()[:200] if isinstance(name, str) else "")
    return found


def parse_posts(content: Any) -> tuple[dict[str, Counts], int]:
    """The counters of each post view in a getPosts answer, and how many views were unusable
    (no uri, a count that is not a whole number, no likeCount and repostCount)."""
    posts = content.get("posts") if isinstance(content, dict) else None
    if not isinstance(posts, list):
        raise BadAnswer("an answer without a posts list")
    found: dict[str, Counts] = {}
    bad = 0
    for view in posts:
        try:
            if not isinstance(view, dict) or not isinstance(view.get("uri"), str):
                raise BadAnswer("a post view without uri")
            counts = Counts(
                _count(view, "likeCount"),
                _count(view, "repostCount"),
                _count(view, "replyCount"),
                _count(view, "quoteCount"),
            )
            if counts.likes is None and counts.reposts is None:
                raise BadAnswer("a post view without likeCount and repostCount")
        except BadAnswer:
            bad += 1
            continue
        found[view["uri"]] = counts
    return found, bad


class Reconciler:
    """`run()` reconciles until cancelled; `reconcile_once()` is one pass."""

    def __init__(
        self,
        store: Store,
        config: BlueskyConfig,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        retry_sleep: Callable[[float], None] = time.sleep,
        start_delay: float = START_DELAY,
    ) -> None:
        self.log = ReconcileLog(store)
        self.handles = HandleLog(store)
        self.config = config
        self.clock = clock
        self.sleep = sleep
        self.retry_sleep = retry_sleep
        self.start_delay = start_delay
        self.client: Any = None
        self._last_call: float | None = None

    async def run(self) -> None:
        if self.config.reconcile_per_minute <= 0:
            return
        await self.sleep(self.start_delay)
        while True:
            budget = self.config.reconcile_per_minute * PER_CALL
            try:
                done = await self.reconcile_once()
                await self.resolve_handles()
            except asyncio.CancelledError:
                raise
            except ImportError:
                log.warning(
                    "%s: reconciliation needs atproto: pip install 'hotpapers[bluesky]'", NAME
                )
                return
            except Exception as exc:  # the listener goes on whatever happens here
                log.warning("%s: reconciliation failed: %s", NAME, fault_of(exc).kind)
                done = Corrections()
            if done.checked < budget:
                await self.sleep(IDLE_SECONDS)

    async def reconcile_once(self) -> Corrections:
        """Check the posts due (at most a minute's budget of calls), 25 a call, paced."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        due = await asyncio.to_thread(
            self.log.due,
            now - timedelta(days=self.config.track_days),
            now - timedelta(minutes=self.config.reconcile_minutes),
            max(self.config.reconcile_per_minute, 1) * PER_CALL,
        )
        done = Corrections()
        missing = skipped = 0
        for start in range(0, len(due), PER_CALL):
            chunk = due[start : start + PER_CALL]
            await self._pace()
            try:
                content = await asyncio.to_thread(self._get_posts, chunk)
                found, bad = parse_posts(content)
            except SourceError as exc:  # 429 or 5xx after retries: the rest waits a pass
                log.warning("%s: reconciliation paused: %s", NAME, exc)
                break
            except Exception as exc:
                kind = str(exc) if isinstance(exc, BadAnswer) else fault_of(exc).kind
                log.warning(
                    "%s: skipping a getPosts answer for %d posts: %s", NAME, len(chunk), kind
                )
                skipped += len(chunk)
                found, bad = {}, 0
            if bad:
                log.warning("%s: skipping %d malformed post views from getPosts", NAME, bad)
            asked = set(chunk)
            found = {uri: counts for uri, counts in found.items() if uri in asked}
            skipped += bad
            missing += max(len(chunk) - len(found) - bad, 0)
            checked_at = datetime.fromtimestamp(self.clock(), UTC)
            done.add(await asyncio.to_thread(self.log.correct, found, chunk, checked_at))
        if done.checked:
            extra = "".join(
                f", {n} {what}" for n, what in ((missing, "not found"), (skipped, "skipped")) if n
            )
            log.info("%s: reconciled %d posts: %s%s", NAME, done.checked, done.describe(), extra)
        return done

    async def resolve_handles(self) -> int:
        """Handles of the authors of tracked posts, 25 DIDs a getProfiles call, paced with the
        reconciliation; how many were resolved."""
        asked = await asyncio.to_thread(self.handles.unresolved, PROFILE_CALLS * PER_CALL)
        resolved = 0
        for start in range(0, len(asked), PER_CALL):
            chunk = asked[start : start + PER_CALL]
            await self._pace()
            try:
                found = parse_profiles(
                    await asyncio.to_thread(self._query, "app.bsky.actor.getProfiles", chunk)
                )
            except SourceError as exc:
                log.warning("%s: handles paused: %s", NAME, exc)
                break
            except Exception as exc:
                kind = str(exc) if isinstance(exc, BadAnswer) else fault_of(exc).kind
                log.warning("%s: skipping a getProfiles answer: %s", NAME, kind)
                continue
            found = {did: v for did, v in found.items() if did in set(chunk)}
            at = datetime.fromtimestamp(self.clock(), UTC)
            resolved += await asyncio.to_thread(self.handles.resolve, found, chunk, at)
        if asked:
            log.info("%s: resolved %d of %d authors' handles", NAME, resolved, len(asked))
        return resolved

    async def _pace(self) -> None:
        """At most reconcile_per_minute calls a minute."""
        interval = 60.0 / max(self.config.reconcile_per_minute, 1)
        now = time.monotonic()
        if self._last_call is not None and now - self._last_call < interval:
            await self.sleep(interval - (now - self._last_call))
        self._last_call = time.monotonic()

    def _get_posts(self, uris: Sequence[str]) -> Any:
        return self._query("app.bsky.feed.getPosts", uris)

    def _query(self, nsid: str, items: Sequence[str]) -> Any:
        """One raw answer (a dict) of getPosts (uris) or getProfiles (actors), with retries:
        the SDK's own calls without their model step, so one bad view costs only itself."""
        from atproto import Client, models
        from atproto_client.request import Request

        if self.client is None:
            self.client = Client(
                base_url=self.config.appview_url,
                request=Request(timeout=self.config.timeout_seconds),
            )
        client = self.client
        params: Any = (
            models.AppBskyFeedGetPosts.Params(uris=list(items))
            if nsid == "app.bsky.feed.getPosts"
            else models.AppBskyActorGetProfiles.Params(actors=list(items))
        )

        def once() -> Any:
            response = client.invoke_query(nsid, params=params, output_encoding="application/json")
            return response.content

        return with_retries(
            NAME,
            nsid.rsplit(".", 1)[-1],
            once,
            attempts=self.config.max_attempts,
            sleep=self.retry_sleep,
            clock=self.clock,
            max_wait_seconds=float(self.config.max_wait_seconds),
        )
