"""The Source protocol, what a fetch returns, and the runner that stores it (one code path)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.domain.ids import find_arxiv_ids
from bot.domain.models import Observation
from bot.store import Store

log = logging.getLogger(__name__)

Lookup = Callable[[Sequence[str]], object]  # ids -> anything; fills in unknown papers


class SourceError(Exception):
    """A source could not run (auth, rate limit, unreachable). The message is for the operator."""


@dataclass(frozen=True)
class FetchResult:
    observations: tuple[Observation, ...] = ()
    papers_unknown: tuple[str, ...] = ()  # ids the source saw that the store may not know
    cursor: str | None = None  # stored after the observations are; None keeps the old one
    problems: tuple[str, ...] = ()  # skipped items, each one line


class Source(Protocol):
    name: str

    def fetch(self, store: Store) -> FetchResult: ...


@dataclass(frozen=True)
class SourceReport:
    source: str
    ok: bool
    observations: int = 0
    papers_looked_up: int = 0
    problems: tuple[str, ...] = ()
    error: str = ""

    def summary(self) -> str:
        if not self.ok:
            return f"{self.source}: failed: {self.error}"
        text = f"{self.source}: {self.observations} observations"
        if self.papers_looked_up:
            text += f", {self.papers_looked_up} papers looked up"
        if self.problems:
            text += f", {len(self.problems)} skipped"
        return text


def cursor_name(source: str) -> str:
    return f"source:{source}"


def untitled_papers(store: Store, ids: Iterable[str]) -> set[str]:
    """Read-only: the ids the store has no metadata for (absent, or a placeholder row)."""
    wanted = set(ids)
    return wanted - store.described_ids(wanted)


BACKLOG_LOOKUPS = 100  # placeholders from earlier runs looked up again per run (one API request)


def run_source(
    store: Store,
    source: Source,
    lookup: Lookup | None,
) -> SourceReport:
    """Fetch, store observations and cursor, look unknown papers up. Never raises: a failing
    source is logged and reported so the other sources go on (it retries on its next run).
    Feed-bot posts are weighed by the store, by the scoring settings in force."""
    try:
        result = source.fetch(store)
    except SourceError as exc:
        log.warning("source %s failed: %s", source.name, exc)
        return SourceReport(source.name, ok=False, error=str(exc))
    except Exception as exc:  # a source bug or an unexpected payload must not stop the others
        if store.is_closed:  # the stop closed the store under a job still in its worker thread
            log.info("source %s: cut off, the bot is stopping", source.name)
            return SourceReport(source.name, ok=False, error="the bot is stopping")
        log.warning("source %s failed: %s: %s", source.name, type(exc).__name__, exc)
        log.debug("source %s traceback", source.name, exc_info=True)
        return SourceReport(source.name, ok=False, error=f"{type(exc).__name__}: {exc}")
    observations = list(result.observations)
    ids = {o.arxiv_id for o in observations} | set(result.papers_unknown)
    unknown = sorted(untitled_papers(store, ids))
    backlog = [i for i in store.undescribed_with_attention(BACKLOG_LOOKUPS) if i not in ids]
    unknown += backlog[: max(0, BACKLOG_LOOKUPS - len(unknown))]
    try:
        stored = store.upsert_observations(observations)
        if result.cursor is not None:
            store.set_cursor(cursor_name(source.name), result.cursor)
    except Exception as exc:
        log.warning("source %s: storing failed: %s: %s", source.name, type(exc).__name__, exc)
        return SourceReport(source.name, ok=False, error=f"storing failed: {exc}")
    problems = list(result.problems)
    looked_up = 0
    if unknown and lookup is not None:
        try:
            lookup(unknown)
            looked_up = len(unknown)
        except Exception as exc:
            log.warning(
                "source %s: looking up %d papers failed: %s", source.name, len(unknown), exc
            )
            problems.append(f"paper lookup failed: {exc}")
    return SourceReport(
        source.name,
        ok=True,
        observations=stored,
        papers_looked_up=looked_up,
        problems=tuple(problems),
    )


# -- small helpers the sources share ---------------------------------------------------------


def arxiv_ids_in(*texts: str | None) -> list[str]:
    """Canonical ids found in any of the texts (links, URLs), in order, each once."""
    seen: dict[str, None] = {}
    for text in texts:
        if isinstance(text, str) and text:
            for found in find_arxiv_ids(text):
                seen.setdefault(found.id, None)
    return list(seen)


def links_arxiv(url: str | None) -> bool:
    return isinstance(url, str) and "arxiv.org" in url.lower()


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time (with Z or an offset) or a Unix time, as aware UTC; None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def count(value: Any) -> int:
    """A non-negative counter; anything else (missing, wrong type) counts 0."""
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(value, 0)


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass
class Problems:
    """Collects skipped items while a fetch goes on."""

    items: list[str] = field(default_factory=list)

    def skip(self, source: str, what: str, why: str) -> None:
        log.warning("%s: skipping %s: %s", source, what, why)
        self.items.append(f"{what}: {why}")
