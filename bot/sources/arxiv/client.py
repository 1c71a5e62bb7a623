"""The arXiv client the use cases take: configured base URLs and holidays over one polite HTTP path."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date

import httpx

from bot.sources.arxiv import api, oaipmh
from bot.sources.arxiv.config import ArxivSourceConfig
from bot.sources.arxiv.http import ArxivHttp, HttpResult, Params
from bot.sources.arxiv.limiter import ArxivLimiter
from bot.sources.arxiv.rss import feed_url


class ArxivClient:
    """Builds arXiv requests; every one goes through `http` (and so through the shared limiter)."""

    def __init__(self, config: ArxivSourceConfig, http: ArxivHttp) -> None:
        self.config = config
        self.http = http

    @classmethod
    def from_config(
        cls,
        config: ArxivSourceConfig,
        *,
        limiter: ArxivLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> ArxivClient:
        """A client on the process-wide limiter unless one is given (tests inject a fake clock)."""
        http = ArxivHttp(
            email=config.user_agent_email,
            timeout_seconds=config.timeout_seconds,
            limiter=limiter,
            sleep=sleep,
            transport=transport,
        )
        return cls(config, http)

    @property
    def holidays(self) -> frozenset[date]:
        return self.config.holidays

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ArxivClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rss(self, categories: Sequence[str]) -> HttpResult:
        """The RSS feed of one or more categories joined with `+` (arXiv caps it at 2000 items)."""
        return self.http.get(feed_url(self.config.rss_url, categories))

    def lookup(self, ids: Sequence[str]) -> api.LookupResult:
        """Papers by id from the API, <= 100 ids per request."""
        return api.fetch_papers(self.http, self.config.api_url, ids, self.holidays)

    def list_records(self, params: Params) -> HttpResult:
        """One OAI-PMH ListRecords page (empty or cut-off pages are retried a bounded number of times)."""
        return self.http.get(self.config.oai_url, params, complete=oaipmh.page_is_complete)
