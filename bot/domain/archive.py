"""Parser for the "Hot Papers YYYY-MM-DD" archive posts: front matter, paper sections, embeds."""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePath

from bot.domain.archive_dates import LEADING_DATE, checked_date, parse_posted, parse_stamp
from bot.domain.models import Digest, DigestItem, Paper, Post, Score, SourceScore

log = logging.getLogger(__name__)

ARCHIVE_SOURCE = "archive"

_FENCE = "---"
_TITLE_DATE = re.compile(r"Hot Papers\s+([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_HEADING = re.compile(r"^#[ \t]+([0-9]{1,9})\.[ \t]?(.*)$", re.ASCII)
_NUMBERS = re.compile(
    r"^- retweets: ([0-9]{1,15}), favorites: ([0-9]{1,15})"
    r"(?: \(([0-9]{2})/([0-9]{2})/([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2})\))?\s*$",
    re.ASCII,
)
_ABS = re.compile(
    r"\[abs\]\((?:https?://)?(?:www\.|export\.)?arxiv\.org/abs/"
    r"([0-9]{4}\.[0-9]{4,5}|[a-zA-Z][a-zA-Z.\-]{0,20}/[0-9]{7})(?:v[0-9]{1,4})?\)",
    re.ASCII,
)
_CATEGORY = re.compile(r"\[([^\]]*)\]\(")
_LANG = re.compile(r'\blang="([^"]*)"')
_TWEET_TAIL = re.compile(
    r"^(?:(?P<name>.*)\s)?\(@(?P<handle>[A-Za-z0-9_]{1,50})\)\s*"
    r'<a\s+href="(?P<url>[^"]*)"[^>]*>(?P<date>[^<]*)</a>$',
    re.S,
)
_MD_ATTRIBUTION = re.compile(
    r"^> — (?P<name>.*?)(?: \(@(?P<handle>[^)\s]*)\))?"
    r"(?: \[(?P<date>[^\]]*)\]\((?P<url>[^)\s]*)\))?$"
)
_BR = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]*>")
_ESCAPABLE = "#-<>\\"


class ArchiveFormatError(ValueError):
    """The text as a whole is not an archive post (no front matter, no listing date)."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class ArchiveProblem:
    path: str
    line: int
    message: str


@dataclass(frozen=True)
class ArchivePaper:
    rank: int
    title: str
    authors: tuple[str, ...]
    retweets: int
    favorites: int
    measured_at: datetime | None  # UTC, from "(04/06/2021 09:19:02)"
    arxiv_id: str  # canonical, without version
    categories: tuple[str, ...]  # in the post's order
    abstract: str
    embeds: tuple[Post, ...]
    line: int  # line of the "# N." heading


@dataclass(frozen=True)
class ArchivePost:
    date: date  # the listing date
    generated_at: datetime | None  # front matter `date:`, UTC
    papers: tuple[ArchivePaper, ...]
    problems: tuple[ArchiveProblem, ...]


class _SectionError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def parse_archive_post(text: str, path: str = "<text>") -> ArchivePost:
    """Parse one archive post; malformed paper sections are reported in ``problems`` and skipped."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != _FENCE:
        raise ArchiveFormatError(path, 1, "no front matter (the post must start with ---)")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == _FENCE), None)
    if end is None:
        raise ArchiveFormatError(path, 1, "the front matter is not closed with ---")
    listing, generated_at = _front_matter(lines[1:end], path)
    papers: list[ArchivePaper] = []
    problems: list[ArchiveProblem] = []
    starts = [i for i in range(end + 1, len(lines)) if _is_heading(lines[i])]
    for n, start in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else len(lines)
        section = [(i + 1, lines[i]) for i in range(start, stop)]  # 1-based line numbers
        try:
            paper, embed_problems = _parse_section(section, path)
        except _SectionError as exc:
            problems.append(ArchiveProblem(path, exc.line, exc.message))
            continue
        papers.append(paper)
        problems.extend(embed_problems)
    return ArchivePost(listing, generated_at, tuple(papers), tuple(problems))


