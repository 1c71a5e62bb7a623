"""Events/s through the Jetstream listener vs "websocket receive + JSON decode only", same run;
and the memory of the listener's tracked set at 1,000,000 posts vs a plain set of URI strings.

A websockets server in a process of its own (127.0.0.1, OS-chosen port) serves N
Jetstream-v1-shaped events, compact JSON as Jetstream sends them (70% likes, 12% reposts, 18%
posts; 2% of posts link arXiv and a tenth of likes and reposts hit a tracked post) to each
connection: first to a bare client that receives and decodes each frame, then to the listener,
which stores what it keeps in SQLite. Each memory figure is measured in a fresh process (RSS
before and after building the structure). Bounded: everything stops by itself.

    python -m bot.bench.jetstream [N] [--tracked 1000000]
"""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from adapters.sources.jetstream import JetstreamListener
from bot.sources.attention.config import BlueskyConfig
from bot.sources.attention.jetstream_tracked import UriSet
from bot.store import Store

if TYPE_CHECKING:
    from bot.bench.runner import Figure

CID = "bafyreiftot7eltsc3f6g4qktykmbv6jcmdmhcx5osscan6jpdxkpqcmcza"
START_US = int(time.time() * 1_000_000) - 600 * 1_000_000
EVENTS = 50_000
TRACKED = 1_000_000
TARGET_EVENTS_S = 20_000.0
TARGET_BYTES_PER_POST = 32  # 32 MB at a million tracked posts


def events(n: int, seed: int = 7, start_us: int = START_US) -> list[str]:
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
            record = {
                "$type": collection,
                "createdAt": "2026-01-01T00:00:00.000Z",
                "langs": ["en"],
                "text": text,
            }
            uri = f"at://{did}/{collection}/{rkey}"
            (tracked if arxiv else posts).append(uri)
        else:
            collection = "app.bsky.feed.like" if roll < 0.88 else "app.bsky.feed.repost"
            pool = tracked if tracked and rng.random() < 0.1 else posts
            subject = rng.choice(pool) if pool else f"at://{did}/app.bsky.feed.post/x"
            record = {
                "$type": collection,
                "createdAt": "2026-01-01T00:00:00.000Z",
                "subject": {"cid": CID, "uri": subject},
            }
        out.append(
            json.dumps(
                {
                    "did": did,
                    "time_us": start_us + i * 100,
                    "kind": "commit",
                    "commit": {
                        "rev": rkey,
                        "operation": "create",
                        "collection": collection,
                        "rkey": rkey,
                        "record": record,
                        "cid": CID,
                    },
                },
                separators=(",", ":"),  # as Jetstream sends them
            )
        )
    return out


