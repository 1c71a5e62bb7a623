"""Settings of the arXiv source under [sources.arxiv], checked with errors naming the key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.domain.calendar import DEFAULT_HOLIDAYS
from bot.domain.errors import ConfigError
from bot.domain.taxonomy import canonical_category

DEFAULT_BASE_URLS: Mapping[str, str] = {
    "api": "https://export.arxiv.org/api/query",
    "rss": "https://rss.arxiv.org/rss",
    "oai": "https://oaipmh.arxiv.org/oai",
}
KEYS = frozenset(
    {
        "enabled",
        "categories",
        "interval_minutes",
        "user_agent_email",
        "base_urls",
        "holidays",
        "timeout_seconds",
    }
)
_EMAIL = re.compile(r"^[^@\s;()<>]+@[^@\s;()<>]+\.[^@\s;()<>]+$")
_CATEGORY = re.compile(r"^[A-Za-z][A-Za-z\-]*(\.[A-Za-z\-]+)?$")


@dataclass(frozen=True)
class ArxivSourceConfig:
    enabled: bool = True
    categories: tuple[str, ...] = ("cs.AI", "cs.CL", "cs.CV", "cs.LG", "stat.ML")
    interval_minutes: int = 60
    user_agent_email: str = ""
    base_urls: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_BASE_URLS))
    holidays: frozenset[date] = DEFAULT_HOLIDAYS  # the shipped list plus the configured dates
    timeout_seconds: float = 30.0

    @property
    def api_url(self) -> str:
        return self.base_urls.get("api", DEFAULT_BASE_URLS["api"])

    @property
    def rss_url(self) -> str:
        return self.base_urls.get("rss", DEFAULT_BASE_URLS["rss"])

    @property
    def oai_url(self) -> str:
        return self.base_urls.get("oai", DEFAULT_BASE_URLS["oai"])


def _category(value: object, where: str) -> str:
    if not isinstance(value, str) or not _CATEGORY.match(value.strip()):
        raise ConfigError(f"{where}: categories: {value!r} is not an arXiv category or archive")
    text = value.strip()
    return canonical_category(text) or text


def _positive(value: object, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{where}: {key}: expected a positive number, got {value!r}")
    return float(value)


def _holiday(value: object, where: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{where}: holidays: {value!r} is not a date (YYYY-MM-DD)")


def from_mapping(d: Mapping[str, Any], where: str = "[sources.arxiv]") -> ArxivSourceConfig:
    """Check and read the [sources.arxiv] table; `where` prefixes every error (file and section)."""
    if not isinstance(d, Mapping):
        raise ConfigError(f"{where}: expected a table")
    unknown = sorted(set(d) - KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(KEYS))})")
    base = ArxivSourceConfig()
    enabled = d.get("enabled", base.enabled)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: enabled: expected true or false, got {enabled!r}")

    categories = base.categories
    if "categories" in d:
        raw = d["categories"]
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            raise ConfigError(f'{where}: categories: expected a non-empty list like ["cs.CV"]')
        categories = tuple(dict.fromkeys(_category(c, where) for c in raw))

    interval = d.get("interval_minutes", base.interval_minutes)
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 5:
        raise ConfigError(
            f"{where}: interval_minutes: expected a whole number >= 5, got {interval!r}"
        )

    email = d.get("user_agent_email", base.user_agent_email)
    if not isinstance(email, str) or (email and not _EMAIL.match(email.strip())):
        raise ConfigError(f"{where}: user_agent_email: {email!r} is not an email address")

    urls = dict(DEFAULT_BASE_URLS)
    raw_urls = d.get("base_urls", {})
    if not isinstance(raw_urls, Mapping):
        raise ConfigError(f"{where}: base_urls: expected a table with api, rss and/or oai")
    for name, url in raw_urls.items():
        if name not in DEFAULT_BASE_URLS:
            raise ConfigError(f"{where}: base_urls.{name}: unknown (known: api, rss, oai)")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}: base_urls.{name}: expected an http(s) URL, got {url!r}")
        urls[name] = url.rstrip("/")

    raw_holidays = d.get("holidays", [])
    if not isinstance(raw_holidays, list):
        raise ConfigError(f"{where}: holidays: expected a list of dates like [2026-11-26]")
    holidays = DEFAULT_HOLIDAYS | {_holiday(h, where) for h in raw_holidays}

    timeout = _positive(d.get("timeout_seconds", base.timeout_seconds), "timeout_seconds", where)

    return ArxivSourceConfig(
        enabled=enabled,
        categories=categories,
        interval_minutes=interval,
        user_agent_email=email.strip(),
        base_urls=urls,
        holidays=frozenset(holidays),
        timeout_seconds=timeout,
    )
