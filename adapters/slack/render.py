"""Slack Block Kit for digests, paper cards, thread details and plain replies (pure; no slack import)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from bot.domain.discussion import counts_text, source_label
from bot.domain.models import Digest, DigestItem, Discussion, Post, Reply
from bot.domain.pages import see_all
from bot.domain.scoring import explain
from bot.render.sanitize import author_line, clean, clean_block, shorten
from bot.render.text import score_line, team_line

Block = dict[str, Any]

MAX_BLOCKS = 50  # per message
MAX_SECTION = 3000  # characters in a section's (or context element's) text
MAX_HEADER = 150  # characters in a header block's plain_text
MAX_BUTTON = 75  # characters in a button's label
MAX_FALLBACK = 3000  # our own cap on the notification text (Slack allows far more)
TITLE_LIMIT = 300
POSTS_SHOWN = 3
UNFURL_ABSTRACT = 600
ACTION_PREFIX = "hotpapers_"  # action_id prefix of the link buttons (the app acks them)

_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")
_UNSAFE_URL = re.compile(r"[\s<>|\"`\u0000-\u001f\u007f]")


@dataclass(frozen=True)
class SlackMessage:
    """One chat.postMessage worth: a notification fallback and the blocks."""

    text: str
    blocks: tuple[Block, ...]

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": list(self.blocks)}


# -- escaping --------------------------------------------------------------------------------


def escape_mrkdwn(text: str) -> str:
    """Outside text made inert in mrkdwn: invisible characters dropped, `&`, `<`, `>` escaped.

    `<!channel>`, `<@U123>` and `<http://evil|arxiv.org>` then show as typed instead of pinging
    or hiding a link. Line breaks and leading indentation are kept.
    """
    lines = []
    for line in str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        body = clean(line)
        lines.append(" " * indent + body if body else "")
    joined = "\n".join(lines).strip("\n")
    return joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fit(raw: str, limit: int, *, block: bool = False) -> str:
    """Escaped text within `limit` characters, shortened on the raw side (no half entities)."""
    raw = clean_block(raw) if block else clean(raw)
    escaped = escape_mrkdwn(raw)
    for _ in range(8):
        if len(escaped) <= limit:
            return escaped
        overflow = len(escaped) - limit
        raw = shorten(raw, max(1, len(raw) - overflow - 1))
        escaped = escape_mrkdwn(raw)
    return _cut(escaped, limit)


def _cut(escaped: str, limit: int) -> str:
    """Hard cut of already escaped text that never splits an entity like `&amp;`."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(limit - 1, 0)]
    cut = _ENTITY_TAIL.sub("", cut)
    return cut + "…"


def safe_url(url: str) -> str | None:
    """An http(s) URL safe inside `<url|label>`, or None."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    url = _UNSAFE_URL.sub(lambda m: quote(m.group(0), safe=""), url)
    url = url.replace("&", "&amp;")
    return url if len(url) <= 2000 else None


def _link(url: str, label: str) -> str:
    """`label` must already be escaped."""
    target = safe_url(url)
    return f"<{target}|{label}>" if target else label


# -- block builders ----------------------------------------------------------------------------


def _mrkdwn(text: str) -> Block:
    # verbatim: Slack must not auto-link or auto-parse mentions in outside text
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(_cut(text, MAX_SECTION))}


def _header(raw: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": _fit(raw, MAX_HEADER)}}


def _context(*texts: str) -> Block:
    return {"type": "context", "elements": [_mrkdwn(_cut(t, MAX_SECTION)) for t in texts[:10]]}


def _buttons(item: DigestItem) -> Block:
    paper = item.paper
    return {
        "type": "actions",
        "block_id": f"links_{item.rank}",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "abs"},
                "url": paper.abs_url,
                "action_id": f"{ACTION_PREFIX}abs_{item.rank}",
                "value": paper.arxiv_id,
            },
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "pdf"},
                "url": paper.pdf_url,
                "action_id": f"{ACTION_PREFIX}pdf_{item.rank}",
                "value": paper.arxiv_id,
            },
            *_page_button(item),
        ],
    }


def _page_button(item: DigestItem) -> list[Block]:
    """A paper card's page on the site ([adapters.web] public_url)."""
    url = safe_url(item.page_url or "")
    if url is None:
        return []
    return [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "chart & posts"},
            "url": item.page_url,
            "action_id": f"{ACTION_PREFIX}page_{item.rank}",
            "value": item.paper.arxiv_id,
        }
    ]


