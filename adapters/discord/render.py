"""Digests, paper cards and replies as Discord message payloads (embed JSON) within Discord's limits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from adapters.discord.colours import DEFAULT_COLOUR, archive_colour
from bot.domain.discussion import counts_text, source_label
from bot.domain.models import Digest, DigestItem, Discussion, Post, Reply
from bot.domain.pages import see_all
from bot.domain.scoring import explain
from bot.render.sanitize import author_line, clean, clean_block, shorten
from bot.render.text import team_line

# Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL = 6000  # title + description + field names and values + footer + author, all embeds
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_PER_EMBED = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
THREAD_NAME_LIMIT = 100

Message = dict[str, Any]  # {"content": str, "embeds": [embed, ...]}: the JSON body of a message
Embed = dict[str, Any]

ZWSP = "\u200b"
EMPTY_DIGEST = "No papers with attention in this period yet."

_URL = re.compile(r"https?://[^\s<>\[\]]+", re.IGNORECASE)  # no brackets: a masked link may follow
_MARKDOWN = re.compile(r"([\\*_~|`\[\]])")
_LINE_START = re.compile(r"(?m)^([ \t]*)([#>+-])")
_ORDERED = re.compile(r"(?m)^([ \t]*[0-9]+)\.(?=\s)")
_ANGLE = re.compile(r"<(?=[@#:/]|a:|t:)")
_EVERYONE = re.compile(r"@(?=(?:everyone|here)\b)", re.IGNORECASE)
_MASKED_LINK = re.compile(r"(?<!\\)\]\(")  # `[label](url)` echoed from a user: not a link


def escape_discord(text: str) -> str:
    """Outside text made inert for Discord: no markdown, masked links, mentions or hidden characters.

    `*_~|` and backticks, `[` `]` (masked links) and line-leading `#`, `-`, `>`, `1.` are
    backslash-escaped (URLs are left intact so they still link); `@everyone`, `@here`,
    `<@123>`, `<@&role>`, `<#channel>` (and custom emoji, timestamps, command mentions) get a
    zero-width space that stops Discord from reading them; zero-width and bidi characters that
    came with the text are dropped first.
    """
    if not isinstance(text, str):
        return ""
    text = clean_block(text)
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        parts.append(_escape_markdown(text[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_escape_markdown(text[last:]))
    text = "".join(parts)
    text = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    text = _ORDERED.sub(lambda m: m.group(1) + "\\.", text)
    return neutralize_mentions(text)


def _escape_markdown(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text)


def neutralize_mentions(text: str) -> str:
    """Mentions shown as text (`@\u200beveryone`, `<\u200b@123>`), markdown kept as it is."""
    return _EVERYONE.sub("@" + ZWSP, _ANGLE.sub("<" + ZWSP, text))


def embed_length(embed: Embed) -> int:
    """The characters Discord counts towards the 6000 per message."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len(embed.get("footer", {}).get("text", ""))
    total += len(embed.get("author", {}).get("name", ""))
    for f in embed.get("fields", ()):
        total += len(f.get("name", "")) + len(f.get("value", ""))
    return total


def message_length(message: Message) -> int:
    return sum(embed_length(e) for e in message.get("embeds", ()))


# -- digests --------------------------------------------------------------------------------


def render_digest_messages(digest: Digest, *, marker: str | None = None) -> list[Message]:
    """The digest as one or more messages of embeds (one embed per paper).

    `marker` (the publisher's idempotency reference) goes into the footer of each message's last
    embed, where it survives in the channel's history (a message nonce does not).
    """
    head = [clean(digest.title, 200) or "Hot Papers", *(clean(n, 300) for n in digest.notes)]
    # The digest's page on the site ([adapters.web] public_url); <...> keeps Discord from
    # previewing it.
    link = f"\n[{see_all(digest.page.papers)}](<{digest.page.url}>)" if digest.page else ""
    content = _fit("\n".join(escape_discord(line) for line in head), CONTENT_LIMIT - len(link))
    content += link
    embeds = [digest_item_embed(item) for item in digest.items]
    if not embeds:
        embeds = [{"description": EMPTY_DIGEST, "color": DEFAULT_COLOUR}]
    messages = pack(content, embeds)
    if marker:
        count = len(messages)
        for index, message in enumerate(messages, start=1):
            last = message["embeds"][-1]
            suffix = f"ref {marker}" + (f" · {index}/{count}" if count > 1 else "")
            footer = last.get("footer", {}).get("text", "")
            last["footer"] = {"text": f"{footer} · {suffix}" if footer else suffix}
        messages = [_within_limits(m) for m in messages]
    return messages


def digest_item_embed(item: DigestItem) -> Embed:
    paper = item.paper
    embed: Embed = {
        "title": _fit(f"{item.rank}. {_title(item)}", TITLE_LIMIT),
        "url": paper.abs_url,
        "color": archive_colour(paper.primary_category or _first(paper.categories)),
    }
    authors = author_line(paper.authors, shown=6)
    if authors:
        embed["description"] = _fit(escape_discord(authors), 600)
    fields = [_field("Score", score_text(item))]
    if paper.categories:
        fields.append(_field("Categories", _categories(paper.categories), inline=True))
    fields.append(_field("Links", _links(item), inline=True))
    embed["fields"] = fields
    embed["footer"] = {"text": _footer(item)}
    return embed


