"""The site through a real server on 127.0.0.1: routes, friendly 404s, headers, ETag/304, CORS,
read-only, rate limits, the JSON API against `hotpapers digest --format json`, OpenAPI."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.web.config import WebConfig
from bot.cli.main import cli
from bot.store import Store
from tests.adapters.web_world import Site, build_store, serving


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = build_store(tmp_path / "web.db")
    yield s
    s.close()


@pytest.fixture
async def site(store: Store) -> AsyncIterator[Site]:
    async with serving(store) as s:
        yield s


PAGES = [
    ("/", "Hot Papers 2021-04-06", "/api/v1/digests/latest", "/feed.atom"),
    ("/2021-04-05", "Hot Papers 2021-04-05", "/api/v1/digests/2021-04-05", "/feed.atom"),
    ("/week", "Hot Papers 2021-03-31 – 2021-04-06", "/api/v1/digests/week", "/feed.atom"),
    ("/month", "Hot Papers 2021-03-08 – 2021-04-06", "/api/v1/digests/month", "/feed.atom"),
    (
        "/c/cs.CV",
        "Hot Papers 2021-04-06 · cs.CV",
        "/api/v1/digests/latest?category=cs.CV",
        "/c/cs.CV/feed.atom",
    ),
    (
        "/c/cs/2021-04-05",
        "Hot Papers 2021-04-05 · cs",
        "/api/v1/digests/2021-04-05?category=cs",
        "/c/cs/feed.atom",
    ),
]


@pytest.mark.parametrize(("path", "title", "json_link", "atom_link"), PAGES)
async def test_every_digest_page_answers_and_links_its_json_and_atom(
    site: Site, path: str, title: str, json_link: str, atom_link: str
) -> None:
    response, text = await site.get(path)
    assert response.status == 200, text
    assert response.content_type == "text/html"
    assert title in text
    assert f'type="application/json" href="{json_link}"'.replace("&", "&amp;") in text
    assert f'type="application/atom+xml" title="Hot Papers" href="{atom_link}"' in text
    linked, body = await site.get(json_link)
    assert linked.status == 200 and json.loads(body)["title"] == title


async def test_the_latest_page_ranks_the_latest_listing(site: Site) -> None:
    _, text = await site.get("/")
    assert "Looking Again" in text and "Strings Of Old" in text
    assert "Seeing Far" not in text  # listed the day before
    assert text.index("Looking Again") < text.index("Strings Of Old")  # 77 before 10


async def test_a_category_page_shows_only_its_papers(site: Site) -> None:
    _, text = await site.get("/c/cs.CL/2021-04-05")
    assert "Talking Clearly" in text and "Seeing Far" not in text


async def test_the_paper_page_has_details_score_parts_posts_and_a_chart(site: Site) -> None:
    response, text = await site.get("/paper/2104.00001")
    assert response.status == 200
    assert "Seeing Far" in text and "Ada Lovelace" in text
    for source in ("archive", "bluesky", "mastodon"):
        assert f'<th scope="row">{source}</th>' in text  # the score's parts per source
    assert 'href="https://example.social/alice/a1"' in text  # the posts, with links
    chart = text[text.index("<svg") : text.index("</svg>")]
    assert chart.count("<polyline") == 3  # one line per source
    assert "href" not in chart and "http" not in chart.replace("http://www.w3.org/2000/svg", "")
    assert "<td>2021-04-07</td><td>bluesky</td><td>1</td><td>3</td>" in text  # the numbers
    _, old = await site.get("/paper/hep-th/9901001")
    assert "Strings Of Old" in old
    _, versioned = await site.get("/paper/2104.00001v2")
    assert "Seeing Far" in versioned


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/c/cs.CVV", "did you mean cs.CV?"),
        ("/2021-04-03", "arXiv has no listing on weekends"),
        ("/2021-04-01", "I have no papers listed on 2021-04-01"),
        ("/2021-13-45", "not a listing day"),
        ("/paper/2104.99999", "I don&#x27;t know arXiv:2104.99999"),
        ("/paper/not-an-id", "is not an arXiv id"),
        ("/no/such/page", "There is no page at this address."),
    ],
)
async def test_unknown_addresses_get_a_friendly_404_page(site: Site, path: str, says: str) -> None:
    response, text = await site.get(path)
    assert response.status == 404
    assert response.content_type == "text/html"
    assert says in text and "Traceback" not in text
    assert '<a href="/">the latest digest</a>' in text


async def test_the_api_answers_errors_in_json(site: Site) -> None:
    response, text = await site.get("/api/v1/papers/2104.99999")
    assert response.status == 404
    assert json.loads(text)["error"] == {
        "status": 404,
        "message": "I don't know arXiv:2104.99999 (yet).",
    }
    response, text = await site.get("/api/v1/digests/latest?top=1000")
    assert response.status == 400 and "top" in json.loads(text)["error"]["message"]


async def test_search_finds_papers_and_refuses_huge_queries(site: Site) -> None:
    _, text = await site.get("/search?q=Seeing")
    assert "Seeing Far" in text and "Talking Clearly" not in text
    _, text = await site.get("/search?q=zebra+unicorn")
    assert "No papers match" in text
    response, body = await site.get("/api/v1/search?q=Clearly")
    assert response.status == 200
    assert [i["arxiv_id"] for i in json.loads(body)["items"]] == ["2104.00002"]
    response, _ = await site.get("/search?q=" + "a" * 500)
    assert response.status == 400


async def test_strict_security_headers_on_every_response(site: Site) -> None:
    for path in ("/", "/paper/2104.00001", "/feed.atom", "/api/v1/digests/latest", "/nope/x"):
        response, _ = await site.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp
        assert "script-src" not in csp  # no script at all: default-src 'none' covers it
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/paper/2104.00001", "/feed.atom", "/api/v1/digests/latest"])
async def test_etag_and_304(site: Site, path: str) -> None:
    first, _ = await site.get(path)
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    again, _ = await site.get(path)
    assert again.headers["ETag"] == tag  # the same data is the same document (time aside)
    cached, empty = await site.get(path, headers={"If-None-Match": tag})
    assert cached.status == 304 and empty == ""
    assert cached.headers["ETag"] == tag
    other, _ = await site.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status == 200


async def test_cors_for_get_and_preflight(site: Site) -> None:
    response, _ = await site.get("/api/v1/digests/latest", headers={"Origin": "https://x.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    async with site.session.options(
        site.base + "/api/v1/digests/latest",
        headers={"Origin": "https://x.example", "Access-Control-Request-Method": "GET"},
    ) as preflight:
        assert preflight.status == 204
        assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
async def test_nothing_writes(site: Site, store: Store, method: str) -> None:
    before = store.count("observations"), store.count("papers")
    async with site.session.request(method, site.base + "/api/v1/digests/latest", data="x") as r:
        assert r.status == 405
        assert r.headers["Allow"] == "GET, HEAD"
    assert (store.count("observations"), store.count("papers")) == before


async def test_head_answers_without_a_body(site: Site) -> None:
    async with site.session.head(site.base + "/") as response:
        assert response.status == 200
        assert await response.read() == b""


async def test_rate_limit_per_address(store: Store) -> None:
    config = WebConfig(port=0, requests_per_minute=3)
    async with serving(store, config, clock=lambda: 30.0) as site:
        for _ in range(3):
            response, _ = await site.get("/api/v1/digests/latest")
            assert response.status == 200
        response, text = await site.get("/api/v1/digests/latest")
        assert response.status == 429
        assert response.headers["Retry-After"] == "30"
        assert "Too many requests" in json.loads(text)["error"]["message"]


async def test_oversized_requests_are_refused(site: Site) -> None:
    response, _ = await site.get("/search?q=" + "a" * 10_000)
    assert response.status in (400, 414)
    response, _ = await site.get("/", headers={"X-Big": "b" * 10_000})
    assert response.status in (400, 431)
    still, _ = await site.get("/")
    assert still.status == 200


@pytest.mark.parametrize(("day", "category"), [("2021-04-05", None), ("2021-04-06", "cs.CV")])
async def test_the_api_digest_is_the_cli_json_digest(
    site: Site, store: Store, day: str, category: str | None
) -> None:
    args = ["digest", "--db", str(store.path), "--date", day, "--top", "5", "--format", "json"]
    args += ["-c", category] if category else []
    cli_result = CliRunner().invoke(cli, args)
    assert cli_result.exit_code == 0, cli_result.output
    query = "?top=5" + (f"&category={category}" if category else "")
    _, body = await site.get(f"/api/v1/digests/{day}{query}")
    from_cli, from_web = json.loads(cli_result.output), json.loads(body)
    from_cli.pop("generated_at"), from_web.pop("generated_at")
    assert from_web == from_cli


async def test_the_api_paper_has_the_item_schema_and_its_timeline(site: Site) -> None:
    _, body = await site.get("/api/v1/papers/2104.00001")
    data = json.loads(body)
    assert data["schema"] == 1
    item = data["paper"]
    _, digest = await site.get("/api/v1/digests/2021-04-05?top=1")
    expected = json.loads(digest)["items"][0]
    expected.pop("rank")
    assert {k: item[k] for k in expected} == expected
    assert {"source": "bluesky", "day": "2021-04-07", "posts": 1, "engagement": 3} in item[
        "timeline"
    ]
    assert item["posts_shown"][0]["url"].startswith("https://example.social/")


async def test_openapi_documents_every_api_route(site: Site) -> None:
    response, body = await site.get("/api/v1/openapi.json")
    assert response.status == 200
    doc = json.loads(body)
    assert doc["openapi"].startswith("3.")
    assert doc["servers"][0]["url"] == site.base + "/api/v1"
    from adapters.web.server import build_app
    from tests.adapters.web_world import engine_for

    app = build_app(engine_for(site.store), WebConfig())
    routes = {
        r.canonical.removeprefix("/api/v1")
        for r in app.router.resources()
        if r.canonical.startswith("/api/v1/")
    }
    assert routes == set(doc["paths"])
    for path, spec in doc["paths"].items():
        for name in [p["name"] for p in spec["get"].get("parameters", []) if p["in"] == "path"]:
            assert "{" + name + "}" in path


async def test_a_page_that_takes_too_long_is_a_friendly_503(store: Store) -> None:
    import threading

    from adapters.web.server import start
    from tests.adapters.web_world import engine_for

    engine = engine_for(store)
    release = threading.Event()

    def stuck(**_: object) -> None:
        release.wait(60)  # held until the test has its answer

    engine.digest = stuck  # type: ignore[method-assign]
    runner, port = await start(
        engine, WebConfig(port=0, requests_per_minute=0, request_seconds=0.1)
    )
    try:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/") as response:
                text = await response.text()
            assert response.status == 503
            assert "took too long" in text and "Traceback" not in text
            release.set()
            async with session.get(f"http://127.0.0.1:{port}/paper/2104.00001") as response:
                assert response.status == 200  # the site goes on
    finally:
        release.set()
        await runner.cleanup()
