"""`new [N] [CATEGORY ...]`: the latest listing's papers, newest submission first."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.commands.grammar import Invalid, parse_command
from bot.commands.help import help_text
from bot.domain.models import Request
from bot.services.engine import Engine, EngineSettings
from bot.store import Store
from tests.helpers import aggregate, paper

FRIDAY, MONDAY = date(2021, 4, 2), date(2021, 4, 5)
SUBMITTED = datetime(2021, 4, 2, 8, 0, tzinfo=UTC)


def ask(engine: Engine, text: str) -> str:
    reply = engine.handle(Request(text=text, channel="c1", addressed=True))
    assert reply is not None
    return reply.text


@pytest.fixture
def engine() -> Engine:
    store = Store.memory()
    monday = [
        # submitted i hours after SUBMITTED; the ids run the other way so order is by time
        replace(
            paper(f"2104.{10 - i:05d}", MONDAY, ("cs.CV",) if i % 2 else ("math.OC", "cs.CV")),
            submitted=SUBMITTED + timedelta(hours=i),
        )
        for i in range(8)
    ]
    monday.append(paper("2104.00020", MONDAY, ("hep-th",)))  # no submission time: last
    friday = [replace(paper("2103.99999", FRIDAY), submitted=SUBMITTED + timedelta(days=9))]
    store.upsert_papers(monday + friday)
    store.upsert_observations([aggregate("2104.00010", 500, 500)])  # attention is not the order
    now = datetime(2021, 4, 6, 12, 0, tzinfo=UTC)  # Tuesday: no listing yet in the store
    return Engine(store, EngineSettings(timezone="UTC"), clock=lambda: now)


def titles(text: str) -> list[str]:
    return [line.split("Paper ", 1)[1].split()[0] for line in text.splitlines() if "Paper " in line]


def test_new_lists_the_latest_listing_newest_submission_first(engine: Engine) -> None:
    text = ask(engine, "new 5 cs.CV")
    assert text.startswith("New papers 2021-04-05 · cs.CV")
    assert "showing the latest one, 2021-04-05" in text
    assert titles(text) == ["2104.00003", "2104.00004", "2104.00005", "2104.00006", "2104.00007"]


def test_new_defaults_to_five_of_every_category_and_takes_any_order(engine: Engine) -> None:
    assert titles(ask(engine, "new")) == titles(ask(engine, "new 5"))
    assert len(titles(ask(engine, "new"))) == 5
    assert titles(ask(engine, "new math 2")) == ["2104.00004", "2104.00006"]
    assert titles(ask(engine, "new 2 math")) == ["2104.00004", "2104.00006"]
    assert titles(ask(engine, "new 25 hep-th")) == ["2104.00020"]


def test_new_mistakes_get_a_friendly_answer(engine: Engine) -> None:
    bad = parse_command("new 5 cs.CVV", addressed=True)
    assert isinstance(bad, Invalid) and "did you mean `cs.CV`? Try `new 5 cs.CV`." in bad.message
    bad = parse_command("new 2.5", addressed=True)
    assert isinstance(bad, Invalid) and "Try `new 5 cs.CV`" in bad.message
    assert "No papers" in ask(engine, "new astro-ph")


def test_new_has_help_and_a_slash_form() -> None:
    assert help_text("new").startswith("new [N] [CATEGORY ...]")
    assert "new [N] [CATEGORY ...]" in help_text()
