"""Whole-process tests. The morning's process is started once for the session, and the crash
tests run while its digests wait for their scheduled minute (up to a minute of otherwise idle
waiting), so tests/process stays near 90 s."""

from __future__ import annotations

import pytest

from tests.process.morning import morning

__all__ = ["morning"]

AFTER_FIRE = "test_scheduled_digest"  # the first morning test that needs the scheduled minute


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the crash tests between the morning's command tests and its scheduled digests."""
    crash = [i for i in items if i.nodeid.startswith("tests/process/test_crash_and_signals.py")]
    rest = [i for i in items if i not in crash]
    first = next(
        (
            n
            for n, i in enumerate(rest)
            if i.nodeid.startswith("tests/process/test_morning.py") and AFTER_FIRE in i.name
        ),
        None,
    )
    if crash and first is not None:
        items[:] = rest[:first] + crash + rest[first:]
