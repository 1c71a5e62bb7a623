"""The markdown renderer reproduces the archive's posts byte for byte and keeps its structure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.archive import ArchivePost, archive_post_to_digest, parse_archive_post
from bot.domain.models import Digest, DigestItem, Paper, Post, Score, SourceScore
from bot.render.markdown import render_markdown
from tests.conftest import ARCHIVE

ARCHIVE_FILES = sorted(ARCHIVE.glob("*.md"))
# 2020-06-29 alone has two blank lines (not one) between the front matter and the first paper.
# A Digest has nowhere to keep that accident, so only that blank line is normalised.
EXTRA_BLANK_AFTER_FRONT_MATTER = re.compile(r"\n---\n\n\n+(?=# )")


def digest_from(post: ArchivePost) -> Digest:
    """Built here by hand (not with the product's helper) from what the parser found."""
    items = []
    for p in post.papers:
        part = SourceScore(
            source="archive", reposts=p.retweets, likes=p.favorites, score=p.retweets + p.favorites
        )
        items.append(
            DigestItem(
                rank=p.rank,
                paper=Paper(
                    arxiv_id=p.arxiv_id,
                    title=p.title,
                    authors=p.authors,
                    abstract=p.abstract,
                    categories=p.categories,
                ),
                score=Score(total=p.retweets + p.favorites, parts=(part,)),
                posts=p.embeds,
                measured_at=p.measured_at,
            )
        )
    return Digest(
        title=f"Hot Papers {post.date}",
        date=post.date,
        items=tuple(items),
        generated_at=post.generated_at,
    )


def test_golden_2021_04_05() -> None:
    text = (ARCHIVE / "2021-04-05---Hot-Papers.md").read_text(encoding="utf-8")
    assert render_markdown(digest_from(parse_archive_post(text))) == text


@pytest.mark.parametrize("path", ARCHIVE_FILES, ids=[p.name[:10] for p in ARCHIVE_FILES])
def test_every_archive_post_round_trips(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    rendered = render_markdown(digest_from(parse_archive_post(text, str(path))))
    if path.name.startswith("2020-06-29"):
        assert rendered != text
        assert rendered == EXTRA_BLANK_AFTER_FRONT_MATTER.sub("\n---\n\n", text, count=1)
    else:
        assert rendered == text


def test_product_helper_builds_the_same_digest_markdown() -> None:
    text = (ARCHIVE / "2021-04-05---Hot-Papers.md").read_text(encoding="utf-8")
    assert render_markdown(archive_post_to_digest(parse_archive_post(text))) == text


def paper(title: str = "A Paper", **kw: object) -> Paper:
    fields: dict[str, object] = {
        "arxiv_id": "2104.00743",
        "title": title,
        "authors": ("Ann A", "Bob B"),
        "abstract": "We do things.",
        "categories": ("cs.CV", "cs.LG"),
    }
    fields.update(kw)
    return Paper(**fields)  # type: ignore[arg-type]


def item(p: Paper, rank: int = 1, posts: tuple[Post, ...] = (), **kw: object) -> DigestItem:
    score = Score(total=15, parts=(SourceScore(source="archive", reposts=10, likes=5, score=15),))
    return DigestItem(rank=rank, paper=p, score=score, posts=posts, **kw)  # type: ignore[arg-type]


def test_filters_go_into_the_title_and_slug() -> None:
    digest = Digest(
        title="Hot Papers 2021-04-05 · cs.CV",
        date=date(2021, 4, 5),
        filter=("cs.CV", "math.OC"),
        items=(item(paper()),),
        generated_at=datetime(2021, 4, 6, 9, 19, 2, 500, tzinfo=UTC),
    )
    text = render_markdown(digest)
    assert text.startswith(
        "---\ntitle: Hot Papers 2021-04-05 · cs.CV math.OC\ndate: 2021-04-06T09:19:02.Z\n"
    )
    assert 'slug: "hot-papers-2021-04-05-cs-cv-math-oc"' in text
    assert 'description: "Hot papers 2021-04-05 · cs.CV math.OC"' in text
    post = parse_archive_post(text)
    assert post.date == date(2021, 4, 5)
    assert post.generated_at == datetime(2021, 4, 6, 9, 19, 2, tzinfo=UTC)


def test_numbers_line_without_measurement_time() -> None:
    digest = Digest(title="t", date=date(2021, 4, 5), items=(item(paper()),))
    text = render_markdown(digest)
    assert "\n- retweets: 10, favorites: 5\n" in text
    assert "\ndate:" not in text
    parsed = parse_archive_post(text)
    assert parsed.papers[0].measured_at is None and parsed.generated_at is None


def test_an_empty_digest_is_the_front_matter_alone() -> None:
    text = render_markdown(Digest(title="t", date=date(2020, 12, 7)))
    assert text.endswith('socialImage: "/media/flying-marine.jpg"\n\n---\n')
    assert parse_archive_post(text).papers == ()


def test_hostile_title_and_abstract_keep_the_structure() -> None:
    hostile = paper(
        title="# 2. Fake\nheading\r\nhere",
        authors=("- retweets: 1", "favorites: 1"),
        abstract="# 3. Another\n<blockquote>\n> quote\n- links: [abs](https://arxiv.org/abs/1)",
    )
    digest = Digest(title="t", date=date(2021, 4, 5), items=(item(hostile), item(paper(), rank=2)))
    text = render_markdown(digest)
    assert [line for line in text.split("\n") if line.startswith("# ")] == [
        "# 1. # 2. Fake heading here",
        "# 2. A Paper",
    ]
    post = parse_archive_post(text)
    assert post.problems == ()
    assert [p.title for p in post.papers] == ["# 2. Fake heading here", "A Paper"]
    assert post.papers[0].authors == hostile.authors
    assert post.papers[0].abstract == hostile.abstract
    assert post.papers[0].embeds == ()


def test_posts_without_html_become_markdown_quotes() -> None:
    bsky = Post(
        source="bluesky",
        url="https://bsky.app/profile/a.bsky.social/post/3k",
        author_name="Ann",
        author_handle="a.bsky.social",
        text="Great paper!\n\nRead it.",
        posted=date(2021, 4, 5),
    )
    text = render_markdown(
        Digest(title="t", date=date(2021, 4, 5), items=(item(paper(), posts=(bsky,)),))
    )
    assert (
        "\n> Great paper!\n>\n> Read it.\n"
        "> — Ann (@a.bsky.social) [2021-04-05](https://bsky.app/profile/a.bsky.social/post/3k)\n"
    ) in text
    (embed,) = parse_archive_post(text).papers[0].embeds
    assert (embed.source, embed.url, embed.author_name, embed.author_handle) == (
        "bluesky",
        bsky.url,
        "Ann",
        "a.bsky.social",
    )
    assert (embed.text, embed.posted) == (bsky.text, bsky.posted)


SAFE = st.characters(
    exclude_categories=["Cs"],
    exclude_characters="\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\ufeff",
)
NAME = st.text(st.characters(categories=["L", "Nd"]), min_size=1, max_size=8)
AUTHOR = st.text(SAFE.filter(lambda c: c not in "\n,"), min_size=1, max_size=12)


@st.composite
def papers(draw: st.DrawFn, rank: int) -> DigestItem:
    authors = tuple(draw(st.lists(AUTHOR, max_size=4)))
    if not ", ".join(authors).strip():
        authors = ()
    p = Paper(
        arxiv_id=draw(st.from_regex(r"[0-9]{4}\.[0-9]{5}", fullmatch=True)),
        title=draw(st.text(SAFE, max_size=30)),
        authors=authors,
        abstract=draw(st.text(SAFE, max_size=60)),
        categories=tuple(draw(st.lists(st.from_regex(r"[a-z]{2,4}\.[A-Z]{2}", fullmatch=True)))),
    )
    posts = tuple(
        Post(
            source="bluesky",
            url=f"https://bsky.app/post/{n}",
            author_name=draw(NAME),
            author_handle=draw(NAME),
            text=draw(st.text(SAFE, max_size=40)),
            posted=draw(st.none() | st.dates(date(2006, 1, 1), date(2100, 1, 1))),
        )
        for n in range(draw(st.integers(0, 2)))
    )
    r, f = draw(st.integers(0, 10**12)), draw(st.integers(0, 10**12))
    measured = draw(st.none() | st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)))
    return DigestItem(
        rank=rank,
        paper=p,
        score=Score(total=r + f, parts=(SourceScore(source="archive", reposts=r, likes=f),)),
        posts=posts,
        measured_at=measured.replace(microsecond=0, tzinfo=UTC) if measured else None,
    )


