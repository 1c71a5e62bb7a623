"""The digest as JSON, with a stable schema (documented in README)."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.models import Digest

SCHEMA_VERSION = 1


def digest_to_dict(digest: Digest) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "title": digest.title,
        "date": digest.date.isoformat() if digest.date else None,
        "period": digest.period,
        "filter": list(digest.filter),
        "notes": list(digest.notes),
        "generated_at": digest.generated_at.isoformat() if digest.generated_at else None,
        "items": [
            {
                "rank": item.rank,
                "arxiv_id": item.paper.arxiv_id,
                "title": item.paper.title,
                "authors": list(item.paper.authors),
                "categories": list(item.paper.categories),
                "listing_date": (
                    item.paper.listing_date.isoformat() if item.paper.listing_date else None
                ),
                "score": item.score.total,
                "reposts": item.score.reposts,
                "likes": item.score.likes,
                "posts": item.score.posts,
                "accounts": item.score.accounts,
                "parts": [
                    {
                        "source": p.source,
                        "posts": p.posts,
                        "accounts": p.accounts,
                        "reposts": p.reposts,
                        "likes": p.likes,
                        "weight": p.weight,
                        "score": p.score,
                    }
                    for p in item.score.parts
                ],
                "url": item.paper.abs_url,
                "pdf_url": item.paper.pdf_url,
            }
            for item in digest.items
        ],
    }


def render_json(digest: Digest) -> str:
    return json.dumps(digest_to_dict(digest), ensure_ascii=False, indent=2)