def score_text(item: DigestItem) -> str:
    """`**1,234** · 5 posts by 4 accounts · 120 reposts · 1,114 likes`, then one line per source."""
    score = item.score
    bits = [f"**{score.total:,.0f}**"]
    if score.posts:
        bits.append(f"{score.posts:,} posts by {score.accounts:,} accounts")
    bits += [f"{score.reposts:,} reposts", f"{score.likes:,} likes"]
    lines = [" · ".join(bits)]
    if item.team > 0:
        lines.append(team_line(item))
    lines.extend(escape_discord(line) for line in explain(score).splitlines())
    return _fit("\n".join(lines), FIELD_VALUE_LIMIT)


def render_thread_messages(digest: Digest) -> list[Message]:
    """The digest's thread: each paper's abstract and top posts, and how to ask for one in full.

    One message per paper, in rank order, so a reaction on one names its paper (the team's
    attention)."""
    intro = (
        "Abstracts of the papers above. Ask for one in full here: `/details 3`, "
        "or mention me with `3`."
    )
    embeds = [thread_item_embed(item) for item in digest.items]
    if not embeds:
        return [{"content": EMPTY_DIGEST}]
    return [pack(intro if i == 0 else "", [embed])[0] for i, embed in enumerate(embeds)]


def thread_item_embed(item: DigestItem) -> Embed:
    paper = item.paper
    embed: Embed = {
        "title": _fit(f"{item.rank}. {_title(item)}", TITLE_LIMIT),
        "url": paper.abs_url,
        "color": archive_colour(paper.primary_category or _first(paper.categories)),
    }
    if paper.abstract.strip():
        embed["description"] = _fit(escape_discord(clean_block(paper.abstract, 1500)), 1600)
    fields = []
    posts = _posts(item.posts, 3)
    if posts:
        fields.append(_field("Top posts", posts))
    discussed = discussions_text(item.discussions)
    if discussed:
        fields.append(_field("Discussed on", discussed))
    if fields:
        embed["fields"] = fields
    embed["footer"] = {"text": _footer(item)}
    return embed


def thread_name(digest: Digest) -> str:
    """A thread name (at most 100 characters); thread names show no markdown."""
    return shorten(clean(digest.title) or "Hot Papers", THREAD_NAME_LIMIT)


# -- papers and plain replies ------------------------------------------------------------------


def render_paper_message(item: DigestItem) -> Message:
    """One paper in full: the answer to `paper ID`, `3` in a thread and a pasted link."""
    paper = item.paper
    parts = []
    authors = author_line(paper.authors, shown=10)
    if authors:
        parts.append(escape_discord(authors))
    if paper.abstract:
        parts.append(escape_discord(clean_block(paper.abstract, 2500)))
    embed: Embed = {
        "title": _fit(_title(item), TITLE_LIMIT),
        "url": paper.abs_url,
        "color": archive_colour(paper.primary_category or _first(paper.categories)),
    }
    if parts:
        embed["description"] = _fit("\n\n".join(parts), DESCRIPTION_LIMIT)
    fields = [_field("Score", score_text(item))]
    if paper.categories:
        fields.append(_field("Categories", _categories(paper.categories), inline=True))
    if paper.listing_date:
        fields.append(_field("Listed", paper.listing_date.isoformat(), inline=True))
    fields.append(_field("Links", _links(item), inline=True))
    posts = _posts(item.posts, 5)
    if posts:
        fields.append(_field("Top posts", posts))
    discussed = discussions_text(item.discussions)
    if discussed:
        fields.append(_field("Discussed on", discussed))
    embed["fields"] = fields
    embed["footer"] = {"text": f"arXiv:{clean(paper.arxiv_id, 60)}"}
    return _within_limits({"embeds": [embed]})


def render_text_messages(text: str) -> list[Message]:
    """A plain reply in messages of at most 2000 characters, split at line ends where possible.

    The engine's own formatting (backticks in help) is kept; mentions and hidden characters are not.
    """
    body = _MASKED_LINK.sub("\\\\](", neutralize_mentions(clean_block(text))) or "…"
    return [{"content": chunk} for chunk in split_text(body, CONTENT_LIMIT)]


def render_reply_messages(reply: Reply, *, marker: str | None = None) -> list[Message]:
    """Whatever the engine answered, as Discord messages: a digest, a paper card or text."""
    if reply.digest is not None:
        return render_digest_messages(reply.digest, marker=marker)
    if reply.paper is not None:
        return [render_paper_message(reply.paper)]
    return render_text_messages(reply.text)


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters, cut at a line end, else a space, else anywhere."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut < limit // 2:
            cut = limit
        chunk = rest[:cut].rstrip()
        if chunk:
            chunks.append(chunk)
        rest = rest[cut:].lstrip("\n ")
    if rest.strip() or not chunks:
        chunks.append(rest)
    return chunks


