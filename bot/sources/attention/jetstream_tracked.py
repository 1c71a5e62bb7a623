"""The at:// URIs the Jetstream listener watches, in about 8 bytes each (pure, in memory).

A set of a million URI strings costs ~150 MB in CPython; this keeps their 64-bit hashes
(Python's own str hash, stable within the process) in a sorted array, with a small set of
recent additions and removals merged in from time to time. A hit may be a hash collision (about
one in 10^13 at a million URIs): the store, which the listener consults on every hit, is the
truth. A miss is certain.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable

COMPACT_AFTER = 65_536  # recent additions/removals merged into the sorted array beyond this
SHIFT = 48  # the top 16 bits of a hash choose its bucket: a lookup bisects ~N/65,536 entries
BUCKETS = 1 << (64 - SHIFT)
OFFSET = BUCKETS // 2  # hashes are signed


def _index(frozen: array[int]) -> array[int]:
    """Where each bucket starts in the sorted array (BUCKETS + 1 entries, 0.5 MB)."""
    return array("q", (bisect_left(frozen, (b - OFFSET) << SHIFT) for b in range(BUCKETS + 1)))


class UriSet:
    """`uri in s`, `s.add(uri)`, `s.discard(uri)`, `len(s)`; built from any iterable of URIs."""

    __slots__ = ("_frozen", "_gone", "_index", "_recent")

    def __init__(self, uris: Iterable[str] = ()) -> None:
        self._set_frozen(array("q", sorted({hash(u) for u in uris})))
        self._recent: set[int] = set()
        self._gone: set[int] = set()

    def _set_frozen(self, frozen: array[int]) -> None:
        self._frozen = frozen
        self._index = _index(frozen)

    def __contains__(self, uri: object) -> bool:
        h = hash(uri)
        if h in self._recent:
            return True
        return h not in self._gone and self._in_frozen(h)

    def _in_frozen(self, h: int) -> bool:
        b = (h >> SHIFT) + OFFSET
        hi = self._index[b + 1]
        i = bisect_left(self._frozen, h, self._index[b], hi)
        return i < hi and self._frozen[i] == h

    def add(self, uri: str) -> None:
        h = hash(uri)
        self._gone.discard(h)
        if not self._in_frozen(h):
            self._recent.add(h)
            if len(self._recent) > COMPACT_AFTER:
                self.compact()

    def discard(self, uri: str) -> None:
        h = hash(uri)
        self._recent.discard(h)
        if self._in_frozen(h):
            self._gone.add(h)
            if len(self._gone) > COMPACT_AFTER:
                self.compact()

    def difference_update(self, uris: Iterable[str]) -> None:
        for uri in uris:
            self.discard(uri)

    def update(self, uris: Iterable[str]) -> None:
        for uri in uris:
            self.add(uri)

    def compact(self) -> None:
        gone = self._gone
        merged = {h for h in self._frozen if h not in gone} | self._recent
        self._set_frozen(array("q", sorted(merged)))
        self._recent = set()
        self._gone = set()

    def __len__(self) -> int:
        return len(self._frozen) - len(self._gone) + len(self._recent)

    def nbytes(self) -> int:
        """Memory held (the array and the two small sets), in bytes."""
        import sys

        return (
            sys.getsizeof(self._frozen)
            + sys.getsizeof(self._index)
            + sys.getsizeof(self._recent)
            + sys.getsizeof(self._gone)
            + 32 * (len(self._recent) + len(self._gone))  # their int objects
        )
