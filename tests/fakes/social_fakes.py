"""Fakes on 127.0.0.1 (port 0) for posting to X v2, Bluesky XRPC and Mastodon; they keep what they got.

Built on tests/attention_fakes.py's threaded server. `fail` maps the n-th post (1-based) to an
answer served instead of creating a post, to simulate 429s and outages half-way through a thread.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.attention_fakes import Answer, Fake, Seen, json_answer


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

    def stored(self) -> list[tuple[str, dict[str, Any]]]:
        """(id, body) of every post made, oldest first."""
        with self._lock:
            return list(zip(self.ids, self.bodies, strict=True))


def parse_body(seen: Seen) -> dict[str, Any]:
    if not seen.body:
        return {}
    if seen.headers.get("content-type", "").startswith("application/json"):
        loaded = json.loads(seen.body)
        return loaded if isinstance(loaded, dict) else {}
    from urllib.parse import parse_qs

    return {k: v[0] for k, v in parse_qs(seen.body.decode()).items()}


URL = re.compile(r"https?://\S+")


def x_text(text: str, tweet_id: str) -> str:
    """A posted text as X serves it back: &<> escaped, each link as a t.co URL."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    links = iter(range(10))
    return URL.sub(lambda _: tco(int(tweet_id[-6:]) * 10 + next(links)), escaped)


