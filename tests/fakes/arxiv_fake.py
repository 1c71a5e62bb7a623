"""A fake arXiv on 127.0.0.1 (API, RSS, OAI-PMH) and payload builders in arXiv's published formats."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from tests.conftest import FIXTURES

ARXIV_FIXTURES = FIXTURES / "arxiv"


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/xml; charset=utf-8"
    fault: str = ""  # "" (answer normally), "stall" (wait `stall` s first) or "reset" (half, close)
    stall: float = 0.0


@dataclass(frozen=True)
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float | None  # the injected clock's time when the request arrived
    limiter_busy: bool | None  # whether the client's limiter was held while it was served


Route = Callable[[str, dict[str, str]], Answer]


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it (thread-safe)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(0.0, seconds)


class FakeArxiv:
    """Serves `routes` (path prefix -> handler), or queued answers first; records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {"/api/query": recorded_api}
        self.queued: dict[str, list[Answer]] = {}
        self.seen: list[Seen] = []
        self.active = 0
        self.max_active = 0
        self.clock: FakeClock | None = None
        self.limiter_busy: Callable[[], bool] | None = None
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def base_urls(self) -> dict[str, str]:
        return {"api": f"{self.url}/api/query", "rss": f"{self.url}/rss", "oai": f"{self.url}/oai"}

    def queue(self, prefix: str, *answers: Answer) -> None:
        with self._lock:
            self.queued.setdefault(prefix, []).extend(answers)

    def requests_to(self, prefix: str) -> list[Seen]:
        return [s for s in self.seen if s.path.startswith(prefix)]

    def __enter__(self) -> FakeArxiv:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def _answer(self, path: str, query: dict[str, str]) -> Answer:
        with self._lock:
            for prefix, answers in self.queued.items():
                if path.startswith(prefix) and answers:
                    return answers.pop(0)
        for prefix, route in self.routes.items():
            if path.startswith(prefix):
                return route(path, query)
        return Answer(404, b"not found", content_type="text/plain")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection, closed after the answer

            def do_GET(self) -> None:
                with fake._lock:
                    fake.active += 1
                    fake.max_active = max(fake.max_active, fake.active)
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                fake.seen.append(
                    Seen(
                        parts.path,
                        query,
                        {k.lower(): v for k, v in self.headers.items()},
                        fake.clock() if fake.clock else None,
                        fake.limiter_busy() if fake.limiter_busy else None,
                    )
                )
                answer = fake._answer(parts.path, query)
                with fake._lock:  # counted out before the answer leaves, so the next may come in
                    fake.active -= 1
                if answer.fault == "stall":
                    time.sleep(answer.stall)  # the client has given up by now
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(answer.body)))
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    if answer.fault == "reset":
                        self.wfile.write(answer.body[: len(answer.body) // 2])
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self.wfile.write(answer.body)
                except OSError:
                    pass  # the client went away (after a stall)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


# -- the recorded API responses -------------------------------------------------------------


def recorded(name: str) -> Answer:
    """A recorded API response: a raw .atom.xml, or a JSON wrapper {url, status_code, body}."""
    path = ARXIV_FIXTURES / name
    if name.endswith(".json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        # The wrapper holds the raw bytes decoded as latin-1 (see fixtures/SOURCES.md).
        return Answer(int(data["status_code"]), data["body"].encode("latin-1"))
    return Answer(200, path.read_bytes())


_ENTRY = re.compile(rb"<entry>.*?</entry>", re.DOTALL)
_ENTRY_ID = re.compile(rb"<id>https?://arxiv\.org/abs/([^<]+?)(?:v\d+)?</id>")


def _recorded_entries() -> dict[str, bytes]:
    entries: dict[str, bytes] = {}
    for name in (
        "q_testing_s0_m100_cfe7536492ca.atom.xml",
        "id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.atom.xml",
    ):
        for entry in _ENTRY.findall((ARXIV_FIXTURES / name).read_bytes()):
            found = _ENTRY_ID.search(entry)
            if found:
                entries.setdefault(found.group(1).decode(), entry)
    return entries


RECORDED_FOR_QUERY = {
    "abc": "id_abc_s0_m100_b79c8dcf6bc3.json",
    "0000.0000": "id_0000.0000_s0_m100_8b51d9633a68.json",
    "0808.05394,1707.08567": "id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.atom.xml",
    "1707.08567": "id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.json",
    "1111.2011": "id_list_1111.2011v2.xml",
}
_FEED_HEAD = (
    b"<?xml version='1.0' encoding='UTF-8'?>\n"
    b'<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    b'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n'
    b"  <id>https://arxiv.org/api/fake</id>\n  <title>arXiv Query</title>\n"
    b"  <updated>2026-04-12T22:09:36Z</updated>\n"
)


def api_feed(entries: list[bytes]) -> bytes:
    """An API answer around recorded entries, with the opensearch counts arXiv sends."""
    count = str(len(entries)).encode()
    return (
        _FEED_HEAD
        + b"  <opensearch:itemsPerPage>100</opensearch:itemsPerPage>\n"
        + b"  <opensearch:totalResults>"
        + count
        + b"</opensearch:totalResults>\n  <opensearch:startIndex>0</opensearch:startIndex>\n  "
        + b"\n  ".join(entries)
        + b"\n</feed>\n"
    )


def api_entry(
    arxiv_id: str, title: str, categories: tuple[str, ...] = ("cs.CV",), published: str = ""
) -> bytes:
    """One API `<entry>` written to arXiv's Atom format (`arxiv_id` without version)."""
    when = published or "2026-03-02T18:00:00Z"
    cats = "".join(
        f'    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>\n' for c in categories
    )
    return (
        "<entry>\n"
        f"    <id>http://arxiv.org/abs/{arxiv_id}v1</id>\n"
        f"    <updated>{when}</updated>\n    <published>{when}</published>\n"
        f"    <title>{escape(title)}</title>\n"
        f"    <summary>Abstract of {arxiv_id}.</summary>\n"
        "    <author><name>Ada Lovelace</name></author>\n"
        f'    <link href="http://arxiv.org/abs/{arxiv_id}v1" rel="alternate" type="text/html"/>\n'
        f'    <link title="pdf" href="http://arxiv.org/pdf/{arxiv_id}v1" rel="related"'
        ' type="application/pdf"/>\n'
        f'    <arxiv:primary_category term="{categories[0]}"'
        ' scheme="http://arxiv.org/schemas/atom"/>\n'
        f"{cats}"
        "  </entry>"
    ).encode()


def api_for(entries: dict[str, bytes]) -> Route:
    """An API route answering `id_list` queries from `entries` (arxiv id -> api_entry)."""

    def route(path: str, query: dict[str, str]) -> Answer:
        ids = [i.split("v")[0] for i in query.get("id_list", "").split(",") if i]
        return Answer(200, api_feed([entries[i] for i in ids if i in entries]))

    return route


def recorded_api(path: str, query: dict[str, str]) -> Answer:
    """The API: recorded responses verbatim for recorded queries, recorded entries otherwise."""
    ids = query.get("id_list", "")
    if ids in RECORDED_FOR_QUERY:
        return recorded(RECORDED_FOR_QUERY[ids])
    entries = _recorded_entries()
    return Answer(200, api_feed([entries[i] for i in ids.split(",") if i in entries]))


# -- RSS, written to rss_specifications.md ------------------------------------------------


@dataclass(frozen=True)
class Item:
    arxiv_id: str  # with version, e.g. 2402.14001v1
    announce_type: str = "new"
    title: str = "A paper"
    categories: tuple[str, ...] = ("cs.CV",)
    authors: str = "Ada Lovelace, Alan Turing"
    abstract: str = "We show things."
    with_guid: bool = True


def rss_item(item: Item, pub_date: str) -> str:
    bare = item.arxiv_id.split("v")[0] if "v" in item.arxiv_id[-4:] else item.arxiv_id
    guid = (
        f'      <guid isPermaLink="false">oai:arXiv.org:{item.arxiv_id}</guid>\n'
        if item.with_guid
        else ""
    )
    link = f"      <link>https://arxiv.org/abs/{bare}</link>\n" if item.with_guid else ""
    cats = "".join(f"      <category>{escape(c)}</category>\n" for c in item.categories)
    return (
        "    <item>\n"
        f"      <title>{escape(item.title)}</title>\n"
        f"{link}"
        f"      <description>arXiv:{item.arxiv_id} Announce Type: {item.announce_type} \n"
        f"Abstract: {escape(item.abstract)}</description>\n"
        f"{guid}{cats}"
        f"      <pubDate>{pub_date}</pubDate>\n"
        f"      <arxiv:announce_type>{item.announce_type}</arxiv:announce_type>\n"
        "      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>\n"
        f"      <dc:creator>{escape(item.authors)}</dc:creator>\n"
        "    </item>\n"
    )


def rss_feed(categories: str, pub_date: str, items: list[Item], last_build: str = "") -> bytes:
    """An RSS 2.0 feed as rss.arxiv.org serves it; `pub_date` like `Fri, 23 Feb 2024 00:00:00 -0500`."""
    build = last_build or pub_date
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">\n'
        "  <channel>\n"
        f"    <title>{categories} updates on arXiv.org</title>\n"
        f"    <link>http://rss.arxiv.org/rss/{categories}</link>\n"
        f"    <description>{categories} updates on the arXiv.org e-print archive.</description>\n"
        f'    <atom:link href="http://rss.arxiv.org/rss/{categories}" rel="self" '
        'type="application/rss+xml"/>\n'
        "    <docs>http://www.rssboard.org/rss-specification</docs>\n"
        "    <language>en-us</language>\n"
        f"    <lastBuildDate>{build}</lastBuildDate>\n"
        "    <managingEditor>rss-help@arxiv.org</managingEditor>\n"
        f"    <pubDate>{pub_date}</pubDate>\n"
        "    <skipDays>\n      <day>Saturday</day>\n      <day>Sunday</day>\n    </skipDays>\n"
        + "".join(rss_item(i, pub_date) for i in items)
        + "  </channel>\n</rss>\n"
    )
    return body.encode("utf-8")


# -- OAI-PMH, written to the OAI-PMH 2.0 envelope and arXiv's metadata formats ------------


def arxiv_record(
    arxiv_id: str,
    created: str,
    title: str = "A harvested paper",
    categories: str = "cs.CV cs.LG",
    authors: tuple[tuple[str, str], ...] = (("Lovelace", "Ada"), ("Turing", "Alan")),
    datestamp: str = "2026-03-03",
    set_spec: str = "cs:cs:CV",
) -> str:
    people = "".join(
        f"<author><keyname>{escape(k)}</keyname><forenames>{escape(f)}</forenames></author>"
        for k, f in authors
    )
    return (
        f"<record><header><identifier>oai:arXiv.org:{arxiv_id}</identifier>"
        f"<datestamp>{datestamp}</datestamp><setSpec>{set_spec}</setSpec></header>"
        '<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://arxiv.org/OAI/arXiv/ http://arxiv.org/OAI/arXiv.xsd">'
        f"<id>{arxiv_id}</id><created>{created}</created><authors>{people}</authors>"
        f"<title>{escape(title)}</title><categories>{categories}</categories>"
        "<license>http://creativecommons.org/licenses/by/4.0/</license>"
        "<abstract>  We harvest\n  things.\n</abstract></arXiv></metadata></record>"
    )


def arxiv_raw_record(arxiv_id: str, v1_date: str, categories: str = "cs.CV") -> str:
    """An `arXivRaw` record; `v1_date` like `Mon, 2 Mar 2026 19:30:00 GMT`."""
    return (
        f"<record><header><identifier>oai:arXiv.org:{arxiv_id}</identifier>"
        f"<datestamp>2026-03-04</datestamp><setSpec>cs:cs:CV</setSpec></header>"
        '<metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">'
        f"<id>{arxiv_id}</id><submitter>Ada Lovelace</submitter>"
        f'<version version="v1"><date>{v1_date}</date><size>100kb</size></version>'
        '<version version="v2"><date>Wed, 4 Mar 2026 10:00:00 GMT</date><size>101kb</size></version>'
        "<title>Raw paper</title><authors>Ada Lovelace, Alan Turing and Grace Hopper</authors>"
        f"<categories>{categories}</categories><abstract>Raw.</abstract></arXivRaw></metadata></record>"
    )


def deleted_record(arxiv_id: str) -> str:
    return (
        f'<record><header status="deleted"><identifier>oai:arXiv.org:{arxiv_id}</identifier>'
        "<datestamp>2026-03-03</datestamp></header></record>"
    )


def oai_page(records: list[str], token: str | None = None, error: str | None = None) -> bytes:
    """A ListRecords answer; `token` adds a resumptionToken, `error` an OAI-PMH error code."""
    if error:
        inner = f'<error code="{error}">{error}</error>'
    else:
        tail = f"<resumptionToken>{token}</resumptionToken>" if token else "<resumptionToken/>"
        inner = f"<ListRecords>{''.join(records)}{tail}</ListRecords>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<responseDate>2026-03-05T01:00:00Z</responseDate>"
        '<request verb="ListRecords">https://oaipmh.arxiv.org/oai</request>'
        f"{inner}</OAI-PMH>\n"
    ).encode()


def fixture_path(name: str) -> Path:
    return ARXIV_FIXTURES / name
