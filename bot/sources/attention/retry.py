"""Bounded retries for every attention source: what kind of fault an exception is, and a tenacity loop."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception

from bot.sources.attention.base import SourceError

log = logging.getLogger(__name__)

T = TypeVar("T")

_RESET_NAMES = (
    "RemoteProtocolError",
    "ChunkedEncodingError",
    "ConnectionError",
    "ConnectionResetError",
    "NetworkError",
    "ProtocolError",
    "IncompleteRead",
    "ReadError",
    "MastodonNetworkError",
)


@dataclass(frozen=True)
class Fault:
    """One failed attempt: a short kind for the log (`HTTP 503`, `timeout`), and whether to retry."""

    kind: str
    retryable: bool
    retry_after: float | None = None  # seconds the server asked us to wait


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    at: BaseException | None = exc
    while at is not None and at not in found and len(found) < 10:
        found.append(at)
        at = at.__cause__ or at.__context__
    return found


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    for value in (getattr(response, "status_code", None), getattr(response, "status", None)):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    second = args[1] if len(args) >= 2 else None
    if isinstance(second, int) and not isinstance(second, bool) and 100 <= second < 600:
        return second  # Mastodon.py: (message, status, reason, error)
    return None


def _headers(exc: BaseException) -> Mapping[str, Any]:
    raw = getattr(getattr(exc, "response", None), "headers", None)
    try:
        return {str(k).lower(): v for k, v in dict(raw or {}).items()}
    except (TypeError, ValueError):
        return {}


def wait_asked(headers: Mapping[str, Any], now: float) -> float | None:
    """Seconds to wait from Retry-After (seconds or a date), x-rate-limit-reset or ratelimit-reset
    (Unix times, X and Bluesky); None when absent or unreadable."""
    retry_after = str(headers.get("retry-after") or "").strip()
    if retry_after.isdigit():
        return float(retry_after)
    if retry_after:
        try:
            when = parsedate_to_datetime(retry_after)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            return max(0.0, when.timestamp() - now)
    for name in ("x-rate-limit-reset", "ratelimit-reset"):
        value = str(headers.get(name) or "").strip()
        if value.isdigit():
            return max(1.0, float(value) - now + 1)
    return None


def fault_of(exc: BaseException, now: float | None = None) -> Fault:
    """The kind of a failure, from any client library's exception (httpx, requests, SDKs)."""
    now = time.time() if now is None else now
    for link in _chain(exc):
        status = _status(link)
        if status is not None:
            if status == 429:
                return Fault("HTTP 429 (rate limited)", True, wait_asked(_headers(link), now))
            return Fault(f"HTTP {status}", status >= 500, wait_asked(_headers(link), now))
    names = [type(link).__name__ for link in _chain(exc)]
    if any("ratelimit" in n.lower() or "toomanyrequests" in n.lower() for n in names):
        return Fault("HTTP 429 (rate limited)", True)
    if any("timeout" in n.lower() for n in names):
        return Fault("timeout", True)
    if any(n in _RESET_NAMES for n in names):
        return Fault("connection reset", True)
    if any(isinstance(link, ValueError) for link in _chain(exc)):
        return Fault("malformed JSON", True)
    return Fault(type(exc).__name__, False)


def with_retries(
    source: str,
    what: str,
    func: Callable[[], T],
    *,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    backoff_seconds: float = 1.0,
    max_wait_seconds: float = 300.0,
) -> T:
    """`func()`, retried on 429, 5xx, timeouts, resets and malformed JSON at most `attempts` times
    in all; a wait the server asks for beyond `max_wait_seconds` ends the run at once.

    Raises SourceError("<what>: HTTP 503 after 3 attempts") when it gives up, after logging
    "<source>: HTTP 503 after 3 attempts (<what>)" once. Non-retryable errors pass through.
    """
    attempts = max(1, attempts)

    def asked(state: RetryCallState) -> float | None:
        exc = state.outcome.exception() if state.outcome else None
        return fault_of(exc, clock()).retry_after if exc is not None else None

    def stop(state: RetryCallState) -> bool:
        wanted = asked(state)
        return state.attempt_number >= attempts or (
            wanted is not None and wanted > max_wait_seconds
        )

    def wait(state: RetryCallState) -> float:
        wanted = asked(state)
        if wanted is not None:
            return min(max_wait_seconds, wanted)
        return float(min(max_wait_seconds, backoff_seconds * 2 ** (state.attempt_number - 1)))

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        kind = fault_of(exc, clock()).kind if exc is not None else "?"
        delay = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s: %s on attempt %d of %d (%s); retrying in %.0f s",
            source,
            kind,
            state.attempt_number,
            attempts,
            what,
            delay,
        )

    retrying = Retrying(
        stop=stop,
        wait=wait,
        retry=retry_if_exception(lambda e: fault_of(e, clock()).retryable),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(func)
    except SourceError:
        raise
    except Exception as exc:
        fault = fault_of(exc, clock())
        if not fault.retryable:
            raise
        tries = retrying.statistics.get("attempt_number", attempts)
        plural = "attempt" if tries == 1 else "attempts"
        if fault.retry_after is not None and fault.retry_after > max_wait_seconds:
            detail = f"{fault.kind}, reset in {fault.retry_after:.0f} s, after {tries} {plural}"
        else:
            detail = f"{fault.kind} after {tries} {plural}"
        log.warning("%s: %s (%s)", source, detail, what)
        raise SourceError(f"{what}: {detail}") from None


def now_seconds(clock: Callable[[], datetime]) -> Callable[[], float]:
    """A Unix-time clock from a source's datetime clock."""
    return lambda: clock().timestamp()
