"""The Bluesky feed in the whole process: `hotpapers run` with the Jetstream listener against a
fake Jetstream and the web server with the feed generator; a post linking an arXiv paper of
the latest listing arrives with its likes and reposts, and getFeedSkeleton lists it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

from bot.store import Store
from tests.adapters.jetstream_fake import PAPER, FakeJetstream, arxiv_stream
from tests.helpers import paper
from tests.process.harness import LoopThread, bot_process, wait_until, write_config
from tests.process.test_web_process import SERVING, _port

PUBLISHER = "did:plc:hotpapersbot"
FEEDS = f"at://{PUBLISHER}/app.bsky.feed.generator"


def skeleton(port: int, rkey: str) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}/xrpc/app.bsky.feed.getFeedSkeleton?feed={FEEDS}/{rkey}"
    with urllib.request.urlopen(url, timeout=30) as response:
        data: dict[str, Any] = json.loads(response.read())
        return data


def test_run_serves_the_post_the_listener_brought_in_the_feed(tmp_path: Path) -> None:
    db = tmp_path / "hotpapers.db"
    store = Store.open(db)
    store.upsert_papers([paper(PAPER, date(2021, 4, 5), ("cs.LG",))])
    store.close()
    stream = arxiv_stream()
    fake = FakeJetstream([json.dumps(e) for e in stream.events])
    with LoopThread() as loop:
        serving = fake.running()
        loop.run(serving.__aenter__())
        try:
            config = write_config(
                tmp_path / "hotpapers.toml",
                {
                    "bot": {"database": str(db)},
                    "sources.bluesky": {"instances": [fake.url], "batch_seconds": 0.05},
                    "adapters.web": {
                        "port": 0,
                        "feed_publisher_did": PUBLISHER,
                        "feed_hostname": "feed.example.org",
                        "feed_categories": ["cs.LG", "cs.CV"],
                    },
                },
            )
            with bot_process(config, db, {}) as bot:
                port = _port(bot.wait_for_line(SERVING, timeout=60))
                feed = wait_until(
                    lambda: skeleton(port, "hot-papers")["feed"], 60, "the post in the feed"
                )
                assert feed == [{"post": stream.post}]
                assert skeleton(port, "hot-cs-lg")["feed"] == [{"post": stream.post}]
                assert skeleton(port, "hot-cs-cv")["feed"] == []
                try:
                    skeleton(port, "hot-nope")
                except urllib.error.HTTPError as exc:
                    assert exc.code == 400
                    assert json.loads(exc.read())["error"] == "UnknownFeed"
                else:
                    raise AssertionError("an unknown feed was answered")
                assert bot.running, bot.tail()
                assert bot.terminate() == 143
        finally:
            loop.run(serving.__aexit__(None, None, None))
