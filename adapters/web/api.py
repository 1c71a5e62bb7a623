"""The JSON API's documents: digests in the schema of `hotpapers digest --format json`
(bot/render/jsonfmt.py), a paper as one such item plus its abstract, posts and timeline, and the
OpenAPI description of every route."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.domain.models import Digest, DigestItem, TimelinePoint
from bot.render.jsonfmt import SCHEMA_VERSION, digest_to_dict


def paper_to_dict(item: DigestItem, timeline: Sequence[TimelinePoint]) -> dict[str, Any]:
    one = digest_to_dict(Digest(title="", date=None, items=(item,)))["items"][0]
    one.pop("rank", None)
    paper = item.paper
    one.update(
        abstract=paper.abstract,
        primary_category=paper.primary_category,
        measured_at=_iso(item.measured_at),
        posts_shown=[
            {
                "source": p.source,
                "url": p.url,
                "author_name": p.author_name,
                "author_handle": p.author_handle,
                "text": p.text,
                "posted": _iso(p.posted),
                "reposts": p.reposts,
                "likes": p.likes,
            }
            for p in item.posts
        ],
        timeline=[
            {
                "source": t.source,
                "day": t.day.isoformat(),
                "posts": t.posts,
                "engagement": t.engagement,
            }
            for t in timeline
        ],
    )
    return {"schema": SCHEMA_VERSION, "paper": one}


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def error_dict(status: int, message: str) -> dict[str, Any]:
    return {"schema": SCHEMA_VERSION, "error": {"status": status, "message": message}}


_DIGEST_PARAMS = [
    {
        "name": "category",
        "in": "query",
        "required": False,
        "description": "Category or archive (cs.CV, cs, math.IT); repeatable.",
        "schema": {"type": "array", "items": {"type": "string"}},
        "style": "form",
        "explode": True,
    },
    {
        "name": "top",
        "in": "query",
        "required": False,
        "description": "How many papers (1-100, default 10).",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
    },
]
_JSON_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_ERRORS = {
    "400": {"description": "A bad parameter", "content": _JSON_ERROR},
    "404": {"description": "No such listing or paper", "content": _JSON_ERROR},
    "429": {"description": "Too many requests (see Retry-After)", "content": _JSON_ERROR},
}


def _get(summary: str, schema: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": params,
            "responses": {
                "200": {
                    "description": "OK (ETag; a matching If-None-Match gets 304)",
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                    },
                },
                "304": {"description": "Not modified"},
                **_ERRORS,
            },
        }
    }


def openapi(server: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of /api/v1 (`server`: the site's address)."""
    day = {
        "name": "day",
        "in": "path",
        "required": True,
        "description": "latest, week, month or YYYY-MM-DD",
        "schema": {"type": "string"},
    }
    paper_id = {
        "name": "arxiv_id",
        "in": "path",
        "required": True,
        "description": "2104.00743 or hep-th/9901001",
        "schema": {"type": "string"},
    }
    q = {
        "name": "q",
        "in": "query",
        "required": True,
        "description": "Words, optionally categories and a period: `diffusion cs.CV this week`",
        "schema": {"type": "string", "maxLength": 200},
    }
    item_props: dict[str, Any] = {
        "rank": {"type": "integer"},
        "arxiv_id": {"type": "string"},
        "title": {"type": "string"},
        "authors": {"type": "array", "items": {"type": "string"}},
        "categories": {"type": "array", "items": {"type": "string"}},
        "listing_date": {"type": ["string", "null"], "format": "date"},
        "score": {"type": "number"},
        "reposts": {"type": "integer"},
        "likes": {"type": "integer"},
        "posts": {"type": "integer"},
        "accounts": {"type": "integer"},
        "parts": {"type": "array", "items": {"type": "object"}},
        "url": {"type": "string"},
        "pdf_url": {"type": "string"},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hotpapers API",
            "version": "1",
            "description": "arXiv papers ranked by social-media attention. Read-only: GET and HEAD. "
            "Digests use the schema of `hotpapers digest --format json` (`schema`: 1); fields are "
            "only ever added.",
        },
        "servers": [{"url": server.rstrip("/") + "/api/v1"}],
        "paths": {
            "/digests/{day}": _get(
                "A digest: the top papers of a listing day or period",
                "Digest",
                [day, *_DIGEST_PARAMS],
            ),
            "/papers/{arxiv_id}": _get(
                "One paper: score parts, posts, attention over time", "Paper", [paper_id]
            ),
            "/search": _get(
                "Papers matching words, best attention first", "Digest", [q, _DIGEST_PARAMS[1]]
            ),
            "/openapi.json": {
                "get": {"summary": "This document", "responses": {"200": {"description": "OK"}}}
            },
        },
        "components": {
            "schemas": {
                "Digest": {
                    "type": "object",
                    "required": ["schema", "title", "items"],
                    "properties": {
                        "schema": {"type": "integer", "const": SCHEMA_VERSION},
                        "title": {"type": "string"},
                        "date": {"type": ["string", "null"], "format": "date"},
                        "period": {"type": "string"},
                        "filter": {"type": "array", "items": {"type": "string"}},
                        "notes": {"type": "array", "items": {"type": "string"}},
                        "generated_at": {"type": ["string", "null"], "format": "date-time"},
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                    },
                },
                "Item": {"type": "object", "properties": item_props},
                "Paper": {
                    "type": "object",
                    "properties": {"schema": {"type": "integer"}, "paper": {"type": "object"}},
                },
                "Error": {
                    "type": "object",
                    "properties": {
                        "schema": {"type": "integer"},
                        "error": {
                            "type": "object",
                            "properties": {
                                "status": {"type": "integer"},
                                "message": {"type": "string"},
                            },
                        },
                    },
                },
            }
        },
    }
