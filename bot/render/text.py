"""Plain-text renderings of digests and papers (console, logs, and every platform's fallback)."""

from __future__ import annotations

from bot.domain.discussion import counts_text, is_web_url, source_label
from bot.domain.models import Digest, DigestItem, Discussion, Post
from bot.domain.pages import see_all
from bot.domain.scoring import explain
from bot.render.sanitize import author_line, clean, clean_block


def score_line(item: DigestItem) -> str:
    score = item.score
    bits = [f"{score.reposts:,} reposts", f"{score.likes:,} likes"]
    if score.posts:
        bits.insert(0, f"{score.posts:,} posts by {score.accounts:,} accounts")
    return f"score {score.total:,.0f} ({', '.join(bits)})"


def team_line(item: DigestItem) -> str:
    """`3 of your team reacted` (members of the channel it is shown in); '' for none."""
    return f"{item.team:,} of your team reacted" if item.team > 0 else ""


def render_digest_text(digest: Digest) -> str:
    lines = [clean(digest.title, 300)]
    lines.extend(clean(n, 300) for n in digest.notes)
    if not digest.items:
        lines.append("No papers with attention in this period yet.")
    for item in digest.items:
        paper = item.paper
        lines.append("")
        lines.append(f"{item.rank}. {clean(paper.title, 300) or paper.arxiv_id}")
        meta = [m for m in (author_line(paper.authors), " ".join(paper.categories)) if m]
        if meta:
            lines.append("   " + " · ".join(meta))
        lines.append(f"   {score_line(item)} · {paper.abs_url}")
        if item.team > 0:
            lines.append(f"   {team_line(item)}")
    if digest.page is not None:
        lines.extend(["", f"{see_all(digest.page.papers)}: {digest.page.url}"])
    return "\n".join(lines)


def render_paper_text(item: DigestItem, *, abstract_limit: int = 1200, posts: int = 3) -> str:
    paper = item.paper
    cats = list(paper.categories)
    where = cats[0] if cats else ""
    if len(cats) > 1:
        where += f" (also {', '.join(cats[1:])})"
    head = [f"arXiv:{paper.arxiv_id}"]
    if where:
        head.append(where)
    if paper.listing_date:
        head.append(f"listed {paper.listing_date.isoformat()}")
    lines = [clean(paper.title, 300) or f"arXiv:{paper.arxiv_id}", " · ".join(head)]
    if paper.authors:
        lines.append("Authors: " + author_line(paper.authors, shown=8))
    lines.append(score_line(item).capitalize())
    explanation = explain(item.score)
    if explanation:
        lines.extend("  " + line for line in explanation.splitlines())
    if item.team > 0:
        lines.append(team_line(item))
    if paper.abstract:
        lines.extend(["", clean_block(paper.abstract, abstract_limit)])
    shown = [p for p in item.posts if p.url][:posts]
    if shown:
        lines.extend(["", "Top posts:"])
        lines.extend("  " + post_line(p) for p in shown)
    discussed = [d for d in item.discussions if is_web_url(d.url)]
    if discussed:
        lines.extend(["", "Discussed on:"])
        lines.extend("  " + discussion_line(d) for d in discussed)
    lines.extend(["", f"{paper.abs_url} · {paper.pdf_url}"])
    if item.page_url:
        lines.append(f"Chart and all posts: {item.page_url}")
    return "\n".join(lines)


def post_line(post: Post, limit: int = 200) -> str:
    who = clean(post.author_name, 60)
    if post.author_handle:
        who = f"{who} (@{clean(post.author_handle, 40)})".strip()
    return f"{who}: “{clean(post.text, limit)}” {post.url}"


def discussion_line(discussion: Discussion) -> str:
    """`Hacker News: 312 points, 120 comments https://news.ycombinator.com/item?id=1`."""
    label = clean(source_label(discussion.source), 30)
    counts = counts_text(discussion)
    return f"{label}: {counts} {discussion.url}" if counts else f"{label}: {discussion.url}"
