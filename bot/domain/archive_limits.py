"""What an archive import accepts: dates in arXiv's era, bounded sizes. Pure rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from bot.domain.archive import ArchivePaper, ArchivePost, ArchiveProblem

FIRST_DAY = date(1991, 8, 1)  # arXiv opened in August 1991
AHEAD = timedelta(days=366)  # a clock a little ahead is fine; the year 9999 is not
MAX_FILE_BYTES = 4_000_000  # the largest real post is 72 kB
MAX_TITLE = 1_000  # characters; arXiv titles stay under 300
MAX_ABSTRACT = 10_000  # arXiv caps abstracts at 1,920
MAX_AUTHORS = 20_000  # the longest author lists run to a few thousand names
MAX_AUTHOR = 300  # characters in one name
MAX_POST_TEXT = 10_000  # one quoted post's text
MAX_POST_HTML = 40_000  # one embed's markup


def era_problem(day: date | datetime, today: date) -> str | None:
    """Why `day` cannot be a real date of an arXiv listing or post, or None when it can."""
    plain = day.date() if isinstance(day, datetime) else day
    last = today + AHEAD
    if FIRST_DAY <= plain <= last:
        return None
    return f"{plain.isoformat()} is outside arXiv's era ({FIRST_DAY.isoformat()} to {last.isoformat()})"


def bound_post(
    post: ArchivePost, path: str, today: date
) -> tuple[ArchivePost | None, list[ArchiveProblem]]:
    """The post with repeats and what is out of bounds removed, and a problem for each removal.

    None when the whole post is refused (its listing date is not a possible one)."""
    if why := era_problem(post.date, today):
        return None, [ArchiveProblem(path, 0, f"refused: the listing date {why}")]
    papers: list[ArchivePaper] = []
    problems: list[ArchiveProblem] = []
    for paper in _first_of_each(post.papers, path, problems):
        if why := _paper_problem(paper, today):
            problems.append(
                ArchiveProblem(
                    path, paper.line, f"paper #{paper.rank} ({paper.arxiv_id}): refused: {why}"
                )
            )
            continue
        embeds = []
        for embed in paper.embeds:
            why = None
            if embed.posted is not None:
                why = era_problem(embed.posted, today)
            if len(embed.text) > MAX_POST_TEXT or len(embed.html) > MAX_POST_HTML:
                why = f"longer than {MAX_POST_TEXT:,} characters"
            if why:
                message = f"paper #{paper.rank} ({paper.arxiv_id}): skipped the post {embed.url[:80]}: {why}"
                problems.append(ArchiveProblem(path, paper.line, message))
            else:
                embeds.append(embed)
        papers.append(
            paper if len(embeds) == len(paper.embeds) else replace(paper, embeds=tuple(embeds))
        )
    return replace(post, papers=tuple(papers)), problems


def _first_of_each(
    papers: tuple[ArchivePaper, ...], path: str, problems: list[ArchiveProblem]
) -> list[ArchivePaper]:
    """A paper listed twice in one post keeps its first entry (its rank and numbers)."""
    first: dict[str, ArchivePaper] = {}
    for paper in papers:
        if (earlier := first.setdefault(paper.arxiv_id, paper)) is not paper:
            message = (
                f"paper #{paper.rank}: {paper.arxiv_id} is listed again "
                f"(first at line {earlier.line}); kept the first"
            )
            problems.append(ArchiveProblem(path, paper.line, message))
    return list(first.values())


def _paper_problem(paper: ArchivePaper, today: date) -> str | None:
    if len(paper.title) > MAX_TITLE:
        return f"the title has {len(paper.title):,} characters (at most {MAX_TITLE:,})"
    if len(paper.abstract) > MAX_ABSTRACT:
        return f"the abstract has {len(paper.abstract):,} characters (at most {MAX_ABSTRACT:,})"
    if len(paper.authors) > MAX_AUTHORS:
        return f"{len(paper.authors):,} authors (at most {MAX_AUTHORS:,})"
    if any(len(name) > MAX_AUTHOR for name in paper.authors):
        return f"an author name longer than {MAX_AUTHOR} characters"
    if paper.measured_at is not None and (why := era_problem(paper.measured_at, today)):
        return f"the numbers' time {why}"
    return None
