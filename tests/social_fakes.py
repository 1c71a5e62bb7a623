"""Fakes on 127.0.0.1 (port 0) for posting to X v2, Bluesky XRPC and Mastodon; they keep what they got.

Built on tests/attention_fakes.py's threaded server. `fail` maps the n-th post (1-based) to an
answer served instead of creating a post, to simulate 429s and outages half-way through a thread.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.attention_fakes import Answer, Fake, Seen, json_answer


def jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


BOT_DID = "did:plc:hotpapersbot"
BOT_HANDLE = "hotpapers.bsky.social"
ACCESS_JWT = jwt({"scope": "com.atproto.access", "sub": BOT_DID, "exp": 4102444800})


@dataclass
class Posts:
    """What a fake platform accepted, in order: the parsed request bodies and the ids it gave."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    fail: dict[int, Answer] = field(default_factory=dict)
    attempts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, seen: Seen, make: Any) -> Answer:
        with self._lock:
            self.attempts += 1
            failure = self.fail.get(self.attempts)
            if failure is not None:
                return failure
            body = parse_body(seen)
            new_id, answer = make(len(self.ids) + 1, body)
            self.bodies.append(body)
            self.ids.append(new_id)
            self.headers.append(seen.headers)
            return answer


def parse_body(seen: Seen) -> dict[str, Any]:
    if not seen.body:
        return {}
    if seen.headers.get("content-type", "").startswith("application/json"):
        loaded = json.loads(seen.body)
        return loaded if isinstance(loaded, dict) else {}
    from urllib.parse import parse_qs

    return {k: v[0] for k, v in parse_qs(seen.body.decode()).items()}


def x_fake(fake: Fake, posts: Posts) -> None:
    def make(n: int, body: dict[str, Any]) -> tuple[str, Answer]:
        tweet_id = str(1860000000000000000 + n)
        data = {"id": tweet_id, "text": body.get("text", ""), "edit_history_tweet_ids": [tweet_id]}
        return tweet_id, json_answer({"data": data}, 201)

    fake.route("/2/tweets", lambda seen: posts.take(seen, make))


def bluesky_fake(fake: Fake, posts: Posts) -> None:
    fake.route(
        "/xrpc/com.atproto.server.createSession",
        json_answer(
            {
                "did": BOT_DID,
                "handle": BOT_HANDLE,
                "accessJwt": ACCESS_JWT,
                "refreshJwt": ACCESS_JWT,
                "active": True,
            }
        ),
    )
    fake.route(
        "/xrpc/app.bsky.actor.getProfile", json_answer({"did": BOT_DID, "handle": BOT_HANDLE})
    )

    def make(n: int, body: dict[str, Any]) -> tuple[str, Answer]:
        uri = f"at://{BOT_DID}/app.bsky.feed.post/3kpost{n:04d}"
        cid = f"bafyreicid{n:04d}"
        return f"{uri}|{cid}", json_answer({"uri": uri, "cid": cid})

    fake.route("/xrpc/com.atproto.repo.createRecord", lambda seen: posts.take(seen, make))


def mastodon_fake(fake: Fake, posts: Posts) -> None:
    def make(n: int, body: dict[str, Any]) -> tuple[str, Answer]:
        status_id = str(113000000000000000 + n)
        status = {
            "id": status_id,
            "uri": f"https://mastodon.example/users/hotpapers/statuses/{status_id}",
            "url": f"https://mastodon.example/@hotpapers/{status_id}",
            "created_at": "2026-11-24T09:00:00.000Z",
            "content": f"<p>{body.get('status', '')}</p>",
            "in_reply_to_id": body.get("in_reply_to_id"),
            "visibility": body.get("visibility", "public"),
            "account": {"id": "1", "username": "hotpapers", "acct": "hotpapers"},
        }
        return status_id, json_answer(status)

    fake.route("/api/v1/statuses", lambda seen: posts.take(seen, make))


def mastodon_status(status_id: str, acct: str, content: str, reply_to: str | None = None) -> Any:
    return {
        "id": status_id,
        "uri": f"https://mastodon.example/users/{acct}/statuses/{status_id}",
        "created_at": "2026-11-24T09:00:00.000Z",
        "content": content,
        "in_reply_to_id": reply_to,
        "visibility": "public",
        "account": {"id": status_id, "username": acct.split("@")[0], "acct": acct},
    }


def mastodon_mention(note_id: str, status: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": note_id,
        "type": "mention",
        "created_at": "2026-11-24T09:00:00.000Z",
        "account": status["account"],
        "status": status,
    }