def x_fake(fake: Fake, posts: Posts) -> None:
    """`POST /2/tweets`, plus the reads a retry checks with: `GET /2/users/me` and
    `GET /2/users/:id/tweets` (newest first, `max_results`, `tweet_fields` honoured)."""

    def make(n: int, body: dict[str, Any]) -> tuple[str, Answer]:
        tweet_id = str(1860000000000000000 + n)
        data = {"id": tweet_id, "text": body.get("text", ""), "edit_history_tweet_ids": [tweet_id]}
        return tweet_id, json_answer({"data": data}, 201)

    def timeline(seen: Seen) -> Answer:
        fields = set(",".join(seen.query.get("tweet.fields") or []).split(","))
        limit = int(seen.param("max_results") or 10)
        conversation: dict[str, str] = {}
        tweets = []
        for tweet_id, body in posts.stored():
            parent = (body.get("reply") or {}).get("in_reply_to_tweet_id")
            conversation[tweet_id] = conversation.get(parent, tweet_id) if parent else tweet_id
            tweet: dict[str, Any] = {
                "edit_history_tweet_ids": [tweet_id],
                "id": tweet_id,
                "text": x_text(str(body.get("text", "")), tweet_id),
            }
            if parent and "referenced_tweets" in fields:
                tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent}]
            if "conversation_id" in fields:
                tweet["conversation_id"] = conversation[tweet_id]
            tweets.append(tweet)
        page = tweets[::-1][:limit]
        if not page:
            return json_answer({"meta": {"result_count": 0}})
        meta = {"result_count": len(page), "newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
        return json_answer({"data": page, "meta": meta})

    me = {"id": BOT_X_ID, "name": "Hot Papers", "username": BOT_X_USERNAME}
    fake.route("/2/tweets", lambda seen: posts.take(seen, make))
    fake.route("/2/users/me", json_answer({"data": me}))
    fake.route(f"/2/users/{BOT_X_ID}/tweets", timeline)


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

    def views() -> list[dict[str, Any]]:
        out = []
        for post_id, body in posts.stored():
            uri, _, cid = post_id.partition("|")
            view = bluesky_post_view(uri, cid, BOT_DID, BOT_HANDLE, dict(body.get("record") or {}))
            out.append({"$type": "app.bsky.feed.defs#postView", **view})
        return out

    def thread(seen: Seen) -> Answer:
        uri = seen.param("uri")
        stored = views()
        found = next((v for v in stored if v["uri"] == uri), None)
        if found is None:
            return json_answer({"error": "NotFound", "message": f"Post not found: {uri}"}, 400)
        replies = [
            {"$type": "app.bsky.feed.defs#threadViewPost", "post": v, "replies": []}
            for v in stored
            if ((v["record"].get("reply") or {}).get("parent") or {}).get("uri") == uri
        ]
        node = {"$type": "app.bsky.feed.defs#threadViewPost", "post": found, "replies": replies}
        return json_answer({"thread": node})

    def author_feed(seen: Seen) -> Answer:
        if seen.param("actor") not in (BOT_DID, BOT_HANDLE):
            return json_answer({"feed": []})
        limit = int(seen.param("limit") or 50)
        feed = []
        for view in views()[::-1][:limit]:
            item: dict[str, Any] = {"post": view}
            reply = view["record"].get("reply")
            if reply:
                by_uri = {v["uri"]: v for v in views()}
                parent = by_uri.get(reply["parent"]["uri"])
                root = by_uri.get(reply["root"]["uri"])
                if parent and root:
                    item["reply"] = {"root": root, "parent": parent}
            feed.append(item)
        return json_answer({"feed": feed})

    fake.route("/xrpc/com.atproto.repo.createRecord", lambda seen: posts.take(seen, make))
    fake.route("/xrpc/app.bsky.feed.getPostThread", thread)
    fake.route("/xrpc/app.bsky.feed.getAuthorFeed", author_feed)


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


def mastodon_context(fake: Fake, status_id: str, ancestors: list[dict[str, Any]]) -> None:
    """Serve `GET /api/v1/statuses/:id/context`: the statuses above `status_id`, root first."""
    fake.route(
        f"/api/v1/statuses/{status_id}/context",
        json_answer({"ancestors": ancestors, "descendants": []}),
    )


# -- mentions ------------------------------------------------------------------------------------

BOT_X_ID = "1580000000000000001"
BOT_X_USERNAME = "hotpapers"


def tco(n: int) -> str:
    return f"https://t.co/Ab{n:08d}"


def x_tweet(
    tweet_id: str,
    author_id: str,
    text: str,
    *,
    replied_to: str | None = None,
    conversation_id: str | None = None,
    links: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A v2 tweet as X serves it: each link shown as a t.co URL, the target in entities.urls."""
    urls = []
    for n, target in enumerate(links):
        short = tco(int(tweet_id[-6:]) * 10 + n)
        start = len(text) + 1
        text = f"{text} {short}"
        urls.append(
            {
                "start": start,
                "end": start + len(short),
                "url": short,
                "expanded_url": target,
                "display_url": target.removeprefix("https://")[:25] + "…",
            }
        )
    tweet: dict[str, Any] = {
        "id": tweet_id,
        "text": text,
        "author_id": author_id,
        "conversation_id": conversation_id or tweet_id,
        "created_at": "2026-11-24T09:00:00.000Z",
        "edit_history_tweet_ids": [tweet_id],
    }
    if urls:
        tweet["entities"] = {"urls": urls}
    if replied_to:
        tweet["referenced_tweets"] = [{"type": "replied_to", "id": replied_to}]
        tweet["in_reply_to_user_id"] = "0"
    return tweet


@dataclass
class XMentionsFake:
    """`GET /2/users/:id/mentions`: newest first, `since_id` and `max_results` honoured, with
    `includes.tweets` (the referenced tweets) and `includes.users` (the authors)."""

    mentions: list[dict[str, Any]] = field(default_factory=list)
    tweets: dict[str, dict[str, Any]] = field(default_factory=dict)  # referenced, by id
    users: dict[str, str] = field(default_factory=dict)  # id -> username

    def install(self, fake: Fake) -> None:
        me = {"id": BOT_X_ID, "name": "Hot Papers", "username": BOT_X_USERNAME}
        fake.route("/2/users/me", json_answer({"data": me}))
        fake.route(f"/2/users/{BOT_X_ID}/mentions", self.serve)

    def serve(self, seen: Seen) -> Answer:
        since = int(seen.param("since_id") or 0)
        limit = int(seen.param("max_results") or 10)
        newest_first = sorted(self.mentions, key=lambda t: int(t["id"]), reverse=True)
        page = [t for t in newest_first if int(t["id"]) > since][:limit]
        if not page:
            return json_answer({"meta": {"result_count": 0}})
        refs = {
            r["id"] for t in page for r in t.get("referenced_tweets", []) if r["id"] in self.tweets
        }
        authors = {t["author_id"] for t in page} | {self.tweets[r]["author_id"] for r in refs}
        includes = {
            "tweets": [self.tweets[r] for r in sorted(refs)],
            "users": [
                {"id": a, "name": self.users.get(a, a), "username": self.users.get(a, a)}
                for a in sorted(authors)
            ],
        }
        meta = {
            "result_count": len(page),
            "newest_id": page[0]["id"],
            "oldest_id": page[-1]["id"],
        }
        return json_answer({"data": page, "includes": includes, "meta": meta})


def bluesky_post_view(
    uri: str, cid: str, did: str, handle: str, record: dict[str, Any]
) -> dict[str, Any]:
    return {
        "uri": uri,
        "cid": cid,
        "author": {"did": did, "handle": handle, "displayName": handle.split(".")[0]},
        "record": record,
        "indexedAt": record.get("createdAt", "2026-11-24T09:00:00.000Z"),
        "replyCount": 0,
        "repostCount": 0,
        "likeCount": 0,
        "labels": [],
    }


def bluesky_record(
    text: str,
    *,
    parent: tuple[str, str] | None = None,
    root: tuple[str, str] | None = None,
    links: tuple[tuple[str, str], ...] = (),  # (label in text, target)
    mention: tuple[str, str] | None = None,  # (label in text, did)
    created: str = "2026-11-24T09:00:00.000Z",
) -> dict[str, Any]:
    """An app.bsky.feed.post record; facets at the UTF-8 byte offsets of their labels."""
    data = text.encode("utf-8")
    facets = []
    for label, target in links:
        start = data.index(label.encode("utf-8"))
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": start + len(label.encode("utf-8"))},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": target}],
            }
        )
    if mention is not None:
        start = data.index(mention[0].encode("utf-8"))
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": start + len(mention[0].encode("utf-8"))},
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": mention[1]}],
            }
        )
    record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": created}
    if facets:
        record["facets"] = facets
    if parent is not None:
        root = root or parent
        record["reply"] = {
            "root": {"uri": root[0], "cid": root[1]},
            "parent": {"uri": parent[0], "cid": parent[1]},
        }
    return record


def bluesky_notification(
    n: int, did: str, handle: str, reason: str, record: dict[str, Any]
) -> dict[str, Any]:
    """The n-th notification (later n, later indexedAt) about a post by `did`."""
    return {
        "uri": f"at://{did}/app.bsky.feed.post/3kmention{n:04d}",
        "cid": f"bafyreimention{n:04d}",
        "author": {"did": did, "handle": handle, "displayName": handle.split(".")[0]},
        "reason": reason,
        "record": record,
        "isRead": False,
        "indexedAt": f"2026-11-24T09:{n:02d}:00.000Z",
        "labels": [],
    }


@dataclass
class BlueskyNotificationsFake:
    """`listNotifications` newest first, paged by `limit`/`cursor`; `getPosts` for parents."""

    notifications: list[dict[str, Any]] = field(default_factory=list)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)  # uri -> post view

    def install(self, fake: Fake) -> None:
        fake.route("/xrpc/app.bsky.notification.listNotifications", self.serve)
        fake.route("/xrpc/app.bsky.feed.getPosts", self.get_posts)

    def serve(self, seen: Seen) -> Answer:
        limit = int(seen.param("limit") or 50)
        start = int(seen.param("cursor") or 0)
        newest_first = sorted(self.notifications, key=lambda n: n["indexedAt"], reverse=True)
        page = newest_first[start : start + limit]
        body: dict[str, Any] = {"notifications": page}
        if start + limit < len(newest_first):
            body["cursor"] = str(start + limit)
        return json_answer(body)

    def get_posts(self, seen: Seen) -> Answer:
        uris = seen.query.get("uris") or []
        return json_answer({"posts": [self.posts[u] for u in uris if u in self.posts]})
