"""The site's addresses, in one place: pages, their JSON and Atom equivalents."""

from __future__ import annotations

from urllib.parse import quote, urlencode

API = "/api/v1"


def digest_path(category: str | None = None, day: str | None = None) -> str:
    """`/`, `/2021-04-05`, `/week`, `/c/cs.CV`, `/c/cs.CV/2021-04-05`."""
    base = f"/c/{quote(category, safe='.-')}" if category else ""
    if day:
        return f"{base}/{quote(day, safe='-')}"
    return base or "/"


def feed_path(category: str | None = None) -> str:
    return f"/c/{quote(category, safe='.-')}/feed.atom" if category else "/feed.atom"


def digest_api_path(category: str | None = None, day: str | None = None) -> str:
    """The JSON of a digest page: `/api/v1/digests/latest?category=cs.CV`."""
    path = f"{API}/digests/{quote(day or 'latest', safe='-')}"
    return path + (f"?{urlencode({'category': category})}" if category else "")


def paper_path(arxiv_id: str) -> str:
    return f"/paper/{quote(arxiv_id, safe='./-')}"


def paper_api_path(arxiv_id: str) -> str:
    return f"{API}/papers/{quote(arxiv_id, safe='./-')}"


def search_path(q: str) -> str:
    return "/search?" + urlencode({"q": q})


def search_api_path(q: str) -> str:
    return f"{API}/search?" + urlencode({"q": q})
