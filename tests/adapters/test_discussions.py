"""Where a paper is discussed: one link per platform, with its counts, on every paper card
(`paper ID` as text, Slack and Discord), links made safe by each renderer."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from adapters.discord.render import render_paper_message, thread_item_embed
from adapters.slack.render import paper_card
from bot.domain.models import Discussion, Observation, Post, Request
from bot.domain.scoring import ScoringConfig
from bot.render.text import render_paper_text
from bot.services.engine import Engine, EngineSettings
from bot.store import Store
from tests.helpers import paper, post

PAPER = "2104.00743"
WHEN = datetime(2021, 4, 5, 12, 0, tzinfo=UTC)


def _post(source: str, key: str, url: str, account: str, likes: int, **counts: int) -> Observation:
    return Observation(
        source=source,
        key=key,
        arxiv_id=PAPER,
        kind="post",
        observed_at=WHEN,
        account=account,
        likes=likes,
        reposts=counts.get("reposts", 0),
        replies=counts.get("replies", 0),
        post=Post(source=source, url=url, author_name=account, text="Read this"),
    )


@pytest.fixture
def engine() -> Engine:
    store = Store.memory(ScoringConfig(excluded_accounts=frozenset({"spammer"})))
    store.upsert_papers([paper(PAPER, date(2021, 4, 5), title="Vision transformers")])
    store.upsert_observations(
        [
            _post("twitter", "t1", "https://x.com/ana/status/1", "ana", 900, reposts=120),
            _post("twitter", "t2", "https://x.com/bob/status/2", "bob", 40),
            _post("twitter", "t3", "https://x.com/spammer/status/3", "spammer", 99_999),
            post(PAPER, "b1", "carol", 3, 30, source="bluesky"),
            _post(
                "hackernews",
                "hn1",
                "https://news.ycombinator.com/item?id=42",
                "dan",
                312,
                replies=120,
            ),
            Observation(
                source="huggingface",
                key=f"hf:{PAPER}",
                arxiv_id=PAPER,
                kind="aggregate",
                observed_at=WHEN,
                likes=45,
                replies=3,
            ),
            _post("mastodon", "m1", "javascript:alert(1)", "eve", 10_000),
        ]
    )
    return Engine(store, EngineSettings(timezone="UTC"), clock=lambda: WHEN)


def item_of(engine: Engine):  # type: ignore[no-untyped-def]
    reply = engine.handle(Request(f"paper {PAPER}", addressed=True))
    assert reply is not None and reply.paper is not None, reply
    return reply.paper


def test_one_link_per_platform_most_engaged_first_excluded_and_unsafe_left_out(
    engine: Engine,
) -> None:
    assert item_of(engine).discussions == (
        Discussion("twitter", "https://x.com/ana/status/1", 120, 900, 0, 2),
        Discussion("bluesky", "https://example.social/carol/b1", 3, 30, 0, 1),
        Discussion("hackernews", "https://news.ycombinator.com/item?id=42", 0, 312, 120, 1),
        Discussion("huggingface", f"https://huggingface.co/papers/{PAPER}", 0, 45, 3, 0),
    )


def test_paper_text_lists_where_it_is_discussed(engine: Engine) -> None:
    text = render_paper_text(item_of(engine))
    section = text.split("Discussed on:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert section == [
        "  X: 900 likes, 120 reposts, 2 posts https://x.com/ana/status/1",
        "  Bluesky: 30 likes, 3 reposts https://example.social/carol/b1",
        "  Hacker News: 312 points, 120 comments https://news.ycombinator.com/item?id=42",
        f"  Hugging Face: 45 upvotes, 3 comments https://huggingface.co/papers/{PAPER}",
    ]
    assert "spammer" not in text


def test_digest_items_carry_the_discussions_too(engine: Engine) -> None:
    reply = engine.handle(Request("top 5 2021-04-05", addressed=True))
    assert reply is not None and reply.digest is not None
    assert [d.source for d in reply.digest.items[0].discussions] == [
        "twitter",
        "bluesky",
        "hackernews",
        "huggingface",
    ]


def test_slack_paper_card_links_each_discussion(engine: Engine) -> None:
    blocks = paper_card(item_of(engine))[0].blocks
    texts = [b["text"]["text"] for b in blocks if b.get("type") == "section"]
    discussed = next(t for t in texts if t.startswith("*Discussed on*"))
    assert discussed.splitlines() == [
        "*Discussed on*",
        "• <https://x.com/ana/status/1|X>: 900 likes, 120 reposts, 2 posts",
        "• <https://example.social/carol/b1|Bluesky>: 30 likes, 3 reposts",
        "• <https://news.ycombinator.com/item?id=42|Hacker News>: 312 points, 120 comments",
        f"• <https://huggingface.co/papers/{PAPER}|Hugging Face>: 45 upvotes, 3 comments",
    ]


def test_discord_paper_card_and_thread_embed_link_each_discussion(engine: Engine) -> None:
    item = item_of(engine)
    fields = render_paper_message(item)["embeds"][0]["fields"]
    discussed = next(f for f in fields if f["name"] == "Discussed on")["value"]
    assert discussed.splitlines() == [
        "[X](https://x.com/ana/status/1) 900 likes, 120 reposts, 2 posts",
        "[Bluesky](https://example.social/carol/b1) 30 likes, 3 reposts",
        "[Hacker News](https://news.ycombinator.com/item?id=42) 312 points, 120 comments",
        f"[Hugging Face](https://huggingface.co/papers/{PAPER}) 45 upvotes, 3 comments",
    ]
    thread = thread_item_embed(item)
    assert any(f["name"] == "Discussed on" for f in thread["fields"])


def test_hostile_links_stay_inert_on_slack_and_discord() -> None:
    hostile = (
        Discussion("twitter", "https://x.com/a|<!channel>", likes=1),
        Discussion("bluesky", "https://bsky.app/a)[click](https://evil.example", likes=1),
    )
    engine_item = render_item(hostile)
    slack = json.dumps(paper_card(engine_item)[0].payload())
    assert "<!channel>" not in slack and "|<!" not in slack
    discord = json.dumps(render_paper_message(engine_item))
    assert "evil.example" not in discord
    text = render_paper_text(engine_item)
    assert "<!channel>" not in text


def render_item(discussions: tuple[Discussion, ...]):  # type: ignore[no-untyped-def]
    from bot.domain.models import DigestItem, Score

    return DigestItem(
        rank=1,
        paper=paper(PAPER, date(2021, 4, 5)),
        score=Score(total=1.0),
        discussions=discussions,
    )


def test_discord_slash_top_takes_about_and_by() -> None:
    from adapters.discord.commands import slash_text
    from bot.commands.grammar import Top, parse_command
    from bot.commands.registry import BY_NAME
    from bot.domain.topics import TextFilter

    values = {"count": 10, "period": "week", "about": '"gaussian splatting" OR nerf', "by": "Ada"}
    text = slash_text(BY_NAME["top"], values)
    assert text == 'top 10 week about "gaussian splatting" OR nerf by "Ada"'
    parsed = parse_command(text, addressed=True)
    assert isinstance(parsed, Top)
    assert parsed.text == TextFilter(about=(("gaussian splatting",), ("nerf",)), by="Ada")


@pytest.mark.parametrize("platform", ["x", "bluesky", "mastodon"])
def test_social_paper_reply_links_where_it_is_discussed_within_the_limit(
    engine: Engine, platform: str
) -> None:
    from adapters.social.render import fits, reply_post

    reply = engine.handle(Request(f"paper {PAPER}", addressed=True))
    assert reply is not None
    social = reply_post(platform, reply)
    assert fits(platform, social.text)
    assert "X: " in social.text and "x.com/ana/status/1" in social.text
    assert "Bluesky: " in social.text
    if platform == "bluesky":
        assert "https://x.com/ana/status/1" in {link.uri for link in social.links}
