"""A stop that closes the store while an ingest job still runs in its worker thread (the thread
cannot be interrupted in a network call): the job ends with one quiet line, no traceback, and
the alert check that follows an ingest is never left as an un-awaited coroutine."""

from __future__ import annotations

import asyncio
import inspect
import logging
from pathlib import Path

import pytest

from bot.app import then_check
from bot.sources.attention.base import FetchResult, run_source
from bot.store import Store


class CursorReader:
    """A source that reads its cursor first, as Hacker News does."""

    name = "hackernews"

    def fetch(self, store: Store) -> FetchResult:
        store.get_cursor("hackernews")
        return FetchResult()


def test_a_source_run_on_a_store_closed_by_the_stop_logs_no_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store.open(tmp_path / "hp.db")
    store.close()  # the stop closed it while the job waited in a network call
    with caplog.at_level(logging.DEBUG):
        report = run_source(store, CursorReader(), None)
    assert not report.ok
    assert not any(r.exc_info for r in caplog.records), "a traceback was logged"
    assert "stopping" in caplog.text


class Checker:
    def __init__(self) -> None:
        self.checked = 0

    async def check(self) -> int:
        self.checked += 1
        return 0


def test_an_ingest_job_hands_back_the_alert_check_uncalled() -> None:
    checker = Checker()
    ran: list[str] = []
    jobs = then_check({"hn": (lambda: ran.append("hn"), 60)}, checker)  # type: ignore[arg-type]
    follow_up = jobs["hn"][0]()
    assert ran == ["hn"]
    # a coroutine object made in the worker thread and then cut off by the stop would never be
    # awaited (RuntimeWarning on stderr); the scheduler calls the function on the loop instead
    assert not inspect.isawaitable(follow_up)
    assert inspect.iscoroutinefunction(follow_up)
    asyncio.run(follow_up())  # type: ignore[operator]
    assert checker.checked == 1
