"""The web adapter in the whole process: `hotpapers run` with `[adapters.web] port = 0`, and
`hotpapers serve --port 0`, each answering GET / on the port it logged."""

from __future__ import annotations

import re
import sys
import urllib.request
from pathlib import Path

from tests.adapters.web_world import build_store
from tests.process.harness import BotProcess, bot_process, write_config

SERVING = r"web: serving on http://127\.0\.0\.1:(\d+)/"


def _get(port: int, path: str) -> tuple[int, str, dict[str, str]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return response.status, response.read().decode("utf-8"), dict(response.headers)


def _port(line: str) -> int:
    found = re.search(SERVING, line)
    assert found, line
    return int(found.group(1))


def test_run_with_the_web_adapter_serves_the_latest_digest(tmp_path: Path) -> None:
    db = tmp_path / "hotpapers.db"
    build_store(db).close()
    config = write_config(
        tmp_path / "hotpapers.toml", {"bot": {"database": str(db)}, "adapters.web": {"port": 0}}
    )
    with bot_process(config, db, {}) as bot:
        port = _port(bot.wait_for_line(SERVING, timeout=60))
        status, text, headers = _get(port, "/")
        assert status == 200
        assert "Hot Papers 2021-04-06" in text and "Looking Again" in text
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        status, body, _ = _get(port, "/api/v1/digests/2021-04-05")
        assert status == 200 and '"Seeing Far"' in body
        assert bot.running, bot.tail()
        assert bot.terminate() == 143


def test_serve_runs_only_the_web(tmp_path: Path) -> None:
    db = tmp_path / "hotpapers.db"
    build_store(db).close()
    bot = BotProcess(tmp_path / "unused.toml", db, {})
    bot.args = [sys.executable, "-m", "bot.cli", "serve", "--db", str(db), "--port", "0"]
    bot.start()
    try:
        port = _port(bot.wait_for_line(SERVING, timeout=60))
        status, text, _ = _get(port, "/paper/2104.00001")
        assert status == 200 and "Seeing Far" in text
        assert "Ask me:" not in bot.text("stdout")  # no console
        assert bot.terminate() == 143
    finally:
        bot.stop()
