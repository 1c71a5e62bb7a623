"""Events/s through the Jetstream listener vs "websocket receive + JSON decode only", same run.

A loopback websockets server (127.0.0.1, OS-chosen port) serves N Jetstream-v1-shaped events
(70% likes, 12% reposts, 18% posts; 2% of posts link arXiv and a tenth of likes and reposts hit a
tracked post), then stays idle. Bounded: it stops by itself.

    python -m bot.bench.jetstream [N]
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from adapters.sources.jetstream import JetstreamListener
from bot.sources.attention.config import BlueskyConfig
from bot.store import Store

START_US = int(time.time() * 1_000_000) - 600 * 1_000_000


def events(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    tracked: list[str] = []
    posts: list[str] = []
    out = []
    for i in range(n):
        did = f"did:plc:{rng.getrandbits(60):015x}"
        rkey = f"3k{i:011d}"
        roll = rng.random()
        record: dict[str, Any]
        if roll < 0.18:
            collection = "app.bsky.feed.post"
            arxiv = rng.random() < 0.02
            text = f"see https://arxiv.org/abs/2104.{i % 90000 + 10000:05d}" if arxiv else "hello"
            record = {"$type": collection, "text": text, "createdAt": "2026-01-01T00:00:00Z"}
            uri = f"at://{did}/{collection}/{rkey}"
            (tracked if arxiv else posts).append(uri)
        else:
            collection = "app.bsky.feed.like" if roll < 0.88 else "app.bsky.feed.repost"
            pool = tracked if tracked and rng.random() < 0.1 else posts
            subject = rng.choice(pool) if pool else f"at://{did}/app.bsky.feed.post/x"
            record = {"$type": collection, "subject": {"uri": subject, "cid": "bafy"}}
        out.append(
            json.dumps(
                {
                    "did": did,
                    "time_us": START_US + i * 100,
                    "kind": "commit",
                    "commit": {
                        "rev": rkey,
                        "operation": "create",
                        "collection": collection,
                        "rkey": rkey,
                        "record": record,
                        "cid": "bafyrei",
                    },
                }
            )
        )
    return out


async def main(n: int) -> None:
    frames = events(n)
    last_us = START_US + (n - 1) * 100

    async def handler(socket: ServerConnection) -> None:
        for frame in frames:
            await socket.send(frame)
        await socket.wait_closed()

    async with serve(handler, "127.0.0.1", 0) as server:
        url = f"ws://127.0.0.1:{next(iter(server.sockets)).getsockname()[1]}"
        began = time.perf_counter()
        async with connect(f"{url}/subscribe", max_size=None) as socket:
            for _ in range(n):
                json.loads(await socket.recv())
        baseline = time.perf_counter() - began
        with tempfile.TemporaryDirectory() as folder:
            store = Store.open(Path(folder) / "bench.sqlite")
            config = BlueskyConfig(instances=(url,), batch_seconds=0.2)
            listener = JetstreamListener(store, config)
            began = time.perf_counter()
            task = asyncio.create_task(listener.run())
            while listener.cursor != last_us or listener.batch:
                await asyncio.sleep(0.005)
            took = time.perf_counter() - began
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            tracked = len(listener.tracked)
            store.close()
    print(f"events: {n}; posts tracked: {tracked}")
    print(f"receive + JSON decode only: {n / baseline:,.0f} events/s ({baseline:.2f} s)")
    print(f"through the listener (stored): {n / took:,.0f} events/s ({took:.2f} s)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000))
