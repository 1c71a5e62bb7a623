"""Hostile outside text (mentions, link spoofing, invisible characters, huge strings) is inert everywhere."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord import render as dc
from adapters.slack import render as sl
from adapters.social import render as so
from bot.app import build_app
from bot.domain.archive import parse_archive_post
from bot.domain.errors import ConfigError
from bot.domain.models import Digest, DigestItem, Post, Reply, Request, Score, SourceScore
from bot.render.markdown import render_markdown
from bot.render.text import render_digest_text, render_paper_text
from bot.services.rate_limits import RateLimiter, RateLimits
from tests.helpers import paper, post

FRAGMENTS = (
    "@everyone",
    "@here",
    "@EveryOne",
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<@&123>",
    "<#123>",
    "<@!123>",
    "[arxiv.org](http://evil.example)",
    "<http://evil.example|arxiv.org>",
    "<https://evil.example>",
    "&lt;!channel&gt;",
    "&amp;",
    "\u200b",
    "\u200d",
    "\u202e",
    "\u2066",
    "\ufeff",
    "＠alice",
    "@alice",
    "*bold* _it_ ~s~ `code` ||spoiler||",
    "\n# heading\n",
    "\n> quote\n",
    "\n- item\n",
    "\n1. first\n",
    "\r\n",
)
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
HUGE = ("<!channel> @everyone \u202e" * 5000)[:100_000]

hostile = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=12), min_size=1, max_size=12).map(
    "".join
)


def hostile_post(text: str, n: int = 0) -> Post:
    base = post("2104.00001", f"k{n}", "ana").post
    assert base is not None
    return replace(base, author_name=text, author_handle=text, text=text)


def hostile_digest(text: str, *, items: int = 3) -> Digest:
    built = []
    for rank in range(1, items + 1):
        p = paper(
            f"2104.{rank:05d}", date(2021, 4, 5), ("cs.CV", "cs.LG"), title=text, abstract=text
        )
        p = replace(p, authors=(text, "Ada Lovelace", text))
        posts = (
            hostile_post(text, 0),
            replace(hostile_post(text, 1), url="http://evil.example/|arxiv.org>"),
        )
        score = Score(total=410, parts=(SourceScore(source="archive", reposts=300, likes=110),))
        built.append(DigestItem(rank=rank, paper=p, score=score, posts=posts))
    return Digest(
        title=text, date=date(2021, 4, 5), items=tuple(built), notes=(text,), filter=("cs.CV",)
    )


# -- plain text -------------------------------------------------------------------------------


def check_text(digest: Digest) -> None:
    for out in [render_digest_text(digest), *(render_paper_text(i) for i in digest.items)]:
        assert not INVISIBLE.search(out)
        assert len(out) < 20_000


# -- Slack -------------------------------------------------------------------------------------

SLACK_LINK = re.compile(r"<(https?://[^\s<>|]+)\|([^<>]*)>")
BAD_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def _mrkdwn_texts(block: Any) -> list[str]:
    found: list[str] = []
    if isinstance(block, dict):
        if block.get("type") == "mrkdwn":
            found.append(block["text"])
        for value in block.values():
            found.extend(_mrkdwn_texts(value))
    elif isinstance(block, list):
        for value in block:
            found.extend(_mrkdwn_texts(value))
    return found


def check_slack_mrkdwn(text: str, allowed_targets: set[str]) -> None:
    for target, _label in SLACK_LINK.findall(text):
        assert target.replace("&amp;", "&") in allowed_targets, target
    rest = SLACK_LINK.sub("", text)
    assert "<" not in rest and ">" not in rest, rest[:200]
    assert not BAD_ENTITY.search(rest)
    assert not INVISIBLE.search(text)


def slack_targets(digest: Digest) -> set[str]:
    targets = set()
    for item in digest.items:
        targets |= {item.paper.abs_url, item.paper.pdf_url}
        for p in item.posts:
            url = sl.safe_url(p.url)
            if url:
                targets.add(url.replace("&amp;", "&"))
    return targets


def check_slack(messages: list[sl.SlackMessage], targets: set[str]) -> None:
    for message in messages:
        assert len(message.blocks) <= sl.MAX_BLOCKS
        check_slack_mrkdwn(message.text, targets)  # the notification text is parsed too
        for block in message.blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= sl.MAX_SECTION
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= sl.MAX_HEADER
            for text in _mrkdwn_texts(block):
                assert len(text) <= sl.MAX_SECTION
                check_slack_mrkdwn(text, targets)


def check_all_slack(digest: Digest) -> None:
    targets = slack_targets(digest)
    check_slack(sl.digest_messages(digest), targets)
    check_slack(sl.digest_thread_messages(digest), targets)
    for item in digest.items:
        check_slack(sl.paper_card(item), targets)
        check_slack([sl.SlackMessage("x", tuple(sl.unfurl_blocks(item)))], targets)
    check_slack(sl.reply_messages(Reply(text=digest.title)), targets)
    check_slack(sl.reply_messages(Reply(text="here", digest=digest)), targets)
    check_slack(sl.plain_messages(digest.title), targets)


# -- Discord -----------------------------------------------------------------------------------

RAW_EVERYONE = re.compile(r"@(everyone|here)\b", re.IGNORECASE)
RAW_MENTION = re.compile(r"<(@|#|a:|t:|/)")
MASKED_LINK = re.compile(r"(?<!\\)\]\(")
OUR_LINK = re.compile(r"\[(abs|pdf)\]\((https://arxiv\.org/(?:abs|pdf)/[0-9.]+)\)")


def _discord_strings(message: dc.Message) -> list[str]:
    out = [message.get("content", "")]
    for embed in message.get("embeds", ()):
        out += [embed.get("title", ""), embed.get("description", "")]
        out += [embed.get("footer", {}).get("text", ""), embed.get("author", {}).get("name", "")]
        for f in embed.get("fields", ()):
            out += [f.get("name", ""), f.get("value", "")]
    return out


def check_discord(messages: list[dc.Message]) -> None:
    for message in messages:
        assert len(message.get("content", "")) <= dc.CONTENT_LIMIT
        embeds = message.get("embeds", ())
        assert len(embeds) <= dc.EMBEDS_PER_MESSAGE
        assert dc.message_length(message) <= dc.EMBED_TOTAL
        for embed in embeds:
            assert len(embed.get("title", "")) <= dc.TITLE_LIMIT
            assert len(embed.get("description", "")) <= dc.DESCRIPTION_LIMIT
            assert len(embed.get("footer", {}).get("text", "")) <= dc.FOOTER_LIMIT
            assert len(embed.get("fields", ())) <= dc.FIELDS_PER_EMBED
            for f in embed.get("fields", ()):
                assert len(f.get("name", "")) <= dc.FIELD_NAME_LIMIT
                assert len(f.get("value", "")) <= dc.FIELD_VALUE_LIMIT
        for text in _discord_strings(message):
            assert not RAW_EVERYONE.search(text), text[:200]
            assert not RAW_MENTION.search(text), text[:200]
            assert not MASKED_LINK.search(OUR_LINK.sub("", text)), text[:200]
            assert "\u202e" not in text and "\u2066" not in text and "\ufeff" not in text


def check_all_discord(digest: Digest) -> None:
    check_discord(dc.render_digest_messages(digest, marker="hp-1"))
    check_discord(dc.render_thread_messages(digest))
    for item in digest.items:
        check_discord([dc.render_paper_message(item)])
    check_discord(dc.render_text_messages(digest.title))
    check_discord(dc.render_reply_messages(Reply(text=digest.title)))
    check_discord(dc.render_reply_messages(Reply(text="here", digest=digest)))
    name = dc.thread_name(digest)
    assert len(name) <= dc.THREAD_NAME_LIMIT
    assert not INVISIBLE.search(name)  # thread names are plain text: Discord never pings from them


# -- social ------------------------------------------------------------------------------------

MENTION = re.compile(r"[@\uff20][\w.]")


def check_social_post(platform: str, sp: so.SocialPost) -> None:
    assert so.fits(platform, sp.text), (platform, so.post_length(platform, sp.text))
    assert not MENTION.search(sp.text), sp.text
    assert not INVISIBLE.search(sp.text.replace("\u200d", ""))  # ZWJ may join an emoji
    encoded = sp.text.encode("utf-8")
    for link in sp.links:
        assert 0 <= link.byte_start < link.byte_end <= len(encoded)


def check_all_social(digest: Digest) -> None:
    for platform in so.PLATFORMS:
        for sp in so.digest_thread(digest, platform):
            check_social_post(platform, sp)
        check_social_post(platform, so.reply_post(platform, Reply(text=digest.title)))
        check_social_post(platform, so.reply_post(platform, Reply(text="x", digest=digest)))
        for item in digest.items:
            check_social_post(platform, so.reply_post(platform, Reply(text="x", paper=item)))


# -- markdown (archive format) -------------------------------------------------------------


def check_markdown(digest: Digest) -> None:
    text = render_markdown(digest)
    assert text.startswith("---\n")
    parsed = parse_archive_post(text)
    assert parsed.problems == ()
    assert [p.rank for p in parsed.papers] == [i.rank for i in digest.items]
    assert [p.arxiv_id for p in parsed.papers] == [i.paper.arxiv_id for i in digest.items]
    headings = [line for line in text.split("\n") if line.startswith("# ")]
    assert len(headings) == len(digest.items)


def check_everything(digest: Digest) -> None:
    check_text(digest)
    check_all_slack(digest)
    check_all_discord(digest)
    check_all_social(digest)
    check_markdown(digest)


def test_each_hostile_fragment_is_harmless_everywhere() -> None:
    for fragment in FRAGMENTS:
        check_everything(hostile_digest(f"Title {fragment} end"))


def test_all_fragments_at_once_are_harmless_everywhere() -> None:
    check_everything(hostile_digest(" ".join(FRAGMENTS)))


def test_a_100_kb_string_everywhere_stays_within_every_limit() -> None:
    check_everything(hostile_digest(HUGE, items=2))


def test_ten_items_of_huge_text_pack_into_slack_and_discord_limits() -> None:
    digest = hostile_digest("<!channel> " * 400, items=10)
    check_all_slack(digest)
    check_all_discord(digest)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile)
def test_generated_hostile_text_is_harmless_everywhere(text: str) -> None:
    check_everything(hostile_digest(text, items=2))


def test_doubled_mention_signs_cannot_leave_a_mention_behind() -> None:
    """Found by hypothesis: dropping one sign of "@@everyone" left "@everyone"."""
    for text in ("@@everyone", "@\uff20everyone", "@\u200b@everyone", "@@@alice"):
        check_everything(hostile_digest(text, items=2))


def test_slack_shows_mentions_as_typed() -> None:
    [message] = sl.reply_messages(Reply(text="hi <!channel> <@U123> <http://evil|arxiv.org>"))
    text = _mrkdwn_texts(list(message.blocks))[0]
    assert "&lt;!channel&gt;" in text
    assert "&lt;http://evil|arxiv.org&gt;" in text


def test_discord_keeps_the_words_but_not_the_ping() -> None:
    [message] = dc.render_text_messages("hi @everyone <@123> [arxiv.org](http://evil)")
    content = message["content"]
    assert "everyone" in content and "123" in content and "arxiv.org" in content
    assert not RAW_EVERYONE.search(content) and not RAW_MENTION.search(content)
    assert not MASKED_LINK.search(content)


# -- abuse: command rate limits ------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def ask(limiter: RateLimiter, user: str = "u1", channel: str = "c1", **kw: Any) -> Reply | None:
    kw.setdefault("addressed", True)
    return limiter.check(Request(text="top", user=user, channel=channel, platform="slack", **kw))


def test_a_user_gets_ten_commands_a_minute_then_a_friendly_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    assert all(ask(limiter) is None for _ in range(10))
    refused = ask(limiter)
    assert refused is not None and not refused.ok
    assert refused.text == "You're asking faster than I can answer — try again in 6 s."
    clock.now += 6
    assert ask(limiter) is None
    assert ask(limiter) is not None


def test_a_channel_is_limited_across_users_and_other_channels_are_not() -> None:
    limiter = RateLimiter(RateLimits(per_user=100, per_channel=30), clock=FakeClock())
    assert all(ask(limiter, user=f"u{i}") is None for i in range(30))
    assert ask(limiter, user="newcomer") is not None
    assert ask(limiter, user="newcomer", channel="c2") is None


def test_admins_and_overheard_messages_are_not_limited() -> None:
    limiter = RateLimiter(RateLimits(per_user=1, per_channel=1), clock=FakeClock())
    assert ask(limiter) is None
    assert ask(limiter) is not None
    assert ask(limiter, is_admin=True) is None
    assert ask(limiter, addressed=False) is None


def test_a_flood_of_users_keeps_memory_bounded() -> None:
    limiter = RateLimiter(RateLimits(max_keys=50), clock=FakeClock())
    for i in range(500):
        ask(limiter, user=f"u{i}", channel=f"c{i}")
    assert len(limiter._buckets) <= 50


def test_the_configured_bot_refuses_a_flooding_user_and_keeps_answering_others(
    tmp_path: Path,
) -> None:
    config = tmp_path / "hotpapers.toml"
    config.write_text(
        '[bot]\ndatabase = "bot.db"\ncommands_per_user_per_minute = 3\n', encoding="utf-8"
    )
    app = build_app(config)
    try:

        def say(user: str) -> Reply | None:
            return app.engine.handle(
                Request(text="help", user=user, channel="c1", platform="slack", addressed=True)
            )

        answers = [say("flooder") for _ in range(4)]
        assert all(a is not None and a.ok for a in answers[:3])
        refused = answers[3]
        assert refused is not None and not refused.ok and "try again in" in refused.text
        other = say("someone-else")
        assert other is not None and other.ok
    finally:
        app.close()


def test_a_rate_limit_that_is_not_a_number_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "hotpapers.toml"
    config.write_text('[bot]\ncommands_per_user_per_minute = "lots"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[bot\] commands_per_user_per_minute"):
        build_app(config)
