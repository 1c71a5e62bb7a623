"""The console adapter: the bot's default home and its simplest test harness."""

from __future__ import annotations

import asyncio
from typing import TextIO

from bot.domain.models import Reply, Request
from bot.services.engine import Engine

THREAD = "console"
PROMPT = "> "
HINT = "Ask me: `top 5 cs.CV today`, `paper 2104.00743`, `3` (an item above), `help`, `quit`."


class ConsoleAdapter:
    """Reads commands line by line, prints replies; the whole session is one thread."""

    def __init__(self, engine: Engine, out: TextIO | None = None) -> None:
        from rich.console import Console

        self.engine = engine
        self.console = Console(file=out, highlight=False, markup=False, emoji=False, soft_wrap=True)
        self._messages = 0

    def show(self, reply: Reply, request: Request | None = None) -> None:
        from rich.text import Text

        self.console.print(Text(reply.text))
        self.console.print()
        self._messages += 1
        if request is not None and reply.digest is not None:
            self.engine.record_reply(request, reply, [f"console-{self._messages}"], THREAD)

    def ask(self, text: str) -> Reply:
        request = Request(text=text, thread=THREAD, is_admin=True, addressed=True)
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
        """Answer lines from `lines` until EOF or `quit`; other tasks run meanwhile."""
        while True:
            if interactive:
                self.console.print(PROMPT, end="")
            line = await asyncio.to_thread(lines.readline)
            if not line:
                break
            text = line.strip()
            if text in {"quit", "exit"}:
                break
            if text:
                self.ask(text)
