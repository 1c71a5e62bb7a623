"""Paper lookups on arXiv from chat: their own pool, one per user, a deadline (issue 15 defect 7),
and papers first seen through attention get their metadata (issue 15 defect 3)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import date

import pytest

from bot.domain.models import Paper, Request
from bot.services.engine import Engine
from bot.store import Store
from tests.helpers import paper, post


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store.memory()
    yield store
    store.close()


LISTED = date(2021, 4, 5)


def ask(user: str, text: str) -> Request:
    return Request(text=text, user=user, addressed=True)


async def test_a_hanging_arxiv_delays_no_other_command_and_each_user_waits_for_one(
    store: Store,
) -> None:
    store.upsert_papers([paper("2104.00743", LISTED)])
    release = threading.Event()

    def hanging(ids: Sequence[str]) -> list[Paper]:
        release.wait(10)
        return []

    engine = Engine(store, paper_fetch=hanging)
    engine.lookups.deadline = 0.5  # type: ignore[union-attr]
    first = asyncio.create_task(engine.handle_async(ask("ana", "paper 2105.99999")))
    await asyncio.sleep(0.05)
    second = await engine.handle_async(ask("ana", "paper 2105.99998"))
    assert second is not None and "still looking up your previous paper" in second.text
    other = await engine.handle_async(ask("bo", "paper 2104.00743"))  # known: answered at once
    assert other is not None and other.ok and "2104.00743" in other.text
    reply = await first
    release.set()
    assert reply is not None and not reply.ok
    assert "did not answer within 0.5 s" in reply.text
    again = await engine.handle_async(ask("ana", "paper 2105.99998"))  # her turn again
    assert again is not None and "still looking up" not in again.text


def test_the_cli_lookup_is_bounded_by_the_deadline(store: Store) -> None:
    release = threading.Event()

    def hanging(ids: Sequence[str]) -> list[Paper]:
        release.wait(10)
        return []

    engine = Engine(store, paper_fetch=hanging)
    engine.lookups.deadline = 0.3  # type: ignore[union-attr]
    started = time.monotonic()
    reply = engine.handle(ask("ana", "paper 2105.99999"))
    waited = time.monotonic() - started
    release.set()
    assert reply is not None and "did not answer within 0.3 s" in reply.text
    assert waited < 5  # not arXiv's retries × 30 s


async def test_a_paper_first_seen_on_an_attention_source_is_looked_up(store: Store) -> None:
    """The observation leaves a placeholder row; `paper <id>` still fetches its metadata."""
    store.upsert_observations([post("2105.00001", "p1", "ana", reposts=5, likes=7)])
    asked: list[list[str]] = []

    def fetch(ids: Sequence[str]) -> list[Paper]:
        asked.append(list(ids))
        return [paper("2105.00001", date(2021, 5, 4), title="A paper people talk about")]

    engine = Engine(store, paper_fetch=fetch)
    reply = await engine.handle_async(ask("ana", "paper 2105.00001"))
    assert asked == [["2105.00001"]]
    assert reply is not None and "A paper people talk about" in reply.text
    assert "12" in reply.text  # its attention, scored
    sync = Engine(store, paper_fetch=fetch).handle(ask("bo", "paper 2105.00001"))
    assert sync is not None and "A paper people talk about" in sync.text
    assert len(asked) == 1  # now known: not fetched again