def _title(item: DigestItem, *, rank: bool) -> str:
    paper = item.paper
    label = _fit(paper.title, TITLE_LIMIT) or f"arXiv:{escape_mrkdwn(paper.arxiv_id)}"
    prefix = f"{item.rank}. " if rank else ""
    return f"*{prefix}{_link(paper.abs_url, label)}*"


def _categories(item: DigestItem) -> str:
    return " ".join(f"`{escape_mrkdwn(c)}`" for c in item.paper.categories[:8] if c.strip())


def score_summary(item: DigestItem) -> str:
    """`score 410 (300 reposts, 110 likes)`, and per source when there are several."""
    line = score_line(item)
    parts = [p for p in item.score.parts if p.score]
    if len(parts) > 1:
        line += " · " + ", ".join(f"{clean(p.source, 30)} {p.score:,.0f}" for p in parts)
    if item.team > 0:
        line += " · " + team_line(item)
    return line


# -- digests -----------------------------------------------------------------------------------


def _item_blocks(item: DigestItem) -> list[Block]:
    lines = [_title(item, rank=True)]
    authors = author_line(item.paper.authors)
    if authors:
        lines.append(escape_mrkdwn(authors))
    meta = escape_mrkdwn(score_summary(item))
    cats = _categories(item)
    lines.append(f"{meta} · {cats}" if cats else meta)
    return [_section("\n".join(lines)), _buttons(item)]


def _fallback_digest(digest: Digest) -> str:
    lines = [clean(digest.title)]
    lines.extend(clean(n) for n in digest.notes)
    for item in digest.items:
        title = clean(item.paper.title, 120) or f"arXiv:{item.paper.arxiv_id}"
        lines.append(f"{item.rank}. {title} ({item.score.total:,.0f})")
    if not digest.items:
        lines.append("No papers with attention in this period yet.")
    if digest.page is not None:
        lines.append(f"{see_all(digest.page.papers)}: {digest.page.url}")
    return _fit("\n".join(lines), MAX_FALLBACK, block=True)


def _pack(
    head: list[Block], units: list[list[Block]], fallback: str, more: str
) -> list[SlackMessage]:
    """Blocks split into messages of at most MAX_BLOCKS, never splitting a unit."""
    messages: list[SlackMessage] = []
    current = list(head)
    for unit in units:
        if current and len(current) + len(unit) > MAX_BLOCKS:
            messages.append(SlackMessage(fallback if not messages else more, tuple(current)))
            current = []
        current.extend(unit[:MAX_BLOCKS])
    if current or not messages:
        messages.append(SlackMessage(fallback if not messages else more, tuple(current)))
    return messages


def digest_messages(digest: Digest, *, thread_hint: bool = True) -> list[SlackMessage]:
    """The digest as one or more messages: header, notes, a section and buttons per paper."""
    head: list[Block] = [_header(digest.title or "Hot Papers")]
    notes = [escape_mrkdwn(n) for n in digest.notes if clean(n)]
    if notes:
        head.append(_context(*notes))
    units = [_item_blocks(item) for item in digest.items]
    if not units:
        units.append([_section("No papers with attention in this period yet.")])
    if digest.page is not None:  # the digest's page on the site ([adapters.web] public_url)
        label = escape_mrkdwn(see_all(digest.page.papers))
        units.append([_context(_link(digest.page.url, label))])
    if digest.items and thread_hint:
        units.append(
            [_context("Reply with a number in this thread (e.g. `1`) for the abstract and posts.")]
        )
    more = _fit(f"{clean(digest.title)} (continued)", MAX_FALLBACK)
    return _pack(head, units, _fallback_digest(digest), more)


# -- papers ------------------------------------------------------------------------------------


def post_text(post: Post, limit: int = 280) -> str:
    who = escape_mrkdwn(clean(post.author_name, 60))
    if post.author_handle:
        handle = escape_mrkdwn("@" + clean(post.author_handle, 40).lstrip("@"))
        who = f"{who} ({handle})" if who else handle
    said = escape_mrkdwn(clean(post.text, limit))
    link = _link(post.url, escape_mrkdwn(clean(post.source, 20)) or "post") if post.url else ""
    text = f"{who}: “{said}”" if said else who
    return f"{text} {link}".strip()


def discussion_text(discussion: Discussion) -> str:
    """`<url|Hacker News>: 312 points, 120 comments`: the link made safe, the rest escaped."""
    label = _link(discussion.url, escape_mrkdwn(clean(source_label(discussion.source), 30)))
    counts = escape_mrkdwn(counts_text(discussion))
    return f"{label}: {counts}" if counts else label


def _text_sections(escaped: str) -> list[Block]:
    return [_section(chunk) for chunk in split_text(escaped, MAX_SECTION)]


