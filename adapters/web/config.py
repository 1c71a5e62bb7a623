"""`[adapters.web]`: where the site listens, its public address, and its limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.domain.errors import ConfigError
from bot.domain.feeds import feed_specs

KEYS = {
    "host",
    "port",
    "public_url",
    "requests_per_minute",
    "request_seconds",
    "feed_publisher_did",
    "feed_hostname",
    "feed_categories",
}
DID = re.compile(r"^did:(plc|web):[A-Za-z0-9._%:-]{1,200}$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8080  # 0: any free port (logged)
    public_url: str | None = None  # "https://papers.example.org/": absolute links in feeds
    requests_per_minute: int = 120  # per client address; 0 = off
    request_seconds: float = 10.0  # a page's work is cut off after this
    # The Bluesky feed generator (served when feed_publisher_did is set): the account whose repo
    # holds the feed records, the server's did:web host, and a feed per category or archive.
    feed_publisher_did: str | None = None
    feed_hostname: str | None = None
    feed_categories: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any] | None, where: str) -> WebConfig:
        """Validate the raw `[adapters.web]` table; errors name the file, section and key."""
        d = dict(d or {})
        section = f"{where}: [adapters.web]" if "[adapters.web]" not in where else where
        for key in d:
            if key not in KEYS:
                raise ConfigError(
                    f"{section} unknown key {key!r}; known: {', '.join(sorted(KEYS))}"
                )
        host = d.get("host", "127.0.0.1")
        if not isinstance(host, str) or not host.strip():
            raise ConfigError(f"{section} host: expected an address like '127.0.0.1'")
        port = d.get("port", 8080)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigError(f"{section} port: expected 0 (any free port) to 65535, got {port!r}")
        public_url = d.get("public_url")
        if public_url is not None:
            parts = urlsplit(public_url) if isinstance(public_url, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(
                    f"{section} public_url: expected an http(s) address like "
                    f"'https://papers.example.org/', got {public_url!r}"
                )
            public_url = public_url.rstrip("/") + "/"
        rpm = d.get("requests_per_minute", 120)
        if isinstance(rpm, bool) or not isinstance(rpm, int) or not 0 <= rpm <= 100_000:
            raise ConfigError(f"{section} requests_per_minute: expected 0..100000, got {rpm!r}")
        seconds = d.get("request_seconds", 10.0)
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0.1 <= seconds <= 600
        ):
            raise ConfigError(f"{section} request_seconds: expected 0.1..600, got {seconds!r}")
        return cls(host.strip(), port, public_url, rpm, float(seconds), *_feed(d, section))


def _feed(d: dict[str, Any], section: str) -> tuple[str | None, str | None, tuple[str, ...]]:
    """feed_publisher_did, feed_hostname (default: public_url's host) and feed_categories."""
    did = d.get("feed_publisher_did")
    if did is not None and (not isinstance(did, str) or not DID.match(did.strip())):
        raise ConfigError(
            f"{section} feed_publisher_did: expected the DID of the account that publishes the "
            f"feed, like 'did:plc:abcd1234...', got {str(did)[:80]!r}"
        )
    host = d.get("feed_hostname")
    if host is None and isinstance(d.get("public_url"), str):
        parts = urlsplit(d["public_url"])
        host = parts.hostname if parts.port is None else None
    if host is not None and (not isinstance(host, str) or not HOSTNAME.match(host.strip())):
        raise ConfigError(
            f"{section} feed_hostname: expected the public host name the feed is served at, "
            f"like 'papers.example.org' (no scheme, port or path), got {str(host)[:80]!r}"
        )
    if did is not None and host is None:
        raise ConfigError(
            f"{section} feed_hostname: needed with feed_publisher_did (or set public_url): the "
            "feed generator's did is did:web:<feed_hostname>"
        )
    raw = d.get("feed_categories", [])
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        raise ConfigError(
            f"{section} feed_categories: expected a list like ['cs.CV', 'cs'], got {raw!r}"
        )
    try:
        feed_specs(tuple(raw))
    except ValueError as exc:
        raise ConfigError(f"{section} feed_categories: {exc}") from None
    return (did.strip() if did else None, host.strip() if host else None, tuple(raw))
