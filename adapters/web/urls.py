"""The site's addresses, in one place: pages, their JSON and Atom equivalents."""

from __future__ import annotations

from urllib.parse import quote, urlencode

# Shared with the core, which links digests in chat to their page.
from bot.domain.pages import digest_path as digest_path
from bot.domain.pages import paper_path as paper_path

API = "/api/v1"


def feed_path(category: str | None = None) -> str:
    return f"/c/{quote(category, safe='.-')}/feed.atom" if category else "/feed.atom"


def digest_api_path(category: str | None = None, day: str | None = None) -> str:
    """The JSON of a digest page: `/api/v1/digests/latest?category=cs.CV`."""
    path = f"{API}/digests/{quote(day or 'latest', safe='-')}"
    return path + (f"?{urlencode({'category': category})}" if category else "")


def paper_api_path(arxiv_id: str) -> str:
    return f"{API}/papers/{quote(arxiv_id, safe='./-')}"


def search_path(q: str) -> str:
    return "/search?" + urlencode({"q": q})


def search_api_path(q: str) -> str:
    return f"{API}/search?" + urlencode({"q": q})