def paper_blocks(item: DigestItem, *, rank: bool = False, posts: int = POSTS_SHOWN) -> list[Block]:
    """A paper in full: title, ids and categories, authors, score and its parts, abstract, posts."""
    paper = item.paper
    blocks: list[Block] = [_section(_title(item, rank=rank))]
    cats = list(paper.categories)
    where = [f"arXiv:{paper.arxiv_id}"]
    if cats:
        where.append(cats[0] + (f" (also {', '.join(cats[1:])})" if len(cats) > 1 else ""))
    if paper.listing_date:
        where.append(f"listed {paper.listing_date.isoformat()}")
    blocks.append(_context(_fit(" · ".join(where), MAX_SECTION)))
    if paper.authors:
        blocks.append(_section("*Authors:* " + escape_mrkdwn(author_line(paper.authors, shown=8))))
    score = [f"*{escape_mrkdwn(score_line(item).capitalize())}*"]
    score.extend("• " + escape_mrkdwn(line) for line in explain(item.score).splitlines())
    if item.team > 0:
        score.append(escape_mrkdwn(team_line(item)))
    blocks.append(_section("\n".join(score)))
    if paper.abstract.strip():
        blocks.extend(_text_sections(escape_mrkdwn(clean_block(paper.abstract))))
    shown = [p for p in item.posts if p.url or p.text][:posts]
    if shown:
        lines = ["*Top posts*"] + ["• " + post_text(p) for p in shown]
        blocks.extend(_text_sections("\n".join(lines)))
    if item.discussions:
        lines = ["*Discussed on*"] + ["• " + discussion_text(d) for d in item.discussions]
        blocks.extend(_text_sections("\n".join(lines)))
    blocks.append(_buttons(item))
    return blocks[:MAX_BLOCKS]


def _fallback_paper(item: DigestItem) -> str:
    title = clean(item.paper.title, TITLE_LIMIT) or f"arXiv:{item.paper.arxiv_id}"
    return _fit(f"{title} · {score_line(item)} · {item.paper.abs_url}", MAX_FALLBACK)


def paper_card(item: DigestItem) -> list[SlackMessage]:
    """A paper card (for `paper ID`, a pasted link, and `N` in a digest's thread)."""
    return [SlackMessage(_fallback_paper(item), tuple(paper_blocks(item)))]


def digest_thread_messages(digest: Digest) -> list[SlackMessage]:
    """The digest's thread: one message per item with its abstract and top posts."""
    return [
        SlackMessage(_fallback_paper(item), tuple(paper_blocks(item, rank=True)))
        for item in digest.items
    ]


def unfurl_blocks(item: DigestItem) -> list[Block]:
    """A compact card for `chat.unfurl`: title, authors, score, a short abstract."""
    paper = item.paper
    lines = [_title(item, rank=False)]
    if paper.authors:
        lines.append(escape_mrkdwn(author_line(paper.authors)))
    lines.append(escape_mrkdwn(score_summary(item)))
    blocks = [_section("\n".join(lines))]
    if paper.abstract.strip():
        blocks.append(_section(_fit(paper.abstract, UNFURL_ABSTRACT)))
    cats = _categories(item)
    meta = f"arXiv:{escape_mrkdwn(paper.arxiv_id)}" + (f" · {cats}" if cats else "")
    blocks.append(_context(meta))
    return blocks


# -- plain replies -----------------------------------------------------------------------------


def split_text(escaped: str, limit: int = MAX_SECTION) -> list[str]:
    """Already escaped text in chunks of at most `limit`, split at line breaks where possible."""
    chunks: list[str] = []
    current = ""
    for line in escaped.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            if cut < limit * 0.6:
                cut = limit
            head = _ENTITY_TAIL.sub("", line[:cut])
            if not head:
                head, cut = line[:limit], limit
            if current:
                chunks.append(current)
                current = ""
            chunks.append(head.rstrip())
            line = line[len(head) :].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip() or not chunks:
        chunks.append(current)
    return [c for c in chunks if c.strip()] or [" "]


def plain_messages(text: str) -> list[SlackMessage]:
    """Any reply text, escaped, in sections of at most 3000 characters and 50 per message."""
    sections = [_section(chunk) for chunk in split_text(escape_mrkdwn(text))]
    fallback = _fit(text, MAX_FALLBACK, block=True) or " "
    return _pack([], [[s] for s in sections], fallback, fallback)


def reply_messages(reply: Reply) -> list[SlackMessage]:
    """The messages for an engine reply: a digest, a paper card, or plain text."""
    if reply.digest is not None:
        return digest_messages(reply.digest)
    if reply.paper is not None:
        return paper_card(reply.paper)
    return plain_messages(reply.text)
