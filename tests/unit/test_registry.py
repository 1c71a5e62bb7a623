"""The command registry: one entry per chat command, and everything derived from it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.commands.grammar import Invalid, parse_command
from bot.commands.help import chat_table, help_text
from bot.commands.registry import REGISTRY
from bot.commands.spec import CommandSpec
from bot.domain.models import Request
from bot.services.engine import Engine, EngineSettings
from bot.store import Store
from tests.conftest import REPO
from tests.helpers import aggregate, paper

MONDAY = date(2021, 4, 5)


def readme_table() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Chat commands\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return "\n".join(rows)


def test_the_readme_table_is_the_registry() -> None:
    assert readme_table() == chat_table()


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda s: s.name)
def test_every_example_parses_to_its_command(spec: CommandSpec) -> None:
    for example in spec.examples:
        parsed = parse_command(example, in_thread=True)
        assert isinstance(parsed, spec.values), (example, parsed)


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda s: s.name)
def test_the_examples_mistakes_suggest_parse_too(spec: CommandSpec) -> None:
    suggested = [spec.example, spec.with_n, spec.with_category.format("cs.CV")]
    for example in filter(None, suggested):
        parsed = parse_command(example, in_thread=True)
        assert isinstance(parsed, spec.values), (example, parsed)


def test_a_mistake_suggests_an_example_of_its_own_command() -> None:
    bad = parse_command("trending 5 cs.CVV", addressed=True)
    assert isinstance(bad, Invalid) and "Try `trending 5 cs.CV 24h`." in bad.message


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda s: s.name)
def test_aliases_read_as_the_command_and_have_its_help(spec: CommandSpec) -> None:
    for alias in spec.aliases:
        assert help_text(alias) == help_text(spec.name)
    assert spec.usage in help_text(spec.name) and spec.usage in help_text()


def test_names_and_words_are_unique() -> None:
    words = [w for s in REGISTRY for w in (s.name, *s.aliases)]
    assert len(words) == len(set(words))


@pytest.fixture
def engine() -> Engine:
    store = Store.memory()
    store.upsert_papers(
        [paper("2104.00743", MONDAY, ("cs.CV",), title="Vision transformers")]
        + [paper(f"2104.{i:05d}", MONDAY, ("cs.LG",)) for i in range(1, 6)]
    )
    store.upsert_observations(
        [aggregate("2104.00743", 100, 200)]
        + [aggregate(f"2104.{i:05d}", 10 * i, 5) for i in range(1, 6)]
    )
    now = datetime(2021, 4, 5, 15, 0, tzinfo=UTC)
    return Engine(store, EngineSettings(timezone="UTC"), clock=lambda: now)


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda s: s.name)
def test_the_engine_has_a_handler_for_every_command(engine: Engine, spec: CommandSpec) -> None:
    """Each command's first example gets an answer of its own, never "I don't know that one"."""
    request = Request(text=spec.examples[0], channel="c1", thread=None, addressed=True)
    reply = engine.handle(request)
    assert reply is not None
    assert "I don't know that one" not in reply.text
    assert not isinstance(parse_command(spec.examples[0], in_thread=True), Invalid)
