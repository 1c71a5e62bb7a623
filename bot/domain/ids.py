"""Finds arXiv identifiers in any text: links, `arXiv:` ids, bare new-style and old-style ids."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

from bot.domain.taxonomy import archive_ids

log = logging.getLogger(__name__)

# Every part has a fixed or bounded width and nothing is nested, so matching stays linear.
# A link (`arxiv.org/abs/…`, `arXiv:` prefix) needs no pattern of its own: the id after the
# `/` or `:` is found like a bare one, and the bare-id boundaries reject ids inside longer
# numbers (`1.2104.00743`, `12104.007431`) and words.
_NEW = r"""
    (?<![A-Za-z0-9.])
    (?P<yymm>[0-9]{4})\.(?P<num>[0-9]{4,5})
    (?:[vV](?P<nver>[0-9]{1,4}))?
    (?![A-Za-z0-9]|\.[0-9])
"""
_OLD = r"""
    (?<![A-Za-z0-9.\-])
    (?P<archive>{archives})
    (?:\.[A-Za-z][A-Za-z\-]{{0,15}})?
    /(?P<old>[0-9]{{7}})
    (?:[vV](?P<over>[0-9]{{1,4}}))?
    (?![A-Za-z0-9]|\.[0-9])
"""


@dataclass(frozen=True)
class ArxivId:
    """A canonical id without version (`2104.00743`, `hep-th/9901001`) and the version given."""

    id: str
    version: int | None = None

    @property
    def versioned(self) -> str:
        return f"{self.id}v{self.version}" if self.version else self.id


@functools.cache
def _pattern() -> re.Pattern[str]:
    names = sorted(archive_ids(), key=len, reverse=True)
    old = _OLD.format(archives="|".join(re.escape(n) for n in names))
    return re.compile(f"{_NEW}|{old}", re.VERBOSE | re.IGNORECASE)


def _new_style(yymm: str, num: str) -> bool:
    month = int(yymm[2:])
    if not 1 <= month <= 12:
        return False
    if len(num) == 4:
        return "0704" <= yymm <= "1412"
    return yymm >= "1501"


def _old_style(digits: str) -> bool:
    year, month = int(digits[:2]), int(digits[2:4])
    return 1 <= month <= 12 and (year >= 91 or year <= 7)


def _version(raw: str | None) -> int | None:
    if raw is None:
        return None
    value = int(raw)
    return value if value > 0 else None


def _from_match(match: re.Match[str]) -> ArxivId | None:
    if match.group("yymm") is not None:
        yymm, num = match.group("yymm"), match.group("num")
        if not _new_style(yymm, num):
            return None
        return ArxivId(f"{yymm}.{num}", _version(match.group("nver")))
    digits = match.group("old")
    if not _old_style(digits):
        return None
    archive = match.group("archive").lower()
    return ArxivId(f"{archive}/{digits}", _version(match.group("over")))


def find_arxiv_ids(text: str) -> list[ArxivId]:
    """Every arXiv id in `text`, in order of appearance, each id once. Never raises."""
    if not isinstance(text, str) or not text:
        return []
    found: dict[str, ArxivId] = {}
    try:
        for match in _pattern().finditer(text):
            arxiv_id = _from_match(match)
            if arxiv_id is not None and arxiv_id.id not in found:
                found[arxiv_id.id] = arxiv_id
    except Exception:  # a bug here must not take a chat reply down with it
        log.exception("arXiv id extraction failed on %d characters", len(text))
    return list(found.values())


def parse_arxiv_id(text: str) -> ArxivId | None:
    """The id in one token or link (the first one found), or None."""
    found = find_arxiv_ids(text)
    return found[0] if found else None


def canonical_id(text: str) -> str | None:
    """The canonical id (no version) of the first id in `text`, or None."""
    found = parse_arxiv_id(text)
    return found.id if found else None
