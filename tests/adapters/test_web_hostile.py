"""Outside text on the web (titles, authors, abstracts, posts, the search words) can never inject
markup or script: every page parsed as a browser would, nothing but our own tags and links."""

from __future__ import annotations

from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.store import Store
from tests.adapters.web_world import HTML_HOSTILE, Site, build_store, serving
from tests.faults.test_hostile_text import FRAGMENTS

HOSTILE = "".join(HTML_HOSTILE) + "".join(FRAGMENTS)
OUR_TAGS = {
    "html", "head", "meta", "title", "link", "body", "a", "header", "nav", "form", "label",
    "input", "button", "main", "h1", "h2", "p", "ol", "li", "article", "footer", "ul", "section",
    "table", "caption", "thead", "tbody", "tr", "th", "td", "svg", "line", "text", "polyline",
    "circle", "rect", "figure", "figcaption", "details", "summary", "blockquote", "kbd",
}  # fmt: skip


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((k, v or "") for k, v in attrs)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    store: Store = build_store(tmp_path / "web.db", hostile=HOSTILE)
    try:
        async with serving(store) as s:
            yield s
    finally:
        store.close()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/c/cs.CV",
        "/paper/2104.00666",
        "/search?q=Evil",
        "/search?q=" + quote('<script>alert(1)</script> "><img src=x onerror=alert(1)>'),
        "/c/" + quote("<script>x</script>"),
        "/paper/" + quote('"><svg onload=alert(1)>'),
    ],
)
async def test_hostile_text_stays_text(site: Site, path: str) -> None:
    response, text = await site.get(path)
    assert response.status in (200, 404)
    parsed = Tags()
    parsed.feed(text)
    assert set(parsed.tags) <= OUR_TAGS, set(parsed.tags) - OUR_TAGS
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert not [name for name, _ in parsed.attrs if name.startswith("on")]
    links = [v for name, v in parsed.attrs if name in ("href", "src", "action")]
    assert links and all(v.startswith(("/", "#", "https://", "http://")) for v in links), links
    assert not parsed.comments


async def test_the_hostile_paper_is_shown_but_its_javascript_link_is_not(site: Site) -> None:
    _, text = await site.get("/paper/2104.00666")
    assert "Evil &lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Read this" in text  # the post is shown
    assert "javascript:" not in text.replace("javascript:alert(4)", "")  # only as escaped text
    parsed = Tags()
    parsed.feed(text)
    assert not [v for k, v in parsed.attrs if k == "href" and "javascript" in v.lower()]


async def test_the_feed_carries_hostile_titles_as_text(site: Site) -> None:
    import feedparser

    _, text = await site.get("/feed.atom")
    feed = feedparser.parse(text)
    assert not feed.bozo, feed.get("bozo_exception")
    content = feed.entries[0].content[0].value
    parsed = Tags()
    parsed.feed(content)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert not [name for name, _ in parsed.attrs if name.startswith("on")]
