"""The core never imports a platform SDK, and `hotpapers ask` starts without one."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

PLATFORM_SDKS = {"slack_bolt", "slack_sdk", "discord", "tweepy", "atproto", "mastodon"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_platform_sdk() -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(imported_modules(path) & PLATFORM_SDKS)
        for path in (REPO / "bot").rglob("*.py")
        if imported_modules(path) & PLATFORM_SDKS
    }
    assert offenders == {}


def test_ask_runs_without_importing_platform_sdks(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from bot.cli.main import cli\n"
        f"r = CliRunner().invoke(cli, ['ask', '--db', {str(tmp_path / 'x.db')!r}, 'help'])\n"
        "assert r.exit_code == 0, r.output\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {PLATFORM_SDKS!r})\n"
        "print(loaded)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
