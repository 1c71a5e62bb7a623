"""Bluesky's attention the protocol's way: one Jetstream v1 websocket (`websockets`).

Posts linking arXiv become observations and are tracked; likes, reposts, replies and quotes of
tracked posts move their counters, deletes take them back. Events for anything else are dropped
in memory. Each batch is stored with the cursor (time_us) that produced it, in one transaction;
a (re)connect resumes `replay_seconds` before it, and replayed events change nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import websockets
from websockets.asyncio.client import ClientConnection, connect

from adapters.sources.jetstream_reconcile import Reconciler
from bot.sources.attention.config import BlueskyConfig
from bot.sources.attention.jetstream_events import (
    COLLECTIONS,
    MAX_EVENT_BYTES,
    BadEvent,
    Event,
    decode,
    parse_event,
    time_of,
    untracked_engagement,
)
from bot.sources.attention.jetstream_tracked import UriSet
from bot.store import Store
from bot.store.jetstream import JetstreamLog

log = logging.getLogger(__name__)

NAME = "bluesky-jetstream"
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
MAX_FRAME_BYTES = (
    16 * 1024 * 1024
)  # the socket's own limit; frames over MAX_EVENT_BYTES are skipped
MAX_BATCH = 2000  # events stored at once at most, whatever the time
LAG_LOG_SECONDS = 60.0
PRUNE_SECONDS = 3600.0


class Stalled(Exception):
    """No frame for stall_seconds: the connection is dropped and made again."""


class JetstreamListener:
    """The listener; `run()` serves until cancelled (or for `seconds`), reconnecting itself."""

    def __init__(
        self,
        store: Store,
        config: BlueskyConfig,
        *,
        clock: Callable[[], float] = time.time,
        backoff: tuple[float, ...] = BACKOFF,
        reconciler: Reconciler | None = None,
    ) -> None:
        self.name = NAME
        self.publisher = None
        self.store = store
        self.log = JetstreamLog(store)
        self.config = config
        self.clock = clock
        self.backoff = backoff
        self.reconciler = reconciler or Reconciler(store, config, clock=clock)
        self.instance = 0
        self.tracked = UriSet()  # posts linking arXiv (and their replies and quotes)
        self.engaged = UriSet()  # their likes and reposts (so that an unlike is recognised)
        self.batch: list[Event] = []
        self.cursor: int | None = None  # time_us of the last frame read (stored with its batch)
        self.received = 0
        self.stored = 0
        self.skipped = 0
        self.connections = 0
        self._last_lag_log = 0.0
        self._last_prune = 0.0
        self._stored_cursor: int | None = None

    def summary(self) -> str:
        return (
            f"bluesky: {self.received} Jetstream events read, {self.stored} stored, "
            f"{self.skipped} skipped, {len(self.tracked)} posts tracked"
        )

    # -- the URL -----------------------------------------------------------------------------

    def url(self) -> str:
        """The /subscribe URL of the instance in use, resuming a few seconds before the cursor."""
        params: list[tuple[str, str]] = [("wantedCollections", c) for c in COLLECTIONS]
        params.append(("maxMessageSizeBytes", str(MAX_EVENT_BYTES)))
        if self.cursor is not None:
            params.append(("cursor", str(max(self.cursor - self.config.replay_seconds * 10**6, 0))))
        base = self.config.instances[self.instance % len(self.config.instances)]
        return f"{base}/subscribe?{urlencode(params)}"

    # -- running -----------------------------------------------------------------------------

    async def run(self) -> None:
        await asyncio.to_thread(self._load)
        failures = 0
        reconciling = asyncio.create_task(self.reconciler.run(), name="jetstream-reconcile")
        try:
            while True:
                url = self.url()
                try:
                    async with connect(
                        url,
                        max_size=MAX_FRAME_BYTES,
                        open_timeout=self.config.stall_seconds,
                        close_timeout=2,
                        compression=None,  # Jetstream's compression is its own zstd, not deflate
                        user_agent_header="hotpapers (arXiv attention; +jetstream)",
                    ) as socket:
                        self.connections += 1
                        log.info("%s: connected to %s", NAME, url.split("?")[0])
                        before = self.received
                        try:
                            await self._consume(socket)
                        finally:
                            if self.received > before:
                                failures = 0  # this connection worked: start backing off anew
                except asyncio.CancelledError:
                    raise
                except (OSError, TimeoutError, Stalled, websockets.WebSocketException) as exc:
                    failures += 1
                    await asyncio.to_thread(self._flush)
                    if failures % self.config.failures_before_switch == 0:
                        self.instance += 1
                    delay = self.backoff[min(failures - 1, len(self.backoff) - 1)]
                    log.warning(
                        "%s: %s: %s; reconnecting to %s in %g s",
                        NAME,
                        type(exc).__name__,
                        str(exc)[:200] or "no detail",
                        self.url().split("?")[0],
                        delay,
                    )
                    await asyncio.sleep(delay)
        finally:
            reconciling.cancel()
            self._flush()  # what was read is stored before a stop (a small batch)

    async def _consume(self, socket: ClientConnection) -> None:
        """Frames until the connection fails; stored once per batch_seconds (or MAX_BATCH).

        One timeout per batch window, not one per frame: a frame costs one `recv()`."""
        loop = asyncio.get_running_loop()
        last_frame = last_flush = loop.time()
        while True:
            deadline = min(
                last_frame + self.config.stall_seconds, last_flush + self.config.batch_seconds
            )
            got = 0
            try:
                async with asyncio.timeout_at(max(deadline, loop.time())):
                    while len(self.batch) < MAX_BATCH:
                        self._take(await socket.recv())
                        got += 1
            except TimeoutError:
                pass
            now = loop.time()
            if got:
                last_frame = now
            elif now - last_frame >= self.config.stall_seconds:
                raise Stalled(f"no frame for {self.config.stall_seconds:g} s")
            pending = bool(self.batch) or self.cursor != self._stored_cursor
            if pending and (
                now - last_flush >= self.config.batch_seconds or len(self.batch) >= MAX_BATCH
            ):
                await asyncio.to_thread(self._flush)
                last_flush = loop.time()
            elif not pending:
                last_flush = now  # nothing to store: no need to wake before batch_seconds
            self._housekeeping()

    def _take(self, frame: str | bytes) -> None:
        """One frame: decoded, translated, kept when it concerns a tracked post or arXiv."""
        self.received += 1
        now_us = int(self.clock() * 1_000_000)
        stamp = untracked_engagement(frame, self.tracked, now_us)
        if stamp is not None:  # most of the stream: a like or repost of something else
            if self.cursor is None or stamp > self.cursor:
                self.cursor = stamp
            return
        try:
            message = decode(frame)
            event = parse_event(message, now_us)
        except BadEvent as exc:
            self.skipped += 1
            log.warning("%s: skipping a frame: %s", NAME, exc)
            return
        if event is not None and self._relevant(event):
            self.batch.append(event)
            if event.kind == "post":
                self.tracked.add(event.uri)  # its replies may follow in the same batch
            elif event.kind in ("like", "repost"):
                self.engaged.add(event.uri)
        stamp = time_of(message)
        if stamp is not None:
            self.cursor = max(self.cursor or 0, stamp)

    def _relevant(self, event: Event) -> bool:
        if event.kind == "post":
            return bool(event.arxiv_ids) or any(
                ref and ref in self.tracked for ref in (event.reply_to, event.quotes)
            )
        if event.kind in ("like", "repost"):
            return event.subject in self.tracked
        return event.uri in self.tracked or event.uri in self.engaged

    def _flush(self) -> None:
        if not self.batch and self.cursor == self._stored_cursor:
            return
        batch, self.batch, cursor = self.batch, [], self.cursor
        applied = self.log.apply(batch, cursor)
        self._stored_cursor = cursor
        self.stored += len(batch)
        self.tracked.difference_update(applied.untracked)
        if applied.counted or applied.tracked or applied.untracked:
            log.debug(
                "%s: stored %d events: %d posts tracked, %d counts",
                NAME,
                len(batch),
                len(applied.tracked),
                applied.counted,
            )

    def _load(self) -> None:
        self.cursor = self._stored_cursor = self.log.cursor()
        self._prune()

    def _prune(self) -> None:
        since = datetime.fromtimestamp(self.clock(), UTC) - timedelta(days=self.config.track_days)
        self.log.prune(since)
        self.tracked = UriSet(self.log.tracked_uris(since))
        self.engaged = UriSet(self.log.engagement_uris())
        self._last_prune = time.monotonic()

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_lag_log >= LAG_LOG_SECONDS:
            self._last_lag_log = now
            if self.cursor is not None:
                lag = self.clock() - self.cursor / 1_000_000
                log.info(
                    "%s: %.1f s behind; %d events read, %d stored, %d skipped, %d posts tracked",
                    NAME,
                    lag,
                    self.received,
                    self.stored,
                    self.skipped,
                    len(self.tracked),
                )
        if now - self._last_prune >= PRUNE_SECONDS and not self.batch:
            self._prune()


async def run_for(listener: JetstreamListener, seconds: float) -> None:
    """Listen for `seconds`, then stop (what was read is stored)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(listener.run(), timeout=seconds)


async def load(context: Any) -> JetstreamListener:
    """The adapter-like service `hotpapers run` starts when [sources.bluesky] mode = "jetstream"."""
    from bot.sources.attention.config import from_mapping

    config = from_mapping("bluesky", context.table, context.where)
    assert isinstance(config, BlueskyConfig)
    return JetstreamListener(context.store, config)
