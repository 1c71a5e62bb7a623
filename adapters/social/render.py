"""Digest threads for X, Bluesky and Mastodon, each post measured the platform's way (pure)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.discussion import is_web_url, source_label
from bot.domain.models import Digest, DigestItem, Reply
from bot.domain.pages import see_all
from bot.render.sanitize import clean, shorten

PLATFORMS = ("x", "bluesky", "mastodon")
LIMITS = {"x": 280, "bluesky": 300, "mastodon": 500}
DISCUSSIONS_SHOWN = 2  # links to where a paper is discussed, on a paper card reply
URL_WEIGHT = 23  # X and Mastodon count every link as 23 characters, whatever its length

_URL = re.compile(r"https?://[^\s]+")
# Text X may auto-link without a scheme ("example.com/x"): counted as max(23, its own length).
_BARE = re.compile(r"(?<![\w@.-])(?:[\w-]+\.)+[a-zA-Z]{2,}(?:/[^\s]*)?")
# X and Mastodon treat both @ and the fullwidth ＠ (U+FF20) as mention signs: neither survives
# in front of a name in outside text.
_MENTION = re.compile("[@\uff20]+(?=[\\w.])")  # the whole run: "@@x" must not leave "@x"
# X's "light" ranges (twitter-text v3 config): these weigh 1, everything else 2.
_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_ZWJ = "\u200d"


@dataclass(frozen=True)
class Link:
    """A link facet: UTF-8 byte offsets into the post's text (Bluesky's way) and its target."""

    byte_start: int
    byte_end: int
    uri: str


@dataclass(frozen=True)
class SocialPost:
    text: str
    links: tuple[Link, ...] = ()


# -- counting ---------------------------------------------------------------------------------


def _is_emoji_start(ch: str) -> bool:
    cp = ord(ch)
    return cp >= 0x1F000 or 0x2600 <= cp <= 0x27BF or 0x1F1E6 <= cp <= 0x1F1FF


def _extends(ch: str) -> bool:
    """Code points that never start a user-visible character of their own."""
    cp = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0x1F3FB <= cp <= 0x1F3FF  # skin tones
        or 0xE0020 <= cp <= 0xE007F  # tag characters (flag sequences)
        or ch == _ZWJ
    )


def graphemes(text: str) -> list[str]:
    """Approximate extended grapheme clusters without the `regex` package.

    Joins combining marks, variation selectors, skin tones, tag characters and ZWJ sequences to
    the character before, and regional indicators in pairs (flags). Hangul jamo and a few rarer
    rules are not handled: the approximation only ever counts MORE clusters than there are, so a
    post it accepts fits.
    """
    clusters: list[str] = []
    joined = False
    for ch in unicodedata.normalize("NFC", text):
        cp = ord(ch)
        flag_pair = (
            0x1F1E6 <= cp <= 0x1F1FF
            and len(clusters[-1]) == 1
            and 0x1F1E6 <= ord(clusters[-1]) <= 0x1F1FF
            if clusters
            else False
        )
        if clusters and (joined or _extends(ch) or flag_pair):
            clusters[-1] += ch
        else:
            clusters.append(ch)
        joined = ch == _ZWJ
    return clusters


def grapheme_length(text: str) -> int:
    """Bluesky's measure: grapheme clusters (approximated, never under-counted)."""
    return len(graphemes(text))


def _light(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _LIGHT)


def _x_plain(text: str) -> int:
    total = 0
    for cluster in graphemes(text):
        if _is_emoji_start(cluster[0]):
            total += 2  # an emoji sequence counts 2 however many code points it has
        else:
            total += sum(1 if _light(ord(c)) else 2 for c in cluster)
    return total


def weighted_length(text: str) -> int:
    """X's count: URLs 23, code points outside Latin/punctuation ranges (CJK, emoji) 2, others 1."""
    total = 0
    pos = 0
    for match in _URL.finditer(text):
        total += _x_bare(text[pos : match.start()]) + URL_WEIGHT
        pos = match.end()
    return total + _x_bare(text[pos:])


def _x_bare(text: str) -> int:
    total = 0
    pos = 0
    for match in _BARE.finditer(text):
        total += _x_plain(text[pos : match.start()]) + max(URL_WEIGHT, _x_plain(match.group()))
        pos = match.end()
    return total + _x_plain(text[pos:])


def mastodon_length(text: str) -> int:
    """Mastodon's count: URLs 23, everything else by code point (>= its grapheme count)."""
    total = 0
    pos = 0
    for match in _URL.finditer(text):
        total += len(text[pos : match.start()]) + URL_WEIGHT
        pos = match.end()
    return total + len(text[pos:])


