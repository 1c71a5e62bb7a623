"""Digests from the store: the top papers of a period's listings for a category filter, and one
paper as a digest item. Mixed into the Engine (it needs `store`, `settings` and `clock`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.commands import grammar as g
from bot.domain.models import Digest, DigestItem, PageLink, Paper, TimelinePoint
from bot.domain.pages import (
    MAX_TOP,
    absolute,
    digest_path,
    listing_url,
    paper_path,
    period_page,
)
from bot.domain.taxonomy import CategoryFilter
from bot.domain.topics import TextFilter, fts_match
from bot.services.periods import DateRange, NoListing, resolve_period
from bot.store import Ranked, Store

if TYPE_CHECKING:
    from bot.services.engine import EngineSettings
    from bot.services.team import TeamAttention

Channel = tuple[str, str]  # (platform, channel): whose team attention a digest shows


class DigestQueries:
    store: Store
    settings: EngineSettings
    clock: Callable[[], datetime]
    team: TeamAttention

    # -- digests ---------------------------------------------------------------------------

    def digest(
        self,
        *,
        period: g.Period | None = None,
        on: date | None = None,
        filters: Sequence[CategoryFilter] = (),
        n: int = 5,
        timezone: str | None = None,
        text: TextFilter | None = None,
        team: Channel | None = None,
        link: bool = True,
    ) -> Digest | NoListing:
        """The top papers of a period's listings, for a category (and topic/author) filter.

        With `team` (platform, channel) the items carry that channel's team counts, and with a
        `team_weight` its team attention joins the ordering (this channel's digests only).
        With `[adapters.web] public_url` set and `link`, the digest links its page on the site
        (the site's own pages pass link=False: they are that page)."""
        if on is not None:
            period = g.Period(kind="date", on=on, label=on.isoformat())
        period = period or g.Period(kind="today")
        resolved = resolve_period(period, self.store, self._today(timezone))
        if isinstance(resolved, NoListing):
            return resolved
        page = None
        if link and self.settings.public_url and not text and len(filters) <= 1:
            day = period_page(period.kind, period.days, resolved.end)
            page = digest_path(filters[0].label if filters else None, day) if day else None
        return self.digest_for_range(resolved, filters, n, text, team, page=page)

    def digest_for_range(
        self,
        period: DateRange,
        filters: Sequence[CategoryFilter],
        n: int,
        text: TextFilter | None = None,
        team: Channel | None = None,
        *,
        page: str | None = None,
    ) -> Digest:
        """The top `n`; with `page` (the site's path of this digest, `/2021-04-05`) and a
        public_url, also the link to that page and how many papers it lists (up to MAX_TOP)."""
        n = max(1, min(n, 1000))
        reorder = team is not None and self.team.reorders(*team)
        want = self.team.pool(n) if reorder else n
        ranked = self.store.top(
            period.start,
            period.end,
            union_of(filters),
            max(want, MAX_TOP) if page else want,
            self.settings.min_score,
            match=match_of(text),
        )
        link = None
        listed = min(len(ranked), MAX_TOP)
        if page and self.settings.public_url and listed:  # an empty page is not worth a link
            link = PageLink(listing_url(self.settings.public_url, page, listed), listed)
        if reorder and team is not None:
            ranked = self.team.rerank(ranked, *team, n)
        title = f"{self.settings.title} {period.label}" + filter_suffix(filters, text)
        digest = self._build(
            title, ranked[:n], filters, period.label, period.end, list(period.notes)
        )
        if link:
            digest = replace(digest, page=link)
        return self.team.annotate(digest, *team) if team is not None else digest

    def _build(
        self,
        title: str,
        ranked: list[Ranked],
        filters: Sequence[CategoryFilter],
        period: str,
        on: date | None,
        notes: Iterable[str],
    ) -> Digest:
        ids = [r.paper_id for r in ranked]
        papers = self.store.get_papers(ids)
        scores = self.store.scores_of(ids)
        discussions = self.store.discussions_of(ids)
        posts = self.store.posts_of(ids, self.settings.posts_per_item)
        measured = self.store.measured_at_of(ids)
        items = []
        for rank, paper_id in enumerate(ids, start=1):
            paper = papers.get(paper_id) or Paper(arxiv_id=paper_id, title="")
            items.append(
                DigestItem(
                    rank=rank,
                    paper=paper,
                    score=scores[paper_id],
                    posts=posts[paper_id],
                    measured_at=measured.get(paper_id),
                    discussions=discussions.get(paper_id, ()),
                )
            )
        return Digest(
            title=title,
            date=on,
            items=tuple(items),
            filter=tuple(f.label for f in filters),
            period=period,
            notes=tuple(notes),
            generated_at=self.clock(),
        )

    def paper_item(self, arxiv_id: str, rank: int = 1) -> DigestItem | None:
        paper = self.store.get_paper(arxiv_id)
        if paper is None:
            return None
        return DigestItem(
            rank=rank,
            paper=paper,
            score=self.store.score_of(arxiv_id),
            posts=tuple(self.store.top_posts(arxiv_id, self.settings.posts_per_item)),
            measured_at=self.store.measured_at(arxiv_id),
            discussions=self.store.discussions_of([arxiv_id]).get(arxiv_id, ()),
            page_url=absolute(url, paper_path(arxiv_id))
            if (url := self.settings.public_url)
            else None,
        )

    def time_budget(self, seconds: float | None) -> AbstractContextManager[None]:
        """Cut off this thread's database work after `seconds` (a reader's own limit)."""
        return self.store.time_budget(seconds)

    def listing_dates(self) -> list[date]:
        """Every listing date that has papers, oldest first (the web's feeds and archive)."""
        return self.store.listing_dates()

    def listing_dates_before(self, on: date, count: int) -> list[date]:
        """The `count` listing dates before `on`, newest first (a page's nearby days): one index
        lookup each, where `listing_dates()` reads every date of the archive."""
        found: list[date] = []
        day: date | None = on
        while day is not None and len(found) < count:
            day = self.store.previous_listing_date(day)
            if day is not None:
                found.append(day)
        return found

    def attention_timeline(self, arxiv_id: str) -> list[TimelinePoint]:
        """A paper's attention per source and UTC day, oldest first (the web's chart)."""
        return self.store.attention_timeline(arxiv_id)

    def _today(self, timezone: str | None) -> date:
        zone = ZoneInfo(timezone or self.settings.timezone)
        return self.clock().astimezone(zone).date()


def union_of(filters: Sequence[CategoryFilter]) -> frozenset[str] | None:
    if not filters:
        return None
    return frozenset().union(*(f.categories for f in filters))


def filter_suffix(filters: Sequence[CategoryFilter], text: TextFilter | None = None) -> str:
    """` · cs.LG · about diffusion` for a title."""
    suffix = (" · " + " ".join(f.label for f in filters)) if filters else ""
    return suffix + (f" · {text.label}" if text else "")


def match_of(text: TextFilter | None) -> str:
    """The FTS5 expression for a topic/author filter; '' for none (the unfiltered plans)."""
    return fts_match(text) if text else ""
