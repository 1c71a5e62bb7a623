"""arXiv's categories, archives and aliases: canonical ids, user filters and names."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# `physics` is both a group and an archive; as a filter it means the archive (physics.*).
# The whole group is reachable as `grp_physics`.
_GROUP_PREFIX = "grp_"
# Read next to the package, not through importlib.resources: that import alone (tempfile,
# shutil, zipfile...) cost `hotpapers ask` more than reading and parsing the file does.
_DATA = Path(__file__).resolve().parent.parent / "data" / "taxonomy.json"


@dataclass(frozen=True)
class CategoryFilter:
    """A category filter as the user gave it: a label to show and the canonical ids it matches."""

    label: str
    categories: frozenset[str]


@dataclass(frozen=True)
class _Taxonomy:
    names: dict[str, str]  # category or archive id -> full name
    category_archive: dict[str, str]  # category id -> its archive
    active_categories: tuple[str, ...]
    active_archives: tuple[str, ...]
    archive_group: dict[str, str]
    canonical: dict[str, str]  # lower-case category id (aliases, subsumed) -> canonical id
    archive_ids: dict[str, str]  # lower-case archive id -> archive id
    group_ids: dict[str, str]  # lower-case group id -> group id
    exact: dict[str, str]  # lower-case category or archive id -> its spelling
    subsumed: frozenset[str]  # lower-case ids of archives merged into a category


@functools.cache
def _raw() -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(_DATA.read_text(encoding="utf-8"))
    return data


@functools.cache
def _tax() -> _Taxonomy:
    raw = _raw()
    cats: dict[str, dict[str, Any]] = raw["categories"]
    archs: dict[str, dict[str, Any]] = raw["archives"]
    aliases: dict[str, str] = raw["category_aliases"]
    subsumed: dict[str, str] = raw["archives_subsumed"]

    names = {a: v["name"] for a, v in archs.items()}
    names.update({c: v["name"] for c, v in cats.items()})

    def canon(cat: str) -> str:
        return aliases.get(cat) or subsumed.get(cat) or cat

    return _Taxonomy(
        names=names,
        category_archive={c: v["archive"] for c, v in cats.items()},
        active_categories=tuple(sorted(c for c, v in cats.items() if v["active"])),
        active_archives=tuple(sorted(a for a, v in archs.items() if v["active"])),
        archive_group={a: v["group"] for a, v in archs.items()},
        canonical={c.lower(): canon(c) for c in cats},
        archive_ids={a.lower(): a for a in archs},
        group_ids={g.lower(): g for g in raw["groups"]},
        exact={k.lower(): k for k in names},
        subsumed=frozenset(a.lower() for a in subsumed),
    )


def canonical_category(name: str) -> str | None:
    """The one canonical id of a category, any case, alias or old archive name; None if unknown."""
    if not isinstance(name, str):
        return None
    return _tax().canonical.get(name.strip().lower())


def _archive_categories(archive: str) -> frozenset[str]:
    tax = _tax()
    found = {canonical for low, canonical in tax.canonical.items() if low == archive}
    for cat, arch in tax.category_archive.items():
        if arch == archive:
            found.add(tax.canonical[cat.lower()])
    return frozenset(found)


@functools.lru_cache(maxsize=2048)
def _resolve(low: str) -> CategoryFilter | None:
    tax = _tax()
    archive = tax.archive_ids.get(low)
    if archive is not None:
        if low in tax.subsumed:
            target = tax.canonical[low]
            return CategoryFilter(target, frozenset({target}))
        return CategoryFilter(archive, _archive_categories(archive))
    canonical = tax.canonical.get(low)
    if canonical is not None:
        return CategoryFilter(canonical, frozenset({canonical}))
    group = tax.group_ids.get(low) or tax.group_ids.get(_GROUP_PREFIX + low)
    if group is not None:
        members = frozenset().union(
            *(_archive_categories(a) for a, g in tax.archive_group.items() if g == group)
        )
        if members:
            return CategoryFilter(group, members)
    return None


def resolve_filter(token: str) -> CategoryFilter | None:
    """A category (`CS.cv`), archive (`cs`, `astro-ph`) or group (`grp_physics`) as a filter."""
    if not isinstance(token, str):
        return None
    low = token.strip().lower()
    if not low or len(low) > 40:
        return None
    return _resolve(low)


@functools.cache
def _suggestion_pool() -> dict[str, str]:
    tax = _tax()
    pool = {a.lower(): a for a in tax.active_archives}
    pool.update({c.lower(): c for c in tax.active_categories})
    return pool


def suggest(token: str) -> str | None:
    """The closest known category or archive, for "did you mean"; None if nothing is close."""
    if not isinstance(token, str) or not token.strip() or len(token) > 40:
        return None
    import difflib

    low = token.strip().lower()
    pool = _suggestion_pool()
    found = difflib.get_close_matches(low, list(pool), n=1, cutoff=0.6)
    return pool[found[0]] if found else None


def category_name(cat: str) -> str:
    """The full name of a category or archive (`cs.CV` -> "Computer Vision and ..."); else `cat`."""
    if not isinstance(cat, str):
        return ""
    tax = _tax()
    low = cat.strip().lower()
    exact = tax.exact.get(low)
    if exact is not None:
        return tax.names[exact]
    canonical = tax.canonical.get(low)
    return tax.names.get(canonical, cat) if canonical else cat


def archive_of(cat: str) -> str:
    """The archive a category lives in (`cs.CV` -> `cs`, `hep-th` -> `hep-th`)."""
    if not isinstance(cat, str):
        return ""
    tax = _tax()
    low = cat.strip().lower()
    if low in tax.subsumed:
        return tax.category_archive[tax.canonical[low]]
    exact = tax.exact.get(low)
    if exact in tax.category_archive:
        return tax.category_archive[exact]
    if exact is not None:  # an archive that is not also a category (`cs`)
        return exact
    return low.split(".", 1)[0]


def categories_in(archive: str | None = None) -> list[tuple[str, str]]:
    """Active categories (id, name), all of them or one archive's; [] for an unknown archive."""
    tax = _tax()
    if archive is None:
        return [(c, tax.names[c]) for c in tax.active_categories]
    wanted = tax.archive_ids.get(archive.strip().lower()) if isinstance(archive, str) else None
    return [(c, tax.names[c]) for c in tax.active_categories if tax.category_archive[c] == wanted]


def archives() -> list[tuple[str, str]]:
    """Active archives (id, name), sorted by id."""
    tax = _tax()
    return [(a, tax.names[a]) for a in tax.active_archives]


@functools.cache
def archive_ids() -> frozenset[str]:
    """Every archive id arXiv has used, active or not (old-style ids start with one)."""
    return frozenset(_tax().archive_ids.values())


def group_id(name: str) -> str | None:
    """A group id given any case (`grp_CS` -> `grp_cs`), or None."""
    return _tax().group_ids.get(name.lower())


def archive_id(name: str) -> str | None:
    """An archive id given any case (`HEP-TH` -> `hep-th`), or None."""
    return _tax().archive_ids.get(name.lower())


def group_of(archive: str) -> str:
    """The group an archive belongs to (`cs` -> `grp_cs`), or "" when unknown."""
    return _tax().archive_group.get(archive, "")
