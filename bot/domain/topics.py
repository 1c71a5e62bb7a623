"""Topic and author filters (`about "gaussian splatting" OR nerf`, `by "Yann LeCun"`): the value
a command carries, its label in digest titles, and the safe full-text (FTS5) query it becomes.

Users never write FTS syntax: every word and phrase is re-quoted here, operators and column
filters other than our own `OR` are plain words, and punctuation (`*`, `:`, `-`, `^`, `(`) is
dropped. Pure functions, so the grammar can check a filter before anything reaches the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TOPIC = 200  # characters of `about ...` or `by ...`
MAX_TERMS = 16  # words and phrases of one filter, all groups together
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


@dataclass(frozen=True)
class TextFilter:
    """`about` is a list of alternatives (OR) of terms that must all match (AND), each term a
    word or a phrase; `by` is an author's name (all of its words, in order, in the authors)."""

    about: tuple[tuple[str, ...], ...] = ()
    by: str = ""

    def __bool__(self) -> bool:
        return bool(self.about or self.by)

    @property
    def label(self) -> str:
        """`about "gaussian splatting" OR nerf · by "Yann LeCun"` (what titles show)."""
        bits = []
        if self.about:
            groups = [" ".join(_shown(t) for t in group) for group in self.about]
            bits.append("about " + " OR ".join(groups))
        if self.by:
            bits.append("by " + _shown(self.by))
        return " · ".join(bits)

    @property
    def text(self) -> str:
        """The filter as the user would type it (`about diffusion by LeCun`), for storing."""
        return self.label.replace(" · ", " ")


def _shown(term: str) -> str:
    return f'"{term}"' if " " in term else term


def words_of(text: str) -> list[str]:
    """The words FTS5 indexes in `text` (letters and digits), lower-cased."""
    return [w.replace("’", "'").replace("'", "").lower() for w in _WORD.findall(text)]


def tidy_term(text: str) -> str:
    """A word or phrase as its indexed words joined by spaces, case kept: `NEAR(a` -> `NEAR a`."""
    return " ".join(_WORD.findall(text))


def clean_term(text: str) -> str:
    """A word or phrase as its indexed words joined by spaces; '' when nothing is left."""
    return " ".join(words_of(text))


def fts_match(text_filter: TextFilter) -> str:
    """The FTS5 MATCH expression: `("a" "b c") OR ("d")`, plus `authors : "yann lecun"`."""
    parts = []
    if text_filter.about:
        groups = []
        for group in text_filter.about:
            terms = [f'"{t}"' for t in (clean_term(x) for x in group) if t]
            if terms:
                groups.append("(" + " ".join(terms) + ")")
        if groups:
            parts.append("(" + " OR ".join(groups) + ")")
    author = clean_term(text_filter.by)
    if author:
        parts.append(f'authors : "{author}"')
    return " AND ".join(parts)


def about_text(about: tuple[tuple[str, ...], ...]) -> str:
    """A topic as stored with a subscription: `"gaussian splatting" OR nerf` ('' for none)."""
    return " OR ".join(" ".join(_shown(t) for t in group) for group in about)


_STORED = re.compile(r'"([^"]*)"|(\S+)')


def parse_about_text(text: str) -> tuple[tuple[str, ...], ...]:
    """`about_text` read back: the groups of words and phrases (tidied, like the grammar's)."""
    groups: list[list[str]] = [[]]
    for phrase, word in _STORED.findall(text or ""):
        if not phrase and word == "OR":
            groups.append([])
            continue
        term = tidy_term(phrase or word)
        if term:
            groups[-1].append(term)
    return tuple(tuple(g) for g in groups if g)
