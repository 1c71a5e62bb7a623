"""The archive parser: every real post, spot checks, damaged posts, and arbitrary text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.archive import (
    ArchiveFormatError,
    ArchiveProblem,
    parse_archive_post,
)
from bot.render.markdown import format_archive_post
from tests.conftest import ARCHIVE

POST_0405 = "2021-04-05---Hot-Papers.md"
HEADING = re.compile(r"^# \d+\. ", re.M)


def read(name: str) -> str:
    return (ARCHIVE / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def post_0405() -> str:
    return read(POST_0405)


def test_every_archive_file_parses_without_problems() -> None:
    paths = sorted(ARCHIVE.glob("*.md"))
    assert len(paths) == 211
    total = 0
    for path in paths:
        text = path.read_text(encoding="utf-8")
        post = parse_archive_post(text, str(path))
        assert post.problems == (), path.name
        assert post.date == date.fromisoformat(path.name[:10])
        assert post.generated_at is not None, path.name
        # As many papers as headings, each with its abs link and numbers.
        assert len(post.papers) == len(HEADING.findall(text)), path.name
        assert [p.rank for p in post.papers] == list(range(1, len(post.papers) + 1))
        for paper in post.papers:
            assert re.fullmatch(r"\d{4}\.\d{4,5}", paper.arxiv_id), (path.name, paper.rank)
            assert f"[abs](https://arxiv.org/abs/{paper.arxiv_id})" in text
            line = text.split("\n")[paper.line - 1]
            assert line == f"# {paper.rank}. {paper.title}"
            assert paper.categories, (path.name, paper.rank)
            for embed in paper.embeds:
                assert embed.url.startswith("https://twitter.com/") and "?" not in embed.url
                assert embed.author_handle and embed.posted is not None and embed.lang
                assert f"/{embed.author_handle}/status/" in embed.url
        total += len(post.papers)
    assert total == 2287


def test_spot_checks_2021_04_05(post_0405: str) -> None:
    post = parse_archive_post(post_0405, POST_0405)
    assert post.date == date(2021, 4, 5)
    assert post.generated_at == datetime(2021, 4, 6, 9, 19, 2, tzinfo=UTC)
    assert len(post.papers) == 11
    first = post.papers[0]
    assert (first.rank, first.arxiv_id, first.retweets, first.favorites) == (
        1,
        "2104.00743",
        5217,
        177,
    )
    assert first.title == "Towards General Purpose Vision Systems"
    assert first.authors == ("Tanmay Gupta", "Amita Kamath", "Aniruddha Kembhavi", "Derek Hoiem")
    assert first.measured_at == datetime(2021, 4, 6, 9, 19, 2, tzinfo=UTC)
    assert first.categories == ("cs.CV", "cs.AI", "cs.CL", "cs.LG")
    assert first.abstract.startswith("A special purpose learning system assumes knowledge")
    assert first.line == 18
    assert [e.author_handle for e in first.embeds] == ["ak92501", "arankomatsuzaki"]
    ak = first.embeds[0]
    assert ak.source == "twitter"
    assert ak.url == "https://twitter.com/ak92501/status/1378886190242402305"
    assert ak.author_name == "AK"
    assert ak.posted == date(2021, 4, 5)
    assert ak.lang == "en"
    assert ak.text.startswith(
        "Towards General Purpose Vision Systems\npdf: https://t.co/lYmA9BIa3n\n"
    )
    assert ak.html.startswith('<blockquote class="twitter-tweet">')
    assert ak.html.endswith("</blockquote>")
    assert post.papers[4].categories == ("math.OC", "cs.DS", "cs.IT")
    # Titles are kept verbatim, double spaces included.
    assert post.papers[1].title == (
        "LatentCLR: A Contrastive Learning Approach for Unsupervised Discovery of  "
        "Interpretable Directions"
    )
    # Entities in tweets are unescaped, links become their text.
    pinguar = post.papers[1].embeds[1]
    assert pinguar.author_handle == "PINguAR"
    assert '"LatentCLR: A Contrastive' in pinguar.text and "&quot;" not in pinguar.text
    assert "<a" not in pinguar.text and "https://t.co/JhdgyuBeij" in pinguar.text


def test_post_with_no_papers() -> None:
    post = parse_archive_post(read("2020-12-07---Hot-Papers.md"))
    assert post.date == date(2020, 12, 7)
    assert post.generated_at == datetime(2020, 12, 8, 13, 4, 41, tzinfo=UTC)
    assert post.papers == () and post.problems == ()


def test_empty_abstracts_are_empty() -> None:
    post = parse_archive_post(read("2021-04-20---Hot-Papers.md"))
    assert post.papers[0].abstract == ""
    assert len(post.papers[0].embeds) == 1


def test_damaged_post_reports_problems_and_keeps_the_rest(post_0405: str) -> None:
    lines = post_0405.split("\n")
    assert lines[57].startswith("# 3. ") and lines[61].startswith("- retweets: 342")
    assert lines[91].startswith("# 5. ") and lines[97].startswith("- links: [abs](https://arxiv")
    lines[97] = lines[97].replace("arxiv.org/abs/", "arxiv.org/abz/")
    del lines[61]  # paper 3 loses its numbers line; paper 5's links line is now line 97
    post = parse_archive_post("\n".join(lines), "damaged.md")
    assert [p.rank for p in post.papers] == [1, 2, 4, 6, 7, 8, 9, 10, 11]
    assert [(p.path, p.line) for p in post.problems] == [("damaged.md", 58), ("damaged.md", 97)]
    assert "retweets" in post.problems[0].message
    assert "abs" in post.problems[1].message
    assert post.papers[2].arxiv_id == parse_archive_post(post_0405).papers[3].arxiv_id


def test_bad_numbers_and_missing_links_are_problems() -> None:
    text = (
        "---\ntitle: Hot Papers 2021-04-05\n---\n\n"
        "# 1. Bad numbers\n\nA\n\n- retweets: many, favorites: 3\n\n"
        "- links: [abs](https://arxiv.org/abs/2104.00001) | [pdf](https://arxiv.org/pdf/2104.00001)\n\n"
        "# 2. Bad time\n\nA\n\n- retweets: 1, favorites: 3 (13/45/2021 99:00:00)\n\n"
        "- links: [abs](https://arxiv.org/abs/2104.00002)\n\n"
        "# 3. No links\n\nA\n\n- retweets: 1, favorites: 3\n\nabstract\n\n"
        "# Not ranked\n\n"
        "# 5. Fine, versioned link\n\nA, B\n\n- retweets: 1, favorites: 3\n\n"
        "- links: [abs](http://arxiv.org/abs/hep-th/9901001v2)\n\nabstract\n"
    )
    post = parse_archive_post(text, "t.md")
    assert [(p.line, p.path) for p in post.problems] == [
        (9, "t.md"),  # the numbers line
        (17, "t.md"),  # the numbers line with an impossible time
        (21, "t.md"),  # the heading of the paper without links
        (29, "t.md"),  # the heading without a rank
    ]
    assert [(p.rank, p.arxiv_id, p.measured_at, p.authors, p.abstract) for p in post.papers] == [
        (5, "hep-th/9901001", None, ("A", "B"), "abstract")
    ]


def test_whole_file_errors() -> None:
    with pytest.raises(ArchiveFormatError) as no_front:
        parse_archive_post("# 1. Title\n", "x.md")
    assert no_front.value.path == "x.md" and no_front.value.line == 1
    with pytest.raises(ArchiveFormatError):
        parse_archive_post("---\ntitle: Hot Papers 2021-04-05\n", "x.md")
    with pytest.raises(ArchiveFormatError):
        parse_archive_post("---\ntitle: Something else\n---\n", "notes.md")
    # Without a dated title the file name gives the listing date.
    post = parse_archive_post("---\ntitle: x\n---\n", "/a/2021-04-06---Hot-Papers.md")
    assert post.date == date(2021, 4, 6) and post.generated_at is None


def test_windows_line_endings_parse_the_same(post_0405: str) -> None:
    assert parse_archive_post(post_0405.replace("\n", "\r\n")) == parse_archive_post(post_0405)


def test_format_is_the_inverse_of_parse(post_0405: str) -> None:
    assert format_archive_post(parse_archive_post(post_0405)) == post_0405


def _only_format_errors(text: str, path: str = "<text>") -> None:
    try:
        post = parse_archive_post(text, path)
    except ArchiveFormatError:
        return
    assert all(isinstance(p, ArchiveProblem) for p in post.problems)


@settings(max_examples=300)
@given(st.text())
def test_random_text_raises_only_format_errors(text: str) -> None:
    _only_format_errors(text)


FRAGMENTS = [
    "",
    "---",
    "# 1. A title",
    "# 99999999999. Huge rank",
    "#",
    "# x",
    "Ann Author, Bob Author",
    "- retweets: 5, favorites: 7 (04/06/2021 09:19:02)",
    "- retweets: 5, favorites: 7 (99/99/2021 09:19:02)",
    "- retweets: " + "9" * 5000 + ", favorites: 1",
    "- retweets:",
    "- links: [abs](https://arxiv.org/abs/2104.00743) | [pdf](https://arxiv.org/pdf/2104.00743)",
    "- links: [abs](https://arxiv.org/abs/)",
    "- [cs.CV](https://arxiv.org/list/cs.CV/recent) | [cs.AI](https://arxiv.org/list/cs.AI/recent)",
    "- [",
    '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">hi<br>there</p>&mdash; A (@a) '
    '<a href="https://twitter.com/a/status/1?ref_src=x">April 5, 2021</a></blockquote>',
    '<blockquote class="twitter-tweet"><p lang="en">',
    '</p>&mdash; (@b) <a href="u">Smarch 99, 2021</a></blockquote>',
    "</blockquote>",
    "<p>",
    '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>',
    ">",
    "> quoted",
    "> — Name (@handle) [2021-04-05](https://bsky.app/x)",
    "> — ",
    "\\# escaped",
]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=30), max_size=40))
def test_archive_like_text_never_raises(lines: list[str]) -> None:
    text = "---\ntitle: Hot Papers 2021-04-05\ndate: 2021-04-06T09:19:02.Z\n---\n" + "\n".join(
        lines
    )
    post = parse_archive_post(text, "t.md")  # a valid front matter: nothing may raise
    assert post.date == date(2021, 4, 5)


@settings(max_examples=100)
@given(data=st.data())
def test_mutilated_real_post_never_raises(post_0405: str, data: st.DataObject) -> None:
    lines = post_0405.split("\n")
    for _ in range(data.draw(st.integers(0, 8))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "cut", "swap"]))
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "cut":
            lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))]
        else:
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    _only_format_errors("\n".join(lines), POST_0405)
