"""The engine through chat commands, on a small real store."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.models import Paper, Request
from bot.services.engine import Engine, EngineSettings
from bot.store import Store
from bot.store.sample import sample_database
from tests.helpers import aggregate, paper

MONDAY = date(2021, 4, 5)
FRIDAY = date(2021, 4, 2)


@pytest.fixture
def store() -> Store:
    s = Store.memory()
    s.upsert_papers(
        [
            paper("2104.00001", MONDAY, ("cs.CV", "cs.LG"), title="Vision transformers at scale"),
            paper("2104.00002", MONDAY, ("cs.LG", "cs.CV")),
            paper("2104.00003", MONDAY, ("math.OC", "cs.IT")),
            paper("2104.00004", MONDAY, ("cs.CL",), title="Language models read papers"),
            paper("2104.00005", FRIDAY, ("cs.CV",)),
        ]
    )
    s.upsert_observations(
        [
            aggregate("2104.00001", 300, 100),
            aggregate("2104.00002", 500, 10),
            aggregate("2104.00003", 50, 50),
            aggregate("2104.00004", 5, 5),
            aggregate("2104.00005", 1000, 1000),
        ]
    )
    return s


def engine_at(store: Store, when: datetime) -> Engine:
    return Engine(store, clock=lambda: when)


def ask(engine: Engine, text: str, thread: str | None = None) -> str:
    reply = engine.handle(Request(text=text, thread=thread, addressed=True))
    assert reply is not None
    return reply.text


def ranked_ids(text: str) -> list[str]:
    return [line.rsplit("/", 1)[1] for line in text.splitlines() if "arxiv.org/abs/" in line]


def test_top_today_ranks_by_score(store: Store) -> None:
    engine = engine_at(store, datetime(2021, 4, 5, 15, tzinfo=UTC))
    text = ask(engine, "top 3 today")
    assert text.splitlines()[0] == "Hot Papers 2021-04-05"
    assert ranked_ids(text) == ["2104.00002", "2104.00001", "2104.00003"]


def test_category_filter_includes_cross_lists_and_aliases(store: Store) -> None:
    engine = engine_at(store, datetime(2021, 4, 5, 15, tzinfo=UTC))
    assert ranked_ids(ask(engine, "top cs.cv 5 2021-04-05")) == ["2104.00002", "2104.00001"]
    # cs.IT and math.IT are one category; `math` covers math.OC.
    assert ranked_ids(ask(engine, "top 5 math.IT 2021-04-05")) == ["2104.00003"]
    assert ranked_ids(ask(engine, "top 5 math 2021-04-05")) == ["2104.00003"]


def test_today_on_a_weekend_falls_back_and_says_so(store: Store) -> None:
    engine = engine_at(store, datetime(2021, 4, 10, 12, tzinfo=UTC))  # a Saturday
    text = ask(engine, "top 5 today")
    assert "No listing for 2021-04-10 yet; showing the latest one, 2021-04-05." in text
    assert ranked_ids(text)[0] == "2104.00002"


def test_yesterday_and_week(store: Store) -> None:
    engine = engine_at(store, datetime(2021, 4, 5, 15, tzinfo=UTC))
    assert ranked_ids(ask(engine, "top 1 yesterday")) == ["2104.00005"]
    assert ranked_ids(ask(engine, "top 2 this week")) == ["2104.00005", "2104.00002"]


def test_min_score_keeps_quiet_papers_out(store: Store) -> None:
    engine = engine_at(store, datetime(2021, 4, 5, 15, tzinfo=UTC))
    assert "2104.00004" in ranked_ids(ask(engine, "top 10 today"))
    engine.settings = type(engine.settings)(min_score=50)
    assert "2104.00004" not in ranked_ids(ask(engine, "top 10 today"))


def test_n_is_capped_with_a_note(store: Store) -> None:
    engine = engine_at(store, datetime(2021, 4, 5, 15, tzinfo=UTC))
    text = ask(engine, "top 10000 today")
    assert "25" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("top 5 cs.CVV today", "did you mean `cs.CV`"),
        ("top 0 today", "top 5"),
        ("top -3 today", "top 5"),
        ("top 5 2021-02-30", "2021-02-30"),
        ("frobnicate", "help"),
        ("", "top 5"),
    ],
)
def test_bad_input_gets_a_friendly_answer_with_an_example(
    store: Store, text: str, expected: str
) -> None:
    engine = engine_at(store, datetime(2021, 4, 5, 15, tzinfo=UTC))
    reply = engine.handle(Request(text=text or " ", thread="t", addressed=True))
    assert reply is not None and not reply.ok
    assert expected in reply.text
    assert "Traceback" not in reply.text


def test_unknown_date_says_which_listing_exists(store: Store) -> None:
    engine = engine_at(store, datetime(2021, 4, 5, 15, tzinfo=UTC))
    text = ask(engine, "top 5 2021-04-03")
    assert "Saturday" in text and "2021-04-05" in text


def test_paper_shows_score_parts_and_abstract(store: Store) -> None:
    engine = engine_at(store, datetime(2021, 4, 5, 15, tzinfo=UTC))
    text = ask(engine, "paper https://arxiv.org/abs/2104.00001v2")
    assert "Vision transformers at scale" in text
    assert "archive: 300 reposts, 100 likes → 400" in text
    assert "Abstract of 2104.00001." in text
    assert "I don't know arXiv:2104.99999" in ask(engine, "paper 2104.99999")


def test_pasted_link_is_looked_up(store: Store) -> None:
    engine = engine_at(store, datetime(2021, 4, 5, 15, tzinfo=UTC))
    text = ask(engine, "have you seen https://arxiv.org/pdf/2104.00004.pdf ?")
    assert "Language models read papers" in text


def test_search_finds_words_in_titles(store: Store) -> None:
    engine = engine_at(store, datetime(2021, 4, 5, 15, tzinfo=UTC))
    assert ranked_ids(ask(engine, "search vision transformers")) == ["2104.00001"]
    assert "No papers match" in ask(engine, "search quantum gravity")


def test_a_number_in_a_digest_thread_answers_that_item(store: Store) -> None:
    engine = engine_at(store, datetime(2021, 4, 5, 15, tzinfo=UTC))
    request = Request(
        text="top 3 today", platform="slack", channel="C1", thread=None, addressed=True
    )
    reply = engine.handle(request)
    assert reply is not None and reply.digest is not None
    engine.record_reply(request, reply, ["1700000000.000100"], thread="1700000000.000100")
    answer = engine.handle(
        Request(
            text="2", platform="slack", channel="C1", thread="1700000000.000100", addressed=True
        )
    )
    assert answer is not None and answer.paper is not None
    assert answer.paper.paper.arxiv_id == "2104.00001"
    details = engine.handle(
        Request(
            text="details 9",
            platform="slack",
            channel="C1",
            thread="1700000000.000100",
            addressed=True,
        )
    )
    assert details is not None and "has 3 items" in details.text
    elsewhere = engine.handle(
        Request(text="2", platform="slack", channel="C2", thread="x", addressed=True)
    )
    assert elsewhere is not None and "can't find a digest" in elsewhere.text


def test_help_lists_every_command(store: Store) -> None:
    engine = engine_at(store, datetime(2021, 4, 5, 15, tzinfo=UTC))
    text = ask(engine, "help")
    for word in ("top", "trending", "paper", "search", "subscribe", "categories"):
        assert word in text


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=500))
def test_no_text_makes_the_engine_raise(store: Store, text: str) -> None:
    engine = engine_at(store, datetime(2021, 4, 5, 15, tzinfo=UTC))
    for thread in (None, "t"):
        reply = engine.handle(Request(text=text, thread=thread, addressed=True))
        if reply is not None:
            assert reply.text
            assert "Traceback" not in reply.text


def test_a_command_past_its_time_budget_gets_a_friendly_answer_and_loses_nothing(
    tmp_path: Path,
) -> None:
    """A budget too small for any real query: the command is cut off, the user gets an example
    that works, and the store answers normally afterwards."""
    db = tmp_path / "sample.db"
    shutil.copy(sample_database(), db)
    store = Store.open(db)
    try:
        papers_before = store.conn.execute("SELECT count(*) FROM papers").fetchone()[0]
        rushed = Engine(store, EngineSettings(command_seconds=1e-6))
        reply = rushed.handle(Request(text="top 5 cs this month", addressed=True))
        assert reply is not None and not reply.ok
        assert "takes me too long" in reply.text and "`top 5 cs.CV today`" in reply.text
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.conn.execute("SELECT count(*) FROM papers").fetchone()[0] == papers_before
        patient = Engine(store, clock=lambda: datetime(2021, 4, 5, 15, tzinfo=UTC))
        answer = ask(patient, "top 5 cs.CV today")
        assert "Towards General Purpose Vision Systems" in answer
    finally:
        store.close()


def test_a_search_longer_than_the_cap_is_refused_with_an_example(store: Store) -> None:
    engine = engine_at(store, datetime(2021, 4, 5, 15, tzinfo=UTC))
    reply = engine.handle(Request(text="search " + "transformer " * 100, addressed=True))
    assert reply is not None and not reply.ok
    assert "at most 200" in reply.text and "search diffusion" in reply.text


async def test_an_arxiv_lookup_runs_off_the_event_loop_while_other_commands_are_answered(
    store: Store,
) -> None:
    release = threading.Event()
    asked: list[list[str]] = []

    def fetch(ids: Sequence[str]) -> list[Paper]:
        asked.append(list(ids))
        assert release.wait(30), "the test never released the lookup"
        return [paper("2311.99999", MONDAY, ("cs.CV",), title="A paper fetched from arXiv")]

    engine = Engine(store, clock=lambda: datetime(2021, 4, 5, 15, tzinfo=UTC), paper_fetch=fetch)
    slow = asyncio.ensure_future(
        engine.handle_async(Request(text="paper 2311.99999", addressed=True))
    )
    while not asked:  # the lookup has started in its worker thread
        await asyncio.sleep(0.01)
    meanwhile = await engine.handle_async(Request(text="top 3 cs.CV today", addressed=True))
    assert meanwhile is not None and "Vision transformers at scale" in meanwhile.text
    assert not slow.done()
    release.set()
    reply = await slow
    assert reply is not None and reply.ok and "A paper fetched from arXiv" in reply.text
    assert asked == [["2311.99999"]]
    again = await engine.handle_async(Request(text="paper 2311.99999", addressed=True))
    assert again is not None and again.ok and asked == [["2311.99999"]]  # stored: not asked again


async def test_a_failed_arxiv_lookup_says_the_paper_is_unknown(store: Store) -> None:
    def fetch(ids: Sequence[str]) -> list[Paper]:
        raise TimeoutError("arXiv did not answer")

    engine = Engine(store, paper_fetch=fetch)
    reply = await engine.handle_async(Request(text="paper 2311.99999", addressed=True))
    assert reply is not None and not reply.ok
    assert "I couldn't look arXiv:2311.99999 up just now" in reply.text
    assert "paper 2311.99999" in reply.text  # an example that works, once arXiv answers
