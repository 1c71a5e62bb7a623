"""Links in a Bluesky post record (pure): link facets (UTF-8 byte offsets), the text with each
facet's shortened anchor expanded, and the external links of an embed. The Jetstream listener and
the search poller read posts the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LINK = "app.bsky.richtext.facet#link"


def facet_links(record: Mapping[str, Any]) -> list[tuple[int, int, str]]:
    """(byteStart, byteEnd, uri) of every link facet; (-1, -1, uri) when the index is unusable."""
    facets = record.get("facets")
    found: list[tuple[int, int, str]] = []
    for facet in facets if isinstance(facets, list) else []:
        if not isinstance(facet, dict) or not isinstance(facet.get("features"), list):
            continue
        index = facet.get("index")
        start = index.get("byteStart") if isinstance(index, dict) else None
        end = index.get("byteEnd") if isinstance(index, dict) else None
        for feature in facet["features"]:
            if not isinstance(feature, dict) or feature.get("$type") != LINK:
                continue
            if not isinstance(feature.get("uri"), str):
                continue
            if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end:
                found.append((start, end, feature["uri"]))
            else:
                found.append((-1, -1, feature["uri"]))  # the link counts; no text to expand
    return found


def expand_links(text: str, links: list[tuple[int, int, str]]) -> str:
    """The text with each link facet's (shortened) anchor, in UTF-8 bytes, replaced by its URI."""
    data = text.encode("utf-8")
    pieces, at = [], 0
    for start, end, uri in sorted(link for link in links if link[0] >= 0):
        if start < at or end > len(data):
            continue
        pieces += [data[at:start], uri.encode("utf-8")]
        at = end
    pieces.append(data[at:])
    return b"".join(pieces).decode("utf-8", errors="replace")


def embed_links(embed: Any) -> list[str]:
    """External-link URIs of an embed, also inside recordWithMedia."""
    if not isinstance(embed, dict):
        return []
    found = []
    external = embed.get("external")
    if isinstance(external, dict) and isinstance(external.get("uri"), str):
        found.append(external["uri"])
    found.extend(embed_links(embed.get("media")))
    return found
