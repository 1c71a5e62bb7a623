"""`hotpapers bluesky publish-feed` through the real atproto Client against a fake PDS on
127.0.0.1: createSession, then one putRecord per feed with the generator record's fields."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli.main import cli
from tests.fakes.attention_fakes import Answer, Fake, json_answer, serve
from tests.fakes.social_fakes import BOT_DID, BOT_HANDLE, Posts, bluesky_fake

PASSWORD = "abcd-efgh-ijkl-mnop"
ENV = {"FEED_HANDLE": BOT_HANDLE, "FEED_PASSWORD": PASSWORD}


@pytest.fixture
def pds() -> Iterator[tuple[Fake, Posts]]:
    posts = Posts()

    def make(n: int, body: dict[str, Any]) -> tuple[str, Answer]:
        uri = f"at://{body['repo']}/{body['collection']}/{body['rkey']}"
        return uri, json_answer({"uri": uri, "cid": f"bafyreifeed{n:04d}"})

    with serve() as fake:
        bluesky_fake(fake, Posts())
        fake.route("/xrpc/com.atproto.repo.putRecord", lambda seen: posts.take(seen, make))
        yield fake, posts


def write_config(tmp_path: Path, base_url: str, did: str = BOT_DID) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[adapters.web]
feed_publisher_did = "{did}"
feed_hostname = "papers.example.org"
feed_categories = ["cs.CV", "cs"]

[adapters.bluesky]
base_url = "{base_url}"
handle_env = "FEED_HANDLE"
app_password_env = "FEED_PASSWORD"
""",
        encoding="utf-8",
    )
    return path


def publish(config: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(
        cli, ["bluesky", "publish-feed", "--config", str(config), *args], env=env or ENV
    )


def test_publish_logs_in_and_puts_one_generator_record_per_feed(
    tmp_path: Path, pds: tuple[Fake, Posts], caplog: pytest.LogCaptureFixture
) -> None:
    fake, posts = pds
    result = publish(write_config(tmp_path, fake.url))
    assert result.exit_code == 0, result.output
    session = fake.requests("/xrpc/com.atproto.server.createSession")
    assert json.loads(session[0].body) == {"identifier": BOT_HANDLE, "password": PASSWORD}
    bodies = [body for _, body in posts.stored()]
    assert [b["rkey"] for b in bodies] == ["hot-papers", "hot-cs-cv", "hot-cs"]
    for body in bodies:
        assert body["repo"] == BOT_DID
        assert body["collection"] == "app.bsky.feed.generator"
        record = body["record"]
        assert record["$type"] == "app.bsky.feed.generator"
        assert record["did"] == "did:web:papers.example.org"
        assert record["createdAt"].endswith("Z")
        assert 0 < len(record["displayName"]) <= 24 and record["description"]
    assert [b["record"]["displayName"] for b in bodies] == [
        "Hot Papers",
        "Hot Papers · cs.CV",
        "Hot Papers · cs",
    ]
    assert all(h.get("authorization", "").startswith("Bearer ") for h in posts.headers)
    assert f"published at://{BOT_DID}/app.bsky.feed.generator/hot-cs-cv" in result.output
    assert PASSWORD not in result.output + caplog.text


def test_publishing_again_updates_the_same_records(tmp_path: Path, pds: tuple[Fake, Posts]) -> None:
    fake, posts = pds
    config = write_config(tmp_path, fake.url)
    assert publish(config).exit_code == 0
    assert publish(config).exit_code == 0
    assert posts.ids[:3] == posts.ids[3:]  # putRecord on the same keys: updates, not copies


def test_dry_run_prints_the_records_and_calls_nothing(
    tmp_path: Path, pds: tuple[Fake, Posts]
) -> None:
    fake, posts = pds
    result = publish(write_config(tmp_path, fake.url), "--dry-run", env={})
    assert result.exit_code == 0, result.output
    assert fake.seen == [] and posts.attempts == 0
    assert f"would put at://{BOT_DID}/app.bsky.feed.generator/hot-papers" in result.output
    assert '"did": "did:web:papers.example.org"' in result.output


def test_an_account_that_is_not_the_configured_publisher_is_refused(
    tmp_path: Path, pds: tuple[Fake, Posts]
) -> None:
    fake, posts = pds
    result = publish(write_config(tmp_path, fake.url, did="did:plc:someoneelse"))
    assert result.exit_code == 1
    assert "not [adapters.web] feed_publisher_did did:plc:someoneelse" in result.output
    assert posts.attempts == 0 and "Traceback" not in result.output


def test_a_missing_password_and_a_refused_login_are_one_line_errors(
    tmp_path: Path, pds: tuple[Fake, Posts]
) -> None:
    fake, _ = pds
    config = write_config(tmp_path, fake.url)
    missing = publish(config, env={"FEED_HANDLE": BOT_HANDLE})
    assert missing.exit_code == 1 and "FEED_PASSWORD" in missing.output
    fake.inject(
        "/xrpc/com.atproto.server.createSession",
        json_answer({"error": "AuthenticationRequired", "message": "Invalid password"}, 401),
    )
    refused = publish(config)
    assert refused.exit_code == 1
    assert "could not log in" in refused.output and "Invalid password" in refused.output
    assert PASSWORD not in refused.output and "Traceback" not in refused.output


def test_without_feed_keys_it_says_which_are_needed(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[adapters.web]\nport = 8080\n", encoding="utf-8")
    result = publish(path, "--dry-run")
    assert result.exit_code == 1
    assert "feed_publisher_did" in result.output and "Traceback" not in result.output