def _front_matter(lines: list[str], path: str) -> tuple[date, datetime | None]:
    listing: date | None = None
    generated_at: datetime | None = None
    for line in lines:
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip()
        if key == "title" and listing is None and (m := _TITLE_DATE.search(value)):
            listing = checked_date(int(m[1]), int(m[2]), int(m[3]))
        elif key == "date" and generated_at is None:
            generated_at = parse_stamp(value.strip().strip("\"'"))
    if listing is None and (m := LEADING_DATE.match(PurePath(path).name)):
        listing = checked_date(int(m[1]), int(m[2]), int(m[3]))
    if listing is None:
        raise ArchiveFormatError(
            path, 2, "no listing date (neither `title: Hot Papers YYYY-MM-DD` nor the file name)"
        )
    return listing, generated_at


def _is_heading(line: str) -> bool:
    return line == "#" or line.startswith(("# ", "#\t"))


def _unescape(line: str) -> str:
    if len(line) >= 2 and line[0] == "\\" and line[1] in _ESCAPABLE:
        return line[1:]
    return line


def _parse_section(
    section: list[tuple[int, str]], path: str
) -> tuple[ArchivePaper, list[ArchiveProblem]]:
    head_no, head = section[0]
    heading = _HEADING.match(head)
    if not heading:
        raise _SectionError(head_no, "a heading without a rank (expected `# N. Title`)")
    rank, title = int(heading[1]), heading[2]
    rest = section[1:]

    k = next((k for k, (_, line) in enumerate(rest) if line.startswith("- retweets")), None)
    if k is None:
        raise _SectionError(head_no, f"paper #{rank}: no `- retweets: R, favorites: F` line")
    numbers_no, numbers_line = rest[k]
    numbers = _NUMBERS.match(numbers_line)
    if not numbers:
        raise _SectionError(numbers_no, f"paper #{rank}: bad numbers line {numbers_line[:80]!r}")
    measured_at: datetime | None = None
    if numbers[3]:
        month, day, year, hh, mm, ss = (int(g) for g in numbers.groups()[2:])
        try:
            measured_at = datetime(year, month, day, hh, mm, ss, tzinfo=UTC)
        except ValueError:
            raise _SectionError(
                numbers_no, f"paper #{rank}: bad time in the numbers line {numbers_line[:80]!r}"
            ) from None
    author_lines = [_unescape(line) for _, line in rest[:k] if line.strip()]
    authors = tuple(" ".join(author_lines).split(", ")) if author_lines else ()

    after = rest[k + 1 :]
    j = next((j for j, (_, line) in enumerate(after) if line.startswith("- links:")), None)
    if j is None:
        raise _SectionError(head_no, f"paper #{rank}: no `- links: [abs](...)` line")
    links_no, links_line = after[j]
    abs_link = _ABS.search(links_line)
    if not abs_link:
        raise _SectionError(links_no, f"paper #{rank}: no arXiv abs link in {links_line[:80]!r}")
    body = after[j + 1 :]
    categories: tuple[str, ...] = ()
    if body and body[0][1].startswith("- ") and "](" in body[0][1]:
        categories = tuple(_CATEGORY.findall(body[0][1]))
        body = body[1:]

    e = next(
        (e for e, (_, line) in enumerate(body) if line.startswith(("<blockquote", "<script", ">"))),
        len(body),
    )
    abstract_lines = [_unescape(line) for _, line in body[:e]]
    abstract = "\n".join(abstract_lines).strip("\n")
    if not abstract.strip():
        abstract = ""
    embeds, problems = _parse_embeds(body[e:], path, rank)
    paper = ArchivePaper(
        rank=rank,
        title=title,
        authors=authors,
        retweets=int(numbers[1]),
        favorites=int(numbers[2]),
        measured_at=measured_at,
        arxiv_id=abs_link[1],
        categories=categories,
        abstract=abstract,
        embeds=tuple(embeds),
        line=head_no,
    )
    return paper, problems


