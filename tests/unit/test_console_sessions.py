"""Console sessions on one database: `N` answers from this session's digest, never an older one."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from bot.app import App, build_app
from bot.domain.models import Reply
from bot.services.importer import import_archive_files

DATA = Path(__file__).resolve().parents[1] / "data" / "archive"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "console.db"
    app = build_app(None, path)
    import_archive_files(app.store, sorted(DATA.glob("*.md")))
    app.close()
    return path


def session(db: Path) -> tuple[App, ConsoleAdapter, io.StringIO]:
    app = build_app(None, db)
    out = io.StringIO()
    return app, ConsoleAdapter(app.engine, out=out), out


def first_id(reply: Reply) -> list[str]:
    assert reply.digest is not None
    return [item.paper.arxiv_id for item in reply.digest.items]


def test_n_answers_from_this_sessions_digest_not_an_earlier_sessions(db: Path) -> None:
    app, console, _ = session(db)
    earlier = first_id(console.ask("top 4 cs.CL 2020-10-29"))
    app.close()
    app, console, _ = session(db)
    now = first_id(console.ask("top 4 cs.CV 2020-11-03"))
    assert set(now).isdisjoint(earlier)
    answer = console.ask("2")
    assert now[1] in answer.text and earlier[1] not in answer.text
    app.close()


def test_a_new_session_without_a_digest_does_not_reach_into_an_old_one(db: Path) -> None:
    app, console, _ = session(db)
    console.ask("top 4 cs.CL 2020-10-29")
    app.close()
    app, console, _ = session(db)
    answer = console.ask("2")
    assert not answer.ok and "can't find a digest" in answer.text
    app.close()


def test_message_ids_differ_between_sessions(db: Path) -> None:
    ids = []
    for _ in range(2):
        app, console, _ = session(db)
        console.ask("top 3 2020-10-29")
        ids += app.store.conn.execute(
            "SELECT message_ids FROM deliveries ORDER BY id DESC LIMIT 1"
        ).fetchall()
        app.close()
    assert len(set(ids)) == 2


def test_a_digest_printed_by_the_scheduler_can_be_answered_in_the_session(db: Path) -> None:
    app, console, _ = session(db)
    shown = console.ask("top 3 cs.LG 2020-11-03")  # what a console subscription would print
    console.ask("top 2 cs.CL 2020-10-29")
    console.show(Reply(shown.text, digest=shown.digest))  # no request: the scheduler's path
    answer = console.ask("3")
    assert first_id(shown)[2] in answer.text
    app.close()
