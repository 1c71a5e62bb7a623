"""rss.arxiv.org feeds: items to papers with the feed's listing date, and stale-feed detection."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser

from bot.domain.calendar import is_listing_date, latest_listing_on, to_eastern
from bot.domain.ids import parse_arxiv_id
from bot.domain.models import Paper
from bot.sources.arxiv.parsing import canonical_categories, clean_text, split_authors

log = logging.getLogger(__name__)

ITEM_LIMIT = 2000  # arXiv caps a feed at 2000 items
LISTED_TYPES = frozenset({"new", "cross"})
UPDATE_TYPES = frozenset({"replace", "replace-cross"})
_PREAMBLE = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*\S+\s*(?:Abstract:\s*)?", re.IGNORECASE)


@dataclass(frozen=True)
class RssFeed:
    """One parsed feed: its listing date (ET), the papers, and every skipped part, one line each."""

    listing_date: date | None
    papers: tuple[Paper, ...] = ()
    problems: tuple[str, ...] = ()
    items: int = 0  # items in the feed, skipped ones included
    truncated: bool = False  # the XML ended early: the feed is incomplete


def feed_url(base: str, categories: Sequence[str]) -> str:
    """`https://rss.arxiv.org/rss/cs.CV+cs.LG` for a base URL and categories."""
    return f"{base.rstrip('/')}/{'+'.join(categories)}"


def _feed_date(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return to_eastern(moment).date()


def _paper(entry: Any, listing: date | None) -> Paper | str:
    """A Paper from one item, or a one-line problem saying why the item was skipped."""
    ref = entry.get("id") or entry.get("link") or ""
    found = parse_arxiv_id(str(entry.get("id") or "")) or parse_arxiv_id(
        str(entry.get("link") or "")
    )
    if found is None:
        return f"RSS item without an arXiv id (guid/link {ref!r}): skipped"
    title = clean_text(entry.get("title"))
    if not title:
        return f"RSS item {found.id} has no title: skipped"
    cats = canonical_categories(t.get("term", "") for t in entry.get("tags") or ())
    kind = str(entry.get("arxiv_announce_type") or "").strip().lower()
    if not kind:
        match = re.search(r"Announce Type:\s*(\S+)", str(entry.get("summary") or ""))
        kind = match.group(1).lower() if match else ""
    if kind not in LISTED_TYPES | UPDATE_TYPES:
        log.info("RSS item %s has announce type %r: metadata only", found.id, kind)
    return Paper(
        arxiv_id=found.id,
        title=title,
        authors=split_authors(entry.get("author")),
        abstract=clean_text(_PREAMBLE.sub("", str(entry.get("summary") or ""), count=1)),
        primary_category=cats[0] if cats else "",
        categories=cats,
        listing_date=listing if kind in LISTED_TYPES else None,
        version=found.version,
    )


def parse_feed(content: bytes | str) -> RssFeed:
    """Parse an arXiv RSS 2.0 feed. Never raises: bad items and a truncated end become problems."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    try:
        parsed = feedparser.parse(raw)
    except Exception as exc:  # feedparser is lenient; anything it still throws is a bad document
        return RssFeed(None, problems=(f"RSS feed could not be parsed: {exc}",))
    channel = parsed.get("feed", {})
    listing = _feed_date(channel.get("published")) or _feed_date(channel.get("updated"))
    entries = list(parsed.get("entries", []))
    problems: list[str] = []
    truncated = bool(parsed.get("bozo")) and not raw.rstrip().endswith(b"</rss>")
    if parsed.get("bozo"):
        problems.append(f"RSS feed is not well-formed XML: {parsed.get('bozo_exception')}")
    if truncated and entries:
        last = entries.pop()
        problems.append(
            f"RSS feed ends early; its last item ({last.get('id') or last.get('title')!r}) "
            f"may be incomplete: skipped"
        )
    if listing is None and entries:
        problems.append("RSS feed has no pubDate or lastBuildDate: nothing recorded")
        return RssFeed(None, problems=tuple(problems), items=len(entries), truncated=truncated)
    papers: list[Paper] = []
    for entry in entries:
        made = _paper(entry, listing)
        if isinstance(made, str):
            problems.append(made)
        else:
            papers.append(made)
    for problem in problems:
        log.warning("%s", problem)
    return RssFeed(listing, tuple(papers), tuple(problems), len(entries), truncated)


def expected_feed_date(now_day: date, holidays: frozenset[date] = frozenset()) -> date:
    """The listing a feed fetched on `now_day` (ET) should carry: the latest one dated that day or before.

    Feeds are rebuilt at midnight ET, so between the 20:00 announcement and midnight the feed
    still shows the previous listing, and that is not stale.
    """
    return latest_listing_on(now_day, holidays)


def is_stale(feed: RssFeed, expected: date) -> bool:
    """True when the feed's date is older than the listing it should carry (retry later)."""
    return feed.listing_date is not None and feed.listing_date < expected


def is_quiet_day(feed: RssFeed, holidays: frozenset[date] = frozenset()) -> bool:
    """An empty feed on a day without a listing (weekends, holidays): nothing to record."""
    return not feed.papers and (
        feed.listing_date is None or not is_listing_date(feed.listing_date, holidays)
    )
