"""Whole-process harness: `hotpapers run` as a subprocess against fakes on 127.0.0.1.

- `LoopThread`: an event loop in a thread for the asyncio fakes (Slack, Discord); the test
  itself stays synchronous and reads the fakes' state on their own loop (`read`).
- `write_config`: a TOML file from a dict (tables, arrays of tables, inline tables).
- `BotProcess`: `python -m bot.cli -v run --config F --db D` with the secrets in its environment;
  collects stdout/stderr line by line, waits for a line with a bounded timeout, sends SIGTERM /
  SIGKILL, and never outlives the test.
- `wait_until`: poll a predicate (usually on a fake) with a bounded timeout.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from tests.conftest import REPO

T = TypeVar("T")

# Environment variables the bot must not inherit from the machine running the tests.
SCRUBBED = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "HOTPAPERS_CONFIG")


# -- waiting ----------------------------------------------------------------------------------


def wait_until(
    predicate: Callable[[], T | None], timeout: float, what: str, interval: float = 0.05
) -> T:
    """The predicate's first truthy value, polled every `interval` s; AssertionError at `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    """A port nothing listens on right now (for a fake that comes up later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the asyncio fakes' loop --------------------------------------------------------------------


class LoopThread:
    """An event loop on a daemon thread; `run` a coroutine on it, `read` state on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, name="fakes-loop", daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def __enter__(self) -> LoopThread:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def run(self, coro: Awaitable[T], timeout: float = 30.0) -> T:
        async def wrap() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrap(), self.loop).result(timeout)

    def read(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """`fn()` on the loop's thread: a consistent view of a fake's dicts and lists."""

        async def call() -> T:
            return fn()

        return self.run(call(), timeout)


# -- the config ---------------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def write_config(path: Path, config: Mapping[str, Any]) -> Path:
    """`{"bot": {...}, "adapters.slack": {...}, "subscriptions": [{...}, ...]}` as TOML.

    Keys of the top mapping are table names (dotted as written); a list of mappings is an
    array of tables; everything else inside a table is a value (a nested mapping: inline).
    """
    lines: list[str] = []
    for name, body in config.items():
        rows = body if isinstance(body, list) else [body]
        for row in rows:
            lines.append(f"[[{name}]]" if isinstance(body, list) else f"[{name}]")
            lines.extend(f"{key} = {toml_value(value)}" for key, value in row.items())
            lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# -- the process ----------------------------------------------------------------------------------


def process_env(secrets: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    paths = [str(REPO), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(secrets)
    return env


class BotProcess:
    """`hotpapers -v run --config CONFIG --db DB` as a child process, its output kept in lines."""

    def __init__(self, config: Path, db: Path, secrets: Mapping[str, str]) -> None:
        self.args = [
            sys.executable,
            "-m",
            "bot.cli",
            "-v",
            "run",
            "--config",
            str(config),
            "--db",
            str(db),
        ]
        self.env = process_env(secrets)
        self.lines: list[tuple[str, str]] = []  # (stream, line), in arrival order
        self._changed = threading.Condition()
        self.proc: subprocess.Popen[str] | None = None
        self._readers: list[threading.Thread] = []
        self.signalled_at: int | None = None  # len(self.lines) when a signal was sent

    def start(self) -> BotProcess:
        self.proc = subprocess.Popen(
            self.args,
            cwd=REPO,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        for name, stream in (("stdout", self.proc.stdout), ("stderr", self.proc.stderr)):
            reader = threading.Thread(target=self._read, args=(name, stream), daemon=True)
            reader.start()
            self._readers.append(reader)
        return self

    def _read(self, name: str, stream: Any) -> None:
        for line in stream:
            with self._changed:
                self.lines.append((name, line.rstrip("\n")))
                self._changed.notify_all()

    # -- what tests read ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def text(self, stream: str = "stderr", since: int = 0) -> str:
        with self._changed:
            return "\n".join(line for s, line in self.lines[since:] if s == stream)

    def wait_for_line(self, pattern: str, timeout: float, since: int = 0) -> str:
        """The first line (either stream) matching `pattern`; AssertionError naming it otherwise."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for _stream, line in self.lines[since:]:
                    if regex.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (not self.running and all(not r.is_alive() for r in self._readers)):
                    raise AssertionError(
                        f"no line matching {pattern!r} within {timeout:.0f} s "
                        f"(running: {self.running}); last output:\n{self.tail()}"
                    )
                self._changed.wait(min(left, 0.2))

    def tail(self, n: int = 30) -> str:
        with self._changed:
            return "\n".join(f"{s}: {line}" for s, line in self.lines[-n:])

    # -- signals -----------------------------------------------------------------------------------

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        with self._changed:
            self.signalled_at = len(self.lines)
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(5)
        return code

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM, then the exit code (SIGKILL and an AssertionError if it does not exit)."""
        self.signal(signal.SIGTERM)
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"still running {timeout:.0f} s after SIGTERM") from None

    def kill(self) -> int:
        """SIGKILL (kill -9): no handler runs, nothing is flushed."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.signal(signal.SIGKILL)
        return self.wait(15)

    def stop(self) -> None:
        """Teardown: never leave the child behind, whatever the test did."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for reader in self._readers:
            reader.join(5)
        keep = os.environ.get("HOTPAPERS_PROCESS_LOG")  # a folder: keep each run's output there
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            name = f"{Path(self.args[6]).parent.name}-{self.proc.pid}.log"
            (Path(keep) / name).write_text(self.tail(len(self.lines)) + "\n", encoding="utf-8")


@contextmanager
def bot_process(config: Path, db: Path, secrets: Mapping[str, str]) -> Iterator[BotProcess]:
    bot = BotProcess(config, db, secrets).start()
    try:
        yield bot
    finally:
        bot.stop()
