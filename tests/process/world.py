"""The fakes a whole `hotpapers run` talks to, all on 127.0.0.1, and the config pointing at them.

arXiv (RSS listing + API lookups), Hacker News (attention), Slack (Web API + Socket Mode),
Discord (REST + gateway) and Mastodon. The listing is the one current at the real time the test
runs (the process reads the real clock), so the tests hold on any day.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.domain.calendar import latest_listing
from tests.fakes.arxiv_fake import Answer, FakeArxiv, Item, api_entry, api_for, rss_feed
from tests.fakes.attention_fakes import Fake, json_answer, serve
from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.slack_fake import FakeSlack
from tests.fakes.social_fakes import Posts, mastodon_fake
from tests.process.harness import LoopThread, write_config

CATEGORIES = ("cs.CV", "cs.LG")
SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-process-test",
    "SLACK_APP_TOKEN": "xapp-process-test",
    "DISCORD_BOT_TOKEN": "discord-process-test",
    "MASTODON_ACCESS_TOKEN": "mastodon-process-test",
}


def listing_today(now: datetime | None = None) -> date:
    return latest_listing(now or datetime.now(UTC))


def paper_ids(listing: date, n: int = 6) -> list[str]:
    return [f"{listing:%y%m}.{90001 + i:05d}" for i in range(n)]


def titles(listing: date) -> dict[str, str]:
    return {pid: f"Process paper {i + 1}" for i, pid in enumerate(paper_ids(listing))}


def rss_pub_date(listing: date) -> str:
    return f"{listing:%a, %d %b %Y} 00:00:00 -0500"


def hn_page(listing: date, now: datetime) -> dict[str, Any]:
    """One Hacker News search page: a story linking each paper, more points for earlier ones."""
    hits = []
    for i, pid in enumerate(paper_ids(listing)):
        created = int((now - timedelta(minutes=30 + i)).timestamp())
        hits.append(
            {
                "objectID": str(41000001 + i),
                "title": f"Process paper {i + 1}",
                "url": f"https://arxiv.org/abs/{pid}",
                "author": f"hn_user_{i}",
                "points": 300 - 40 * i,
                "num_comments": 10,
                "story_text": None,
                "created_at_i": created,
                "created_at": datetime.fromtimestamp(created, UTC).strftime(
                    "%Y-%m-%dT%H:%M:%S.000Z"
                ),
                "_tags": ["story", f"author_hn_user_{i}", f"story_{41000001 + i}"],
                "children": [],
            }
        )
    return {
        "hits": hits,
        "nbHits": len(hits),
        "page": 0,
        "nbPages": 1,
        "hitsPerPage": 100,
        "exhaustiveNbHits": True,
        "query": "arxiv.org",
        "params": "",
        "processingTimeMS": 1,
    }


@dataclass
class World:
    """Every fake, started; `config()` writes the TOML that points `hotpapers run` at them."""

    loop: LoopThread
    arxiv: FakeArxiv
    web: Fake  # Hacker News and Mastodon share one plain HTTP fake (different paths)
    slack: FakeSlack
    discord: FakeDiscord | None
    listing: date
    toots: Posts = field(default_factory=Posts)

    def read(self, fn: Any) -> Any:
        return self.loop.read(fn)

    def config(
        self,
        path: Path,
        *,
        subscriptions: Sequence[Mapping[str, Any]] = (),
        sources: bool = True,
        discord: bool = True,
        mastodon: bool = True,
        slack_api_url: str | None = None,
    ) -> Path:
        tables: dict[str, Any] = {
            "bot": {"timezone": "UTC"},
            "schedule": {"misfire_grace_seconds": 3600},
        }
        if sources:
            urls = self.arxiv.base_urls()
            tables["sources.arxiv"] = {
                "categories": list(CATEGORIES),
                "interval_minutes": 60,
                "user_agent_email": "tests@example.org",
                "timeout_seconds": 10,
                "base_urls": urls,
            }
            tables["sources.hackernews"] = {
                "base_url": self.web.url,
                "interval_minutes": 60,
                "max_pages": 1,
                "max_attempts": 1,
                "timeout_seconds": 10,
            }
        tables["adapters.slack"] = {
            "mode": "socket",
            "api_url": slack_api_url or self.slack.api_url,
        }
        if discord and self.discord is not None:
            tables["adapters.discord"] = {
                "api_url": self.discord.rest_base,
                "gateway_url": self.discord.gateway_url,
                "sync": self.discord.world.guild_id,
            }
        if mastodon:
            tables["adapters.mastodon"] = {"base_url": self.web.url, "daily_budget": 300}
        if subscriptions:
            tables["subscriptions"] = list(subscriptions)
        return write_config(path, tables)


def serve_listing(arxiv: FakeArxiv, web: Fake, listing: date) -> None:
    names = titles(listing)
    items = [
        Item(f"{pid}v1", title=title, categories=(CATEGORIES[i % 2],))
        for i, (pid, title) in enumerate(names.items())
    ]
    feed = rss_feed("+".join(CATEGORIES), rss_pub_date(listing), items)
    arxiv.routes["/rss/"] = lambda path, query: Answer(200, feed)
    arxiv.routes["/api/query"] = api_for(
        {
            pid: api_entry(pid, title, (CATEGORIES[i % 2],))
            for i, (pid, title) in enumerate(names.items())
        }
    )
    page = hn_page(listing, datetime.now(UTC))
    web.route("/search_by_date", lambda seen: json_answer(page))


def serve_mastodon(web: Fake, toots: Posts) -> None:
    mastodon_fake(web, toots)
    account = {"id": "1", "username": "hotpapers", "acct": "hotpapers"}
    web.route("/api/v1/accounts/verify_credentials", json_answer(account))
    web.route("/api/v1/notifications", json_answer([]))


@contextlib.contextmanager
def world(*, discord: bool = True) -> Iterator[World]:
    """Start every fake; stop them all afterwards."""
    with LoopThread() as loop, FakeArxiv() as arxiv, serve() as web:
        slack = loop.run(FakeSlack().start())
        fake_discord = FakeDiscord() if discord else None
        if fake_discord is not None:
            loop.run(fake_discord.start())
        listing = listing_today()
        serve_listing(arxiv, web, listing)
        built = World(loop, arxiv, web, slack, fake_discord, listing)
        serve_mastodon(web, built.toots)
        try:
            yield built
        finally:
            loop.run(slack.close())
            if fake_discord is not None:
                loop.run(fake_discord.stop())


# -- what users send (Slack Socket Mode payloads, written to Slack's documented shapes) ---------

ASKER = "U0PROCESS1"


def slack_slash(text: str, channel: str) -> dict[str, Any]:
    return {
        "token": "verification-token",
        "team_id": "T0HOTPAPR",
        "team_domain": "hotpapers-test",
        "channel_id": channel,
        "channel_name": "papers",
        "user_id": ASKER,
        "user_name": "asker",
        "command": "/hotpapers",
        "text": text,
        "api_app_id": "A0HOTPAPR",
        "response_url": "",
        "trigger_id": "1111.2222.abcd",
    }


def slack_event(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "token": "verification-token",
        "team_id": "T0HOTPAPR",
        "api_app_id": "A0HOTPAPR",
        "type": "event_callback",
        "event_id": f"Ev{event['ts'].replace('.', '')}",
        "event_time": int(float(event["ts"])),
        "authed_users": ["UBOT0001"],
        "event": {"team": "T0HOTPAPR", "event_ts": event["ts"], **event},
    }


def slack_mention(text: str, channel: str, ts: str) -> dict[str, Any]:
    return slack_event(
        {"type": "app_mention", "user": ASKER, "text": text, "ts": ts, "channel": channel}
    )


def slack_thread_message(text: str, channel: str, ts: str, thread_ts: str) -> dict[str, Any]:
    return slack_event(
        {
            "type": "message",
            "user": ASKER,
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "channel": channel,
            "channel_type": "channel",
        }
    )