@settings(max_examples=200)
@given(st.integers(0, 4).flatmap(lambda n: st.tuples(*(papers(i + 1) for i in range(n)))))
def test_whatever_is_rendered_parses_back(items: tuple[DigestItem, ...]) -> None:
    text = render_markdown(Digest(title="t", date=date(2021, 4, 5), items=items))
    post = parse_archive_post(text)
    assert post.problems == ()
    assert len(post.papers) == len(items)
    for got, want in zip(post.papers, items, strict=True):
        abstract = want.paper.abstract.strip("\n")
        assert got.rank == want.rank
        assert got.title == want.paper.title.replace("\n", " ")
        assert got.authors == want.paper.authors
        assert got.abstract == ("" if not abstract.strip() else abstract)
        assert (got.retweets, got.favorites) == (want.score.reposts, want.score.likes)
        assert got.measured_at == want.measured_at
        assert got.arxiv_id == want.paper.arxiv_id
        assert got.categories == want.paper.categories
        assert len(got.embeds) == len(want.posts)
        for g, w in zip(got.embeds, want.posts, strict=True):
            assert (g.url, g.author_name, g.author_handle, g.posted) == (
                w.url,
                w.author_name,
                w.author_handle,
                w.posted,
            )
            assert g.text == (w.text.strip("\n") if w.text.strip() else "")