# -- packing -----------------------------------------------------------------------------------


def pack(content: str, embeds: Sequence[Embed]) -> list[Message]:
    """Embeds spread over messages: at most 10 and 6000 counted characters per message.

    `content` goes on the first message only.
    """
    messages: list[Message] = []
    current: list[Embed] = []
    size = 0
    for embed in embeds:
        embed = _embed_within_limits(embed)
        length = embed_length(embed)
        if current and (len(current) >= EMBEDS_PER_MESSAGE or size + length > EMBED_TOTAL):
            messages.append({"embeds": current})
            current, size = [], 0
        current.append(embed)
        size += length
    if current:
        messages.append({"embeds": current})
    if not messages:
        messages.append({"embeds": []})
    if content:
        messages[0] = {"content": _fit(content, CONTENT_LIMIT), **messages[0]}
    return messages


def _embed_within_limits(embed: Embed) -> Embed:
    out = dict(embed)
    if "title" in out:
        out["title"] = _fit(out["title"], TITLE_LIMIT)
    if "description" in out:
        out["description"] = _fit(out["description"], DESCRIPTION_LIMIT)
    if "footer" in out:
        out["footer"] = {"text": _fit(out["footer"].get("text", ""), FOOTER_LIMIT)}
    if "fields" in out:
        out["fields"] = [
            {
                **f,
                "name": _fit(f["name"], FIELD_NAME_LIMIT),
                "value": _fit(f["value"], FIELD_VALUE_LIMIT),
            }
            for f in out["fields"][:FIELDS_PER_EMBED]
        ]
    # One embed alone must fit a message; the description gives way first.
    over = embed_length(out) - EMBED_TOTAL
    if over > 0 and "description" in out:
        out["description"] = _fit(out["description"], max(len(out["description"]) - over, 1))
    return out


def _within_limits(message: Message) -> Message:
    out = dict(message)
    out["embeds"] = [_embed_within_limits(e) for e in message.get("embeds", ())]
    if "content" in out:
        out["content"] = _fit(out["content"], CONTENT_LIMIT)
    return out


# -- small pieces ------------------------------------------------------------------------------


def _title(item: DigestItem) -> str:
    return escape_discord(clean(item.paper.title, 240)) or f"arXiv:{item.paper.arxiv_id}"


def _first(values: Sequence[str]) -> str:
    return values[0] if values else ""


def _field(name: str, value: str, *, inline: bool = False) -> dict[str, Any]:
    return {"name": name, "value": _fit(value or "—", FIELD_VALUE_LIMIT), "inline": inline}


def _categories(categories: Sequence[str]) -> str:
    return _fit(escape_discord(" · ".join(clean(c, 40) for c in categories)), FIELD_VALUE_LIMIT)


def _links(item: DigestItem) -> str:
    paper = item.paper
    links = f"[abs]({paper.abs_url}) · [pdf]({paper.pdf_url})"
    # a paper card's page on the site ([adapters.web] public_url); <...>: no preview
    return links + (f" · [chart & posts](<{item.page_url}>)" if item.page_url else "")


def _footer(item: DigestItem) -> str:
    bits = [f"arXiv:{clean(item.paper.arxiv_id, 60)}"]
    if item.paper.listing_date:
        bits.append(f"listed {item.paper.listing_date.isoformat()}")
    return " · ".join(bits)


def _posts(posts: Sequence[Post], count: int) -> str:
    lines = []
    for post in [p for p in posts if p.url][:count]:
        who = clean(post.author_name, 50)
        if post.author_handle:
            who = f"{who} (@{clean(post.author_handle, 40)})".strip()
        text = clean(post.text, 160)
        url = post.url if _URL.fullmatch(post.url) else ""
        line = f"{escape_discord(who)}: “{escape_discord(text)}”"
        lines.append(f"{line} {url}".strip())
    text = ""
    for line in lines:  # whole lines only, never a cut URL
        if len(text) + len(line) + 1 > FIELD_VALUE_LIMIT:
            break
        text = f"{text}\n{line}" if text else line
    return text


def discussions_text(discussions: Sequence[Discussion]) -> str:
    """`[Hacker News](url) 312 points, 120 comments`, one line per source; whole lines only."""
    text = ""
    for d in discussions:
        if not _URL.fullmatch(d.url) or ")" in d.url:
            continue
        label = escape_discord(clean(source_label(d.source), 30))
        counts = escape_discord(counts_text(d))
        line = f"[{label}]({d.url})" + (f" {counts}" if counts else "")
        if len(text) + len(line) + 1 > FIELD_VALUE_LIMIT:
            break
        text = f"{text}\n{line}" if text else line
    return text


def _fit(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word with an ellipsis; never ends in a lone backslash."""
    if len(text) <= limit:
        return text
    cut = shorten(text, limit)
    if len(cut) > limit:
        cut = text[: limit - 1] + "…"
    while cut.endswith("\\…") or cut.endswith("\\"):
        cut = cut.rstrip("…")[:-1] + "…"
    return cut
