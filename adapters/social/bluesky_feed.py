"""`hotpapers bluesky publish-feed`: one `app.bsky.feed.generator` record per feed the web
server serves, created or updated (com.atproto.repo.putRecord) in the publisher account's repo.

The account is `[adapters.bluesky]`'s (handle and app password from the environment variables
it names; never logged); its DID must be `[adapters.web] feed_publisher_did`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.social.bluesky import make_client
from adapters.social.config import SocialConfig
from adapters.web.config import WebConfig
from bot.domain.errors import ConfigError
from bot.domain.feeds import GENERATOR, FeedPublishError, feed_specs, feed_uri


@dataclass(frozen=True)
class FeedRecord:
    uri: str
    rkey: str
    record: dict[str, Any]


def feed_records(web: WebConfig, title: str, now: datetime) -> list[FeedRecord]:
    """The records to write, one per feed (the overall one first)."""
    if not web.feed_publisher_did or not web.feed_hostname:
        raise ConfigError(
            "[adapters.web] feed_publisher_did and feed_hostname (or public_url) are needed to "
            "publish the feed"
        )
    created = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return [
        FeedRecord(
            feed_uri(web.feed_publisher_did, spec.rkey),
            spec.rkey,
            {
                "$type": GENERATOR,
                "did": f"did:web:{web.feed_hostname}",
                "displayName": spec.display_name,
                "description": spec.description,
                "createdAt": created,
            },
        )
        for spec in feed_specs(web.feed_categories, title)
    ]


def publish_feeds(
    web_table: Mapping[str, Any] | None,
    bluesky_table: Mapping[str, Any] | None,
    where: str,
    env: Mapping[str, str],
    *,
    title: str,
    now: datetime,
    dry_run: bool,
) -> list[FeedRecord]:
    """Write (or, dry run, only build) the records; ConfigError / FeedPublishError in one line."""
    web = WebConfig.from_mapping(web_table, where)
    records = feed_records(web, title, now)
    if dry_run:
        return records
    social = SocialConfig.from_mapping("bluesky", bluesky_table, where)
    secrets = social.secrets(env, where)
    try:
        client = make_client(social, secrets)
    except Exception as exc:  # the SDK's errors carry the response, never the password
        raise FeedPublishError(f"could not log in to {social.base_url}: {_why(exc)}") from None
    did = getattr(getattr(client, "me", None), "did", None)
    if did != web.feed_publisher_did:
        raise FeedPublishError(
            f"the account logged in is {did}, not [adapters.web] feed_publisher_did "
            f"{web.feed_publisher_did}: set one to the other"
        )
    for item in records:
        try:
            client.com.atproto.repo.put_record(
                {
                    "repo": did,
                    "collection": GENERATOR,
                    "rkey": item.rkey,
                    "record": item.record,
                }
            )
        except Exception as exc:
            raise FeedPublishError(f"could not write {item.uri}: {_why(exc)}") from None
    return records


def _why(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    content = getattr(response, "content", None)
    message = getattr(content, "message", None) or getattr(content, "error", None)
    status = getattr(response, "status_code", None)
    if message or status:
        return f"{status or ''} {message or ''}".strip()[:200]
    return (str(exc) or type(exc).__name__).splitlines()[0][:200]