def post_length(platform: str, text: str) -> int:
    if platform == "x":
        return weighted_length(text)
    if platform == "bluesky":
        return grapheme_length(text)
    return mastodon_length(text)


def fits(platform: str, text: str) -> bool:
    return post_length(platform, text) <= LIMITS[platform]


# -- outside text ----------------------------------------------------------------------------


def safe_text(text: str) -> str:
    """Outside text made safe to post: one line, invisible characters gone, no mentions.

    A mention sign in front of a name is dropped ("@alice" -> "alice") so a paper title can
    never notify anyone; X also treats the fullwidth ＠ as a mention sign, so that goes too.
    """
    return _MENTION.sub("", clean(text))


# -- threads ---------------------------------------------------------------------------------


def _fit_title(title: str, build: Callable[[str], str], platform: str) -> str:
    """The longest shortening of `title` whose built post fits the platform's limit."""
    if fits(platform, build(title)):
        return build(title)
    lo, hi = 0, len(title)
    while lo < hi:  # the largest n with build(shorten(title, n)) fitting
        mid = (lo + hi + 1) // 2
        if fits(platform, build(shorten(title, mid))):
            lo = mid
        else:
            hi = mid - 1
    return build(shorten(title, lo) if lo > 0 else "…")


def _link_text(platform: str, url: str) -> str:
    # Bluesky shows the facet's text: a shorter label saves graphemes; the facet keeps the URL.
    return url.removeprefix("https://") if platform == "bluesky" else url


def _with_links(platform: str, text: str, urls: tuple[str, ...]) -> SocialPost:
    if platform != "bluesky":
        return SocialPost(text)
    links = []
    encoded = text.encode("utf-8")
    search_from = 0
    for url in urls:
        label = _link_text(platform, url).encode("utf-8")
        start = encoded.find(label, search_from)
        if start < 0:
            continue
        links.append(Link(start, start + len(label), url))
        search_from = start + len(label)
    return SocialPost(text, tuple(links))


def _score(item: DigestItem) -> str:
    score = item.score
    return f"score {score.total:,.0f} ({score.reposts:,} reposts, {score.likes:,} likes)"


def item_post(platform: str, item: DigestItem) -> SocialPost:
    """One reply: rank, the title shortened to fit, the score and the link."""
    paper = item.paper
    title = safe_text(paper.title) or paper.arxiv_id
    link = _link_text(platform, paper.abs_url)

    def build(t: str) -> str:
        return f"{item.rank}. {t}\n{_score(item)}\n{link}"

    return _with_links(platform, _fit_title(title, build, platform), (paper.abs_url,))


def _discussed(
    platform: str, card: DigestItem, around: Callable[[str], str]
) -> tuple[list[str], list[str]]:
    """Up to DISCUSSIONS_SHOWN `Hacker News: <link>` lines that fit beside a 60-character title,
    the score and the paper's link; and their URLs (for Bluesky's link facets)."""
    lines: list[str] = []
    urls: list[str] = []
    base = f"{_score(card)}\n{_link_text(platform, card.paper.abs_url)}"
    for d in card.discussions:
        if len(lines) >= DISCUSSIONS_SHOWN or not is_web_url(d.url):
            continue
        line = f"{source_label(d.source)}: {_link_text(platform, d.url)}"
        if fits(platform, around("\n".join([base, *lines, line]))):
            lines.append(line)
            urls.append(d.url)
    return lines, urls


def budget_note(shown: int, total: int) -> str:
    return f"Posting the top {shown} of {total} today (daily posting budget)."


def _page_line(platform: str, digest: Digest) -> str:
    """ "See all 23 on the web: <link>" to the digest's page, when it has one ("" if not)."""
    page = digest.page
    return f"{see_all(page.papers)}: {_link_text(platform, page.url)}" if page else ""


def _page_urls(digest: Digest) -> tuple[str, ...]:
    return (digest.page.url,) if digest.page else ()


def first_post(platform: str, digest: Digest, *, shown: int | None = None) -> SocialPost:
    """ "Hot Papers 2026-11-24 · cs.CV", the top line, the digest's notes, a budget note and the
    link to the digest's page."""
    heading = shorten(safe_text(digest.title) or "Hot Papers", 120)
    extra = [safe_text(n) for n in digest.notes if safe_text(n)]
    total = len(digest.items)
    if shown is not None and shown < total:
        extra.append(budget_note(shown, total))
    page = _page_line(platform, digest)
    if not digest.items:
        text = _fit_lines(platform, heading, ["No papers with attention yet."], extra, page)
        return _with_links(platform, text, _page_urls(digest))
    top = digest.items[0]
    top_title = safe_text(top.paper.title) or top.paper.arxiv_id
    thread_hint = "Thread below." if shown is None or shown > 0 else ""

    def build(t: str) -> str:
        top_line = f"Top: {t} ({_score(top).split(' (')[0]})"
        return _join(heading, [top_line], extra, thread_hint, page)

    if not fits(platform, build("…")):  # very long notes: drop them before the top line
        extra = [e for e in extra if e.startswith("Posting the top")]
    return _with_links(platform, _fit_title(top_title, build, platform), _page_urls(digest))


