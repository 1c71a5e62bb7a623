"""Fakes on 127.0.0.1 (port 0) for the attention sources: X v2, Bluesky XRPC, Mastodon, HN, HF.

One small threaded HTTP server; a test gives it routes (path -> list of answers, served in order,
the last one repeated) and reads back the requests it saw. The real client libraries talk to it.
`Fake.inject(path, *answers)` queues one-shot answers (faults) served before the route's own:
an Answer with `fault="stall"` waits `stall` seconds before answering (a read timeout for a
client with a smaller timeout); `fault="reset"` sends the headers and half the body, then closes.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).resolve().parents[1] / "data" / "attention"


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    fault: str = ""  # "" (answer normally), "stall" or "reset"
    stall: float = 0.0


def json_answer(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    extra = tuple((headers or {}).items())
    return Answer(status, json.dumps(data).encode(), (("Content-Type", "application/json"), *extra))


def raw_answer(
    body: bytes | str, status: int = 200, headers: dict[str, str] | None = None
) -> Answer:
    data = body.encode() if isinstance(body, str) else body
    extra = tuple((headers or {}).items())
    return Answer(status, data, (("Content-Type", "application/json"), *extra))


def data_file(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Route = list[Answer] | Callable[[Seen], Answer]


@dataclass
class Fake:
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    port: int = 0
    faults: dict[str, list[Answer]] = field(default_factory=dict)
    _served: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, path: str, *answers: Answer | Callable[[Seen], Answer]) -> None:
        if len(answers) == 1 and callable(answers[0]) and not isinstance(answers[0], Answer):
            self.routes[path] = answers[0]
        else:
            self.routes[path] = [a for a in answers if isinstance(a, Answer)]

    def inject(self, path: str, *answers: Answer) -> None:
        """Serve `answers` to the next requests of `path`, one each, before its route."""
        with self._lock:
            self.faults.setdefault(path, []).extend(answers)

    def requests(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def answer(self, seen: Seen) -> Answer:
        with self._lock:
            self.seen.append(seen)
            queued = self.faults.get(seen.path)
            if queued:
                return queued.pop(0)
            route = self.routes.get(seen.path)
            if route is None:
                return json_answer({"error": f"no route {seen.path}"}, 404)
            if callable(route):
                return route(seen)
            n = self._served.get(seen.path, 0)
            self._served[seen.path] = n + 1
            return route[min(n, len(route) - 1)]


def _handler(fake: Fake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            answer = fake.answer(seen)
            if answer.fault == "stall":
                time.sleep(answer.stall)  # the client has given up by now
            try:
                self.send_response(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value.replace("{base}", fake.url))
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if answer.fault == "reset":
                    self.wfile.write(answer.body[: len(answer.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(answer.body)
            except OSError:
                self.close_connection = True  # the client went away (after a stall)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve(fake: Fake | None = None) -> Iterator[Fake]:
    """Run a fake on 127.0.0.1, port 0 (read back), until the block ends."""
    fake = fake or Fake()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
