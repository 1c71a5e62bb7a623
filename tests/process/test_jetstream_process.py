"""`hotpapers run` with the Bluesky source in Jetstream mode, against a fake Jetstream on
127.0.0.1 (tests/adapters/jetstream_fake.py) and with the web server: a post linking an arXiv
paper arrives, then likes and reposts of it; `hotpapers ask "paper <id>"` on the same database
shows them. Then `kill -9`, more events while the bot is down, a restart that resumes a few
seconds before the stored cursor (so the first events are served again): the counts are exact,
none doubled, and the feed skeleton lists that post before and after.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.store import Store
from bot.store.jetstream import CURSOR
from tests.adapters.jetstream_fake import FakeJetstream
from tests.adapters.web_world import build_store
from tests.process.harness import bot_process, process_env, wait_until, write_config
from tests.process.test_feed_process import PUBLISHER, skeleton
from tests.process.test_web_process import _port

pytestmark = pytest.mark.process

PAPER = (
    "2104.00003"  # "Looking Again" (the latest listing) in the web world's store, no Bluesky yet
)
AUTHOR = "did:plc:authorprocesstest0000000"
POST_RKEY = "3lprocpost000"
POST_URI = f"at://{AUTHOR}/app.bsky.feed.post/{POST_RKEY}"
SERVING = r"web: serving on http://127\.0\.0\.1:(\d+)/"
WAIT = 90.0  # a deadline so that a broken run fails instead of hanging; never asserted on


class Frames:
    """Jetstream v1 commits as Jetstream sends them (compact JSON), 1 ms apart, from 2 min ago:
    all inside the 5 s a restart replays."""

    def __init__(self) -> None:
        self.time_us = int((time.time() - 120) * 1_000_000)

    def _commit(self, did: str, collection: str, rkey: str, record: dict[str, Any] | None) -> str:
        self.time_us += 1000
        commit: dict[str, Any] = {"rev": rkey, "collection": collection, "rkey": rkey}
        if record is None:
            commit["operation"] = "delete"
        else:
            commit.update(operation="create", record={"$type": collection, **record}, cid="bafy")
        frame = {"did": did, "time_us": self.time_us, "kind": "commit", "commit": commit}
        return json.dumps(frame, separators=(",", ":"))

    def post(self) -> str:
        text = f"Looking Again arxiv.org/abs/{PAPER}"
        start = text.index("arxiv")
        link = {
            "index": {"byteStart": start, "byteEnd": len(text)},
            "features": [
                {"$type": "app.bsky.richtext.facet#link", "uri": f"https://arxiv.org/abs/{PAPER}"}
            ],
        }
        created = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(self.time_us / 1e6))
        record = {"text": text, "facets": [link], "langs": ["en"], "createdAt": created}
        return self._commit(AUTHOR, "app.bsky.feed.post", POST_RKEY, record)

    def engage(self, kind: str, n: int) -> str:
        collection = f"app.bsky.feed.{kind}"
        subject = {"cid": "bafy", "uri": POST_URI}
        return self._commit(
            f"did:plc:fan{n:022d}", collection, f"3l{kind}{n:06d}", {"subject": subject}
        )

    def undo(self, kind: str, n: int) -> str:
        return self._commit(
            f"did:plc:fan{n:022d}", f"app.bsky.feed.{kind}", f"3l{kind}{n:06d}", None
        )


@pytest.fixture
def jetstream() -> Iterator[FakeJetstream]:
    """The fake Jetstream on its own loop in a thread; its frames can grow between connections."""
    server = FakeJetstream([])
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        async with server.running():
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(30)
    yield server
    loop.call_soon_threadsafe(stop.set)
    thread.join(30)


def ask(db: Path, text: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--db", str(db), text],
        env=process_env({}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def bluesky_line(db: Path) -> str:
    """The Bluesky line of `paper <id>` (the ranked score's part), or ''."""
    answer = ask(db, f"paper {PAPER}")
    return next((line for line in answer.splitlines() if "bluesky" in line.lower()), "")


def stored_cursor(db: Path) -> int:
    store = Store.open(db)
    try:
        value = store.get_cursor(CURSOR)
    finally:
        store.close()
    return int(value) if value else 0


def test_likes_and_reposts_survive_kill_9_exactly(tmp_path: Path, jetstream: FakeJetstream) -> None:
    db = tmp_path / "hotpapers.db"
    build_store(db).close()
    config = write_config(
        tmp_path / "hotpapers.toml",
        {
            "bot": {"database": str(db)},
            "adapters.web": {
                "port": 0,
                "feed_publisher_did": PUBLISHER,
                "feed_hostname": "feed.example.org",
            },
            "sources.bluesky": {
                "mode": "jetstream",
                "instances": [jetstream.url],
                "batch_seconds": 0.05,
                "reconcile_per_minute": 0,  # no AppView here (tests/adapters cover it)
            },
        },
    )
    make = Frames()
    jetstream.frames += [make.post(), *(make.engage("like", i) for i in range(3))]
    jetstream.frames.append(make.engage("repost", 0))
    with bot_process(config, db, {}) as bot:
        serving_line = bot.wait_for_line(SERVING, timeout=WAIT)
        bot.wait_for_line(r"bluesky-jetstream: connected to ws://127\.0\.0\.1", timeout=WAIT)
        first = wait_until(
            lambda: (line := bluesky_line(db)) and "3 likes" in line and line, WAIT, "3 likes"
        )
        assert "1 repost" in first, first
        port = _port(serving_line)
        assert skeleton(port, "hot-papers")["feed"] == [{"post": POST_URI}]
        assert bot.kill() == -9
    # While the bot is down: two more likes, another repost, and the first like taken back.
    jetstream.frames += [make.engage("like", 3), make.engage("like", 4)]
    jetstream.frames += [make.engage("repost", 1), make.undo("like", 0)]
    last = make.time_us
    with bot_process(config, db, {}) as bot:
        serving_line = bot.wait_for_line(SERVING, timeout=WAIT)
        wait_until(lambda: stored_cursor(db) == last, WAIT, "the events after the restart stored")
        resumed = jetstream.requests[-1]
        assert int(resumed["cursor"][0]) < make.time_us - 7000  # the first events served again
        line = bluesky_line(db)
        assert skeleton(_port(serving_line), "hot-papers")["feed"] == [{"post": POST_URI}]
        assert bot.running, bot.tail()
        assert bot.terminate() == 143
    # 3 + 2 - 1 likes, 1 + 1 reposts: the replayed first events were not counted again
    assert "bluesky: 1 posts from 1 accounts, 2 reposts, 4 likes" in line, line
    store = Store.open(db)
    try:
        rows = store.conn.execute(
            "SELECT likes, reposts FROM jetstream_posts WHERE uri = ?", (POST_URI,)
        ).fetchall()
        held = store.conn.execute("SELECT count(*) FROM jetstream_engagements").fetchone()[0]
    finally:
        store.close()
    assert rows == [(4, 2)]
    assert held == 6
