"""One limiter for every arXiv request of the process: 3 s between starts, one request at a time."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

MIN_INTERVAL = 3.0  # arXiv API terms of use: no more than one request every three seconds


class ArxivLimiter:
    """Holds a lock for the whole request (one connection at a time) and spaces request starts.

    `clock` and `sleep` are injectable so tests can check the spacing without waiting.
    """

    def __init__(
        self,
        min_interval: float = MIN_INTERVAL,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.min_interval = max(MIN_INTERVAL, float(min_interval))
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._last_start: float | None = None
        self.starts: list[float] = []  # request start times by `clock`, the last 100

    @property
    def busy(self) -> bool:
        """True while a request holds the limiter."""
        return self._lock.locked()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for the turn and the interval, then hold the limiter until the block ends."""
        with self._lock:
            if self._last_start is not None:
                wait = self._last_start + self.min_interval - self.clock()
                if wait > 0:
                    log.debug("arXiv limiter: waiting %.2f s", wait)
                    self.sleep(wait)
            self._last_start = self.clock()
            self.starts.append(self._last_start)
            del self.starts[:-100]
            yield


_DEFAULT: ArxivLimiter | None = None
_DEFAULT_LOCK = threading.Lock()


def default_limiter() -> ArxivLimiter:
    """The process-wide limiter every arXiv client shares unless a test injects its own."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = ArxivLimiter()
        return _DEFAULT
