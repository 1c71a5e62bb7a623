"""Category keys of paper_categories: categories as given, canonical ids, and archive rows."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from bot.domain.taxonomy import archive_ids, canonical_category, resolve_filter

ARCHIVE_SUFFIX = ".*"  # `cs.*`: an archive row; no category id contains `*`


def archive_key(archive: str) -> str:
    return archive + ARCHIVE_SUFFIX


@functools.cache
def archive_members() -> dict[str, frozenset[str]]:
    """Archive row key -> the categories it stands for (archives of more than one category)."""
    found: dict[str, frozenset[str]] = {}
    for archive in sorted(archive_ids()):
        resolved = resolve_filter(archive)
        if resolved is not None and len(resolved.categories) > 1:
            found[archive_key(archive)] = frozenset(resolved.categories)
    return found


@functools.cache
def _archives_of() -> dict[str, tuple[str, ...]]:
    """Category -> the archive row keys whose categories include it."""
    found: dict[str, list[str]] = {}
    for key, members in archive_members().items():
        for cat in members:
            found.setdefault(cat, []).append(key)
    return {cat: tuple(keys) for cat, keys in found.items()}


def indexed_categories(categories: str | None) -> set[str]:
    """The keys a paper is indexed under: its categories as given, their canonical ids (so
    aliases and old names match), and a row per archive any of them belongs to (`cs.*`), so an
    archive filter is one index range scan instead of one per category."""
    found: set[str] = set()
    for cat in (categories or "").split():
        found.add(cat)
        found.add(canonical_category(cat) or cat)
    archives = _archives_of()
    for cat in list(found):
        found.update(archives.get(cat, ()))
    return found


def category_keys(categories: Iterable[str]) -> list[str]:
    """The fewest keys that select the same papers: every archive whose categories are all
    asked for becomes its archive row. Sorted, for stable SQL."""
    wanted = set(categories)
    keys: set[str] = set()
    covered: set[str] = set()
    for key, members in archive_members().items():
        if members <= wanted:
            keys.add(key)
            covered |= members
    keys.update(wanted - covered)
    return sorted(keys)
