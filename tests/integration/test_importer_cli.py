"""`hotpapers import` as a user runs it: what it keeps, what it refuses, what it reports."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import cli

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "archive"
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


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_counts_are_what_was_stored(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    code, out, _ = _run("import", "--db", str(db), str(OCT_29), str(NOV_03))
    assert code == 0
    papers, observations = _count(db, "papers"), _count(db, "observations")
    assert papers == 12 + 16 - 1  # 2010.14680 is in both posts
    assert f"Imported {papers} papers and {observations} observations from 2 files" in out


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    code, out, err = _run("import", "--db", str(tmp_path / "x.db"), str(tmp_path / "nope.md"))
    assert code != 0
    assert "nope.md" in err and "does not exist" in err
    assert "Imported" not in out and "Traceback" not in out + err


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("---\ntitle: Hot Papers 2021-04-05 café\n---\n".encode("latin-1") + b"\xe9\n", "UTF-8"),
        (b"\x00\x01\x02binary\xff\xfe\x00" * 50, "binary"),
        ("".encode("utf-16-le") + "---\ntitle: x\n".encode("utf-16-le"), "binary"),
    ],
    ids=["latin-1", "binary", "utf-16-without-bom"],
)
def test_an_unreadable_file_is_refused_and_nothing_imported_fails(
    tmp_path: Path, content: bytes, says: str
) -> None:
    bad = tmp_path / "2021-04-05---Hot-Papers.md"
    bad.write_bytes(content)
    code, out, err = _run("import", "--db", str(tmp_path / "x.db"), str(bad))
    assert code == 1
    assert f"{bad}" in err and says in err
    assert "Nothing imported" in err
    assert "Imported 0 papers" not in out


def test_a_utf16_post_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    post = tmp_path / OCT_29.name
    post.write_text(OCT_29.read_text("utf-8"), "utf-16")
    db = tmp_path / "x.db"
    code, out, _ = _run("import", "--db", str(db), str(post))
    assert code == 0 and "Imported 12 papers" in out


def test_warnings_are_printed_once(tmp_path: Path) -> None:
    text = OCT_29.read_text("utf-8")
    post = tmp_path / OCT_29.name
    post.write_text(text.replace("- retweets: 1058, favorites: 88", "- retweets: lots"), "utf-8")
    # A real process: in-process runs hand the log records to pytest, not to stderr.
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "import", "--db", str(tmp_path / "x.db"), str(post)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.returncode == 0 and "Imported 11 papers" in done.stdout
    assert done.stderr.count("bad numbers line") == 1


def test_a_post_outside_arxivs_era_is_refused_and_periods_keep_working(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    for day in ("0001-01-01", "9999-12-31"):
        text = OCT_29.read_text("utf-8").replace("Hot Papers 2020-10-29", f"Hot Papers {day}")
        post = tmp_path / f"{day}---Hot-Papers.md"
        post.write_text(text, "utf-8")
        code, _, err = _run("import", "--db", str(db), str(post))
        assert code == 1 and day in err and "Nothing imported" in err
    assert _count(db, "papers") == 0
    for period in ("week", "month"):
        code, out, err = _run("ask", "--db", str(db), f"top 5 {period}")
        assert "Traceback" not in out + err and "Overflow" not in out + err


def test_oversized_fields_and_files_are_refused(tmp_path: Path) -> None:
    text = OCT_29.read_text("utf-8")
    first_abstract = next(
        line for line in text.split("\n") if line.startswith("Large text corpora")
    )
    post = tmp_path / OCT_29.name
    post.write_text(text.replace(first_abstract, "x" * 2_000_000), "utf-8")
    db = tmp_path / "x.db"
    code, out, err = _run("import", "--db", str(db), str(post))
    assert code == 0 and "Imported 11 papers" in out
    assert "abstract" in err and "2010.14571" in err
    huge = tmp_path / "2020-10-30---Hot-Papers.md"
    huge.write_text(text + "\n" + "y" * 9_000_000, "utf-8")
    code, out, err = _run("import", "--db", str(db), str(huge))
    assert code == 1 and "too big" in err and "Nothing imported" in err


def test_a_duplicate_in_a_post_keeps_the_first_numbers(tmp_path: Path) -> None:
    text = OCT_29.read_text("utf-8")
    copy = text.replace(
        "https://arxiv.org/abs/2010.14680) | [pdf](https://arxiv.org/pdf/2010.14680)",
        "https://arxiv.org/abs/2010.14571) | [pdf](https://arxiv.org/pdf/2010.14571)",
    )
    post = tmp_path / OCT_29.name
    post.write_text(copy, "utf-8")
    db = tmp_path / "x.db"
    code, out, err = _run("import", "--db", str(db), str(post))
    assert code == 0 and "Imported 11 papers" in out
    assert f"{post}:" in err and "2010.14571 is listed again" in err
    answer = _run("ask", "--db", str(db), "paper 2010.14571")[1]
    assert "1,058 reposts" in answer