def _parse_embeds(
    lines: list[tuple[int, str]], path: str, rank: int
) -> tuple[list[Post], list[ArchiveProblem]]:
    posts: list[Post] = []
    problems: list[ArchiveProblem] = []
    i = 0
    while i < len(lines):
        no, line = lines[i]
        if line.startswith("<blockquote"):
            j = i
            while j < len(lines) and "</blockquote>" not in lines[j][1]:
                j += 1
            if j == len(lines):
                problems.append(ArchiveProblem(path, no, f"paper #{rank}: unclosed <blockquote>"))
                break
            markup = "\n".join(text for _, text in lines[i : j + 1])
            post = _tweet(markup)
            if post is None:
                problems.append(ArchiveProblem(path, no, f"paper #{rank}: unreadable tweet embed"))
            else:
                posts.append(post)
            i = j + 1
        elif line.startswith(">"):
            j = i
            while j < len(lines) and lines[j][1].startswith(">"):
                j += 1
            post = _quote([text for _, text in lines[i:j]])
            if post is None:
                problems.append(
                    ArchiveProblem(path, no, f"paper #{rank}: quote without attribution")
                )
            else:
                posts.append(post)
            i = j
        else:  # the widgets <script> line, blank lines, stray text
            i += 1
    return posts, problems


def _tweet(markup: str) -> Post | None:
    """A Twitter embed: ``<blockquote><p lang>text</p>&mdash; Name (@h) <a href=url>date</a>``."""
    end = markup.rfind("</blockquote>")
    p_close = markup.rfind("</p>", 0, max(end, 0))
    p_open = markup.find("<p", 0, max(p_close, 0))
    p_gt = markup.find(">", p_open) if p_open >= 0 else -1
    if min(end, p_close, p_open, p_gt) < 0 or p_gt > p_close:
        return None
    tail = markup[p_close + 4 : end].strip()
    for dash in ("&mdash;", "—"):
        if tail.startswith(dash):
            tail = tail[len(dash) :].strip()
            break
    else:
        return None
    m = _TWEET_TAIL.match(tail)
    if not m:
        return None
    lang = _LANG.search(markup[p_open:p_gt])
    return Post(
        source=_source(m["url"]),
        url=html.unescape(m["url"]).split("?", 1)[0],
        author_name=html.unescape(m["name"] or "").strip(),
        author_handle=m["handle"],
        text=html.unescape(_TAG.sub("", _BR.sub("\n", markup[p_gt + 1 : p_close]))),
        posted=parse_posted(html.unescape(m["date"])),
        lang=lang[1] if lang else "",
        html=markup,
    )


def _quote(lines: list[str]) -> Post | None:
    """A markdown quote: ``> text`` lines, then ``> — Name (@handle) [date](url)``."""
    m = _MD_ATTRIBUTION.match(lines[-1])
    if not m:
        return None
    text = "\n".join(line[2:] if line.startswith("> ") else line[1:] for line in lines[:-1])
    url = m["url"] or ""
    return Post(
        source=_source(url),
        url=url,
        author_name=m["name"],
        author_handle=m["handle"] or "",
        text=text,
        posted=parse_posted(m["date"] or ""),
    )


def _source(url: str) -> str:
    host = url.split("//", 1)[-1].split("/", 1)[0].lower()
    if host.endswith(("twitter.com", "x.com")):
        return "twitter"
    if host.endswith("bsky.app"):
        return "bluesky"
    return "web" if host else ""


def archive_post_to_digest(post: ArchivePost) -> Digest:
    """The post as a Digest: its ranks, papers, numbers (as the "archive" source) and embeds."""
    items = tuple(
        DigestItem(
            rank=p.rank,
            paper=Paper(
                arxiv_id=p.arxiv_id,
                title=p.title,
                authors=p.authors,
                abstract=p.abstract,
                primary_category=p.categories[0] if p.categories else "",
                categories=p.categories,
                listing_date=post.date,
            ),
            score=Score(
                total=p.retweets + p.favorites,
                parts=(
                    SourceScore(
                        source=ARCHIVE_SOURCE,
                        reposts=p.retweets,
                        likes=p.favorites,
                        score=p.retweets + p.favorites,
                    ),
                ),
            ),
            posts=p.embeds,
            measured_at=p.measured_at,
        )
        for p in post.papers
    )
    day = post.date.isoformat()
    return Digest(
        title=f"Hot Papers {day}",
        date=post.date,
        items=items,
        period=day,
        generated_at=post.generated_at,
    )