def _server(n: int, start_us: int, port: Connection) -> None:
    """The child process: serve the same N frames to every connection until terminated."""
    frames = events(n, start_us=start_us)

    async def handler(socket: ServerConnection) -> None:
        for frame in frames:
            await socket.send(frame)
        await socket.wait_closed()

    async def main() -> None:
        # no permessage-deflate: Jetstream does not use it (the listener does not ask for it)
        async with serve(handler, "127.0.0.1", 0, max_size=None, compression=None) as server:
            port.send(next(iter(server.sockets)).getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


async def _baseline(url: str, n: int) -> tuple[float, float]:
    """Wall and CPU seconds to receive and json-decode N frames."""
    wall, cpu = time.perf_counter(), time.process_time()
    async with connect(f"{url}/subscribe", max_size=None) as socket:
        for _ in range(n):
            json.loads(await socket.recv())
    return time.perf_counter() - wall, time.process_time() - cpu


async def _listen(url: str, n: int, last_us: int) -> tuple[float, float, int]:
    """Wall and CPU seconds for the listener to read and store N frames; posts tracked."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "bench.sqlite")
        config = replace(
            BlueskyConfig(), instances=(url,), batch_seconds=0.2, reconcile_per_minute=0
        )
        listener = JetstreamListener(store, config)
        wall, cpu = time.perf_counter(), time.process_time()
        task = asyncio.create_task(listener.run())
        while listener.cursor != last_us or listener.batch:
            await asyncio.sleep(0.005)
        took, used = time.perf_counter() - wall, time.process_time() - cpu
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        tracked = len(listener.tracked)
        store.close()
    return took, used, tracked


def measure_events(n: int = EVENTS) -> dict[str, float]:
    """events/s and CPU µs per event, listener vs receive + decode, against a server process."""
    start_us = int(time.time() * 1_000_000) - 600 * 1_000_000
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=_server, args=(n, start_us, theirs), daemon=True)
    child.start()
    try:
        if not ours.poll(60):
            raise RuntimeError("the benchmark's Jetstream server did not start")
        url = f"ws://127.0.0.1:{ours.recv()}"
        base_wall, base_cpu = asyncio.run(_baseline(url, n))
        wall, cpu, tracked = asyncio.run(_listen(url, n, start_us + (n - 1) * 100))
    finally:
        child.terminate()
        child.join(10)
    return {
        "events": n,
        "tracked": tracked,
        "listener_per_s": n / wall,
        "baseline_per_s": n / base_wall,
        "listener_cpu_us": cpu / n * 1e6,
        "baseline_cpu_us": base_cpu / n * 1e6,
    }


def _uris(n: int) -> Any:
    rng = random.Random(11)
    for i in range(n):
        yield f"at://did:plc:{rng.getrandbits(120):024x}/app.bsky.feed.post/3l{i:011d}"


def _rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * 4096


def _memory_child(kind: str, n: int, out: Connection) -> None:
    """RSS grown by building one structure of N URIs, and µs per lookup (half hits)."""
    gc.collect()
    before = _rss_bytes()
    held: Any = UriSet(_uris(n)) if kind == "compact" else set(_uris(n))
    gc.collect()
    grown = _rss_bytes() - before
    probes = list(_uris(n))[:50_000] + [
        f"at://did:plc:x/app.bsky.feed.post/{i}" for i in range(50_000)
    ]
    began = time.perf_counter()
    hits = sum(1 for p in probes if p in held)
    lookup_us = (time.perf_counter() - began) / len(probes) * 1e6
    out.send((grown, lookup_us, hits, len(held)))


def measure_tracked(n: int = TRACKED) -> dict[str, float]:
    """MB and lookup µs of the listener's tracked set vs a set of URI strings, N URIs each."""
    context = multiprocessing.get_context("spawn")
    found: dict[str, float] = {}
    for kind in ("compact", "strings"):
        ours, theirs = context.Pipe()
        child = context.Process(target=_memory_child, args=(kind, n, theirs), daemon=True)
        child.start()
        try:
            grown, lookup_us, hits, size = ours.recv() if ours.poll(300) else (0, 0.0, 0, 0)
        finally:
            child.join(30)
        if size != n or hits != min(n, 50_000):
            raise RuntimeError(f"the {kind} tracked set held {size} URIs, found {hits}")
        found[f"{kind}_mb"] = grown / 1e6
        found[f"{kind}_lookup_us"] = lookup_us
    found["tracked"] = n
    return found


def figures(
    say: Callable[[str], None] = lambda _m: None, events: int = EVENTS, tracked: int = TRACKED
) -> list[Figure]:
    """The Jetstream figures of `hotpapers bench` (smaller counts at --scale small)."""
    from bot.bench.runner import Figure

    say("Jetstream listener (bot/bench/jetstream.py, with a server process)")
    ev = measure_events(events)
    say(f"Jetstream tracked set at {tracked:,} posts (two fresh processes)")
    mem = measure_tracked(tracked)
    mb_target = TARGET_BYTES_PER_POST * tracked / 1e6
    return [
        Figure(
            "jetstream.events_per_s",
            "Jetstream events stored through the listener",
            round(ev["listener_per_s"]),
            "events/s",
            round(ev["baseline_per_s"]),
            "websocket receive + JSON decode only",
            target=f"≥ {TARGET_EVENTS_S:,.0f} events/s",
            met=ev["listener_per_s"] >= TARGET_EVENTS_S,
            note=(
                f"{ev['events']:,.0f} events, {ev['tracked']:,.0f} posts tracked; CPU "
                f"{ev['listener_cpu_us']:.1f} µs/event (baseline {ev['baseline_cpu_us']:.1f})"
            ),
        ),
        Figure(
            "jetstream.tracked_mb",
            f"Jetstream tracked set, {tracked:,} posts (RSS)",
            round(mem["compact_mb"], 1),
            "MB",
            round(mem["strings_mb"], 1),
            "a set of the URI strings",
            target=f"≤ {mb_target:g} MB",
            met=mem["compact_mb"] <= mb_target,
            note=(
                f"lookup {mem['compact_lookup_us']:.2f} µs "
                f"(set of strings {mem['strings_lookup_us']:.2f} µs)"
            ),
        ),
    ]


def main(argv: list[str]) -> None:
    if "--tracked" in argv:
        at = argv.index("--tracked")
        mem = measure_tracked(int(argv[at + 1]))
        print(f"tracked posts: {mem['tracked']:,.0f}")
        print(
            f"compact set (hashes): {mem['compact_mb']:.1f} MB RSS, {mem['compact_lookup_us']:.2f} µs/lookup"
        )
        print(
            f"set of URI strings:   {mem['strings_mb']:.1f} MB RSS, {mem['strings_lookup_us']:.2f} µs/lookup"
        )
        del argv[at : at + 2]
        if not argv:
            return
    ev = measure_events(int(argv[0]) if argv else EVENTS)
    print(f"events: {ev['events']:,.0f}; posts tracked: {ev['tracked']:,.0f}")
    print(
        f"receive + JSON decode only: {ev['baseline_per_s']:,.0f} events/s "
        f"({ev['baseline_cpu_us']:.1f} µs CPU/event)"
    )
    print(
        f"through the listener (stored): {ev['listener_per_s']:,.0f} events/s "
        f"({ev['listener_cpu_us']:.1f} µs CPU/event)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
