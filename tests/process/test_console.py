"""The interactive console through a real terminal (a pty): line editing, history, Ctrl-C, Ctrl-D.

`hotpapers run` with no config (the bundled sample) runs as a child on its own pseudo-terminal,
which is its controlling terminal: Ctrl-C typed there is a SIGINT from the terminal, as for a user.
"""

from __future__ import annotations

import os
import pty
import re
import select
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LEFT, UP = "\x1b[D", "\x1b[A"
PROMPT = b"> "
WAIT = 120.0  # a deadline so that a broken console fails instead of hanging; never asserted on


class Terminal:
    def __init__(self, home: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTPAPERS_", "XDG_"))}
        env.update(
            PYTHONPATH=str(REPO),
            HOME=str(home),
            XDG_CACHE_HOME=str(home / "cache"),  # the sample database is unpacked here
            XDG_DATA_HOME=str(home / "data"),
            XDG_CONFIG_HOME=str(home / "config"),
            TERM="xterm",
            COLUMNS="120",
            LINES="40",
        )
        argv = [sys.executable, "-m", "bot.cli", "run"]
        pid, fd = pty.fork()
        if pid == 0:  # the child: its stdin/stdout/stderr are the pty
            os.chdir(REPO)
            os.execve(sys.executable, argv, env)
        self.pid, self.fd = pid, fd
        self.output = b""
        self.status: int | None = None

    def read_until(self, wanted: bytes, *, count: int = 1) -> bytes:
        deadline = time.monotonic() + WAIT
        while self.output.count(wanted) < count:
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                raise AssertionError(f"no {wanted!r} (x{count}) in: {self.text()[-3000:]}")
        return self.output

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait(self) -> int:
        """The exit code (130 for SIGINT-as-exit-status), reading what is left meanwhile."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self._read(0.2):
                    pass
                self.status = os.waitstatus_to_exitcode(status)
                return self.status
            self._read(0.2)
        raise AssertionError(f"the console did not stop; output: {self.text()[-3000:]}")

    def text(self) -> str:
        return self.output.decode("utf-8", "replace").replace("\r\n", "\n")

    def close(self) -> None:
        if self.status is None:
            try:
                os.kill(self.pid, 9)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        os.close(self.fd)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    if sys.platform == "win32":
        pytest.skip("needs a POSIX pty")
    term = Terminal(tmp_path)
    try:
        term.read_until(PROMPT)  # the greeting digest, the hint, the first prompt
        yield term
    finally:
        term.close()


def test_arrow_keys_edit_the_line_and_recall_history(terminal: Terminal) -> None:
    terminal.type(f"top 2 cs.V{LEFT}C\r")  # typed cs.V, moved left, inserted the C
    terminal.read_until(PROMPT, count=2)
    terminal.type(f"{UP}\r")  # the same command again, from history
    terminal.read_until(PROMPT, count=3)
    text = terminal.text()
    assert "Unknown category" not in text and "^[[" not in text
    assert len(re.findall(r"^Hot Papers \S+ · cs\.CV$", text, re.M)) == 2
    terminal.type("quit\r")
    assert terminal.wait() == 0


def test_ctrl_c_stops_the_console_with_130_and_one_log_line(terminal: Terminal) -> None:
    terminal.type("\x03")
    assert terminal.wait() == 130
    text = terminal.text()
    assert "Traceback" not in text
    assert [line for line in text.split("\n") if "Ctrl-C" in line] == [
        next(line for line in text.split("\n") if "Ctrl-C" in line)
    ]
    assert sum("WARNING" in line or "ERROR" in line for line in text.split("\n")) == 1


def test_ctrl_c_while_typing_stops_too(terminal: Terminal) -> None:
    terminal.type("top 3 cs")
    terminal.read_until(b"top 3 cs")
    terminal.type("\x03")
    assert terminal.wait() == 130


def test_ctrl_d_prints_a_newline_and_exits_0(terminal: Terminal) -> None:
    terminal.type("\x04")
    assert terminal.wait() == 0
    tail = terminal.text().rsplit("> ", 1)[1]
    assert tail.startswith("\n")  # the shell's prompt will start on a line of its own


def test_n_in_a_new_session_never_answers_from_an_earlier_sessions_digest(tmp_path: Path) -> None:
    """Issue 15 defect 8 through the real process: two `hotpapers run` sessions on one database.
    The first shows `top 4 cs.LG`; in the second, `2` answers from that session's own greeting
    digest, never with the first session's item 2."""
    import shutil
    import subprocess
    import sys

    from bot.store.sample import sample_database

    db = tmp_path / "hotpapers.db"
    shutil.copy(sample_database(), db)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def session(lines: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "run", "--db", str(db)],
            input=lines,
            capture_output=True,
            text=True,
            env=env,
            timeout=WAIT,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = session("top 4 cs.LG 2021-04-05\n")
    earlier = first.split("Hot Papers 2021-04-05 · cs.LG", 1)[1].split("\n2. ", 1)[1]
    earlier_item_2 = earlier.split("\n", 1)[0]
    second = session("2\n")
    greeting, answer = second.split("Ask me:", 1)
    this_item_2 = greeting.split("\n2. ", 1)[1].split("\n", 1)[0]
    assert earlier_item_2 != this_item_2
    assert earlier_item_2 not in answer  # never the earlier session's digest
    assert this_item_2 in answer  # this session's own (the greeting's) item 2
