"""The console adapter: the bot's default home and its simplest test harness."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import TYPE_CHECKING, TextIO

from adapters.console_input import LineReader
from bot.domain.models import Reply, Request
from bot.services.engine import Engine

if TYPE_CHECKING:
    from adapters import AdapterContext
    from bot.ports import Publisher

THREAD = "console"  # a session's thread is "console-<session>": its digests answer its `N`
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
            request = request or Request(text="", thread=self.thread, addressed=False)
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

        Interactive: line editing and history (readline). A stop signal (Ctrl-C, SIGTERM) is
        the composition root's: it cancels this, wherever the cursor is."""
        reader = LineReader(lines, PROMPT if interactive else None)
        try:
            while True:
                text = await reader.next_line()
                if text is None:  # end of input
                    if interactive:
                        self.console.print()  # Ctrl-D left the cursor after the prompt
                    break
                text = text.strip()
                if text in {"quit", "exit"}:
                    break
                if text:
                    self.ask(text)
        except asyncio.CancelledError:
            if interactive:
                self.console.print()  # the shell's prompt starts on a line of its own
            raise
        finally:
            reader.close()


class ConsoleService:
    """The console as one adapter among the others: greets, then answers stdin until EOF."""

    name = "console"

    def __init__(self, console: ConsoleAdapter, lines: TextIO, *, interactive: bool) -> None:
        self.console = console
        self.lines = lines
        self.interactive = interactive
        self._publisher = console_publisher(console)

    @property
    def publisher(self) -> Publisher:
        return self._publisher

    async def run(self) -> None:
        self.console.greet()
        await self.console.serve(self.lines, interactive=self.interactive)


def console_publisher(console: ConsoleAdapter) -> Publisher:
    """Scheduled digests for console subscriptions are printed as they fire."""
    from adapters.recording import Published, RecordingPublisher
    from bot.render.text import render_digest_text

    def show(published: Published) -> None:
        console.show(Reply(render_digest_text(published.digest), digest=published.digest))

    return RecordingPublisher("console", thread=console.thread, on_publish=show)


async def load(context: AdapterContext) -> ConsoleService:
    import sys

    console = ConsoleAdapter(context.engine)
    lines = context.stdin if context.stdin is not None else sys.stdin
    return ConsoleService(console, lines, interactive=context.interactive)
