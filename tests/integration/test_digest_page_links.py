"""With `[adapters.web] public_url` set, a digest carries the address of its page on the site and
how many papers that page lists; the page at that address lists exactly those papers.

Real SQLite in tmp_path; the page is fetched from the real site on 127.0.0.1 (OS-chosen port).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from bot.app import build_app
from bot.commands.types import Period
from bot.config import load_config
from bot.domain.errors import ConfigError
from bot.domain.models import Digest, Request
from bot.domain.taxonomy import resolve_filter
from bot.domain.topics import TextFilter
from bot.services.engine import Engine, EngineSettings
from bot.services.periods import NoListing
from bot.store import Store
from tests.adapters.web_world import APR5, APR6, NOW, build_store, serving
from tests.helpers import aggregate, paper

BASE = "https://papers.example.org/"


def engine(store: Store, public_url: str | None = BASE) -> Engine:
    return Engine(store, EngineSettings(public_url=public_url), clock=lambda: NOW)


def digest_of(result: Digest | NoListing) -> Digest:
    assert isinstance(result, Digest), result
    return result


def cv() -> list:  # type: ignore[type-arg]
    found = resolve_filter("cs.CV")
    assert found is not None
    return [found]


def test_a_listing_day_digest_links_its_day_page_and_counts_its_papers(tmp_path: Path) -> None:
    digest = digest_of(engine(build_store(tmp_path / "s.db")).digest(on=APR5, n=1))
    assert len(digest.items) == 1
    assert digest.page is not None
    assert digest.page.url == "https://papers.example.org/2021-04-05"
    assert digest.page.papers == 2  # both papers of 2021-04-05 have attention


def test_a_one_category_digest_links_the_category_day_page(tmp_path: Path) -> None:
    digest = digest_of(engine(build_store(tmp_path / "s.db")).digest(on=APR6, filters=cv(), n=5))
    assert digest.page is not None
    assert digest.page.url == "https://papers.example.org/c/cs.CV/2021-04-06"
    assert digest.page.papers == 1


def test_today_links_the_dated_page_and_week_month_their_own(tmp_path: Path) -> None:
    e = engine(build_store(tmp_path / "s.db"))
    today = digest_of(e.digest(period=Period("today"), n=5))
    assert today.page is not None and today.page.url.endswith("/2021-04-06")
    week = digest_of(e.digest(period=Period("days", days=7, label="this week"), n=5))
    assert week.page is not None and week.page.url == BASE + "week"
    month = digest_of(e.digest(period=Period("days", days=30, label="month"), filters=cv(), n=5))
    assert month.page is not None and month.page.url == BASE + "c/cs.CV/month"


def test_digests_without_a_page_of_their_own_carry_no_link(tmp_path: Path) -> None:
    e = engine(build_store(tmp_path / "s.db"))
    three = digest_of(e.digest(period=Period("days", days=3, label="last 3 days"), n=5))
    assert three.page is None
    text = TextFilter(about=(("seeing",),))
    assert digest_of(e.digest(on=APR5, n=5, text=text)).page is None
    two = [*cv(), resolve_filter("cs.CL")]
    assert digest_of(e.digest(on=APR5, filters=two, n=5)).page is None  # type: ignore[arg-type]


def test_top_in_the_console_ends_with_the_link(tmp_path: Path) -> None:
    reply = engine(build_store(tmp_path / "s.db")).handle(
        Request("top 5 2021-04-05", addressed=True)
    )
    assert reply is not None
    assert reply.text.endswith("\n\nSee all 2 on the web: https://papers.example.org/2021-04-05")


def test_without_a_public_url_a_digest_has_no_link(tmp_path: Path) -> None:
    digest = digest_of(engine(build_store(tmp_path / "s.db"), None).digest(on=APR5, n=5))
    assert digest.page is None


def crowded_store(path: Path, count: int) -> Store:
    store = Store.open(path)
    ids = [f"2104.{i:05d}" for i in range(1, count + 1)]
    store.upsert_papers([paper(i, APR5) for i in ids])
    store.upsert_observations([aggregate(i, 10 + k, 1) for k, i in enumerate(ids)])
    return store


async def test_the_link_opens_a_page_listing_all_the_papers_it_counts(tmp_path: Path) -> None:
    store = crowded_store(tmp_path / "s.db", 23)
    digest = digest_of(engine(store).digest(on=APR5, n=5))
    assert digest.page is not None
    assert digest.page.papers == 23
    assert digest.page.url == "https://papers.example.org/2021-04-05?top=23"
    async with serving(store) as site:
        response, html = await site.get(digest.page.url.removeprefix(BASE.rstrip("/")))
    assert response.status == 200
    listed = set(re.findall(r'href="/paper/(2104\.\d{5})"', html))
    assert len(listed) == 23


def test_the_count_stops_at_what_a_page_can_list(tmp_path: Path) -> None:
    digest = digest_of(engine(crowded_store(tmp_path / "s.db", 105)).digest(on=APR5, n=5))
    assert digest.page is not None
    assert digest.page.papers == 100
    assert digest.page.url.endswith("?top=100")


# -- the config: [adapters.web] public_url, and [web] as another name for it ---------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(f'[bot]\ndatabase = "{tmp_path / "s.db"}"\n' + text, "utf-8")
    build_store(tmp_path / "s.db").close()
    return path


@pytest.mark.parametrize("table", ["[adapters.web]", "[web]"])
def test_the_configured_public_url_reaches_the_digests(tmp_path: Path, table: str) -> None:
    path = write(tmp_path, f'{table}\nport = 0\npublic_url = "https://hp.example.org/site"\n')
    app = build_app(path)
    try:
        digest = digest_of(app.engine.digest(on=date(2021, 4, 5), n=5))
        assert app.config.adapters["web"]["port"] == 0
    finally:
        app.close()
    assert digest.page is not None
    assert digest.page.url == "https://hp.example.org/site/2021-04-05"


def test_web_and_adapters_web_together_is_one_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[web]\nport = 0\n[adapters.web]\nport = 1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    line = str(caught.value)
    assert "\n" not in line
    assert "[web] and [adapters.web]" in line and "keep one" in line


def test_a_bad_public_url_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, '[web]\npublic_url = "papers.example.org"\n')
    with pytest.raises(ConfigError, match="public_url"):
        build_app(path)


# -- paper cards link /paper/<id> ---------------------------------------------------------------


def test_a_paper_card_links_its_page_in_every_chat(tmp_path: Path) -> None:
    from adapters.discord.render import render_paper_message
    from adapters.slack.render import paper_card

    e = engine(build_store(tmp_path / "s.db"))
    reply = e.handle(Request("paper 2104.00001", addressed=True))
    assert reply is not None and reply.paper is not None
    url = "https://papers.example.org/paper/2104.00001"
    assert reply.paper.page_url == url
    assert reply.text.endswith(f"\nChart and all posts: {url}")
    buttons = next(b for b in paper_card(reply.paper)[0].blocks if b["type"] == "actions")
    assert [el["url"] for el in buttons["elements"]][-1] == url
    links = render_paper_message(reply.paper)["embeds"][0]["fields"]
    assert f"[chart & posts](<{url}>)" in next(f["value"] for f in links if f["name"] == "Links")


def test_without_a_public_url_a_paper_card_is_as_before(tmp_path: Path) -> None:
    reply = engine(build_store(tmp_path / "s.db"), None).handle(
        Request("paper 2104.00001", addressed=True)
    )
    assert reply is not None and reply.paper is not None
    assert reply.paper.page_url is None
    assert "Chart and all posts" not in reply.text
