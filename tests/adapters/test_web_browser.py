"""The site in a real browser: headless Chromium renders the pages under the site's own
Content-Security-Policy, at a phone's width. Skipped where Chromium is not installed
(`apt-get install -y chromium`)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.adapters.web_world import Site, build_store, serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="needs headless Chromium on PATH (apt-get install -y chromium)",
)
WAIT = 120.0  # a deadline so that a hung browser fails instead of hanging; never asserted on


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    store: Store = build_store(tmp_path / "web.db", hostile="<script>alert(1)</script>")
    try:
        async with serving(store) as s:
            yield s
    finally:
        store.close()


async def _chromium(tmp_path: Path, *args: str) -> tuple[str, str]:
    assert CHROMIUM is not None
    process = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=390,844",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), WAIT)
    return out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


async def test_the_pages_render_in_a_browser_without_running_outside_script(
    site: Site, tmp_path: Path
) -> None:
    for path in ("/", "/paper/2104.00001", "/paper/2104.00666", "/search?q=Seeing"):
        dom, _ = await _chromium(tmp_path, "--dump-dom", site.base + path)
        assert "<main" in dom, dom[:500]
        assert "<script" not in dom  # the hostile title stayed text
    dom, _ = await _chromium(tmp_path, "--dump-dom", site.base + "/paper/2104.00001")
    assert "<svg" in dom and "<polyline" in dom


async def test_a_phone_sized_screenshot(site: Site, tmp_path: Path) -> None:
    shot = tmp_path / "phone.png"
    await _chromium(tmp_path, f"--screenshot={shot}", site.base + "/")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
