"""Fault injection for every source through the loopback fakes: 429, 5xx, timeouts, resets, bad bodies.

For each source and fault: a fault once then a good answer (retried, everything stored), the fault
every time (bounded attempts, one clear log line naming the source and the fault, nothing lost),
then a good run again (nothing doubled). Sleeps go to a list, never to the clock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.sources.arxiv.client import ArxivClient
from bot.sources.arxiv.config import from_mapping as arxiv_config
from bot.sources.arxiv.ingest import backfill, ingest_listings, lookup_papers
from bot.sources.arxiv.limiter import ArxivLimiter
from bot.sources.attention.base import SourceReport
from bot.sources.attention.config import (
    BlueskyConfig,
    HackerNewsConfig,
    HuggingFaceConfig,
    MastodonConfig,
    MastodonInstance,
    SourceConfig,
    TwitterConfig,
)
from bot.sources.attention.ingest import ingest_source
from bot.store import Store
from tests.fakes import arxiv_fake
from tests.fakes.arxiv_fake import FakeArxiv, FakeClock, Item, arxiv_record, oai_page, rss_feed
from tests.fakes.attention_fakes import Answer, Fake, data_file, raw_answer, serve

NOW = datetime(2021, 4, 5, 18, 0, tzinfo=UTC)
TOKEN = "tok-SECRET-0123456789"
TIMEOUT = 0.2  # the clients' timeout in these tests; a stalled fake waits STALL
STALL = 0.6
ATTEMPTS = 3
FAULTS = ("429", "500", "502", "503", "timeout", "reset", "malformed", "truncated")
KIND = {
    "429": "HTTP 429 (rate limited)",
    "500": "HTTP 500",
    "502": "HTTP 502",
    "503": "HTTP 503",
    "timeout": "timeout",
    "reset": "connection reset",
    "malformed": "malformed JSON",
    "truncated": "malformed JSON",
}


@dataclass(frozen=True)
class Spec:
    """One attention source: the path faults hit, its good body, its config and its 429 header."""

    name: str
    path: str
    good: bytes
    config: Callable[[str], SourceConfig]
    reset_header: tuple[str, str]  # how this platform says when to come back
    asked_wait: float  # the wait that header asks for, in seconds


def _hf_day() -> bytes:
    return json.dumps(data_file("huggingface_2021-04-05.json")).encode()


SPECS = {
    "hackernews": Spec(
        "hackernews",
        "/api/v1/search_by_date",
        json.dumps({**data_file("hackernews_page0.json"), "nbPages": 1}).encode(),
        lambda url: HackerNewsConfig(
            base_url=f"{url}/api/v1", max_pages=1, timeout_seconds=TIMEOUT
        ),
        ("Retry-After", "7"),
        7.0,
    ),
    "huggingface": Spec(
        "huggingface",
        "/api/daily_papers",
        _hf_day(),
        lambda url: HuggingFaceConfig(base_url=url, days=1, timeout_seconds=TIMEOUT),
        ("Retry-After", "7"),
        7.0,
    ),
    "twitter": Spec(
        "twitter",
        "/2/tweets/search/recent",
        json.dumps(data_file("twitter_search_page1.json") | {"meta": {}}).encode(),
        lambda url: TwitterConfig(base_url=url, refresh_hours=0, timeout_seconds=TIMEOUT),
        ("x-rate-limit-reset", str(int(NOW.timestamp()) + 5)),
        6.0,
    ),
    "bluesky": Spec(
        "bluesky",
        "/xrpc/app.bsky.feed.searchPosts",
        json.dumps(data_file("bluesky_search_page1.json")).encode(),
        lambda url: BlueskyConfig(base_url=url, max_pages=1, timeout_seconds=TIMEOUT),
        ("ratelimit-reset", str(int(NOW.timestamp()) + 5)),
        6.0,
    ),
    "mastodon": Spec(
        "mastodon",
        "/api/v1/timelines/tag/arxiv",
        json.dumps(data_file("mastodon_tag_page1.json")).encode(),
        lambda url: MastodonConfig(
            instances=(MastodonInstance(url, "MASTODON_TOKEN"),),
            hashtags=("arxiv",),
            max_pages=1,
            timeout_seconds=TIMEOUT,
        ),
        ("Retry-After", "7"),
        1.0,  # Mastodon.py's rate-limit error carries no headers: our own backoff
    ),
}


def fault_answer(spec: Spec, fault: str) -> Answer:
    if fault == "429":
        return raw_answer(b'{"error": "rate limited"}', 429, dict([spec.reset_header]))
    if fault in {"500", "502", "503"}:
        return raw_answer(b'{"error": "server"}', int(fault))
    if fault == "timeout":
        return Answer(200, spec.good, fault="stall", stall=STALL)
    if fault == "reset":
        return Answer(200, spec.good, fault="reset")
    if fault == "malformed":
        return raw_answer(b"<html><body>Bad gateway</body></html>")
    return raw_answer(spec.good[: len(spec.good) // 2])


def run(spec: Spec, store: Store, fake: Fake, slept: list[float]) -> SourceReport:
    return ingest_source(
        store,
        spec.name,
        spec.config(fake.url),
        None,
        env={"X_BEARER_TOKEN": TOKEN, "MASTODON_TOKEN": TOKEN},
        sleep=slept.append,
        clock=lambda: NOW,
    )


def rows(store: Store) -> int:
    return store.count("observations")


def clean_count(spec: Spec) -> int:
    store = Store.memory()
    with serve() as fake:
        fake.route(spec.path, raw_answer(spec.good))
        report = run(spec, store, fake, [])
    assert report.ok and report.observations > 0, report
    return rows(store)


def no_leaks(caplog: pytest.LogCaptureFixture, report: SourceReport) -> None:
    assert TOKEN not in caplog.text and TOKEN not in report.error
    assert "Traceback" not in caplog.text
    assert all(r.exc_info is None for r in caplog.records if r.levelno >= logging.WARNING)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("source", sorted(SPECS))
def test_attention_source_survives_fault(
    source: str, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    spec = SPECS[source]
    expected = clean_count(spec)
    store = Store.memory()
    slept: list[float] = []
    caplog.set_level(logging.INFO)
    with serve() as fake:
        fake.route(spec.path, raw_answer(spec.good))

        # once: retried, and then every good item is stored
        fake.inject(spec.path, fault_answer(spec, fault))
        report = run(spec, store, fake, slept)
        assert report.ok, report
        assert len(fake.requests(spec.path)) == 2
        assert rows(store) == expected
        assert len(slept) == 1
        if fault == "429":
            assert slept == [spec.asked_wait]

        # every time: ATTEMPTS requests, a clear failure, nothing lost
        fake.inject(spec.path, *[fault_answer(spec, fault)] * ATTEMPTS)
        caplog.clear()
        report = run(spec, store, fake, slept)
        assert not report.ok
        assert len(fake.requests(spec.path)) == 2 + ATTEMPTS
        assert f"{source}: {KIND[fault]} after {ATTEMPTS} attempts" in caplog.text
        assert KIND[fault] in report.error
        assert rows(store) == expected
        no_leaks(caplog, report)

        # and a good run again: nothing doubled
        report = run(spec, store, fake, slept)
        assert report.ok and rows(store) == expected
    assert len(slept) == 1 + (ATTEMPTS - 1)


def test_a_far_rate_limit_reset_ends_the_run_without_waiting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    spec = SPECS["bluesky"]
    slept: list[float] = []
    with serve() as fake:
        far = raw_answer(b"{}", 429, {"ratelimit-reset": str(int(NOW.timestamp()) + 7200)})
        fake.route(spec.path, far)
        report = run(spec, Store.memory(), fake, slept)
    assert not report.ok and "reset in 7201 s" in report.error
    assert slept == [] and len(fake.requests(spec.path)) == 1


def test_a_bad_item_in_a_good_page_is_skipped_and_the_rest_stored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    for spec in SPECS.values():
        payload = json.loads(spec.good)
        items = payload if isinstance(payload, list) else payload[_items_key(payload)]
        items.insert(0, {"id": 12, "uri": None, "paper": "no", "objectID": 5})
        items.insert(1, "not an object")
        store = Store.memory()
        with serve() as fake:
            fake.route(spec.path, raw_answer(json.dumps(payload)))
            caplog.clear()
            report = run(spec, store, fake, [])
        assert report.ok, report
        assert rows(store) == clean_count(spec), spec.name
        assert len(report.problems) >= 2
        assert f"{spec.name}: skipping" in caplog.text


def _items_key(payload: dict[str, Any]) -> str:
    return next(k for k in ("hits", "data", "posts") if k in payload)


# -- arXiv: the API, RSS and OAI-PMH through one polite HTTP path ------------------------------

ARXIV_ATTEMPTS = 4  # ArxivHttp's max_attempts
TUESDAY = "Tue, 03 Mar 2026 00:00:00 -0500"
RSS_NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
IDS = ["1707.08567", "2202.12139"]


@pytest.fixture
def arxiv() -> Iterator[tuple[FakeArxiv, ArxivClient, FakeClock]]:
    clock = FakeClock()
    limiter = ArxivLimiter(clock=clock, sleep=clock.sleep)
    with FakeArxiv() as fake:
        config = arxiv_config(
            {"categories": ["cs.CV"], "base_urls": fake.base_urls(), "timeout_seconds": TIMEOUT}
        )
        with ArxivClient.from_config(config, limiter=limiter, sleep=clock.sleep) as client:
            yield fake, client, clock


def rss_good() -> bytes:
    return rss_feed("cs.CV", TUESDAY, [Item(f"2603.0000{i}v1") for i in range(1, 5)])


def oai_good() -> bytes:
    return oai_page([arxiv_record(f"2603.0010{i}", "2026-03-02") for i in range(1, 5)])


def arxiv_fault(fault: str, good: bytes) -> arxiv_fake.Answer:
    if fault == "429":
        return arxiv_fake.Answer(429, b"slow down", {"Retry-After": "7"})
    if fault in {"500", "502", "503"}:
        return arxiv_fake.Answer(int(fault), b"server error")
    if fault == "timeout":
        return arxiv_fake.Answer(200, good, fault="stall", stall=STALL)
    if fault == "reset":
        return arxiv_fake.Answer(200, good, fault="reset")
    if fault == "malformed":
        return arxiv_fake.Answer(200, b"<html><body>Bad gateway</body></html>")
    return arxiv_fake.Answer(200, good[: len(good) * 2 // 3])


def papers(store: Store) -> int:
    return store.count("papers")


@dataclass(frozen=True)
class ArxivSpec:
    prefix: str
    good: Callable[[], bytes]
    run: Callable[[Store, ArxivClient], tuple[bool, tuple[str, ...]]]


def _rss(store: Store, client: ArxivClient) -> tuple[bool, tuple[str, ...]]:
    report = ingest_listings(store, client, ["cs.CV"], RSS_NOW)
    return report.status == "ingested" and not report.problems, report.problems


def _api(store: Store, client: ArxivClient) -> tuple[bool, tuple[str, ...]]:
    report = lookup_papers(store, client, IDS)
    return not report.missing and not report.problems, report.problems


def _oai(store: Store, client: ArxivClient) -> tuple[bool, tuple[str, ...]]:
    report = backfill(store, client, date(2026, 3, 1), date(2026, 3, 4), ["cs.CV"])
    return report.complete and not report.problems, report.problems


ARXIV = {
    "rss": ArxivSpec("/rss", rss_good, _rss),
    "api": ArxivSpec("/api/query", lambda: b"", _api),  # the fake's recorded API answers
    "oai": ArxivSpec("/oai", oai_good, _oai),
}
ARXIV_KIND = {
    "429": "HTTP 429",
    "500": "HTTP 500",
    "502": "HTTP 502",
    "503": "HTTP 503",
    "timeout": "timeout",
    "reset": "connection problem",
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("source", sorted(ARXIV))
def test_arxiv_source_survives_fault(
    source: str,
    fault: str,
    arxiv: tuple[FakeArxiv, ArxivClient, FakeClock],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake, client, clock = arxiv
    spec = ARXIV[source]
    if source != "api":
        body = spec.good()
        fake.routes[spec.prefix] = lambda path, query: arxiv_fake.Answer(200, body)
    good = spec.good() or arxiv_fake.recorded_api("/api/query", {"id_list": ",".join(IDS)}).body
    reference = Store.memory()
    assert spec.run(reference, client)[0]
    expected = papers(reference)
    start = len(fake.requests_to(spec.prefix))
    caplog.set_level(logging.INFO)

    # once: retried (or, for a bad body arXiv's parsers take as it is, reported), nothing doubled
    store = Store.memory()
    fake.queue(spec.prefix, arxiv_fault(fault, good))
    ok, problems = spec.run(store, client)
    seen = len(fake.requests_to(spec.prefix)) - start
    if fault in ARXIV_KIND or source == "oai":
        assert ok and seen == 2 and papers(store) == expected
    else:  # RSS and API take a 200 body as it is: the bad part is reported, the next run heals
        assert not ok and problems and seen == 1 and papers(store) < expected
        assert spec.run(store, client)[0]
        assert papers(store) == expected

    # every time: at most ARXIV_ATTEMPTS requests, a clear failure, what was stored stays
    caplog.clear()
    before = len(fake.requests_to(spec.prefix))
    fresh = Store.memory()
    fake.queue(spec.prefix, *[arxiv_fault(fault, good)] * ARXIV_ATTEMPTS)
    ok, problems = spec.run(fresh, client)
    seen = len(fake.requests_to(spec.prefix)) - before
    fake.queued[spec.prefix] = []
    assert not ok and problems
    assert 1 <= seen <= ARXIV_ATTEMPTS
    if fault in ARXIV_KIND:
        assert seen == ARXIV_ATTEMPTS
        assert any(ARXIV_KIND[fault] in p for p in problems), problems
        assert ARXIV_KIND[fault] in caplog.text and "try again later" in caplog.text
    assert "Traceback" not in caplog.text
    ok, _ = spec.run(store, client)
    assert papers(store) == expected
    assert all(s <= 120 for s in clock.sleeps)
