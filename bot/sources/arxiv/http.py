"""The one HTTP path to arXiv: the limiter, a descriptive User-Agent, timeouts and bounded retries."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from bot import __version__
from bot.sources.arxiv.limiter import ArxivLimiter, default_limiter

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ANSWER_STATUSES = frozenset({200, 400})  # 400 is the API's Atom error feed: the caller reads it
MAX_REDIRECTS = 3

Params = Mapping[str, str | int]


class ArxivHttpError(Exception):
    """arXiv could not be reached or kept failing; the message says what to try."""


@dataclass(frozen=True)
class HttpResult:
    status: int
    content: bytes
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _EmptyPage(_Retryable):
    def __init__(self, result: HttpResult) -> None:
        super().__init__(f"empty or incomplete page from {result.url}")
        self.result = result


def user_agent(email: str = "") -> str:
    """`hotpapers/<version> (+https://github.com/hotpapers; mailto:<email>)`."""
    contact = f"; mailto:{email}" if email else ""
    return f"hotpapers/{__version__} (+https://github.com/hotpapers{contact})"


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class ArxivHttp:
    """GETs through the shared limiter; retries 429/5xx, timeouts, connect errors and empty pages.

    Every attempt (and every redirect hop) is a separate request through the limiter, so retries
    keep the 3 s spacing. Keep-alive is off: no idle connection outlives its request.
    """

    def __init__(
        self,
        *,
        email: str = "",
        timeout_seconds: float = 30.0,
        limiter: ArxivLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 4,
        backoff_seconds: float = 5.0,
        max_wait_seconds: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.limiter = limiter or default_limiter()
        self.sleep = sleep
        self.max_attempts = max(1, max_attempts)
        self.backoff_seconds = backoff_seconds
        self.max_wait_seconds = max_wait_seconds
        self.client = httpx.Client(
            headers={"User-Agent": user_agent(email)},
            timeout=httpx.Timeout(timeout_seconds),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=0),
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> ArxivHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- retries -----------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        backoff = self.backoff_seconds * (2 ** (state.attempt_number - 1))
        exc = state.outcome.exception() if state.outcome else None
        asked = exc.retry_after if isinstance(exc, _Retryable) else None
        return float(min(self.max_wait_seconds, max(backoff, asked or 0.0)))

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self.max_attempts:
            return True
        exc = state.outcome.exception() if state.outcome else None
        asked = exc.retry_after if isinstance(exc, _Retryable) else None
        return asked is not None and asked > self.max_wait_seconds

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "arXiv request failed (%s); attempt %d of %d, retrying in %.0f s",
            exc,
            state.attempt_number,
            self.max_attempts,
            wait,
        )

    def get(
        self,
        url: str,
        params: Params | None = None,
        *,
        complete: Callable[[HttpResult], bool] | None = None,
    ) -> HttpResult:
        """GET `url`. Returns 200 and 400 answers; raises ArxivHttpError when retries run out.

        `complete(result)` False marks an empty page: retried, and returned as it is at the end.
        """
        retrying = Retrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self.sleep,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    result = self._follow(url, params)
                    if complete is not None and result.status == 200 and not complete(result):
                        raise _EmptyPage(result)
        except _EmptyPage as empty:
            log.warning("arXiv kept returning an empty page for %s; giving up for now", url)
            return empty.result
        except _Retryable as exc:
            raise ArxivHttpError(f"arXiv request failed: {exc}; try again later") from None
        return result

    def _follow(self, url: str, params: Params | None) -> HttpResult:
        for _hop in range(MAX_REDIRECTS + 1):
            result = self._once(url, params)
            if result.status not in {301, 302, 303, 307, 308}:
                return result
            location = result.headers.get("location")
            if not location:
                break
            log.info("arXiv redirected %s to %s; consider updating base_urls", url, location)
            url, params = urljoin(result.url, location), None
        raise ArxivHttpError(f"too many or bad redirects from {url}")

    def _once(self, url: str, params: Params | None) -> HttpResult:
        with self.limiter.slot():
            try:
                response = self.client.get(url, params=dict(params) if params else None)
                content = response.content
            except httpx.TimeoutException as exc:
                raise _Retryable(f"timeout on {url}: {type(exc).__name__}") from exc
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                raise _Retryable(f"connection problem on {url}: {type(exc).__name__}") from exc
            except httpx.HTTPError as exc:
                raise ArxivHttpError(f"request to {url} failed: {exc}") from exc
        result = HttpResult(
            status=response.status_code,
            content=content,
            url=str(response.url),
            headers={k.lower(): v for k, v in response.headers.items()},
        )
        if response.status_code in RETRY_STATUSES:
            raise _Retryable(
                f"HTTP {response.status_code} from {url}",
                retry_after_seconds(response.headers.get("retry-after")),
            )
        if response.status_code in ANSWER_STATUSES or 300 <= response.status_code < 400:
            return result
        raise ArxivHttpError(f"HTTP {response.status_code} from {result.url}")
