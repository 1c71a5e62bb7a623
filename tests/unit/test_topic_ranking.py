"""top, trending and new narrowed by `about` and `by`: both store plans, and the digest titles."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import cli
from bot.domain.models import Paper, Request
from bot.services.engine import Engine, EngineSettings
from bot.store import Store
from bot.store import topics as store_topics
from bot.store.sample import sample_database
from tests.helpers import aggregate, post

MONDAY = date(2021, 4, 5)


def _paper(arxiv_id: str, title: str, authors: tuple[str, ...], cat: str = "cs.CV") -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        authors=authors,
        abstract=f"We study {title.lower()}.",
        primary_category=cat,
        categories=(cat,),
        listing_date=MONDAY,
    )


PAPERS = [
    _paper("2104.00001", "Gaussian splatting for scenes", ("Ada Lovelace",)),
    _paper("2104.00002", "NeRF in the wild", ("Yann LeCun", "Alan Turing")),
    _paper("2104.00003", "Diffusion models beat GANs", ("Yann LeCun",), "cs.LG"),
    _paper("2104.00004", "Splatting gaussian noise", ("Grace Hopper",)),
    _paper("2104.00005", "Graph networks", ("Yann Smith", "Bob LeCun")),
]
SCORES = {"2104.00001": 50, "2104.00002": 40, "2104.00003": 30, "2104.00004": 20, "2104.00005": 10}


@pytest.fixture
def engine() -> Engine:
    store = Store.memory()
    store.upsert_papers(PAPERS)
    store.upsert_observations(
        [aggregate(i, s, 0) for i, s in SCORES.items()]
        + [
            post(i, f"k{i}", f"acct{i}", s, 0, when=datetime(2021, 4, 6, 8, tzinfo=UTC))
            for i, s in SCORES.items()
        ]
    )
    now = datetime(2021, 4, 6, 12, 0, tzinfo=UTC)
    return Engine(store, EngineSettings(timezone="UTC"), clock=lambda: now)


def ask(engine: Engine, text: str) -> str:
    reply = engine.handle(Request(text, addressed=True))
    assert reply is not None
    return reply.text


def ids(engine: Engine, text: str) -> list[str]:
    reply = engine.handle(Request(text, addressed=True))
    assert reply is not None and reply.digest is not None, reply
    return [i.paper.arxiv_id for i in reply.digest.items]


@pytest.fixture(params=["few matches", "a set of matches", "many matches"])
def plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param != "few matches":
        monkeypatch.setattr(store_topics, "FEW_MATCHES", 0)
    if request.param == "a set of matches":  # the matching rowids listed once, the period kept
        monkeypatch.setattr(store_topics, "SET_FACTOR", 10**9)
    if request.param == "many matches":  # every topic counts as common: the probing walk
        monkeypatch.setattr(store_topics, "SET_FACTOR", 0)
    return str(request.param)


def test_a_phrase_matches_its_words_in_order_only(engine: Engine, plan: str) -> None:
    assert ids(engine, 'top 5 2021-04-05 about "gaussian splatting"') == ["2104.00001"]
    assert ids(engine, "top 5 2021-04-05 about gaussian splatting") == [
        "2104.00001",
        "2104.00004",
    ]


def test_or_keeps_either(engine: Engine, plan: str) -> None:
    found = ids(engine, 'top 5 2021-04-05 about "gaussian splatting" OR nerf OR diffusion')
    assert found == ["2104.00001", "2104.00002", "2104.00003"]


def test_an_author_is_the_whole_name_and_combines_with_categories(
    engine: Engine, plan: str
) -> None:
    assert ids(engine, 'top 5 2021-04-05 by "Yann LeCun"') == ["2104.00002", "2104.00003"]
    assert ids(engine, "top 5 2021-04-05 cs.LG by Yann LeCun") == ["2104.00003"]
    assert ids(engine, "top 1 2021-04-05 by lecun") == ["2104.00002"]


def test_the_title_says_the_filter(engine: Engine) -> None:
    text = ask(engine, "top 5 2021-04-05 cs.CV about nerf")
    assert text.startswith("Hot Papers 2021-04-05 · cs.CV · about nerf\n")


def test_nothing_matching_says_so_with_an_example(engine: Engine) -> None:
    text = ask(engine, "top 5 2021-04-05 about quasars")
    assert "Nothing about quasars with attention in 2021-04-05" in text
    assert "`top 10 month about diffusion`" in text


def test_trending_and_new_filter_too(engine: Engine, plan: str) -> None:
    assert ids(engine, "trending 5 48h about nerf OR diffusion") == ["2104.00002", "2104.00003"]
    reply = ask(engine, "trending 5 48h by LeCun")
    assert reply.startswith("Trending papers, last 48 h · by LeCun\n")
    assert sorted(ids(engine, "new 5 by Yann LeCun")) == ["2104.00002", "2104.00003"]


def test_fts_syntax_in_a_topic_is_never_an_error(engine: Engine) -> None:
    for text in ('top about NEAR(a, b) "x" OR y*', "top about -nerf:", "top by authors: x"):
        reply = engine.handle(Request(text, addressed=True))
        assert reply is not None
        assert "fts5" not in reply.text.lower() and "syntax" not in reply.text.lower()
        assert "went wrong" not in reply.text


@pytest.fixture
def private_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("HOTPAPERS_CONFIG", raising=False)
    monkeypatch.delenv("HOTPAPERS_DB", raising=False)


@pytest.mark.usefixtures("private_folders")
def test_ask_on_the_sample_answers_a_topic_and_an_author() -> None:
    result = CliRunner().invoke(cli, ["ask", "top 3 month about diffusion"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Hot Papers 2021-04-01 – 2021-04-30 · about diffusion\n")
    assert "Point-Voxel Diffusion" in result.output
    result = CliRunner().invoke(cli, ["ask", 'top 3 month by "Yann LeCun"'])
    assert result.exit_code == 0, result.output
    assert "MDETR" in result.output


@pytest.mark.usefixtures("private_folders")
def test_ask_with_an_unclosed_quote_gets_a_hint() -> None:
    result = CliRunner().invoke(cli, ["ask", 'top 5 about "gaussian splatting'])
    assert result.exit_code != 0
    assert "is not closed" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("text", ["top 10 month about learning", "trending 5 week about vision"])
def test_a_topic_past_its_time_budget_gets_a_friendly_answer(tmp_path: Path, text: str) -> None:
    db = tmp_path / "sample.db"
    shutil.copy(sample_database(), db)
    store = Store.open(db)
    try:
        rushed = Engine(store, EngineSettings(command_seconds=1e-6))
        reply = rushed.handle(Request(text=text, addressed=True))
        assert reply is not None and not reply.ok
        assert "takes me too long" in reply.text
    finally:
        store.close()
