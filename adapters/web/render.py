"""HTML pages, server-rendered: pure functions from core values to text, every outside text
escaped (titles, authors, abstracts, posts, the query). No script anywhere; one stylesheet."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from adapters.web import urls
from bot.domain.models import Digest, DigestItem, Score

MAX_AUTHORS = 8


@dataclass(frozen=True)
class Alternates:
    """A page's JSON and Atom equivalents (paths on this site)."""

    json: str | None = None
    atom: str | None = None


def e(text: object) -> str:
    """Escape outside text for HTML text and double-quoted attributes."""
    return escape(str(text), quote=True)


def safe_url(url: str) -> str | None:
    """An outside link we may print: http(s) with a host, nothing else (no javascript:)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def page(title: str, body: str, alternates: Alternates = Alternates(), *, site: str) -> str:
    links = []
    if alternates.json:
        links.append(f'<link rel="alternate" type="application/json" href="{e(alternates.json)}">')
    if alternates.atom:
        links.append(
            f'<link rel="alternate" type="application/atom+xml" title="{e(site)}" '
            f'href="{e(alternates.atom)}">'
        )
    formats = []
    if alternates.json:
        formats.append(f'<a href="{e(alternates.json)}">JSON</a>')
    if alternates.atom:
        formats.append(f'<a href="{e(alternates.atom)}">Atom feed</a>')
    also = f'<p class="formats">This page as {" · ".join(formats)}</p>' if formats else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title>"
        '<link rel="stylesheet" href="/style.css">'
        f"{''.join(links)}</head>\n<body>"
        '<a class="skip" href="#main">Skip to content</a>'
        f"<header>{nav(site)}</header>\n"
        f'<main id="main">\n{body}\n</main>\n'
        f"<footer>{also}<p>Ranked by attention on social media; "
        '<a href="/api/v1/openapi.json">API</a>.</p></footer>'
        "</body></html>\n"
    )


def nav(site: str) -> str:
    return (
        f'<nav aria-label="Site"><a href="/" class="site">{e(site)}</a> '
        '<a href="/week">This week</a> <a href="/month">This month</a> '
        '<a href="/feed.atom">Feed</a>'
        '<form role="search" action="/search" method="get">'
        '<label for="q" class="visually-hidden">Search papers</label>'
        '<input id="q" name="q" type="search" maxlength="200" placeholder="Search papers">'
        '<button type="submit">Search</button></form></nav>'
    )


def digest_page(
    digest: Digest, *, site: str, category: str | None, day: str | None, nearby: Sequence[str] = ()
) -> str:
    """A digest: its title, notes, the ranked papers, and links to other listing days."""
    alternates = Alternates(
        json=urls.digest_api_path(category, day),
        atom=urls.feed_path(category),
    )
    body = [f"<h1>{e(digest.title)}</h1>", notes_html(digest.notes)]
    if digest.items:
        body.append(items_html(digest.items))
    else:
        body.append("<p>No papers with attention in this listing yet.</p>")
    if nearby:
        days = " ".join(f'<a href="{e(urls.digest_path(category, d))}">{e(d)}</a>' for d in nearby)
        body.append(f'<nav aria-label="Listing days"><h2>Other days</h2><p>{days}</p></nav>')
    return page(digest.title, "\n".join(body), alternates, site=site)


def search_page(q: str, digest: Digest | None, message: str | None, *, site: str) -> str:
    title = f"Search: {q}" if q else "Search"
    body = [
        f"<h1>{e(title)}</h1>",
        '<form role="search" action="/search" method="get">'
        '<label for="q2">Words, categories, a period (e.g. <kbd>diffusion cs.CV this week</kbd>)'
        f'</label> <input id="q2" name="q" type="search" maxlength="200" value="{e(q)}">'
        '<button type="submit">Search</button></form>',
    ]
    if message:
        body.append(f'<p role="status">{e(message)}</p>')
    if digest is not None:
        body.append(notes_html(digest.notes))
        body.append(items_html(digest.items))
    alternates = Alternates(json=urls.search_api_path(q)) if q else Alternates()
    return page(title, "\n".join(body), alternates, site=site)


def error_page(status: int, message: str, *, site: str) -> str:
    heading = {404: "Not found", 405: "Not allowed", 429: "Slow down"}.get(status, "Sorry")
    body = (
        f"<h1>{e(heading)}</h1><p>{e(message)}</p>"
        '<p>Try <a href="/">the latest digest</a> or a search.</p>'
    )
    return page(f"{heading} · {site}", body, site=site)


def notes_html(notes: Iterable[str]) -> str:
    notes = list(notes)
    if not notes:
        return ""
    return '<ul class="notes">' + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>"


def items_html(items: Sequence[DigestItem]) -> str:
    rows = [item_html(item) for item in items]
    start = items[0].rank if items else 1
    return f'<ol class="papers" start="{start}">' + "\n".join(rows) + "</ol>"


def item_html(item: DigestItem) -> str:
    paper = item.paper
    title = paper.title or f"arXiv:{paper.arxiv_id}"
    cats = " ".join(f'<a href="{e(urls.digest_path(c))}">{e(c)}</a>' for c in paper.categories)
    return (
        f'<li><article aria-labelledby="p-{e(paper.arxiv_id)}">'
        f'<h2 id="p-{e(paper.arxiv_id)}"><a href="{e(urls.paper_path(paper.arxiv_id))}">'
        f"{e(title)}</a></h2>"
        f'<p class="authors">{e(authors_text(paper.authors))}</p>'
        f'<p class="score">{e(score_text(item.score))}</p>'
        f'<p class="links"><a href="{e(paper.abs_url)}">arXiv:{e(paper.arxiv_id)}</a> · '
        f'<a href="{e(paper.pdf_url)}">PDF</a>' + (f" · {cats}" if cats else "") + "</p>"
        "</article></li>"
    )


def authors_text(authors: Sequence[str]) -> str:
    if len(authors) <= MAX_AUTHORS:
        return ", ".join(authors)
    return ", ".join(authors[:MAX_AUTHORS]) + f" and {len(authors) - MAX_AUTHORS} more"


def score_text(score: Score) -> str:
    parts = ", ".join(f"{p.source} {p.score:g}" for p in score.parts if p.score)
    text = f"score {score.total:g}: {score.reposts} reposts, {score.likes} likes"
    if score.posts:
        text += f", {score.posts} posts"
    return text + (f" ({parts})" if len(score.parts) > 1 and parts else "")
