"""Atom 1.0 feeds (RFC 4287): one entry per digest, i.e. per listing day, with stable ids."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, time
from xml.sax.saxutils import escape as _escape
from xml.sax.saxutils import quoteattr

from adapters.web import urls
from adapters.web.render import items_html
from bot.domain.models import Digest

ATOM_NS = "http://www.w3.org/2005/Atom"
_IDS = uuid.UUID("6f1f4d2e-3c1b-5a7e-9d43-2b8e0c7a1f55")  # namespace of this bot's Atom ids


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text: str) -> str:
    """XML text: characters XML 1.0 cannot carry dropped, the rest escaped."""
    return _escape(_NOT_XML.sub("", text))


def entry_id(category: str | None, day: str) -> str:
    """Stable across restarts, hosts and addresses: a name-based UUID of (filter, listing day)."""
    return uuid.uuid5(_IDS, f"digest/{category or 'all'}/{day}").urn


def feed_id(category: str | None) -> str:
    return uuid.uuid5(_IDS, f"feed/{category or 'all'}").urn


def digest_updated(digest: Digest) -> datetime:
    """When a digest last changed: its newest counter refresh, else its listing day's start."""
    times = [i.measured_at for i in digest.items if i.measured_at is not None]
    if times:
        return max(times)
    day = digest.date or datetime(1991, 8, 1, tzinfo=UTC).date()
    return datetime.combine(day, time(0), tzinfo=UTC)


def atom_feed(digests: Sequence[Digest], *, base: str, category: str | None, site: str) -> str:
    """The feed; `base` is the site's absolute address ending in `/` (links must be absolute)."""
    title = site + (f" · {category}" if category else "")
    updated = max((digest_updated(d) for d in digests), default=datetime(2020, 1, 1, tzinfo=UTC))
    self_url = base + urls.feed_path(category).lstrip("/")
    page_url = base + urls.digest_path(category).lstrip("/")
    entries = [_entry(d, base=base, category=category) for d in digests if d.date]
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="{ATOM_NS}">\n'
        f"<id>{feed_id(category)}</id>\n"
        f"<title>{escape(title)}</title>\n"
        f"<updated>{_stamp(updated)}</updated>\n"
        f"<author><name>{escape(site)}</name></author>\n"
        f'<link rel="self" type="application/atom+xml" href={quoteattr(self_url)}/>\n'
        f'<link rel="alternate" type="text/html" href={quoteattr(page_url)}/>\n'
        f"<generator>hotpapers</generator>\n" + "".join(entries) + "</feed>\n"
    )


def _entry(digest: Digest, *, base: str, category: str | None) -> str:
    assert digest.date is not None
    day = digest.date.isoformat()
    link = base + urls.digest_path(category, day).lstrip("/")
    count = len(digest.items)
    summary = f"{count} paper{'s' if count != 1 else ''} ranked by attention."
    if digest.items:
        summary += " Top: " + (digest.items[0].paper.title or digest.items[0].paper.arxiv_id)
    content = items_html(digest.items).replace('href="/', f'href="{base}')
    return (
        "<entry>\n"
        f"<id>{entry_id(category, day)}</id>\n"
        f"<title>{escape(digest.title)}</title>\n"
        f"<updated>{_stamp(digest_updated(digest))}</updated>\n"
        f'<link rel="alternate" type="text/html" href={quoteattr(link)}/>\n'
        f"<summary>{escape(summary)}</summary>\n"
        f'<content type="html">{escape(content)}</content>\n'
        "</entry>\n"
    )


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
