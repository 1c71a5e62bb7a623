"""Papers first seen on an attention source get their arXiv metadata and listing date, and then
rank in their listing's digests (issue 15 defect 3)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from bot.domain.models import Paper
from bot.services.engine import Engine
from bot.sources.arxiv.ingest import lookup_papers
from bot.sources.attention.base import FetchResult, run_source
from bot.store import Store
from tests.helpers import paper, post

LISTED = date(2021, 4, 5)


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store.memory()
    yield store
    store.close()


@dataclass
class OneShot:
    """A source that reports its observations once, then nothing."""

    result: FetchResult
    name: str = "bluesky"
    used: bool = False

    def fetch(self, store: Store) -> FetchResult:
        if self.used:
            return FetchResult()
        self.used = True
        return self.result


class Arxiv:
    """The arXiv client's lookup, counting the ids it is asked for."""

    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.asked: list[list[str]] = []

    def lookup(self, ids: Iterable[str]) -> object:
        ids = list(ids)
        self.asked.append(ids)
        if self.down:
            raise TimeoutError("arXiv did not answer")

        @dataclass
        class Result:
            papers: tuple[Paper, ...]
            missing: tuple[str, ...] = ()
            problems: tuple[str, ...] = ()

        return Result(tuple(paper(i, LISTED, title=f"Title of {i}") for i in ids))


def test_a_paper_seen_first_on_a_source_gets_its_metadata_and_ranks(store: Store) -> None:
    arxiv = Arxiv()
    source = OneShot(FetchResult(observations=(post("2104.00743", "p1", "ana", 40, 60),)))
    run_source(store, source, lambda ids: lookup_papers(store, arxiv, ids))  # type: ignore[arg-type]
    assert arxiv.asked == [["2104.00743"]]  # the placeholder did not count as known
    stored = store.get_paper("2104.00743")
    assert stored is not None and stored.title == "Title of 2104.00743"
    assert stored.listing_date == LISTED
    digest = Engine(store).digest(on=LISTED, n=5)
    assert [i.paper.arxiv_id for i in digest.items] == ["2104.00743"]  # type: ignore[union-attr]


def test_a_lookup_that_failed_is_tried_again_on_the_next_run(store: Store) -> None:
    arxiv = Arxiv(down=True)
    source = OneShot(FetchResult(observations=(post("2104.00743", "p1", "ana", 40, 60),)))
    lookup = lambda ids: lookup_papers(store, arxiv, ids)  # type: ignore[arg-type]  # noqa: E731
    report = run_source(store, source, lookup)
    assert report.problems and "lookup failed" in report.problems[0]
    arxiv.down = False
    run_source(store, source, lookup)  # the source has nothing new this time
    assert arxiv.asked == [["2104.00743"], ["2104.00743"]]
    stored = store.get_paper("2104.00743")
    assert stored is not None and stored.title == "Title of 2104.00743"
