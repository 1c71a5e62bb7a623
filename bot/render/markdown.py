"""A digest as markdown in the Hot Papers archive's own format (front matter, sections, embeds)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from bot.domain.archive import ArchivePost, archive_post_to_digest
from bot.domain.models import Digest, DigestItem, Post

WIDGETS_SCRIPT = (
    '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
)
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_NOT_FILTER = re.compile(r"[^\w.\-]+")
_ESCAPE_FIRST = "#-<>\\"


def render_markdown(digest: Digest) -> str:
    """The archive's layout exactly: a 2021-04-05 digest renders as that day's post."""
    text = _front_matter(digest)
    sections = [_section(item) for item in digest.items]
    if sections:
        text += "\n" + "\n".join(sections)
    return text


def _front_matter(digest: Digest) -> str:
    filters = [f for f in (_NOT_FILTER.sub("", f) for f in digest.filter) if f]
    if digest.date is not None:
        day = digest.date.isoformat()
        title = f"Hot Papers {day}"
        slug = f"hot-papers-{day}"
        description = f"Hot papers {day}"
    else:
        title = _one_line(digest.title).replace('"', "'") or "Hot Papers"
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "hot-papers"
        description = title
    if filters:
        suffix = " · " + " ".join(filters)
        title += suffix
        description += suffix
        slug += "-" + "-".join(f.lower().replace(".", "-") for f in filters)
    lines = ["---", f"title: {title}"]
    if digest.generated_at is not None:
        lines.append(f"date: {_utc(digest.generated_at):%Y-%m-%dT%H:%M:%S}.Z")
    lines += [
        'template: "post"',
        "draft: false",
        f'slug: "{slug}"',
        'category: "arXiv"',
        "tags:",
        '  - "arXiv"',
        '  - "Twitter"',
        '  - "Machine Learning"',
        '  - "Computer Science"',
        f'description: "{description}"',
        'socialImage: "/media/flying-marine.jpg"',
        "",
        "---",
        "",
    ]
    return "\n".join(lines)


def _section(item: DigestItem) -> str:
    paper = item.paper
    numbers = f"- retweets: {item.score.reposts}, favorites: {item.score.likes}"
    if item.measured_at is not None:
        numbers += f" ({_utc(item.measured_at):%m/%d/%Y %H:%M:%S})"
    lines = [
        f"# {item.rank}. {_one_line(paper.title)}",
        "",
        _escape(", ".join(_one_line(a) for a in paper.authors)),
        "",
        numbers,
        "",
        f"- links: [abs]({paper.abs_url}) | [pdf]({paper.pdf_url})",
    ]
    if paper.categories:
        categories = (_one_line(c) for c in paper.categories)
        lines.append(
            "- " + " | ".join(f"[{c}](https://arxiv.org/list/{c}/recent)" for c in categories)
        )
    lines += ["", *_block(paper.abstract), ""]
    for post in item.posts:
        lines += [*_post(post), ""]
    return "\n".join(lines) + "\n\n\n"


def _post(post: Post) -> list[str]:
    if post.html.startswith("<blockquote"):
        return [_one_line(post.html), WIDGETS_SCRIPT]
    quoted = [f"> {line}" if line else ">" for line in _LINE_BREAKS.split(post.text.strip("\r\n"))]
    attribution = "> — " + _one_line(post.author_name)
    if post.author_handle:
        attribution += f" (@{_one_line(post.author_handle).lstrip('@')})"
    if post.url:
        label = _day(post.posted) or "link"
        url = _one_line(post.url).replace(" ", "%20").replace("(", "%28").replace(")", "%29")
        attribution += f" [{label}]({url})"
    return [*(quoted if post.text.strip() else []), attribution]


def _day(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        return _utc(value).date().isoformat()
    return value.isoformat() if value is not None else ""


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:  # the first or last representable day in a far-off zone
        return value.replace(tzinfo=None)


def _one_line(text: str) -> str:
    """Outside text kept verbatim, except that it cannot break a line (and so the structure)."""
    return _LINE_BREAKS.sub(" ", text or "")


def _block(text: str) -> list[str]:
    """A paragraph kept verbatim; a line that could read as structure gets a markdown escape."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    return [_escape(line) for line in text.split("\n")]


def _escape(line: str) -> str:
    return "\\" + line if line[:1] in _ESCAPE_FIRST and line else line


def format_archive_post(post: ArchivePost) -> str:
    """The inverse of parse_archive_post: the post in the archive's own format."""
    return render_markdown(archive_post_to_digest(post))
