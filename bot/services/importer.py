"""Imports Hot Papers archive posts into the store: papers, their numbers, and the posts shown."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bot.domain.archive import ArchiveFormatError, ArchivePost, ArchiveProblem, parse_archive_post
from bot.domain.models import Observation, Paper
from bot.store import Store

log = logging.getLogger(__name__)

ARCHIVE_SOURCE = "archive"


@dataclass
class ImportReport:
    files: int = 0
    papers: int = 0
    observations: int = 0
    problems: list[ArchiveProblem] = field(default_factory=list)

    def summary(self) -> str:
        text = f"Imported {self.papers} papers and {self.observations} observations from {self.files} files"
        if self.problems:
            text += f"; skipped {len(self.problems)} malformed parts (see the warnings)"
        return text + "."


def import_archive_files(store: Store, paths: Iterable[Path]) -> ImportReport:
    """Import posts oldest first; each post's papers get its date unless listed earlier."""
    report = ImportReport()
    posts: list[ArchivePost] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problem = ArchiveProblem(str(path), 0, f"cannot read the file: {exc}")
            log.warning("%s: %s", problem.path, problem.message)
            report.problems.append(problem)
            continue
        try:
            post = parse_archive_post(text, str(path))
        except ArchiveFormatError as exc:
            problem = ArchiveProblem(str(path), getattr(exc, "line", 0), str(exc))
            log.warning("%s: skipped: %s", path, exc)
            report.problems.append(problem)
            continue
        for problem in post.problems:
            log.warning("%s:%d: skipped: %s", problem.path, problem.line, problem.message)
        report.problems.extend(post.problems)
        posts.append(post)
    for post in sorted(posts, key=lambda p: p.date):
        import_post(store, post, report)
        report.files += 1
    return report


def import_post(store: Store, post: ArchivePost, report: ImportReport) -> None:
    with store.transaction():
        listed_before = {
            pid: paper.listing_date
            for pid, paper in store.get_papers(p.arxiv_id for p in post.papers).items()
        }
        papers = []
        observations = []
        for item in post.papers:
            papers.append(
                Paper(
                    arxiv_id=item.arxiv_id,
                    title=item.title,
                    authors=item.authors,
                    abstract=item.abstract,
                    primary_category=item.categories[0] if item.categories else "",
                    categories=item.categories,
                    listing_date=post.date,
                )
            )
            first = listed_before.get(item.arxiv_id)
            if first is None or first >= post.date:
                # A paper repeated in a later post keeps the numbers of the post that listed it.
                observations.append(
                    Observation(
                        source=ARCHIVE_SOURCE,
                        key=item.arxiv_id,
                        arxiv_id=item.arxiv_id,
                        kind="aggregate",
                        observed_at=item.measured_at,
                        reposts=item.retweets,
                        likes=item.favorites,
                    )
                )
            for embed in item.embeds:
                observations.append(
                    Observation(
                        source=ARCHIVE_SOURCE,
                        key=f"embed:{item.arxiv_id}:{embed.url}",
                        arxiv_id=item.arxiv_id,
                        kind="embed",
                        observed_at=_as_datetime(embed.posted),
                        account=embed.author_handle,
                        post=embed,
                    )
                )
        store.upsert_papers(papers)
        store.upsert_observations(observations)
    report.papers += len(post.papers)
    report.observations += len(observations)


def _as_datetime(value: date | datetime | None) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None
