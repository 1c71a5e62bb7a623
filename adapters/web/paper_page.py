"""The page of one paper: details, the score and its parts per source, the chart of attention
over time, and the posts that talked about it (links only when they are http(s))."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from adapters.web import urls
from adapters.web.chart import attention_chart
from adapters.web.render import Alternates, authors_text, e, notes_html, page, safe_url, score_text
from bot.domain.models import DigestItem, Post, TimelinePoint

MAX_POST_CHARS = 1000


def paper_page(item: DigestItem, timeline: Sequence[TimelinePoint], *, site: str) -> str:
    paper = item.paper
    title = paper.title or f"arXiv:{paper.arxiv_id}"
    listed = paper.listing_date.isoformat() if paper.listing_date else None
    facts = [f'<a href="{e(paper.abs_url)}">arXiv:{e(paper.arxiv_id)}</a>']
    facts.append(f'<a href="{e(paper.pdf_url)}">PDF</a>')
    if listed:
        facts.append(f'listed <a href="{e(urls.digest_path(None, listed))}">{e(listed)}</a>')
    cats = " ".join(f'<a href="{e(urls.digest_path(c))}">{e(c)}</a>' for c in paper.categories)
    body = [
        f"<h1>{e(title)}</h1>",
        f'<p class="authors">{e(authors_text(paper.authors))}</p>',
        f'<p class="links">{" · ".join(facts)}</p>',
        f'<p class="categories">{cats}</p>' if cats else "",
        f'<section aria-labelledby="abstract"><h2 id="abstract">Abstract</h2><p>'
        f"{e(paper.abstract)}</p></section>"
        if paper.abstract
        else "",
        score_section(item),
        '<section aria-labelledby="over-time"><h2 id="over-time">Attention over time</h2>'
        + attention_chart(timeline, title=f"Reposts + likes over time, per source: {title}")
        + "</section>",
        posts_section(item.posts),
    ]
    alternates = Alternates(json=urls.paper_api_path(paper.arxiv_id))
    return page(title, "\n".join(b for b in body if b), alternates, site=site)


def score_section(item: DigestItem) -> str:
    rows = "".join(
        f'<tr><th scope="row">{e(p.source)}</th><td>{p.posts}</td><td>{p.accounts}</td>'
        f"<td>{p.reposts}</td><td>{p.likes}</td><td>{p.weight:g}</td><td>{p.score:g}</td></tr>"
        for p in item.score.parts
    )
    table = (
        "<table><caption>Score parts per source</caption><thead><tr>"
        '<th scope="col">source</th><th scope="col">posts</th><th scope="col">accounts</th>'
        '<th scope="col">reposts</th><th scope="col">likes</th><th scope="col">weight</th>'
        f'<th scope="col">score</th></tr></thead><tbody>{rows}</tbody></table>'
        if rows
        else ""
    )
    measured = (
        notes_html([f"Counters last measured {_when(item.measured_at)}."])
        if item.measured_at
        else ""
    )
    return (
        '<section aria-labelledby="score"><h2 id="score">Score</h2>'
        f"<p>{e(score_text(item.score))}</p>{table}{measured}</section>"
    )


def posts_section(posts: Sequence[Post]) -> str:
    if not posts:
        return ""
    items = "".join(post_html(p) for p in posts)
    return (
        '<section aria-labelledby="posts"><h2 id="posts">Posts about it</h2>'
        f'<ul class="posts">{items}</ul></section>'
    )


def post_html(post: Post) -> str:
    who = post.author_name or post.author_handle or post.source
    if post.author_handle and post.author_name:
        who = f"{post.author_name} (@{post.author_handle})"
    text = post.text if len(post.text) <= MAX_POST_CHARS else post.text[:MAX_POST_CHARS] + "…"
    url = safe_url(post.url)
    when = _when(post.posted) if post.posted else ""
    link = (
        f'<a href="{e(url)}" rel="nofollow noopener noreferrer">{e(post.source)}'
        f"{', ' + e(when) if when else ''}</a>"
        if url
        else f"{e(post.source)}{', ' + e(when) if when else ''}"
    )
    return (
        f"<li><blockquote><p>{e(text)}</p></blockquote>"
        f"<p>— {e(who)} · {link} · {post.reposts} reposts, {post.likes} likes</p></li>"
    )


def _when(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat() if value else ""
