"""The web's figures for `hotpapers bench`: `/`, `/c/cs.CV` and `/paper/<id>` server-side, each
against the engine answering the same question in the same run, and `site build`'s rate.

Server-side means the site's own route handler called in-process (a request made with aiohttp's
`make_mocked_request`): the store query in its worker thread, with the page's time budget, and
the HTML rendering. No socket and no HTTP parsing; the security and ETag middleware is left out.
The baseline is `Engine.handle` on the chat command asking the same (`top 10 cs.CV today`).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.bench.datagen import Scale, clock_for
from bot.bench.worker import query_inputs
from bot.domain.models import Request
from bot.services.engine import Engine
from bot.store import Store

if TYPE_CHECKING:
    from bot.bench.runner import Figure, Progress

P99_TARGET_MS = 20.0
# The latest listing days `site build` writes (None: all). The small store's 4,524 days are
# 10,619 pages (about 20 s). At arXiv scale, not measured yet, the build is bounded so that the
# run's length stays predictable; the rate is what the figure reports.
BUILD_DAYS: dict[str, int | None] = {"small": None, "arxiv": 250}
PAGES = {  # key: (label, route, its match_info, the chat command asking the same)
    "latest": ("/", "/", {}, "top 10 today"),
    "category": ("/c/cs.CV", "/c/cs.CV", {"cat": "cs.CV"}, "top 10 cs.CV today"),
    "paper": ("/paper/<id>", "/paper/{id}", {"arxiv_id": "{id}"}, "paper {id}"),
}


def measure_web(db: Path, scale: Scale, say: Progress) -> list[Figure]:
    from bot.bench.runner import Figure

    try:
        from aiohttp.test_utils import make_mocked_request

        from adapters.web.config import WebConfig
        from adapters.web.routes import Site
        from adapters.web.static import build_site
    except ImportError as exc:  # the web extra (aiohttp) is not installed
        return [
            Figure("web.error", "web pages", float("nan"), "", float("nan"), "", note=repr(exc))
        ]
    store = Store.open(db)
    try:
        engine = Engine(store, clock=lambda: clock_for(scale))
        site = Site(engine, WebConfig(port=0, requests_per_minute=0))
        ids = [
            t.removeprefix("paper ") for t in query_inputs(store.conn, scale.queries, 7)["paper"]
        ]
        figures = []
        for key, (label, route, match, command) in PAGES.items():
            say(f"web: {label} server-side against `{command.format(id='<id>')}`")
            handler = site.paper_page if key == "paper" else site.digest_page

            def request(i: int, route: str = route, match: dict[str, str] = match) -> Any:
                arxiv_id = ids[i % len(ids)]
                info = {k: v.format(id=arxiv_id) for k, v in match.items()}
                return make_mocked_request("GET", route.format(id=arxiv_id), match_info=info)

            def ask(i: int, command: str = command) -> Any:
                return engine.handle(Request(command.format(id=ids[i % len(ids)]), addressed=True))

            pages, asks = asyncio.run(_interleaved(request, handler, ask, scale.queries))
            p99, base = percentile(pages, 99), percentile(asks, 99)
            figures.append(
                Figure(
                    f"web.{key}.p99",
                    f"web {label} p99 (handler: query + HTML)",
                    p99,
                    "ms",
                    base,
                    f"engine `{command.format(id='<id>')}` p99",
                    f"<= {P99_TARGET_MS:g} ms",
                    p99 <= P99_TARGET_MS,
                    f"median {percentile(pages, 50):.2f} ms, {len(pages)} requests",
                )
            )
        say("web: site build")
        figures.append(_site_build(engine, scale, build_site))
        return figures
    finally:
        store.close()


async def _interleaved(
    request: Callable[[int], Any],
    handler: Callable[[Any], Awaitable[Any]],
    ask: Callable[[int], Any],
    count: int,
) -> tuple[list[float], list[float]]:
    """ms per page and per engine answer, alternating so both see the same cache state. The
    request objects are made before the clock starts (a mocked request costs about a ms)."""
    for i in range(max(5, count // 20)):  # warm-up, not measured
        await handler(request(i))
        ask(i)
    pages: list[float] = []
    asks: list[float] = []
    for i in range(count):
        made = request(i)
        started = time.perf_counter()
        response = await handler(made)
        pages.append((time.perf_counter() - started) * 1000.0)
        if response.status != 200:
            raise RuntimeError(f"the web bench got {response.status} for request {i}")
        started = time.perf_counter()
        ask(i)
        asks.append((time.perf_counter() - started) * 1000.0)
    return pages, asks


def _site_build(engine: Engine, scale: Scale, build: Callable[..., Any]) -> Figure:
    from bot.bench.runner import Figure

    days = BUILD_DAYS.get(scale.name)
    with tempfile.TemporaryDirectory(prefix="hotpapers-site-") as out:
        started = time.perf_counter()
        report = build(engine, Path(out), days=days)
        seconds = time.perf_counter() - started
    written = list(report.written)
    pages = sum(1 for name in written if name.endswith(".html"))
    listed = len(engine.listing_dates())
    which = f"all {listed:,} listing days" if days is None else f"the latest {days} listing days"
    return Figure(
        "web.site_build.rate",
        f"site build: {which}",
        pages / seconds if seconds else float("nan"),
        "pages/s",
        float("nan"),
        "",
        note=f"{pages:,} pages ({len(written):,} files) in {seconds:.1f} s",
    )


def percentile(values: list[float], q: float) -> float:
    from bot.bench.runner import percentile as nearest_rank

    return nearest_rank(values, q)
