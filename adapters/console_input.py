"""The console's input: one line at a time, with line editing and history on a terminal.

Each read runs in a daemon thread, so a read that is still waiting never holds the process
up: Ctrl-C stops the console at once, and the terminal is put back as it was found.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from typing import Any, TextIO

EXIT_ON_SIGINT = 130  # 128 + SIGINT, what shells report for a program stopped by Ctrl-C
HISTORY_LENGTH = 1000


class LineReader:
    """`await next_line()` gives the next line without its newline, or None at end of input.

    With a prompt and the process's own stdin, lines are read with `input()` and the standard
    library's readline: arrow keys move the cursor, Up/Down recall earlier lines."""

    def __init__(self, lines: TextIO, prompt: str | None) -> None:
        self.lines = lines
        self.prompt = prompt
        self.editing = prompt is not None and lines is sys.stdin and _enable_readline()
        self._saved = _terminal_state(lines) if prompt is not None else None

    async def next_line(self) -> str | None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[str | None] = loop.create_future()

        def deliver(value: str | None, error: BaseException | None) -> None:
            if done.done():
                return
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(value)

        def work() -> None:
            value: str | None = None
            error: BaseException | None = None
            try:
                value = self._read()
            except Exception as exc:  # handed to the awaiting task
                error = exc
            with contextlib.suppress(RuntimeError):  # the loop is gone: the console stopped
                loop.call_soon_threadsafe(deliver, value, error)

        threading.Thread(target=work, name="console-input", daemon=True).start()
        return await done

    def _read(self) -> str | None:
        if self.editing:
            try:
                return input(self.prompt)
            except EOFError:
                return None
        if self.prompt is not None:
            sys.stdout.write(self.prompt)
            sys.stdout.flush()
        line = self.lines.readline()
        return line.removesuffix("\n") if line else None

    def close(self) -> None:
        """Put the terminal back as it was (a read cut short by Ctrl-C leaves it raw)."""
        if self._saved is not None:
            _restore_terminal(self.lines, self._saved)


def _enable_readline() -> bool:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input() still works
        return True
    readline.set_history_length(HISTORY_LENGTH)
    return True


def _terminal_state(lines: TextIO) -> list[Any] | None:
    try:
        import termios

        return termios.tcgetattr(lines.fileno())
    except (ImportError, OSError, ValueError, AttributeError):
        return None


def _restore_terminal(lines: TextIO, saved: list[Any]) -> None:
    try:
        import termios

        termios.tcsetattr(lines.fileno(), termios.TCSADRAIN, saved)
    except (ImportError, OSError, ValueError, AttributeError):
        pass
