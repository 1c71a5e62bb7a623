"""`hotpapers import` as a user runs it: what it keeps, what it refuses, what it reports."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli.main import cli

DATA = Path(__file__).resolve().parents[1] / "data" / "archive"
OCT_29 = DATA / "2020-10-29---Hot-Papers.md"
NOV_03 = DATA / "2020-11-03---Hot-Papers.md"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_reimporting_an_older_post_keeps_a_cross_list_in_top(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    assert _run("import", "--db", db, str(OCT_29), str(NOV_03))[0] == 0
    before = _run("ask", "--db", db, "top 25 stat.ML 2020-10-29")[1]
    assert "2010.14680" in before
    assert _run("import", "--db", db, str(OCT_29))[0] == 0
    after = _run("ask", "--db", db, "top 25 stat.ML 2020-10-29")[1]
    assert "2010.14680" in after
    assert after == before
