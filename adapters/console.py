"""The console adapter: the bot's default home and its simplest test harness."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from collections.abc import Callable
from typing import TextIO

from adapters.console_input import EXIT_ON_SIGINT, LineReader
from bot.domain.models import Reply, Request
from bot.services.engine import Engine

THREAD = "console"  # the thread scheduled console digests are recorded in (bot.runtime)
PROMPT = "> "
HINT = "Ask me: `top 5 cs.CV today`, `paper 2104.00743`, `3` (an item above), `help`, `quit`."

log = logging.getLogger(__name__)


class ConsoleAdapter:
    """Reads commands line by line, prints replies; the whole session is one thread.

    Each session has its own thread id (`console-<session>`) and message ids
    (`console-<session>-<n>`), so `3` answers from this session's digests, never from one an
    earlier session on the same database showed."""

    def __init__(
        self, engine: Engine, out: TextIO | None = None, *, session: str | None = None
    ) -> None:
        from rich.console import Console

        self.engine = engine
        self.console = Console(file=out, highlight=False, markup=False, emoji=False, soft_wrap=True)
        self.session = session or secrets.token_hex(6)
        self.thread = f"{THREAD}-{self.session}"
        self._messages = 0

    def show(self, reply: Reply, request: Request | None = None) -> None:
        """Print a reply; a digest is remembered in this session's thread for `N` later."""
        from rich.text import Text

        self.console.print(Text(reply.text))
        self.console.print()
        self._messages += 1
        if reply.digest is not None:
            # A scheduled digest comes without a request: it is shown in this thread all the same.
            request = request or Request(text="", thread=self.thread)
            message = f"{self.thread}-{self._messages}"
            self.engine.record_reply(request, reply, [message], self.thread)

    def ask(self, text: str) -> Reply:
        request = Request(text=text, thread=self.thread, is_admin=True, addressed=True)
        reply = self.engine.handle(request)
        if reply is None:
            reply = Reply("That is not a command I know. Try `help`.", ok=False)
        self.show(reply, request)
        return reply

    def greet(self) -> None:
        """The latest listing's digest, as a scheduled digest would show it."""
        from rich.text import Text

        self.ask("top 5 today")
        self.console.print(Text(HINT))

    async def serve(self, lines: TextIO, *, interactive: bool) -> None:
        """Answer lines from `lines` until EOF (Ctrl-D) or `quit`; other tasks run meanwhile.

        Interactive: line editing and history (readline). Ctrl-C stops the console at once
        with one log line and exit status 130 (SystemExit), wherever the cursor is."""
        reader = LineReader(lines, PROMPT if interactive else None)
        interrupted: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def interrupt() -> None:
            if not interrupted.done():
                interrupted.set_result(None)

        watching = _on_sigint(interrupt)
        try:
            while True:
                line = asyncio.ensure_future(reader.next_line())
                waiting: set[asyncio.Future[str | None] | asyncio.Future[None]] = {
                    line,
                    interrupted,
                }
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if interrupted.done():
                    line.cancel()
                    self.console.print()
                    log.warning("Interrupted (Ctrl-C): the console stops.")
                    raise SystemExit(EXIT_ON_SIGINT)
                text = line.result()
                if text is None:  # end of input
                    if interactive:
                        self.console.print()  # Ctrl-D left the cursor after the prompt
                    break
                text = text.strip()
                if text in {"quit", "exit"}:
                    break
                if text:
                    self.ask(text)
        finally:
            if watching:
                asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
            reader.close()


def _on_sigint(callback: Callable[[], None]) -> bool:
    """Route SIGINT to `callback` on the running loop; False where that is not possible."""
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, callback)
    except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
        return False
    return True