SINGLE_POST_TOP = 3  # titles in a one-post digest (`thread = false`)


def digest_post(digest: Digest, platform: str) -> SocialPost:
    """A digest as ONE post (`[adapters.x] thread = false`): the title line, the top three
    titles (all shortened alike until the post fits) and the link to the digest's page."""
    heading = shorten(safe_text(digest.title) or "Hot Papers", 120)
    page = _page_line(platform, digest)
    items = digest.items[:SINGLE_POST_TOP]
    if not items:
        text = _fit_lines(platform, heading, ["No papers with attention yet."], [], page)
        return _with_links(platform, text, _page_urls(digest))
    titles = [safe_text(it.paper.title) or it.paper.arxiv_id for it in items]
    if not fits(platform, _join(heading, ["1. …"] * len(items), [], page)):
        heading = shorten(heading, 40)  # a title line of wide characters: room for the papers

    def build(limit: int) -> str:
        lines = [f"{it.rank}. {shorten(t, limit)}" for it, t in zip(items, titles, strict=True)]
        return _join(heading, lines, [], page)

    lo, hi = 1, max(len(t) for t in titles)
    while lo < hi:  # the longest common title length whose post fits
        mid = (lo + hi + 1) // 2
        if fits(platform, build(mid)):
            lo = mid
        else:
            hi = mid - 1
    while lo > 1 and not fits(platform, build(lo)):  # word-boundary cuts are not monotonic
        lo -= 1
    return _with_links(platform, build(lo), _page_urls(digest))


def _join(heading: str, lines: list[str], extra: list[str], *tail: str) -> str:
    return "\n".join([heading, *lines, *extra, *(t for t in tail if t)])


def _fit_lines(
    platform: str, heading: str, lines: list[str], extra: list[str], page: str = ""
) -> str:
    text = _join(heading, lines, extra, page)
    while extra and not fits(platform, text):
        extra = extra[:-1]
        text = _join(heading, lines, extra, page)
    return text


def digest_thread(
    digest: Digest, platform: str, *, max_posts: int | None = None
) -> tuple[SocialPost, ...]:
    """The first post and one reply per paper; at most `max_posts` posts (the budget).

    When the budget cuts replies, the first post says how many of how many are posted.
    `max_posts` < 1 gives an empty thread.
    """
    if platform not in LIMITS:
        raise ValueError(f"unknown platform {platform!r}; known: {', '.join(PLATFORMS)}")
    if max_posts is not None and max_posts < 1:
        return ()
    items = digest.items
    shown = len(items) if max_posts is None else min(len(items), max_posts - 1)
    first = first_post(platform, digest, shown=shown if shown < len(items) else None)
    return (first, *(item_post(platform, item) for item in items[:shown]))


def reply_post(platform: str, reply: Reply, *, prefix: str = "") -> SocialPost:
    """An engine Reply as one post within the platform's limit (a paper card, a short list or text).

    `prefix` is put first as given (e.g. "@ana@mastodon.example " so Mastodon notifies the asker);
    everything from the reply is made safe like any outside text.
    """
    card = reply.paper
    if card is not None:
        paper = card.paper
        title = safe_text(paper.title) or paper.arxiv_id
        link = _link_text(platform, paper.abs_url)
        extra, where = _discussed(platform, card, lambda lines: f"{prefix}{title[:60]}\n{lines}")

        def build(t: str) -> str:
            return f"{prefix}{t}\n{_score(card)}\n{link}" + "".join("\n" + e for e in extra)

        return _with_links(platform, _fit_title(title, build, platform), (paper.abs_url, *where))
    if reply.digest is not None and reply.digest.items:
        lines = [prefix + (shorten(safe_text(reply.digest.title), 120) or "Hot Papers")]
        urls: list[str] = []
        for it in reply.digest.items:
            line = f"{it.rank}. {shorten(safe_text(it.paper.title), 60)} "
            line += _link_text(platform, it.paper.abs_url)
            if not fits(platform, "\n".join([*lines, line])):
                break
            lines.append(line)
            urls.append(it.paper.abs_url)
        return _with_links(platform, "\n".join(lines), tuple(urls))
    text = _MENTION.sub("", clean(reply.text.replace("`", "")))
    return SocialPost(_fit_title(text, lambda t: prefix + t, platform))
