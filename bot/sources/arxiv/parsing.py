"""Small text helpers shared by the RSS, API and OAI-PMH parsers."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.domain.taxonomy import canonical_category

_SPACE = re.compile(r"\s+")
_AND = re.compile(r",?\s+and\s+", re.IGNORECASE)


def clean_text(value: object) -> str:
    """Whitespace collapsed to single spaces (arXiv titles and abstracts carry hard line breaks)."""
    if value is None:
        return ""
    return _SPACE.sub(" ", str(value)).strip()


def split_authors(value: object) -> tuple[str, ...]:
    """`"A. One, B. Two and C. Three"` -> three names; empty parts dropped."""
    text = clean_text(value)
    if not text:
        return ()
    parts = (p.strip() for chunk in text.split(",") for p in _AND.split(chunk))
    return tuple(p for p in parts if p)


def canonical_categories(terms: Iterable[object]) -> tuple[str, ...]:
    """Canonical category ids in the given order, each once; unknown ones kept as given."""
    found: dict[str, None] = {}
    for term in terms:
        text = clean_text(term)
        if text:
            found.setdefault(canonical_category(text) or text, None)
    return tuple(found)
