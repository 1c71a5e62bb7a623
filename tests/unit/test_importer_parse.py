"""What the importer accepts from an archive post, and what it refuses (with file and line)."""

from __future__ import annotations

from datetime import date

from bot.domain.archive import parse_archive_post
from bot.domain.archive_limits import bound_post

FRONT = "---\ntitle: Hot Papers 2021-04-05\ndate: 2021-04-06T09:19:02.Z\n---\n"


def section(rank: int, arxiv_id: str, retweets: int, title: str = "A title") -> str:
    return (
        f"\n# {rank}. {title}\n\nAda Lovelace, Alan Turing\n\n"
        f"- retweets: {retweets}, favorites: 1 (04/06/2021 09:19:02)\n\n"
        f"- links: [abs](https://arxiv.org/abs/{arxiv_id}) | [pdf](https://arxiv.org/pdf/{arxiv_id})\n"
        f"- [cs.CV](https://arxiv.org/list/cs.CV/recent)\n\nAn abstract.\n"
    )


def test_the_same_id_twice_in_a_post_keeps_the_first_and_says_where() -> None:
    text = FRONT + section(1, "2104.00001", 50) + section(2, "2104.00002", 40)
    text += section(3, "2104.00001", 7, title="The same paper again")
    post, problems = bound_post(
        parse_archive_post(text, "posts/2021-04-05.md"), "posts/2021-04-05.md", date(2026, 1, 1)
    )
    assert post is not None
    assert [(p.arxiv_id, p.retweets) for p in post.papers] == [
        ("2104.00001", 50),
        ("2104.00002", 40),
    ]
    [problem] = problems
    lines = text.split("\n")
    first, again = lines.index("# 1. A title") + 1, lines.index("# 3. The same paper again") + 1
    assert (problem.path, problem.line) == ("posts/2021-04-05.md", again)
    assert "2104.00001" in problem.message and f"first at line {first}" in problem.message
