"""Storage faults and concurrency, through the real `hotpapers` command in subprocesses.

Each fault gives ONE line naming the file and what to do, a non-zero exit and no traceback;
concurrent writers and concurrent first opens all succeed; read-only databases still answer.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARCHIVE = REPO / "tests" / "data" / "storage" / "archive"
DAY = "2020-07-13"  # the first post in ARCHIVE
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def drop_file_override() -> None:
    """In the child: root without CAP_DAC_OVERRIDE obeys file permissions like anyone else."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def permissions_apply() -> bool:
    """Whether a child can be made to obey file permissions (always, unless root can't drop)."""
    if os.geteuid() != 0:
        return True
    probe = subprocess.run(["true"], preexec_fn=drop_file_override, check=False)
    return probe.returncode == 0


def command(args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args]


def environment(cache: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(cache), **extra}
    for key in ("HOTPAPERS_CONFIG", "HOTPAPERS_DB"):
        env.pop(key, None)
    return env


def hotpapers(
    *args: str, cache: Path, unprivileged: bool = False, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run the CLI; unprivileged: as a user the file permissions apply to (root ignores them)."""
    switch = {}
    if unprivileged and os.geteuid() == 0:
        switch = {"preexec_fn": drop_file_override}
    return subprocess.run(
        command(args),
        cwd=REPO,
        env=environment(cache, **extra),
        capture_output=True,
        text=True,
        timeout=300,
        **switch,  # type: ignore[call-overload]
    )


def start(*args: str, cache: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(args),
        cwd=REPO,
        env=environment(cache),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """A non-zero exit, no traceback, exactly one line on stderr containing `words`."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def db(tmp_path: Path, cache: Path) -> Path:
    """A database with the archive imported."""
    path = tmp_path / "hp.db"
    result = hotpapers("import", "--db", str(path), str(ARCHIVE), cache=cache)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can reach (pytest's tmp_path is private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="hotpapers-ro-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(folder)


# -- two writers -------------------------------------------------------------------------------


def test_concurrent_importers_all_succeed(db: Path, cache: Path) -> None:
    procs = [start("import", "--db", str(db), str(ARCHIVE), cache=cache) for _ in range(3)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code == 0 and "Traceback" not in err, err[-3000:]
        assert "Imported" in out
    answer = hotpapers("ask", "--db", str(db), f"top 3 {DAY}", cache=cache)
    assert answer.returncode == 0 and "1." in answer.stdout


# -- first use ---------------------------------------------------------------------------------


def test_four_first_opens_at_once_all_succeed(tmp_path: Path, cache: Path) -> None:
    new = tmp_path / "new.db"
    first = sorted(ARCHIVE.glob("*.md"))[0]
    procs = [start("import", "--db", str(new), str(first), cache=cache) for _ in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0 and "Traceback" not in err, err[-3000:]
    answer = hotpapers("ask", "--db", str(new), f"top 3 {DAY}", cache=cache)
    assert answer.returncode == 0 and "1." in answer.stdout, answer.stderr


def test_four_asks_at_once_on_a_missing_file_all_answer(tmp_path: Path, cache: Path) -> None:
    new = tmp_path / "new.db"
    procs = [start("ask", "--db", str(new), "top 3", cache=cache) for _ in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert "Traceback" not in err, err[-3000:]
        assert "I have no listings yet" in out, err
    answer = hotpapers("ask", "--db", str(new), "help", cache=cache)
    assert answer.returncode == 0, answer.stderr


def test_four_sample_unpacks_at_once_all_answer(tmp_path: Path, cache: Path) -> None:
    procs = [start("ask", "top 3 cs.CV 2021-04-05", cache=cache) for _ in range(4)]
    answers = set()
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0 and "Traceback" not in err, err[-3000:]
        answers.add(out)
    assert len(answers) == 1
    assert [p.suffix for p in cache.rglob("*") if p.is_file()] == [".db"]


def test_unwritable_cache_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = hotpapers("ask", "top 3", cache=blocker / "cache")
    one_line_error(result, "cannot unpack the bundled sample", "XDG_CACHE_HOME")


def test_readers_do_not_wait_for_a_writer(db: Path, cache: Path) -> None:
    """ask and digest answer while another process holds the write lock (it never lets go here)."""
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM papers")  # uncommitted: readers still see every paper
    try:
        ask = hotpapers("ask", "--db", str(db), f"top 3 {DAY}", cache=cache)
        assert ask.returncode == 0 and "1." in ask.stdout, ask.stderr
        digest = hotpapers("digest", "--db", str(db), "--date", DAY, cache=cache)
        assert digest.returncode == 0 and "1." in digest.stdout, digest.stderr
    finally:
        writer.execute("ROLLBACK")
        writer.close()


# -- read-only databases -----------------------------------------------------------------------


needs_permissions = pytest.mark.skipif(
    not permissions_apply(), reason="root here cannot give up CAP_DAC_OVERRIDE"
)


def read_only_copy(db: Path, folder: Path) -> Path:
    copy = folder / "ro.db"
    shutil.copyfile(db, copy)
    copy.chmod(0o444)
    folder.chmod(0o555)
    return copy


@needs_permissions
def test_read_only_database_still_answers(db: Path, shared_dir: Path, cache: Path) -> None:
    ro = read_only_copy(db, shared_dir)
    before = sha(ro)
    ask = hotpapers("ask", "--db", str(ro), f"top 3 {DAY}", cache=cache, unprivileged=True)
    assert ask.returncode == 0 and "1." in ask.stdout, ask.stderr
    digest = hotpapers("digest", "--db", str(ro), "--date", DAY, cache=cache, unprivileged=True)
    assert digest.returncode == 0 and "1." in digest.stdout, digest.stderr
    doctor = hotpapers("doctor", "--db", str(ro), cache=cache, unprivileged=True)
    assert (
        "Traceback" not in doctor.stderr and "ok: `hotpapers run` would start" in doctor.stdout
    ), doctor.stderr
    assert sha(ro) == before
    assert sorted(p.name for p in shared_dir.iterdir()) == ["ro.db"]


@needs_permissions
def test_writing_to_a_read_only_database_is_one_line(
    db: Path, shared_dir: Path, cache: Path
) -> None:
    ro = read_only_copy(db, shared_dir)
    before = sha(ro)
    first = str(sorted(ARCHIVE.glob("*.md"))[0])
    result = hotpapers("import", "--db", str(ro), first, cache=cache, unprivileged=True)
    one_line_error(result, "ro.db cannot be written")
    result = hotpapers("run", "--db", str(ro), cache=cache, unprivileged=True)
    one_line_error(result, "ro.db cannot be written")
    result = hotpapers("ingest", "hackernews", "--db", str(ro), cache=cache, unprivileged=True)
    one_line_error(result, "ro.db cannot be written")
    assert sha(ro) == before


@needs_permissions
def test_read_only_file_in_a_writable_folder(db: Path, shared_dir: Path, cache: Path) -> None:
    ro = read_only_copy(db, shared_dir)
    shared_dir.chmod(0o777)
    ask = hotpapers("ask", "--db", str(ro), f"top 3 {DAY}", cache=cache, unprivileged=True)
    assert ask.returncode == 0 and "1." in ask.stdout, ask.stderr
    first = str(sorted(ARCHIVE.glob("*.md"))[0])
    result = hotpapers("import", "--db", str(ro), first, cache=cache, unprivileged=True)
    one_line_error(result, "ro.db cannot be written")


# -- damaged or wrong files --------------------------------------------------------------------


@pytest.mark.parametrize("cmd", ["ask", "import", "doctor"])
def test_not_a_database(tmp_path: Path, cache: Path, cmd: str) -> None:
    readme = tmp_path / "README.md"
    shutil.copyfile(REPO / "README.md", readme)
    before = sha(readme)
    args = {"ask": ["top 3"], "import": [str(ARCHIVE)], "doctor": []}[cmd]
    result = hotpapers(cmd, "--db", str(readme), *args, cache=cache)
    if cmd == "doctor":
        assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
        assert "README.md is not a hotpapers database" in result.stdout + result.stderr
    else:
        one_line_error(result, "README.md is not a hotpapers database")
    assert sha(readme) == before


@pytest.mark.parametrize("cmd", ["ask", "import"])
def test_truncated_database(db: Path, cache: Path, cmd: str) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])
    args = ["top 3"] if cmd == "ask" else [str(ARCHIVE)]
    one_line_error(hotpapers(cmd, "--db", str(db), *args, cache=cache), "hp.db is damaged")


@pytest.mark.parametrize("cmd", ["ask", "digest", "import"])
def test_corrupted_database(db: Path, cache: Path, cmd: str) -> None:
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xa5" * (4096 - 100)
    db.write_bytes(bytes(data))
    args = {"ask": ["top 3"], "digest": [], "import": [str(ARCHIVE)]}[cmd]
    one_line_error(hotpapers(cmd, "--db", str(db), *args, cache=cache), "hp.db is damaged")


def config_with_database(tmp_path: Path, database: str) -> Path:
    config = tmp_path / "hotpapers.toml"
    config.write_text(f'[bot]\ndatabase = "{database}"\n')
    return config


@pytest.mark.parametrize("cmd", ["ask", "import"])
def test_directory_as_database(tmp_path: Path, cache: Path, cmd: str) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    config = config_with_database(tmp_path, str(folder))
    args = ["top 3"] if cmd == "ask" else [str(ARCHIVE)]
    result = hotpapers(cmd, "--config", str(config), *args, cache=cache)
    one_line_error(result, "data is a directory, not a database file")


def test_nul_in_database_path(tmp_path: Path, cache: Path) -> None:
    config = config_with_database(tmp_path, "hp\\u0000.db")
    result = hotpapers("ask", "--config", str(config), "top 3", cache=cache)
    assert stat.S_ISDIR(tmp_path.stat().st_mode)
    one_line_error(result, "NUL")


def test_disk_full_during_import_is_one_line_and_keeps_what_was_stored(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up mid-import (a page cap stands in for the full disk)."""
    from click.testing import CliRunner

    from bot.cli.main import cli
    from bot.store.db import Connections

    check = sqlite3.connect(db)
    kept = check.execute("SELECT count(*) FROM observations").fetchone()[0]
    pages = check.execute("PRAGMA page_count").fetchone()[0]
    check.close()
    connect = Connections._raw_connect

    def full_disk(self: Connections, *, writer: bool = False) -> sqlite3.Connection:
        conn = connect(self, writer=writer)
        conn.execute(f"PRAGMA max_page_count = {pages + 1}")
        return conn

    monkeypatch.setattr(Connections, "_raw_connect", full_disk)
    extra = REPO / "tests" / "data" / "storage" / "more"
    result = CliRunner().invoke(cli, ["import", "--db", str(db), str(extra)])
    monkeypatch.undo()
    assert result.exit_code == 1 and result.exception is not None
    assert isinstance(result.exception, SystemExit), result.exception
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: the disk holding") and "hp.db is full" in line
    check = sqlite3.connect(db)
    assert check.execute("SELECT count(*) FROM observations").fetchone()[0] == kept
    assert check.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    check.close()
