"""Digests link to their page on the site (`[adapters.web] public_url`): Slack, Discord and the
social threads carry "See all N on the web"; `[adapters.x] thread = false` posts ONE post with the
top three titles and that link. X through tweepy against the fake X on 127.0.0.1."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adapters import AdapterContext, loader
from adapters.discord.render import render_digest_messages
from adapters.slack.render import digest_messages
from adapters.social import x
from adapters.social.config import SocialConfig
from adapters.social.render import LIMITS, digest_post, digest_thread, post_length
from bot.config import load_config
from bot.config_check import validate
from bot.domain.errors import ConfigError
from bot.domain.models import Digest, DigestItem, PageLink, Paper, Score
from bot.services.engine import Engine, EngineSettings
from bot.store import Store
from tests.fakes.attention_fakes import serve
from tests.fakes.social_fakes import Posts, x_fake

URL = "https://papers.example.org/c/cs.CV/2026-11-24"
PAGE = PageLink(URL, 23)
ENV = {
    "X_API_KEY": "key",
    "X_API_SECRET": "secret",
    "X_ACCESS_TOKEN": "token",
    "X_ACCESS_SECRET": "token-secret",
}
SHORT = ("Short", "Über naïve façades: déjà vu", "Third one", "Fourth")
LONG = (
    "A Very Long Title About Diffusion Transformers " * 6,
    "深層学習による画像認識の新しい手法とその応用について：大規模データセットでの評価" * 3,
    "🚀 Emoji 🤖🧠👨‍👩‍👧 models @alice and a rather long tail of words to shorten",
    "Fourth",
)


def digest(titles: tuple[str, ...] = SHORT, page: PageLink | None = PAGE) -> Digest:
    items = tuple(
        DigestItem(i + 1, Paper(f"2611.{i + 1:05d}", title=t), Score(1000.0 - i))
        for i, t in enumerate(titles)
    )
    return Digest("Hot Papers 2026-11-24 · cs.CV", date(2026, 11, 24), items, page=page)


# -- rendering -----------------------------------------------------------------------------------


def test_golden_x_single_post() -> None:
    assert digest_post(digest(), "x").text == (
        "Hot Papers 2026-11-24 · cs.CV\n"
        "1. Short\n"
        "2. Über naïve façades: déjà vu\n"
        "3. Third one\n"
        f"See all 23 on the web: {URL}"
    )


@pytest.mark.parametrize("platform", ["x", "bluesky", "mastodon"])
def test_a_single_post_of_long_titles_fits_and_keeps_three_titles_and_the_link(
    platform: str,
) -> None:
    post = digest_post(digest(LONG), platform)
    assert post_length(platform, post.text) <= LIMITS[platform], post.text
    lines = post.text.split("\n")
    assert lines[0] == "Hot Papers 2026-11-24 · cs.CV"
    assert [line[:3] for line in lines[1:4]] == ["1. ", "2. ", "3. "]
    assert "…" in lines[1]  # shortened, marked
    assert "@" not in post.text
    assert lines[4].startswith("See all 23 on the web: ")
    assert lines[4].endswith("papers.example.org/c/cs.CV/2026-11-24")


def test_on_x_the_link_counts_23_whatever_its_length() -> None:
    long_url = "https://papers.example.org/" + "a" * 200 + "/c/cs.CV/2026-11-24"
    post = digest_post(digest(LONG, PageLink(long_url, 23)), "x")
    assert long_url in post.text  # a URL as long as this is no reason to cut titles further
    assert digest_post(digest(LONG), "x").text.split("\n")[1:4] == post.text.split("\n")[1:4]


def test_bluesky_single_post_links_the_page_with_a_facet() -> None:
    post = digest_post(digest(), "bluesky")
    (link,) = post.links
    assert link.uri == URL
    shown = post.text.encode("utf-8")[link.byte_start : link.byte_end].decode("utf-8")
    assert shown == "papers.example.org/c/cs.CV/2026-11-24"


@pytest.mark.parametrize("platform", ["x", "bluesky", "mastodon"])
def test_a_thread_first_post_carries_the_link(platform: str) -> None:
    first = digest_thread(digest(LONG), platform)[0]
    assert post_length(platform, first.text) <= LIMITS[platform]
    assert first.text.split("\n")[-1].startswith("See all 23 on the web: ")
    assert first.text.split("\n")[-2] == "Thread below."


def test_without_a_page_the_thread_is_as_before() -> None:
    posts = digest_thread(digest(SHORT[:1], page=None), "x")
    assert posts[0].text == "Hot Papers 2026-11-24 · cs.CV\nTop: Short (score 1,000)\nThread below."


def test_slack_digest_links_its_page_in_the_blocks_and_the_notification() -> None:
    (message,) = digest_messages(digest())
    contexts = [b for b in message.blocks if b["type"] == "context"]
    texts = [e["text"] for b in contexts for e in b["elements"]]
    assert f"<{URL}|See all 23 on the web>" in texts
    assert f"See all 23 on the web: {URL}" in message.text
    without = digest_messages(digest(page=None))[0]
    assert "See all" not in str(without.payload())
    assert len(without.blocks) == len(message.blocks) - 1


def test_discord_digest_links_its_page_in_the_message_text() -> None:
    first = render_digest_messages(digest())[0]
    assert first["content"].endswith(f"\n[See all 23 on the web](<{URL}>)")
    assert "See all" not in str(render_digest_messages(digest(page=None)))


def test_one_paper_says_see_it() -> None:
    assert "See it on the web: " in digest_post(digest(page=PageLink(URL, 1)), "x").text


# -- X through tweepy ----------------------------------------------------------------------------


def publisher(fake_url: str, **kwargs: Any) -> x.XPublisher:
    config = SocialConfig.from_mapping("x", {"base_url": fake_url, "thread": False}, "t.toml")
    assert config.thread is False
    return x.XPublisher(x.make_client(config, config.secrets(ENV)), thread=False, **kwargs)


async def test_x_thread_false_sends_one_post_with_the_top_three_and_the_link() -> None:
    with serve() as fake:
        posts = Posts()
        x_fake(fake, posts)
        sent = await publisher(fake.url, daily_budget=17).publish_digest(
            "main", digest(), idempotency_key="digest:2026-11-24:cs.CV:5"
        )
    assert posts.bodies == [
        {
            "text": "Hot Papers 2026-11-24 · cs.CV\n1. Short\n2. Über naïve façades: déjà vu\n"
            f"3. Third one\nSee all 23 on the web: {URL}"
        }
    ]
    assert sent.message_ids == tuple(posts.ids) and len(posts.ids) == 1


async def test_x_thread_false_with_one_post_left_in_the_budget_still_posts() -> None:
    with serve() as fake:
        posts = Posts()
        x_fake(fake, posts)
        pub = publisher(fake.url, daily_budget=1)
        await pub.publish_digest("main", digest(LONG), idempotency_key="k1")
    assert len(posts.bodies) == 1
    assert post_length("x", posts.bodies[0]["text"]) <= 280


async def test_x_thread_true_is_a_thread_whose_first_post_links_the_page() -> None:
    with serve() as fake:
        posts = Posts()
        x_fake(fake, posts)
        config = SocialConfig.from_mapping("x", {"base_url": fake.url}, "t.toml")
        assert config.thread is True
        pub = x.XPublisher(x.make_client(config, config.secrets(ENV)))
        await pub.publish_digest("main", digest(), idempotency_key="k")
    assert len(posts.bodies) == 1 + len(SHORT)
    assert posts.bodies[0]["text"].endswith(f"\nThread below.\nSee all 23 on the web: {URL}")


# -- the config ----------------------------------------------------------------------------------


def test_thread_must_be_true_or_false() -> None:
    with pytest.raises(ConfigError, match=r"\[adapters.x\] thread: expected true"):
        SocialConfig.from_mapping("x", {"thread": "no"}, "t.toml")


async def test_thread_false_without_a_public_url_stops_the_start(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    try:
        context = AdapterContext(
            name="x",
            table={"thread": False},
            where="bot.toml [adapters.x]",
            env=ENV,
            engine=Engine(store, EngineSettings()),
            store=store,
            publishers={},
        )
        with pytest.raises(ConfigError) as caught:
            await loader("x")(context)
        assert str(caught.value) == (
            "bot.toml [adapters.x]: thread = false needs [adapters.web] public_url "
            "(the page the one post links to)"
        )
        with_url = replace(context, engine=Engine(store, EngineSettings(public_url="https://a.b/")))
        assert (await loader("x")(with_url)).config.thread is False  # type: ignore[attr-defined]
    finally:
        store.close()


def test_run_and_doctor_name_the_missing_public_url(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_text("[adapters.x]\nthread = false\n", "utf-8")
    with pytest.raises(ConfigError) as caught:
        validate(load_config(path), env=ENV)
    assert str(caught.value) == (
        f"{path}: [adapters.x] thread = false needs [adapters.web] public_url "
        "(the page the one post links to)"
    )
    path.write_text(
        '[adapters.x]\nthread = false\n[web]\npublic_url = "https://papers.example.org/"\n',
        "utf-8",
    )
    validate(load_config(path), env=ENV)
