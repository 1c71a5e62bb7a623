"""`hotpapers ask` imports only what answering one command needs (its cold start is issue 20's).

What a process imports is what its start costs: these tests fail when a change puts a platform
SDK, an HTTP client, the scheduler, another subcommand or the migration machinery back on the
path of `hotpapers ask --db DB "top 5 cs.CV today"` against an up-to-date database. No timing.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bot.cli.main import LAZY_COMMANDS, cli
from bot.store import Store
from bot.store.sample import sample_archive
from tests.conftest import REPO

# Top-level packages `ask` must not import (each is a dependency of another command or adapter).
HEAVY = {
    "slack_bolt",
    "slack_sdk",
    "discord",
    "tweepy",
    "atproto",
    "mastodon",
    "apscheduler",
    "aiohttp",
    "httpx",
    "requests",
    "feedparser",
    "websockets",
    "sqlite_utils",  # migrations only: an up-to-date database needs one query, not the library
    "rich",
    "platformdirs",
    "asyncio",
    "adapters",
}
# Modules of this project (and the standard library) that only other commands use.
ELSEWHERE = {
    *LAZY_COMMANDS.values(),  # bot.cli.ingest, bot.cli.serve, ...
    "bot.cli.doctor",
    "bot.config_check",  # secrets to redact come only from [adapters.*] and [sources.*]
    "bot.scheduler",
    "bot.services.alerts",  # built on the first alert command (bot/app.py)
    "bot.services.subscriptions",  # built on the first subscription command, or by `run`
    "bot.services.delivery",
    "bot.services.ingest",
    "bot.services.importer",
    "bot.sources.attention.config",
    "bot.render.markdown",
    "bot.render.jsonfmt",
    "importlib.resources",  # the taxonomy is read next to the package
    "tomllib",  # no config file given
}

PROBE = """
import gc, json, sys
sys.argv = ["hotpapers", "ask", "--db", sys.argv[1], "top 5 cs.CV today"]
from bot.cli.main import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(sys.modules), "gc": gc.isenabled()}))
"""


def _ask_modules(db: Path) -> tuple[int, list[str], str, bool]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(db)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    *answer, last = done.stdout.strip().splitlines()
    probe = json.loads(last)
    return probe["code"], probe["modules"], "\n".join(answer), probe["gc"]


def test_ask_imports_neither_sdks_nor_other_commands(tmp_path: Path) -> None:
    db = tmp_path / "sample.db"
    db.write_bytes(gzip.decompress(sample_archive().read_bytes()))
    Store.open(db, read_only=False).close()  # migrated here: ask finds it current
    code, modules, answer, collecting = _ask_modules(db)
    assert code == 0, answer
    assert answer.startswith("Hot Papers "), answer
    assert collecting  # the garbage collector, off during start-up, is on again
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    elsewhere = sorted(set(modules) & ELSEWHERE)
    assert heavy == []
    assert elsewhere == []


def test_help_still_lists_every_subcommand() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    listed = result.output.split("Commands:", 1)[1]
    for name in ["ask", "digest", "doctor", "import", "run", *LAZY_COMMANDS]:
        assert f"\n  {name} " in listed, name


def test_a_lazy_subcommand_runs_and_answers_its_help() -> None:
    for name in LAZY_COMMANDS:
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert result.output.startswith("Usage: ") and f" {name} " in result.output.splitlines()[0]


def test_other_commands_run_with_the_garbage_collector_on() -> None:
    """Only ask and digest start without collections (until their app is built)."""
    code = (
        "import gc, sys, click\n"
        "from bot.cli.main import cli, main\n"
        "seen = []\n"
        "cli.add_command(click.command('probe')(lambda: seen.append(gc.isenabled())))\n"
        "sys.argv = ['hotpapers', 'probe']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(seen, gc.isenabled())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[True] True"
