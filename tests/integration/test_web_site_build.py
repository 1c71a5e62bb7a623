"""`hotpapers site build DIR`: the web's pages as static files with working relative links, the
archive-format markdown per listing day, and rebuilds that rewrite only what changed."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from bot.cli.main import cli
from tests.adapters.web_world import build_store
from tests.helpers import post


def _build(db: Path, out: Path, *extra: str) -> str:
    result = CliRunner().invoke(cli, ["site", "build", "--db", str(db), str(out), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def _links(root: Path) -> list[tuple[Path, str]]:
    found = []
    for page in root.rglob("*.html"):
        for link in re.findall(r'(?:href|src|action)="([^"]*)"', page.read_text("utf-8")):
            if not link.startswith(("http://", "https://", "#")):
                found.append((page, link))
    return found


def test_a_static_site_with_working_links_and_incremental_rebuilds(tmp_path: Path) -> None:
    db, out = tmp_path / "web.db", tmp_path / "site"
    build_store(db).close()
    assert "Wrote 35 files" in _build(db, out, "-c", "cs.CV")
    for name in (
        "index.html",
        "style.css",
        "feed.atom",
        "2021-04-05/index.html",
        "2021-04-05/digest.json",
        "2021-04-05/hot-papers-2021-04-05.md",
        "c/cs.CV/2021-04-06/index.html",
        "c/cs.CV/feed.atom",
        "paper/2104.00001/index.html",
        "paper/hep-th/9901001/paper.json",
        "week/index.html",
    ):
        assert (out / name).is_file(), name
    links = _links(out)
    assert len(links) > 100
    assert [(p, link) for p, link in links if not (p.parent / link).resolve().is_file()] == []
    assert "<form" not in (out / "index.html").read_text("utf-8")  # nothing to search with

    assert "Wrote 0 files to" in _build(db, out, "-c", "cs.CV")  # nothing changed

    from bot.store import Store

    store = Store.open(db)
    when = datetime(2021, 4, 6, 15, tzinfo=UTC)
    store.upsert_observations([post("hep-th/9901001", "new", "dora", 2, 2, when=when)])
    store.close()
    output = _build(db, out, "-c", "cs.CV")
    written = int(re.search(r"Wrote (\d+) files", output).group(1))  # type: ignore[union-attr]
    assert 0 < written < 20  # the pages that show that paper, not the whole site
    assert '"score": 14.0' in (out / "paper/hep-th/9901001/paper.json").read_text("utf-8")


def test_the_markdown_per_day_is_the_archive_format_digest(tmp_path: Path) -> None:
    db, out = tmp_path / "web.db", tmp_path / "site"
    build_store(db).close()
    _build(db, out, "--top", "5")
    result = CliRunner().invoke(
        cli, ["digest", "--db", str(db), "--date", "2021-04-05", "--format", "markdown"]
    )
    built = (out / "2021-04-05/hot-papers-2021-04-05.md").read_text("utf-8")

    def without_date(text: str) -> str:
        return re.sub(r"^date: .*$", "", text, flags=re.M).strip()

    assert without_date(built) == without_date(result.output)
    data = json.loads((out / "2021-04-05/digest.json").read_text("utf-8"))
    assert [i["arxiv_id"] for i in data["items"]] == ["2104.00001", "2104.00002"]


def test_an_unknown_category_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "web.db"
    build_store(db).close()
    result = CliRunner().invoke(
        cli, ["site", "build", "--db", str(db), str(tmp_path / "s"), "-c", "cs.CVV"]
    )
    assert result.exit_code == 1
    assert "unknown category 'cs.CVV'; did you mean cs.CV?" in result.output
    assert "Traceback" not in result.output
