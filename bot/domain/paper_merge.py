"""How a stored paper and a new copy of it combine: the newer arXiv version wins, nothing is lost.

- The newer version (a known version beats an unknown one) decides title, authors, abstract
  and the primary category. Without versions on both sides the incoming text is a refresh
  and replaces the stored one, but the primary category stays (it only moves with a version).
- An empty field never clears a stored one; categories are a union (primary first, then the
  order of the copy the primary came from, then the others), so a re-import of an older copy never drops a cross-list.
- The listing date is the earliest known; the first submission time, once known, stays.
"""

from __future__ import annotations

from dataclasses import replace

from bot.domain.models import Paper


def is_newer(version: int | None, than: int | None) -> bool:
    """Versions start at 1; None and 0 (how older rows say "unknown") are older than any."""
    return bool(version) and (not than or version > than)  # type: ignore[operator]


def merge_paper(stored: Paper | None, incoming: Paper) -> Paper:
    """The paper to keep when `incoming` arrives and `stored` is what the store holds."""
    incoming = replace(incoming, primary_category=_primary(incoming))
    if stored is None:
        return replace(incoming, categories=_union(incoming.primary_category, incoming.categories))
    stale = is_newer(stored.version, incoming.version)
    versioned = is_newer(incoming.version, stored.version)
    win, lose = (stored, incoming) if stale else (incoming, stored)
    lead = win if (stale or versioned) else stored  # whose primary and order come first
    primary = _primary(lead) or _primary(incoming)
    dates = [d for d in (stored.listing_date, incoming.listing_date) if d is not None]
    versions = [v for v in (stored.version, incoming.version) if v]
    return Paper(
        arxiv_id=stored.arxiv_id,
        title=win.title or lose.title,
        authors=win.authors or lose.authors,
        abstract=win.abstract or lose.abstract,
        primary_category=primary,
        categories=_union(primary, lead.categories, win.categories, lose.categories),
        listing_date=min(dates) if dates else None,
        submitted=stored.submitted or incoming.submitted,
        version=max(versions) if versions else None,
    )


def _primary(paper: Paper) -> str:
    return paper.primary_category or (paper.categories[0] if paper.categories else "")


def _union(primary: str, *lists: tuple[str, ...]) -> tuple[str, ...]:
    seen: dict[str, None] = {primary: None} if primary else {}
    for categories in lists:
        seen.update((c, None) for c in categories if c)
    return tuple(seen)
