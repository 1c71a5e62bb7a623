"""The whole archive imported, then every day's digest compared with the post it came from."""

from __future__ import annotations

import json
import re
from itertools import groupby
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import cli
from tests.conftest import ARCHIVE

HEADING = re.compile(r"^# \d+\. ")
NUMBERS = re.compile(r"^- retweets: (\d+), favorites: (\d+)")
ABS = re.compile(r"^- links: \[abs\]\(https://arxiv\.org/abs/([^)]+)\)")


def expected_papers(path: Path) -> list[tuple[str, int, int]]:
    """(id, retweets, favorites) in the post's order, read independently of the product."""
    found: list[tuple[str, int, int]] = []
    numbers: tuple[int, int] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if HEADING.match(line):
            numbers = None
        elif m := NUMBERS.match(line):
            numbers = (int(m[1]), int(m[2]))
        elif (m := ABS.match(line)) and numbers:
            found.append((m[1], *numbers))
    return found


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("archive") / "archive.db"
    result = CliRunner().invoke(cli, ["import", "--db", str(db), str(ARCHIVE)])
    assert result.exit_code == 0, result.output
    assert "Imported 2283 papers and 4825 observations from 211 files" in result.output
    return db


def test_every_post_is_reproduced_by_its_digest(archive_db: Path) -> None:
    runner = CliRunner()
    seen: set[str] = set()
    posts = sorted(ARCHIVE.glob("*.md"))
    assert len(posts) == 211
    for path in posts:
        day = path.name[:10]
        expected = [p for p in expected_papers(path) if p[0] not in seen]
        seen.update(p[0] for p in expected)
        result = runner.invoke(
            cli,
            ["digest", "--db", str(archive_db), "--date", day, "--top", "100", "--format", "json"],
        )
        if not expected:
            assert result.exit_code != 0 and "no papers listed" in result.output, day
            continue
        assert result.exit_code == 0, (day, result.output)
        items = json.loads(result.output)["items"]
        got = [(i["arxiv_id"], i["reposts"], i["likes"]) for i in items]
        assert sorted(got) == sorted(expected), day
        # The post's order, except that papers with equal sums may come in any order.
        assert [p[1] + p[2] for p in got] == [p[1] + p[2] for p in expected], day
        for _, group in groupby(expected, key=lambda p: p[1] + p[2]):
            ids = {p[0] for p in group}
            positions = [n for n, p in enumerate(got) if p[0] in ids]
            assert positions == list(range(positions[0], positions[0] + len(ids))), day


def test_reimport_is_idempotent(archive_db: Path) -> None:
    runner = CliRunner()
    before = runner.invoke(
        cli, ["digest", "--db", str(archive_db), "--date", "2021-04-05", "--format", "json"]
    ).output
    result = runner.invoke(
        cli, ["import", "--db", str(archive_db), str(ARCHIVE / "2021-04-05---Hot-Papers.md")]
    )
    assert result.exit_code == 0, result.output
    after = runner.invoke(
        cli, ["digest", "--db", str(archive_db), "--date", "2021-04-05", "--format", "json"]
    ).output
    strip = lambda text: {k: v for k, v in json.loads(text).items() if k != "generated_at"}  # noqa: E731
    assert strip(before) == strip(after)
    import sqlite3

    with sqlite3.connect(archive_db) as conn:
        assert conn.execute("SELECT count(*) FROM papers").fetchone()[0] == 2283


def test_markdown_digest_matches_the_post(archive_db: Path) -> None:
    """The archive's own format, for 2021-04-05: everything but the generation time."""
    result = CliRunner().invoke(
        cli,
        [
            "digest",
            "--db",
            str(archive_db),
            "--date",
            "2021-04-05",
            "--top",
            "100",
            "--format",
            "markdown",
        ],
    )
    assert result.exit_code == 0, result.output
    original = (ARCHIVE / "2021-04-05---Hot-Papers.md").read_text(encoding="utf-8")
    drop_date = lambda text: re.sub(r"^date: .*$", "date: X", text, count=1, flags=re.M)  # noqa: E731
    assert drop_date(result.output).rstrip("\n") == drop_date(original).rstrip("\n")


def test_top_three_cs_cv_counts_cross_lists(archive_db: Path) -> None:
    result = CliRunner().invoke(cli, ["ask", "--db", str(archive_db), "top 3 cs.CV 2021-04-05"])
    assert result.exit_code == 0, result.output
    ids = re.findall(r"arxiv\.org/abs/(\S+)", result.output)
    # #1 and #2 list cs.CV (2104.00820 only as a cross-list); #5 (math.OC) does not.
    assert ids == ["2104.00743", "2104.00820", "2104.01148"]
    assert "Hot Papers 2021-04-05 · cs.CV" in result.output
