"""Through the console: subscribing with a topic, an author, weekly and monthly, and listing
them again in a later session on the same database."""

from __future__ import annotations

import io
from pathlib import Path

from adapters.console import ConsoleAdapter
from bot.app import build_app


def ask(db: Path, *lines: str) -> list[str]:
    app = build_app(None, db)
    try:
        console = ConsoleAdapter(app.engine, out=io.StringIO())
        return [console.ask(line).text for line in lines]
    finally:
        app.close()


def test_console_subscribes_with_filters_and_cadences_and_lists_them_later(
    tmp_path: Path,
) -> None:
    db = tmp_path / "console.db"
    answers = ask(
        db,
        'subscribe cs.CV about "3d reconstruction" top 5 at 09:00 Europe/Berlin',
        'subscribe by "Yann LeCun" at 08:00 UTC',
        "subscribe weekly mon 09:00 top 10 cs.LG Europe/Berlin",
        "subscribe monthly 09:00 top 10 cs.LG UTC",
        "subscribe weekly",
        "subscribe monthly sun",
    )
    assert answers[0].startswith('Subscribed #console to the top 5 of cs.CV about "3d recon')
    assert answers[2] == (
        "Subscribed #console to the weekly top 10 of cs.LG (the last 7 days) at 09:00 "
        "Europe/Berlin every Monday."
    )
    assert answers[4] == (
        "Which day should the weekly digest go out? Try `subscribe weekly mon 09:00 top 10 cs.LG`."
    )
    assert "takes no day" in answers[5]

    (listed,) = ask(db, "subscriptions")  # a new session: they were stored
    assert listed.splitlines() == [
        "Subscriptions of #console:",
        '• the top 5 of all categories by "Yann LeCun" at 08:00 UTC on listing days',
        '• the top 5 of cs.CV about "3d reconstruction" at 09:00 Europe/Berlin on listing days',
        "• the monthly top 10 of cs.LG (the last 30 days) at 09:00 UTC on the first listing "
        "day of each month",
        "• the weekly top 10 of cs.LG (the last 7 days) at 09:00 Europe/Berlin every Monday",
    ]
