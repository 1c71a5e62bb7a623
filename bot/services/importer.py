"""Imports Hot Papers archive posts into the store: papers, their numbers, and the posts shown."""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bot.domain.archive import ArchiveFormatError, ArchivePost, ArchiveProblem, parse_archive_post
from bot.domain.archive_limits import MAX_FILE_BYTES, bound_post
from bot.domain.models import Observation, Paper
from bot.store import Store

ARCHIVE_SOURCE = "archive"


@dataclass
class ImportReport:
    files: int = 0  # posts imported
    refused: int = 0  # files refused whole (unreadable, too big, not a post, outside the era)
    paper_ids: set[str] = field(default_factory=set)
    observation_keys: set[tuple[str, str]] = field(default_factory=set)
    problems: list[ArchiveProblem] = field(default_factory=list)

    @property
    def papers(self) -> int:
        """Papers stored (each once, however many posts list it)."""
        return len(self.paper_ids)

    @property
    def observations(self) -> int:
        return len(self.observation_keys)

    @property
    def nothing(self) -> bool:
        return not self.paper_ids and not self.observation_keys

    def summary(self) -> str:
        files = "file" if self.files == 1 else "files"
        text = (
            f"Imported {self.papers} papers and {self.observations} observations "
            f"from {self.files} {files}"
        )
        if self.refused:
            text += f"; refused {self.refused} file{'' if self.refused == 1 else 's'}"
        skipped = len(self.problems) - self.refused
        if skipped:
            text += f"; skipped {skipped} part{'' if skipped == 1 else 's'} (see the warnings)"
        return text + "."


class UnreadableFile(ValueError):
    """A file that is not an archive post's text; the message says why, in one line."""


def read_post_text(path: Path) -> str:
    """The file's text: UTF-8 (or UTF-16 with a byte-order mark), bounded in size."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableFile(
                f"too big ({size / 1e6:.1f} MB; an archive post is at most "
                f"{MAX_FILE_BYTES / 1e6:.0f} MB)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read the file: {exc.strerror or exc}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UnreadableFile("broken UTF-16 text; save it as UTF-8") from None
    if b"\0" in data[:65536]:
        raise UnreadableFile("a binary file (or UTF-16 without a byte-order mark), not a post")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnreadableFile(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save it as UTF-8"
        ) from None


def import_archive_files(
    store: Store, paths: Iterable[Path], *, today: date | None = None
) -> ImportReport:
    """Import posts oldest first; each post's papers get its date unless listed earlier.

    Nothing is logged: every refusal and skipped part is in the report's `problems`."""
    today = today or date.today()
    report = ImportReport()
    posts: list[ArchivePost] = []
    for path in paths:
        post = _read(path, today, report)
        if post is None:
            report.refused += 1
        else:
            posts.append(post)
    for post in sorted(posts, key=lambda p: p.date):
        import_post(store, post, report)
        report.files += 1
    return report


def _read(path: Path, today: date, report: ImportReport) -> ArchivePost | None:
    """The post, bounded, with its problems in the report; None (and one problem) if refused."""
    try:
        post = parse_archive_post(read_post_text(path), str(path))
    except UnreadableFile as exc:
        report.problems.append(ArchiveProblem(str(path), 0, f"refused: {exc}"))
        return None
    except ArchiveFormatError as exc:
        report.problems.append(ArchiveProblem(str(path), exc.line, f"refused: {exc.message}"))
        return None
    report.problems.extend(post.problems)
    bounded, problems = bound_post(post, str(path), today)
    report.problems.extend(problems)
    return bounded


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
    report.paper_ids.update(p.arxiv_id for p in papers)
    report.observation_keys.update((o.source, o.key) for o in observations)


def _as_datetime(value: date | datetime | None) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None
