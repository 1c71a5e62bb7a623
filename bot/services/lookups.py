"""Paper lookups on arXiv for chat: their own small thread pool, one at a time per user, and a
deadline, so a slow or hanging arXiv never delays digests, ingest jobs or other commands."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from bot.domain.models import Paper

log = logging.getLogger(__name__)

PaperFetch = Callable[[Sequence[str]], Sequence[Paper]]  # network only, never the store

WORKERS = 2
DEADLINE_SECONDS = 20.0


class LookupBusy(Exception):
    """This user already has a lookup in flight."""


class LookupFailed(Exception):
    """arXiv did not answer in time, or failed; the message says which, for the user."""


class PaperLookups:
    def __init__(
        self,
        fetch: PaperFetch,
        *,
        workers: int = WORKERS,
        deadline_seconds: float = DEADLINE_SECONDS,
    ) -> None:
        self.fetch = fetch
        self.deadline = deadline_seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="arxiv-lookup")
        self._in_flight: set[str] = set()  # users with a lookup running (the event loop's view)

    def lookup(self, ids: Sequence[str]) -> Sequence[Paper]:
        """Blocking, for the CLI: the papers found, within the deadline."""
        future = self._pool.submit(self.fetch, list(ids))
        try:
            return future.result(timeout=self.deadline)
        except FutureTimeout:
            raise self._too_slow(ids) from None
        except Exception as exc:
            raise self._failed(ids, exc) from exc

    async def lookup_async(self, ids: Sequence[str], user: str) -> Sequence[Paper]:
        """On the event loop: one lookup per user at a time; the others wait for no one."""
        import asyncio  # here: `hotpapers ask` (lookup) starts without asyncio's ~15 ms

        if user in self._in_flight:
            raise LookupBusy(user)
        self._in_flight.add(user)
        try:
            future: Future[Sequence[Paper]] = self._pool.submit(self.fetch, list(ids))
            return await asyncio.wait_for(asyncio.wrap_future(future), self.deadline)
        except TimeoutError:
            raise self._too_slow(ids) from None
        except (LookupBusy, asyncio.CancelledError):
            raise
        except Exception as exc:
            raise self._failed(ids, exc) from exc
        finally:
            self._in_flight.discard(user)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _too_slow(self, ids: Sequence[str]) -> LookupFailed:
        log.warning("arXiv lookup of %s: no answer within %g s", ", ".join(ids), self.deadline)
        return LookupFailed(f"arXiv did not answer within {self.deadline:g} s")

    @staticmethod
    def _failed(ids: Sequence[str], exc: Exception) -> LookupFailed:
        log.warning("arXiv lookup of %s failed: %s", ", ".join(ids), type(exc).__name__)
        return LookupFailed("arXiv could not be reached")
