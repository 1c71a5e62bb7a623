"""`hotpapers site build DIR`: the site's pages and feeds as static files with relative links,
plus per listing day its digest as JSON and as a post in the archive's markdown format.

Incremental: a file is rewritten only when its bytes change (generation times are pinned to the
data's own time, so an unchanged day renders identically). Needs no aiohttp."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from adapters.web import api, atom, render, urls
from adapters.web.paper_page import paper_page
from adapters.web.style import CSS
from bot.commands.types import Period
from bot.domain.errors import ConfigError
from bot.domain.models import Digest
from bot.domain.taxonomy import CategoryFilter, resolve_filter, suggest
from bot.render.jsonfmt import digest_to_dict
from bot.render.markdown import render_markdown
from bot.services.engine import Engine

_ANCHOR = re.compile(r'<a href="(/[^"]*)"[^>]*>(.*?)</a>', re.S)
_LINK = re.compile(r'(href|action)="(/[^"]*)"')
_SEARCH_FORM = re.compile(r'<form role="search".*?</form>', re.S)
_API_LINK = '; <a href="/api/v1/openapi.json">API</a>'
_DIGEST_API = re.compile(r"^/api/v1/digests/([^?]+)(?:\?category=(.+))?$")


@dataclass
class BuildReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        return f"Wrote {len(self.written)} files ({self.unchanged} unchanged)."


class StaticSite:
    def __init__(
        self,
        engine: Engine,
        out: Path,
        *,
        base_url: str | None = None,
        categories: Sequence[str] = (),
        days: int | None = None,
        top: int = 10,
    ) -> None:
        self.engine = engine
        self.out = out
        self.base_url = base_url.rstrip("/") + "/" if base_url else ""
        self.filters = [_filter(c) for c in categories]
        self.days = days
        self.top = top
        self.site = engine.settings.title
        self.report = BuildReport()
        self.latest: str | None = None
        self.planned: set[str] = set()  # the pages this build writes (links to others: text)

    def build(self) -> BuildReport:
        every = self.engine.listing_dates()
        chosen = every[-self.days :] if self.days else every
        self.latest = every[-1].isoformat() if every else None
        pages: list[tuple[Digest, str | None, str | None]] = []
        feeds: list[tuple[str | None, list[Digest]]] = []
        for spec in [None, *self.filters]:
            cat = spec.label if spec else None
            digests = [self.digest(spec, day.isoformat()) for day in chosen]
            pages += [(d, cat, d.date.isoformat() if d.date else "") for d in digests]
            if digests:
                pages.append((digests[-1], cat, None))
            if every:
                pages += [(self.digest(spec, label), cat, label) for label in ("week", "month")]
            feeds.append((cat, [d for d in digests[::-1][:20] if d.items]))
        papers = sorted({i.paper.arxiv_id for d, _, _ in pages for i in d.items})
        self.planned = {"style.css", *(_page_file(c, d) for _, c, d in pages)}
        self.planned |= {_join(urls.paper_path(p).strip("/"), "index.html") for p in papers}
        self.write("style.css", CSS)
        for digest, cat, day in pages:
            self.digest_files(digest, cat, day)
        for cat, feed in feeds:
            name = urls.feed_path(cat).lstrip("/")
            base = self.base_url or "../" * name.count("/")
            self.write(name, atom.atom_feed(feed, base=base, category=cat, site=self.site))
        for arxiv_id in papers:
            self.paper_files(arxiv_id)
        return self.report

    def digest(self, spec: CategoryFilter | None, day: str) -> Digest:
        filters = [spec] if spec else []
        if day in ("week", "month"):
            period = Period("days", days=7 if day == "week" else 30, label=f"this {day}")
            found = self.engine.digest(period=period, filters=filters, n=self.top, link=False)
        else:
            from datetime import date

            on = date.fromisoformat(day)
            found = self.engine.digest(on=on, filters=filters, n=self.top, link=False)
        if not isinstance(found, Digest):
            return Digest(title=f"{self.site} {day}", date=None)
        return replace(found, generated_at=atom.digest_updated(found))

    def digest_files(self, digest: Digest, cat: str | None, day: str | None) -> None:
        folder = urls.digest_path(cat, day).strip("/")
        nearby = []
        if day and digest.date and day not in ("week", "month"):
            nearby = [d.isoformat() for d in self.engine.listing_dates_before(digest.date, 7)]
        page = render.digest_page(digest, site=self.site, category=cat, day=day, nearby=nearby)
        self.write(_join(folder, "index.html"), page)
        self.write(_join(folder, "digest.json"), _json(digest_to_dict(digest)))
        if day and digest.date and day not in ("week", "month"):
            self.write(_join(folder, f"hot-papers-{day}.md"), render_markdown(digest))

    def paper_files(self, arxiv_id: str) -> None:
        item = self.engine.paper_item(arxiv_id)
        if item is None:
            return
        timeline = self.engine.attention_timeline(arxiv_id)
        folder = urls.paper_path(arxiv_id).strip("/")
        self.write(_join(folder, "index.html"), paper_page(item, timeline, site=self.site))
        self.write(_join(folder, "paper.json"), _json(api.paper_to_dict(item, timeline)))

    def write(self, name: str, text: str) -> None:
        if name.endswith(".html"):
            text = relativize(text, name, self.planned)
        data = text.encode("utf-8")
        path = self.out / name
        if path.is_file() and path.read_bytes() == data:
            self.report.unchanged += 1
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(data)
        temporary.replace(path)
        self.report.written.append(name)


def relativize(html: str, name: str, planned: set[str]) -> str:
    """Site paths (`/c/cs.CV`) as links relative to the file `name`; a link to a page this build
    does not write becomes its text; the search form (a static site cannot search) left out."""
    up = "../" * name.count("/")
    html = _SEARCH_FORM.sub("", html).replace(_API_LINK, "")

    def unlink(m: re.Match[str]) -> str:
        target = _target(m.group(1))
        return m.group(0) if target in planned else m.group(2)

    html = _ANCHOR.sub(unlink, html)
    return _LINK.sub(lambda m: f'{m.group(1)}="{up}{_target(m.group(2))}"', html)


def _target(path: str) -> str:
    """The file a site path is built as."""
    found = _DIGEST_API.match(path)
    if found:
        day = found.group(1) if found.group(1) != "latest" else None
        return _join(urls.digest_path(found.group(2), day).strip("/"), "digest.json")
    if path.startswith("/api/v1/papers/"):
        return _join("paper/" + path.removeprefix("/api/v1/papers/"), "paper.json")
    if path.endswith((".css", ".atom", ".json")):
        return path.lstrip("/")
    return _join(path.strip("/"), "index.html")


def _page_file(category: str | None, day: str | None) -> str:
    return _join(urls.digest_path(category, day).strip("/"), "index.html")


def _join(folder: str, file: str) -> str:
    return f"{folder}/{file}" if folder else file


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _filter(token: str) -> CategoryFilter:
    found = resolve_filter(token)
    if found is None:
        hint = suggest(token)
        raise ConfigError(
            f"unknown category {token!r}" + (f"; did you mean {hint}?" if hint else "")
        )
    return found


def build_site(engine: Engine, out: Path, **options: Any) -> BuildReport:
    return StaticSite(engine, out, **options).build()
