"""Where a paper is discussed: which sources come first, what they are called, and how their
counters read (`312 points, 120 comments` on Hacker News, `1,234 likes, 56 reposts` elsewhere)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from bot.domain.models import Discussion

SOURCE_ORDER = ("twitter", "bluesky", "mastodon", "hackernews", "huggingface")
SOURCE_LABELS = {
    "twitter": "X",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "hackernews": "Hacker News",
    "huggingface": "Hugging Face",
    "reddit": "Reddit",
    "web": "the web",
}
_UNSAFE = re.compile(r"[\s<>|\"`\\\u0000-\u001f\u007f\u2028\u2029]")
HF_PAGE = "https://huggingface.co/papers/{}"
_WORDS = {
    "hackernews": ("points", "comments"),
    "huggingface": ("upvotes", "comments"),
}


_HOSTS = {
    "twitter.com": "twitter",
    "x.com": "twitter",
    "bsky.app": "bluesky",
    "news.ycombinator.com": "hackernews",
    "huggingface.co": "huggingface",
}


def platform_of(source: str, url: str) -> str:
    """The platform a post lives on: its source, or for a re-published post (the archive keeps
    tweets as embeds) the one its link points to; '' when neither is a platform we know."""
    if source in SOURCE_ORDER:
        return source
    host = url.split("/", 3)[2].lower() if url.count("/") >= 2 else ""
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].removeprefix("www.").removeprefix("mobile.")
    return _HOSTS.get(host, "")


def best_per_platform(discussions: Iterable[Discussion]) -> tuple[Discussion, ...]:
    """One Discussion per platform (the most engaged), platforms in SOURCE_ORDER."""
    best: dict[str, Discussion] = {}
    for d in discussions:
        platform = platform_of(d.source, d.url)
        if not platform:
            continue
        d = replace(d, source=platform)
        kept = best.get(platform)
        if kept is None or _engagement(d) > _engagement(kept):
            best[platform] = replace(d, posts=max(d.posts, kept.posts if kept else 0))
        else:
            best[platform] = replace(kept, posts=max(d.posts, kept.posts))
    return ordered(best.values())


def _engagement(d: Discussion) -> int:
    return d.reposts + d.likes + d.replies


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source, source.replace("_", " ").title())


def ordered(discussions: Iterable[Discussion]) -> tuple[Discussion, ...]:
    """Known sources in SOURCE_ORDER, then the others by name."""

    def key(d: Discussion) -> tuple[int, str]:
        known = d.source in SOURCE_ORDER
        return (SOURCE_ORDER.index(d.source) if known else len(SOURCE_ORDER), d.source)

    return tuple(sorted(discussions, key=key))


def counts_text(d: Discussion) -> str:
    """`1,234 likes, 56 reposts, 7 replies · 12 posts`; zero counters are left out."""
    likes_word, replies_word = _WORDS.get(d.source, ("likes", "replies"))
    bits = [f"{d.likes:,} {likes_word}"] if d.likes or d.source in _WORDS else []
    if d.reposts:
        bits.append(f"{d.reposts:,} reposts")
    if d.replies:
        bits.append(f"{d.replies:,} {replies_word}")
    if d.posts > 1:
        bits.append(f"{d.posts:,} posts")
    return ", ".join(bits)


def is_web_url(url: str) -> bool:
    """An http(s) link with nothing that could break a line or a markup around it."""
    low = url.lower()
    return (
        low.startswith(("https://", "http://")) and len(url) <= 2000 and _UNSAFE.search(url) is None
    )
