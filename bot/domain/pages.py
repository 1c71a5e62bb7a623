"""The web site's addresses, shared by the site (adapters/web) and the core, which puts a digest's
page link on the Digest for every renderer (pure)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

PAGE_TOP = 10  # papers a digest page lists without `?top=`
MAX_TOP = 100  # the most a digest page lists (`?top=100`)
PERIOD_PAGES = {7: "week", 30: "month"}  # `N days` digests that have a page of their own


def digest_path(category: str | None = None, day: str | None = None) -> str:
    """`/`, `/2021-04-05`, `/week`, `/c/cs.CV`, `/c/cs.CV/2021-04-05`."""
    base = f"/c/{quote(category, safe='.-')}" if category else ""
    if day:
        return f"{base}/{quote(day, safe='-')}"
    return base or "/"


def paper_path(arxiv_id: str) -> str:
    return f"/paper/{quote(arxiv_id, safe='./-')}"


def period_page(kind: str, days: int, on: date) -> str | None:
    """The page part of a digest's address for a period: the listing day, `week`, `month`;
    None for periods without a page (`last 3 days`)."""
    if kind in ("today", "yesterday", "date"):
        return on.isoformat()
    if kind == "days":
        return PERIOD_PAGES.get(days)
    return None


def absolute(public_url: str, path: str) -> str:
    """`https://papers.example.org/` + `/c/cs.CV/2021-04-05` (the base may have a path)."""
    return public_url.rstrip("/") + path


def listing_url(public_url: str, path: str, papers: int) -> str:
    """The page listing `papers` papers: `?top=N` when that is more than a page's default."""
    url = absolute(public_url, path)
    return url + (f"?top={papers}" if papers > PAGE_TOP else "")


def see_all(papers: int) -> str:
    """The label of a digest's page link: "See all 23 on the web"."""
    return f"See all {papers} on the web" if papers != 1 else "See it on the web"
